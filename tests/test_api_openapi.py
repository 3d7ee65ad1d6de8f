"""The published OpenAPI document: valid, complete, rendered for people, and true to what the server does.

The last test hands the document to schemathesis, which generates requests for every operation (valid ones and
deliberately broken ones), sends them to the app through WSGI and checks each answer against the document.
"""
import io
import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from portal.api import OPERATIONS
from portal.api.openapi import document
from portal.models import Tag
from portal.services import attachments, help_center, tickets
from portal.services.paging import MAX_ID

from .assist_server import assist_server
from .conftest import open_app
from .test_api_auth import person, token_for

# Enough to exercise every operation with valid and invalid input; small enough to finish in a minute or two.
EXAMPLES_PER_OPERATION = 20
SEEDED_IDS = 8


def test_document_is_valid_openapi_3_1(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/api/v1"}]


def test_document_lists_every_operation_with_its_errors(client):
    document = client.get("/openapi.json").get_json()
    listed = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert listed == {(op.method, op.path) for op in OPERATIONS}
    # + rating, SLA policies, webhooks, reports; macros, merge, saved views, assistant; organizations, categories and
    # their fields, privacy, PATCH /me
    assert len(listed) == 40 + 1 + 4 + 7 + 1 + 5 + 1 + 4 + 4 + 5 + 7 + 3 + 1
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "401" in responses and "500" in responses, (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
            if "{" in path:
                assert "404" in responses
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses)


def test_document_comes_from_the_validating_schemas(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    create = schemas["TicketCreate"]
    assert create["required"] == ["subject", "description"]
    assert create["additionalProperties"] is False
    assert create["properties"]["subject"] == {"maxLength": 250, "minLength": 2, "type": "string"}
    ticket = schemas["Ticket"]
    assert set(ticket["required"]) == {
        "id", "subject", "status", "priority", "category", "customer", "assignee", "tags", "cc", "channel", "locked",
        "message_count", "unread", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
        "sla", "rating", "merged_into_id"}
    assert set(schemas["Message"]["required"]) == {
        "id", "ticket_id", "kind", "internal", "body", "body_html", "author", "attachments", "created_at"}
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail", "code"]
    assert "default" not in schemas["TicketUpdate"]["properties"]["status"]  # may be left out, never null


def test_security_is_declared_per_operation(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert paths["/categories"]["get"]["security"] == []
    assert paths["/contact"]["post"]["security"] == []
    assert paths["/articles"]["get"]["security"] == [{}, {"bearerAuth": []}]
    assert paths["/tickets"]["get"]["security"] == [{"bearerAuth": []}]
    assert "429" in paths["/contact"]["post"]["responses"]


def test_docs_page_renders_swagger_ui_without_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-spec-url="/openapi.json"' in html
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "vendor/swagger-ui/swagger-ui.css" in html
    assert "js/apidocs.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script found"
    assert " style=" not in html
    assert 'id="error-not-found"' in html and 'id="error-validation-error"' in html
    assert "unpkg" not in html and "cdn" not in html.lower()


def test_problem_types_point_at_the_error_table(client):
    problem = client.get("/api/v1/me").get_json()
    anchor = problem["type"].split("#")[1]
    assert f'id="{anchor}"' in client.get("/api/docs").get_data(as_text=True)


# ------------------------------------------------------------------------------------------------- schemathesis


@pytest.fixture
def app(tmp_path):
    """The usual fresh app, with the assistant pointed at a local stand-in model so its operations answer for real."""
    with assist_server() as model, open_app(tmp_path, ASSIST_API_URL=model.url) as app:
        yield app


@pytest.fixture
def seeded(app):
    """Some of everything, so generated ids land on real rows; returns an admin's and a customer's token."""
    admin = person("admin", "root@example.com", "Root Admin")
    agent = person("agent", "helper@example.com", "Helper Agent")
    customers = [person("customer", f"fuzz{n}@example.com", f"Fuzz Customer {n}") for n in range(3)]
    for n in range(SEEDED_IDS):
        owner = customers[n % 3]
        ticket = tickets.create_ticket(owner, f"Seeded ticket {n}", "Something broke.", category="technical")
        upload = attachments.upload(owner, io.BytesIO(b"seed file %d" % n), f"seed{n}.txt", "text/plain")
        tickets.reply(owner, ticket.id, "More detail.", attachment_ids=[upload.id])
        tickets.reply(agent, ticket.id, "Looking into it.", internal=n % 2 == 0)
        attachments.upload(owner, io.BytesIO(b"loose %d" % n), f"loose{n}.txt", "text/plain")
        Tag.create(name=f"seed-tag-{n}", color="#336699")
    collection = help_center.create_collection(admin, "Seeded collection")
    for n in range(SEEDED_IDS):
        help_center.create_article(admin, f"Seeded article {n}", "Body text.", status="published" if n % 2 else "draft",
                                   collection_id=collection.id)
    return {"admin": token_for(admin), "customer": token_for(customers[0])}


# The document needs no app to be built, so the schema is loaded once at import; each operation's test then runs
# against the fresh app (and database) of the `app` fixture.
schema = schemathesis.openapi.from_dict(document())
# A raw e-mail (POST /inbound/email) travels as its bytes, like any binary body.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")
# The token comes from the test itself, so schemathesis must not generate (or leave out) Authorization headers.
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, with_security_parameters=False)


@schema.hook
def map_path_parameters(context, path_parameters):
    # Generated ids are mostly huge; fold valid ones onto the seeded rows so real resources get exercised.
    # Out-of-range values stay as they are: they are the negative cases that must be refused.
    return {
        name: ((value - 1) % SEEDED_IDS) + 1 if isinstance(value, int) and 1 <= value <= MAX_ID else value
        for name, value in (path_parameters or {}).items()
    }


def _wire(value):
    # How a generated query value travels: text, with booleans spelt the way the schema's generator spells them.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def accepted_by_the_validating_models(ctx, response, case):
    """A request schemathesis generated as valid must pass the very pydantic models the server validates with.

    (The server may still refuse it for a rule no static schema can state: an id that does not exist, a name
    already taken, a cursor it never handed out. Those 422s are allowed; a schema-level refusal is not.)
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    operation = OPERATION_BY_ROUTE[(case.method.upper(), case.path)]
    if operation.body is not None and isinstance(case.body, (dict, list)):
        operation.body.model_validate(case.body)
    if operation.query is not None and case.query:
        operation.query.model_validate({name: _wire(value) for name, value in case.query.items()})
    return None


OPERATION_BY_ROUTE = {(op.method, op.path): op for op in OPERATIONS}
# Business rules answer 422 to some schema-valid requests; the check above makes sure the schema itself agrees.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses, "422"]


CALLS = Counter()


def _call(case, app, token):
    # Checks that send extra probes (e.g. without the token) go through the schema's transport: point it here too.
    case.operation.schema.app = app
    CALLS[case.operation.label] += 1
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                           additional_checks=[accepted_by_the_validating_models])


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_server_keeps_every_promise_of_the_document_for_an_admin(case, app, seeded):
    _call(case, app, seeded["admin"])


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_server_keeps_every_promise_of_the_document_for_a_customer(case, app, seeded):
    _call(case, app, seeded["customer"])


@pytest.fixture(scope="module", autouse=True)
def _report_calls():
    yield
    if CALLS:
        print(f"\nschemathesis: {len(CALLS)} operations, {sum(CALLS.values())} generated requests")
