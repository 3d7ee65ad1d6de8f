"""The API blueprint and its one way of declaring an operation.

`@operation(...)` registers a route and records what it accepts and returns; the handler that wraps the view
authenticates the bearer token, validates the query string and the body against the declared schemas and turns
the view's result into JSON. The OpenAPI document is built from the same records (see openapi.py).
"""
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel
from pydantic import ValidationError as SchemaError

from .. import safe_json
from ..db import write
from ..extensions import csrf
from ..models import IdempotencyRecord, utcnow
from ..services import accounts
from ..services.paging import MAX_ID
from .errors import ApiError
from .schemas import ListMeta

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, not cookies, authenticate here, so there is no session for a forged request to ride on.
csrf.exempt(bp)

PUBLIC = "public"  # no token needed; a token that is sent must be valid
OPTIONAL = "optional"  # works without a token; a valid one may see more (staff see drafts)
TOKEN = "token"  # a valid bearer token is required

OPERATIONS = []
_PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass
class Operation:
    """One method on one path, as documented and as served."""

    method: str
    path: str
    endpoint: str
    tag: str
    summary: str
    description: str
    auth: str
    query: type | None = None
    body: type | None = None
    multipart: type | None = None
    response: type | None = None
    status: int = 200
    errors: tuple = ()
    download: bool = False
    raw_body: str | None = None  # a media type the view reads itself, e.g. message/rfc822
    idempotent: bool = False
    rate_limited: bool = False
    aliases: dict = field(default_factory=dict)

    @property
    def path_params(self):
        return _PATH_PARAM.findall(self.path)

    def location_of(self, name):
        """Where a field named by a service sits in this operation's request, e.g. body.subject."""
        name = self.aliases.get(name, name)
        if name in self.path_params:
            return f"path.{name}"
        if self.query is not None and name in self.query.model_fields:
            return f"query.{name}"
        if self.body is None and self.multipart is None and self.query is not None:
            return f"query.{name}"
        return f"body.{name}"


# Path parameters that name a thing by text (a category's slug, a field's key); every other one is an id.
TEXT_PARAMS = ("slug", "key")


def _rule(path):
    # Plain digits only; the range is checked in the handler (a converter with bounds makes werkzeug answer 405
    # instead of 404 for an out-of-range id on a path that other methods share).
    return _PATH_PARAM.sub(
        lambda m: f"<{m.group(1)}>" if m.group(1) in TEXT_PARAMS else f"<int:{m.group(1)}>", path)


def _schema_errors(error, prefix):
    located = []
    for item in error.errors(include_url=False):
        parts = [str(p) for p in item["loc"]]
        located.append((".".join([prefix, *parts]), item["msg"]))
    return located


def authenticate(level):
    """The user behind the request's bearer token, or None where the operation allows no token.

    :raises ApiError: 401 for a missing (where required), malformed, unknown or revoked token.
    """
    header = request.headers.get("Authorization", "")
    if not header.strip():
        if level == TOKEN:
            raise ApiError(401, "Send a bearer token: Authorization: Bearer <token>.")
        return None
    scheme, _, raw = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError(401, "Send a bearer token: Authorization: Bearer <token>.")
    user = accounts.user_for_token(raw.strip())
    if user is None:
        raise ApiError(401, "This token is not valid: it is unknown, revoked, or its user is deactivated.")
    return user


def parse_query(model):
    """The query string validated against `model`. :raises ApiError: 422 with query.<name> locations."""
    try:
        return model.model_validate(request.args.to_dict())
    except SchemaError as error:
        raise ApiError(422, "Some query parameters are not valid.", _schema_errors(error, "query"))


MAX_JSON_BYTES = 1024 * 1024  # no operation needs more than a long ticket description; files go as multipart


def read_json():
    """The request's JSON body, parsed without trusting it.

    :raises ApiError: 413 over MAX_JSON_BYTES, 422 when empty, 400 when not JSON, not UTF-8 or nested deeper than
        64 levels.
    """
    limit = current_app.config.get("MAX_JSON_BYTES", MAX_JSON_BYTES)
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"A JSON body can be at most {limit // 1024} KB.")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(413, f"A JSON body can be at most {limit // 1024} KB.")
    if not raw.strip():
        raise ApiError(422, "This operation needs a JSON object in the body.", [("body", "Send a JSON object.")])
    if not request.is_json:
        raise ApiError(400, "Send the request body as JSON, with Content-Type: application/json.")
    try:
        return safe_json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(400, "The request body is not valid UTF-8.")
    except safe_json.TooDeep as error:
        raise ApiError(400, f"The request body is not accepted: {error}.")
    except ValueError as error:
        raise ApiError(400, f"The request body is not valid JSON: {error}.")


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_MEMORY = timedelta(hours=24)


def idempotency_check(actor):
    """The (key, body fingerprint) of an idempotent request, or None without a key.

    :raises ApiError: 422 when the key is too long or was used in the last 24 hours with a different body.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return None
    where = f"header.{IDEMPOTENCY_HEADER}"
    if len(key) > 200:
        raise ApiError(422, "Some fields are not valid.", [(where, "An idempotency key can be at most 200 characters.")])
    raw = request.get_data(cache=True)
    # The same JSON sent with other spacing or key order is the same request.
    canonical = json.dumps(safe_json.loads(raw), sort_keys=True, separators=(",", ":")) if raw.strip() else ""
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    record = _idempotency_record(actor, key)
    if record is not None and record.body_sha256 != digest:
        raise ApiError(422, "This Idempotency-Key was already used with a different body; use a new key.",
                       [(where, "Already used with a different body.")])
    return key, digest, record is not None


def idempotency_key():
    """The client's Idempotency-Key (already checked by idempotency_check), or None: what makes a resend one ticket."""
    return request.headers.get(IDEMPOTENCY_HEADER, "").strip() or None


def _idempotency_record(actor, key):
    owner = IdempotencyRecord.user.is_null() if actor is None else IdempotencyRecord.user == actor.id
    cutoff = utcnow() - IDEMPOTENCY_MEMORY
    return IdempotencyRecord.get_or_none(owner, IdempotencyRecord.key == key, IdempotencyRecord.created_at >= cutoff)


def remember_idempotency(actor, key, digest):
    """Keep the body fingerprint of a request that succeeded; records older than a day are swept here."""
    with write():
        IdempotencyRecord.delete().where(IdempotencyRecord.created_at < utcnow() - IDEMPOTENCY_MEMORY).execute()
        if _idempotency_record(actor, key) is None:
            IdempotencyRecord.create(key=key, user=actor, body_sha256=digest)


def parse_json(model):
    """The JSON body validated against `model`.

    :raises ApiError: 400 when it is not JSON, 422 with body.<field> locations when it is JSON but invalid.
    """
    data = read_json()
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object, like {\"subject\": \"...\"}.")
    try:
        return model.model_validate(data)
    except SchemaError as error:
        raise ApiError(422, "Some fields are not valid.", _schema_errors(error, "body"))


def parse_multipart(model):
    """The multipart form validated against `model` (files by field name). :raises ApiError: 400 or 422."""
    if not request.mimetype.startswith("multipart/form-data"):
        raise ApiError(400, "Upload the file as multipart/form-data with a part named `file`.")
    values = {}
    for name in model.model_fields:
        part = request.files.get(name)
        if part is not None and part.filename:
            values[name] = part
    try:
        model.model_validate(values)
    except SchemaError as error:
        raise ApiError(422, "Some fields are not valid.", _schema_errors(error, "body"))
    return values


def json_response(model_instance, status=200, headers=None):
    body = model_instance.model_dump_json()
    response = current_app.response_class(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def list_meta(page):
    """The `meta` of a list envelope from a service Page."""
    return ListMeta(limit=page.limit, total=page.total, next_cursor=page.next_cursor)


def whole_list_meta(items):
    """The `meta` of a list that always fits in one page."""
    return ListMeta(limit=len(items), total=len(items), next_cursor=None)


def operation(method, path, *, tag, summary, auth=TOKEN, query=None, body=None, multipart=None, response=None,
              status=200, errors=(), download=False, raw_body=None, idempotent=False, rate_limited=False,
              aliases=None):
    """Declare one API operation: route it, validate its input, document it.

    The view is called as view(actor, **path_params[, query=...][, body=...]) and returns a pydantic model
    (sent as JSON with `status`), a (model, headers) pair, None (204) or a ready Response.
    """

    def decorator(view):
        op = Operation(
            method=method,
            path=path,
            endpoint=view.__name__,
            tag=tag,
            summary=summary,
            description=(view.__doc__ or "").strip(),
            auth=auth,
            query=query,
            body=body,
            multipart=multipart,
            response=response,
            status=status,
            errors=tuple(errors),
            download=download,
            raw_body=raw_body,
            idempotent=idempotent,
            rate_limited=rate_limited,
            aliases=aliases or {},
        )

        @functools.wraps(view)
        def handler(**path_params):
            g.api_operation = op
            actor = authenticate(op.auth)
            # Ids outside 1..2**53-1 cannot exist (and some drivers cannot bind them): nothing is there.
            if any(not 1 <= value <= MAX_ID for value in path_params.values() if isinstance(value, int)):
                raise ApiError(404, "There is nothing at this address.")
            kwargs = dict(path_params)
            if op.query is not None:
                kwargs["query"] = parse_query(op.query)
            if op.body is not None:
                kwargs["body"] = parse_json(op.body)
            if op.multipart is not None:
                kwargs["form"] = parse_multipart(op.multipart)
            idempotency = idempotency_check(actor) if op.idempotent else None
            result = view(actor, **kwargs)
            if idempotency is not None and not idempotency[2]:
                remember_idempotency(actor, *idempotency[:2])
            if result is None:
                return current_app.response_class(status=204)
            headers = None
            if isinstance(result, tuple):
                result, headers = result
            if isinstance(result, BaseModel):
                return json_response(result, op.status, headers)
            return result

        bp.add_url_rule(_rule(path), endpoint=view.__name__, view_func=handler, methods=[method])
        OPERATIONS.append(op)
        return handler

    return decorator


@bp.after_request
def _no_store(response):
    # Answers depend on who holds the token; no shared cache may keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    return response
