"""Pagination of list pages: one COUNT and one page query, whatever the row count."""
from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from trainhub.extensions import db


def paginate(stmt: Select, per_page: int | None = None) -> Pagination:
    """The page of `stmt` named by the `page` query argument (a bad number gives page 1)."""
    return db.paginate(
        stmt,
        page=request.args.get("page", 1, type=int),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        max_per_page=200,
        error_out=False,
    )
