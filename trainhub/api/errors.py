"""The one JSON error shape of the API: {"status": int, "error": short name, "message": text}."""
from http import HTTPStatus

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

#: what the API says for the common errors (clients read English; pages are translated)
MESSAGES = {
    401: "Send a valid API token in the header 'Authorization: Bearer <token>'.",
    403: "Your role may not read this.",
    404: "No such record, or you cannot see it.",
    422: "The request parameters are invalid.",
    500: "Internal error. It was logged.",
}


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def short_name(code: int) -> str:
    """`not_found`, `unprocessable_entity`: the status phrase as an identifier."""
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "error"
    return phrase.lower().replace(" ", "_").replace("-", "_")


def error_response(error: HTTPException):
    """The JSON answer for `error`; validation details, when any, go under `errors`."""
    code = error.code or 500
    body = {"status": code, "error": short_name(code),
            "message": MESSAGES.get(code) or error.description or short_name(code)}
    data = getattr(error, "data", None) or {}
    details = data.get("errors") or data.get("messages")
    if details:
        body["errors"] = details
    response = jsonify(body)
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response
