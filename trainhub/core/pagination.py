"""Pagination of list pages: one COUNT and one page query, whatever the row count."""
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import TypeVar

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select

from trainhub.core.bounds import a_page
from trainhub.core.counts import exact_count, kept_named_value, kept_value
from trainhub.extensions import db

T = TypeVar("T")


class KeptCountPagination(SelectPagination):
    """A page whose exact total is kept while the rows it counts are unchanged (core/counts.py)."""

    def _query_count(self) -> int:
        if self._query_args.get("count_select") is None:
            return super()._query_count()
        return exact_count(self._query_args["session"], self._query_args["count_select"],
                           self._query_args.get("count_key"))


class RowsPagination(KeptCountPagination):
    """A page of plain rows (a select of the columns a page shows, not of ORM objects); with
    `kept_rows`, its total and its rows are kept while the rows they read are unchanged; with
    `kept` (kept_page), they are that page's kept (total, rows) and nothing is read."""

    def _query_count(self) -> int:
        if "kept" in self._query_args:
            return self._query_args["kept"][0]
        return super()._query_count()

    def _query_items(self) -> list:
        if "kept" in self._query_args:
            return self._query_args["kept"][1]
        session, stmt = self._query_args["session"], self._query_args["select"]
        if not self._query_args.get("kept_rows"):
            return session.execute(stmt.limit(self.per_page).offset(self._query_offset)).all()
        stmt = _page_of(stmt, self.per_page, self._query_offset)
        return kept_value(session, stmt, lambda: session.execute(stmt).all())


@lru_cache(maxsize=256)
def _page_of(stmt: Select, limit: int, offset: int) -> Select:
    """One page of `stmt`, one statement per page of a statement object: a caller that keeps
    its statements gets the same page statement, whose cache key is worked out once."""
    return stmt.limit(limit).offset(offset)


def paginate(stmt: Select, per_page: int | None = None, *,
             kept_count: Select | Callable[[], Select] | None = None,
             count_key: Hashable | None = None, rows: bool = False,
             kept_rows: bool = False) -> Pagination:
    """The page of `stmt` named by the `page` query argument (a bad number gives page 1).
    `kept_count`: the same rows written for counting them all, for a list whose count costs
    more than its page; the count is kept while they are unchanged (`count_key`: see
    core.counts.exact_count's `key`). `rows`: `stmt` selects columns, and the page holds its
    rows as they are; `kept_rows` (a page whose statements are built once per reader and
    filters): those rows are kept with the count (plain rows hold no object a later request
    could change)."""
    page = request.args.get("page", 1, type=a_page)
    per_page = per_page or current_app.config["PAGE_SIZE"]
    if rows:
        return RowsPagination(select=stmt, count_select=kept_count, count_key=count_key,
                              kept_rows=kept_rows and kept_count is not None,
                              session=db.session(), page=page, per_page=per_page,
                              max_per_page=200, error_out=False)
    if kept_count is not None:
        return KeptCountPagination(select=stmt, count_select=kept_count, count_key=count_key,
                                   session=db.session(), page=page, per_page=per_page,
                                   max_per_page=200, error_out=False)
    return db.paginate(stmt, page=page, per_page=per_page, max_per_page=200, error_out=False)


def kept_page(stmt: Callable[[], Select], make: Callable[[Pagination], T], *,
              kept_count: Callable[[], Select], count_key: Hashable, view: Hashable,
              tables: frozenset[str], per_page: int | None = None) -> tuple[Pagination, T]:
    """`paginate(stmt(), rows=True, kept_count=…, count_key=…)` and `make(page)`, a value made
    from its rows alone (their markup, say), kept together per data version
    (core.counts.kept_named_value) under the count's key, `view` (whatever else `make` depends
    on: the reader's language, rights, script root…) and the page: a kept page reads nothing
    but the version. `tables`: every table the rows, the count and `make` read (all of them
    versioned, else nothing is kept on SQLite). The statements are built only when not kept."""
    number = request.args.get("page", 1, type=a_page)
    per_page = per_page or current_app.config["PAGE_SIZE"]
    session = db.session()

    def made() -> tuple[int, list, T]:
        page = paginate(stmt(), per_page, kept_count=kept_count, count_key=count_key, rows=True)
        return page.total, page.items, make(page)

    total, items, value = kept_named_value(
        session, ("page", count_key, view, number, per_page), tables, made)
    return RowsPagination(kept=(total, items), session=session, page=number, per_page=per_page,
                          max_per_page=200, error_out=False), value


class ListPagination(Pagination):
    """Pagination over a list already in memory (rows sorted by a computed figure)."""

    def _query_items(self) -> list:
        items = self._query_args["items"]
        return items[self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: list, per_page: int | None = None,
                  page_arg: str = "page") -> ListPagination:
    """The page of `items` named by the `page_arg` query argument (a bad number gives page 1)."""
    return ListPagination(
        page=request.args.get(page_arg, 1, type=a_page),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        max_per_page=200,
        error_out=False,
        items=items,
    )
