"""gunicorn settings of every TrainHub server: workers freeze what the app keeps for good (docs/deploy.md)."""
import gc
import itertools

#: requests a worker serves before its second freeze: by then the templates are compiled and
#: the statement and permission caches are filled, objects that live as long as the worker
WARM_UP_REQUESTS = 50

_served = itertools.count(1)


def freeze_kept_objects() -> None:
    """Collect once, then move every object still alive out of the cyclic collector's sight:
    the app, its modules and caches are never garbage, yet every full collection re-scans
    them (a large share of a page's CPU). Objects created later are collected as usual."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker) -> None:
    """gunicorn hook: the worker has loaded the app."""
    freeze_kept_objects()


def post_request(worker, req, environ, resp) -> None:
    """gunicorn hook: freeze again once, after the worker's first requests filled its caches."""
    if next(_served) == WARM_UP_REQUESTS:
        freeze_kept_objects()
