"""gunicorn reads this file from the working directory: TrainHub's server hooks (trainhub/serving.py)."""
from trainhub.serving import post_request, post_worker_init  # noqa: F401
