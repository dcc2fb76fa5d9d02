"""REST API for the managing authority (flask-smorest + OpenAPI)."""
from flask import Flask
from flask_smorest import Api

from trainhub.api.errors import error_response, is_api_request
from trainhub.api.schemas import ErrorSchema
from trainhub.auth.permissions import public


class TrainHubApi(Api):
    """flask-smorest's Api with TrainHub's error shape, leaving HTML pages their own errors."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        # flask-smorest registers this for every HTTPException of the whole app; only API
        # requests get JSON, the rest Werkzeug's default (codes the app has no page for).
        return error_response(error) if is_api_request() else error

    @public
    def _openapi_json(self):
        return super()._openapi_json()


def init_app(app: Flask) -> None:
    """Serve /api/v1 (token auth, no CSRF: no cookies are used), /api/openapi.json, /api/docs."""
    from trainhub.api.views import blp, reference_bp
    from trainhub.extensions import csrf

    api = TrainHubApi(app)  # one per app: it holds the app's OpenAPI document
    csrf.exempt(blp)
    api.register_blueprint(blp)
    app.register_blueprint(reference_bp)
