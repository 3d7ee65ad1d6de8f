"""The OpenAPI 3.1 document, built from the operations and the very pydantic models that validate requests."""
import copy
from functools import lru_cache

from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from . import schemas as s
from .core import IDEMPOTENCY_HEADER, OPERATIONS, OPTIONAL, PUBLIC, TEXT_PARAMS
from .errors import EXPLANATIONS, KINDS, PROBLEM_TYPE

REF = "#/components/schemas/{model}"
SUCCESS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}

DESCRIPTION = """\
The support desk's JSON API: the same rules as the portals, for programs.

**Authentication.** Send a personal token as `Authorization: Bearer <token>`. Create one on the
*API tokens* page of your account (it is shown once) or with `flask --app app create-token`. A missing, unknown or
revoked token answers 401; a role too low for the operation answers 403; another customer's ticket answers 404, as if
it did not exist.

**Envelopes.** One object comes as `{"data": {...}}`; a list as `{"data": [...], "meta": {"limit", "total",
"next_cursor"}}`.

**Pagination.** Pass `limit` (at most 100) and the previous page's `next_cursor` as `cursor`. Pages are keyset
pages: new tickets arriving while you walk never make an item repeat or vanish.

**Errors.** Every error is an RFC 9457 `application/problem+json` document with `type`, `title`, `status`,
`detail` and a stable `code`; validation errors add `errors: [{"location": "body.subject", "message": "..."}]`.
Malformed JSON is 400, well-formed but invalid input 422, a state change the rules forbid 409.

**Times** are ISO 8601 in UTC with a `Z`; **ids** are integers.
"""


class _Generator(GenerateJsonSchema):
    """Pydantic's JSON Schema, with the titles pydantic invents for every property left out."""

    def field_title_should_be_set(self, schema):
        return False


def _is_nullable(schema):
    if schema.get("type") == "null" or (isinstance(schema.get("type"), list) and "null" in schema["type"]):
        return True
    return any(_is_nullable(option) for option in schema.get("anyOf", []) + schema.get("oneOf", []))


def _tidy(node):
    """Drop `default: null` from fields that may be left out but not sent as null (see schemas.py)."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None and not _is_nullable(node):
            del node["default"]
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)
    return node


def _parameter_schema(schema):
    """A query parameter's schema: never null (a URL has no null) and no default of None."""
    schema = copy.deepcopy(schema)
    options = schema.get("anyOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            del schema["anyOf"]
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema


def _problem_response(status, description=None):
    code, title = KINDS[status]
    return {
        "description": description or f"{title}: {EXPLANATIONS[code]}",
        "content": {PROBLEM_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
    }


def _error_statuses(op):
    statuses = {401, 500}  # any request may carry a bad token; anything may break
    statuses.update(op.errors)
    if op.path_params:
        statuses.add(404)
    if op.query is not None:
        statuses.add(422)
    if op.body is not None or op.multipart is not None or op.raw_body is not None:
        statuses.update({400, 413, 422})
    if op.idempotent:
        statuses.add(422)
    if op.rate_limited:
        statuses.add(429)
    if op.method != "GET":
        statuses.add(409)  # a write can always lose a race for a unique name
    return sorted(statuses)


def _security(op):
    if op.auth == PUBLIC:
        return []
    if op.auth == OPTIONAL:
        return [{}, {"bearerAuth": []}]
    return [{"bearerAuth": []}]


def _operation_object(op, refs, query_schemas):
    item = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "description": op.description,
        "tags": [op.tag],
        "security": _security(op),
        "parameters": [],
        "responses": {},
    }
    for name in op.path_params:
        item["parameters"].append({
            "name": name,
            "in": "path",
            "required": True,
            "schema": ({"type": "string", "minLength": 1, "maxLength": 64} if name in TEXT_PARAMS
                       else {"type": "integer", "minimum": 1, "maximum": s.MAX_ID}),
        })
    if op.query is not None:
        schema = query_schemas[op.query]
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            parameter = {"name": name, "in": "query", "required": name in required,
                         "schema": _parameter_schema(prop)}
            if "description" in prop:
                parameter["description"] = prop["description"]
                parameter["schema"].pop("description", None)
            item["parameters"].append(parameter)
    if op.idempotent:
        item["parameters"].append({
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": False,
            "description": "Any unique string; sending the same one again returns what the first request created.",
            "schema": {"type": "string", "maxLength": 200},
        })
    if op.body is not None:
        item["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if op.multipart is not None:
        item["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": refs[(op.multipart, "validation")]}},
        }
    if op.raw_body is not None:
        item["requestBody"] = {
            "required": True,
            "content": {op.raw_body: {"schema": {"type": "string", "format": "binary"}}},
        }
    if op.download:
        item["responses"]["200"] = {
            "description": "The file, with Content-Disposition: attachment unless it is a checked image.",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    elif op.response is not None:
        item["responses"][str(op.status)] = {
            "description": SUCCESS_TEXT.get(op.status, "OK"),
            "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
        }
    else:
        item["responses"][str(op.status)] = {"description": SUCCESS_TEXT.get(op.status, "OK")}
    for status in _error_statuses(op):
        item["responses"][str(status)] = _problem_response(status)
    if not item["parameters"]:
        del item["parameters"]
    return item


@lru_cache(maxsize=1)
def _document():
    wanted = [(s.Problem, "serialization")]
    for op in OPERATIONS:
        for model, mode in ((op.body, "validation"), (op.multipart, "validation"), (op.query, "validation"),
                            (op.response, "serialization")):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))
    refs, definitions = models_json_schema(wanted, ref_template=REF, schema_generator=_Generator)
    components = definitions.get("$defs", {})
    query_models = {op.query for op in OPERATIONS if op.query is not None}
    query_schemas = {}
    for model in query_models:
        # Query models become parameters, not components.
        query_schemas[model] = components.pop(model.__name__)

    paths = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_object(op, refs, query_schemas)

    tags = []
    for op in OPERATIONS:
        if op.tag not in [t["name"] for t in tags]:
            tags.append({"name": op.tag})
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Support Desk API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token from the API tokens page or `flask create-token`.",
                }
            },
        },
    }
    return _tidy(document)


def document():
    """The OpenAPI document as a dict (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
