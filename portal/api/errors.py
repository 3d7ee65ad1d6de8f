"""Every API error as an RFC 9457 problem document; never a stack trace, never an HTML page."""
from flask import current_app, g, request, url_for
from peewee import IntegrityError
from werkzeug.exceptions import HTTPException, default_exceptions

from ..services.errors import NewerMessages, ServiceError, ValidationError
from .schemas import FieldError, Problem

PROBLEM_TYPE = "application/problem+json"

# status -> (code, title); the codes are the contract in SPEC section 4.
KINDS = {
    400: ("BAD_REQUEST", "Bad request"),
    401: ("UNAUTHORIZED", "Unauthorized"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    409: ("CONFLICT", "Conflict"),
    413: ("PAYLOAD_TOO_LARGE", "Payload too large"),
    422: ("VALIDATION_ERROR", "Validation failed"),
    429: ("TOO_MANY_REQUESTS", "Too many requests"),
    500: ("INTERNAL_SERVER_ERROR", "Internal server error"),
    503: ("ASSISTANT_UNAVAILABLE", "Service unavailable"),
}

# What each kind of problem means, for the error table on /api/docs (the `type` URIs point there).
EXPLANATIONS = {
    "BAD_REQUEST": "The request could not be read: malformed JSON, or a body that is not JSON.",
    "UNAUTHORIZED": "No bearer token, or one that is unknown, revoked or belongs to a deactivated user.",
    "FORBIDDEN": "The token is fine but its user's role may not do this.",
    "NOT_FOUND": "Nothing here, or nothing you may see: another customer's ticket answers the same way.",
    "METHOD_NOT_ALLOWED": "This address does not accept that HTTP method; the Allow header lists those it does.",
    "VALIDATION_ERROR": "Well-formed but invalid input; the errors list locates each problem.",
    "CONFLICT": "The change is not possible in the current state, e.g. reopening a locked ticket.",
    "PAYLOAD_TOO_LARGE": "The request body or the uploaded file is over the size limit.",
    "TOO_MANY_REQUESTS": "Slow down: this endpoint is rate limited.",
    "INTERNAL_SERVER_ERROR": "Something broke on our side and it is logged; every write is one transaction, "
                             "so none is half-done.",
    "ASSISTANT_UNAVAILABLE": "The assistant is not configured, or its model failed or did not answer in time; "
                             "the detail says which. Nothing was written.",
}


class ApiError(Exception):
    """An error the API layer itself raises (authentication, unreadable requests)."""

    def __init__(self, status, detail, errors=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def type_uri(code):
    """The `type` of a problem: the entry of the error table on the API docs page."""
    anchor = "error-" + code.lower().replace("_", "-")
    try:
        return url_for("api_docs.page", _anchor=anchor, _external=True)
    except Exception:  # the docs blueprint is not installed: still a stable URI reference
        return "/api/docs#" + anchor


def problem(status, detail, errors=None, headers=None, **extra):
    """A problem+json response for `status`; `extra` adds members such as `messages`."""
    code, title = KINDS.get(status) or (("INTERNAL_SERVER_ERROR", "Internal server error") if status >= 500
                                        else ("BAD_REQUEST", "Bad request"))
    fields = dict(type=type_uri(code), title=title, status=status, detail=detail, code=code)
    if errors:
        fields["errors"] = [FieldError(location=loc, message=msg) for loc, msg in errors]
    body = Problem(**fields, **extra)
    response = current_app.response_class(body.model_dump_json(exclude_none=True), status=status,
                                          mimetype=PROBLEM_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _location_of(field):
    """Where a service's field name lives in this request: the operation knows its query, body and path."""
    operation = g.get("api_operation")
    if operation is None:
        return f"body.{field}"
    return operation.location_of(field)


def from_validation_error(error):
    """Service ValidationError (field -> message) as a 422 with located errors."""
    errors = [(_location_of(field), message) for field, message in error.errors.items()]
    return problem(422, "Some fields are not valid.", errors)


HTTP_DETAILS = {
    400: "The request could not be understood.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request is too large.",
    415: "Send the body in a media type this operation accepts.",
    429: "Too many requests in a short time; wait a little and try again.",
}


def from_http_exception(error):
    """A werkzeug HTTPException (routing, body size, rate limit...) as a problem."""
    status = error.code or 500
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 415:
        status = 400
    if status == 413:
        limit = current_app.config["MAX_ATTACHMENT_MB"]
        return problem(413, f"The request is too large. Each file can be at most {limit:g} MB.")
    if status == 429:
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(retry)
    detail = HTTP_DETAILS.get(status) or (error.description if status < 500 else "Something went wrong on our side.")
    return problem(status, detail, headers=headers)


def register(bp):
    """Map every error raised under the blueprint to a problem document."""

    @bp.errorhandler(ApiError)
    def _api_error(error):
        return problem(error.status, error.detail, error.errors, error.headers)

    @bp.errorhandler(ValidationError)
    def _validation(error):
        return from_validation_error(error)

    @bp.errorhandler(NewerMessages)
    def _newer_messages(error):
        from .serializers import message

        return problem(409, error.message, messages=[message(m) for m in error.messages])

    @bp.errorhandler(ServiceError)
    def _service(error):
        return problem(error.status, error.message)

    def _http(error):
        return from_http_exception(error)

    # Flask prefers an app handler for a status code over a blueprint handler for a class, so claim every code.
    bp.register_error_handler(HTTPException, _http)
    for code in default_exceptions:
        bp.register_error_handler(code, _http)

    @bp.errorhandler(IntegrityError)
    def _integrity(error):
        # A unique index refused a row a concurrent request created first: the state changed under us.
        current_app.logger.warning("API integrity error on %s %s: %s", request.method, request.path, error)
        return problem(409, "That conflicts with something that already exists; reload it and try again.")

    @bp.errorhandler(Exception)
    def _unexpected(error):
        current_app.logger.exception("API error on %s %s", request.method, request.path)
        return problem(500, "Something went wrong on our side; please try again.")

    @bp.before_app_request
    def _unrouted():
        # Routing failed before any blueprint was chosen, so blueprint handlers never see these: answer here.
        error = request.routing_exception
        if error is not None and request.path.startswith("/api/") and getattr(error, "code", None) in (404, 405):
            return from_http_exception(error)
        return None
