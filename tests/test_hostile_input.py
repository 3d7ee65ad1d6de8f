"""Hostile input never gets a 500: deep or huge JSON, bad bytes, reused idempotency keys, attached files, bidi names."""
import io

import pytest

from portal.models import IdempotencyRecord, Ticket, utcnow
from portal.services import attachments, tickets

from .test_api_auth import API, Api, person, token_for

PROBLEM = "application/problem+json"


@pytest.fixture
def api(client, app):
    return Api(client, token_for(person("customer", "hana@example.com", "Hana Hostile")))


def nested(depth):
    """A ticket body whose `tags` value is nested `depth` levels deep in all (the object itself is level 1)."""
    return '{"subject": "Deep", "description": "x", "tags": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def post_raw(api, path, data, content_type="application/json", headers=None):
    return api.client.post(API + path, data=data, content_type=content_type, headers=api.headers(headers))


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_json_nested_deeper_than_64_levels_is_a_400_problem(api, depth):
    response = post_raw(api, "/tickets", nested(depth))
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert "64 levels" in response.get_json()["detail"]
    assert Ticket.select().count() == 0


def test_json_nested_64_levels_is_read_like_any_other_body(api):
    response = post_raw(api, "/tickets", nested(64))
    # Read and validated: tags must be strings, so the answer is a located 422, never a 400 or a 500.
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.get_json()["errors"][0]["location"].startswith("body.tags")


def test_deep_json_to_the_public_contact_endpoint_is_a_400(client, app):
    response = client.post(API + "/contact", data='{"name": ' + "[" * 5000 + "]" * 5000 + "}",
                           content_type="application/json")
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    response = api.post("/tickets", {"subject": "Brackets " + "[" * 100, "description": "{" * 500})
    assert response.status_code == 201


@pytest.mark.parametrize("body, detail", [
    (b'{"subject": "caf\xe9", "description": "x"}', "UTF-8"),
    (b'["subject", "description"]', "JSON object"),
    (b'"just a string"', "JSON object"),
    (b"42", "JSON object"),
    (b'{"subject": ', "not valid JSON"),
])
def test_bodies_that_are_not_a_json_object_are_a_400(api, body, detail):
    response = post_raw(api, "/tickets", body)
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert detail in response.get_json()["detail"]


def test_a_json_body_over_the_limit_is_a_413_problem(api):
    huge = '{"subject": "Big", "description": "' + "a" * (1024 * 1024 + 10) + '"}'
    response = post_raw(api, "/tickets", huge)
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert response.get_json()["code"] == "PAYLOAD_TOO_LARGE"


def test_a_request_over_the_site_limit_is_a_413_in_both_faces(app, client, api):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    blob = b"a" * 4096
    api_answer = api.upload(blob)
    assert api_answer.status_code == 413 and api_answer.mimetype == PROBLEM
    page = client.post("/contact", data=blob, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413 and page.mimetype == "text/html"
    assert "too large" in page.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------- idempotency


def test_an_idempotency_key_replays_the_same_body_and_refuses_another(api):
    key = {"Idempotency-Key": "order-7"}
    first = api.post("/tickets", {"subject": "Once", "description": "Only once"}, headers=key)
    # The same JSON with other spacing and key order is the same request.
    again = post_raw(api, "/tickets", '{ "description":"Only once",  "subject":"Once" }', headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["data"]["id"] == again.get_json()["data"]["id"]

    other = api.post("/tickets", {"subject": "Different", "description": "Another body"}, headers=key)
    assert other.status_code == 422 and other.mimetype == PROBLEM
    assert other.get_json()["errors"][0]["location"] == "header.Idempotency-Key"
    assert Ticket.select().count() == 1
    # Another key is a new request.
    assert api.post("/tickets", {"subject": "Different", "description": "Another body"},
                    headers={"Idempotency-Key": "order-8"}).status_code == 201


def test_a_failed_request_does_not_spend_its_idempotency_key(api):
    key = {"Idempotency-Key": "retry-me"}
    assert api.post("/tickets", {"subject": "", "description": "x"}, headers=key).status_code == 422
    assert api.post("/tickets", {"subject": "Fixed", "description": "x"}, headers=key).status_code == 201


def test_keys_belong_to_their_user(client, api):
    key = {"Idempotency-Key": "shared-name"}
    assert api.post("/tickets", {"subject": "Mine", "description": "x"}, headers=key).status_code == 201
    other = Api(client, token_for(person("customer", "ivy@example.com", "Ivy Other")))
    assert other.post("/tickets", {"subject": "Theirs", "description": "y"}, headers=key).status_code == 201


def test_the_contact_endpoint_refuses_a_reused_key_with_another_body(client, app):
    key = {"Idempotency-Key": "contact-1"}
    form = {"name": "Gus Guest", "email": "gus@example.com", "subject": "Hello", "body": "First",
            "category": "billing"}
    assert client.post(API + "/contact", json=form, headers=key).status_code == 201
    assert client.post(API + "/contact", json=form, headers=key).status_code == 201
    changed = client.post(API + "/contact", json={**form, "body": "Second"}, headers=key)
    assert changed.status_code == 422 and changed.mimetype == PROBLEM
    assert Ticket.select().count() == 1


def test_idempotency_records_are_forgotten_after_a_day(api):
    from datetime import timedelta

    key = {"Idempotency-Key": "old-key"}
    assert api.post("/tickets", {"subject": "Old", "description": "x"}, headers=key).status_code == 201
    IdempotencyRecord.update(created_at=utcnow() - timedelta(hours=25)).execute()
    api.post("/tickets", {"subject": "Unrelated", "description": "y"}, headers={"Idempotency-Key": "new-key"})
    assert [r.key for r in IdempotencyRecord.select()] == ["new-key"]


# ------------------------------------------------------------------------------------------------- attachments


def test_deleting_an_attached_file_is_a_409_and_someone_elses_a_404(client, api):
    upload = api.upload().get_json()["data"]
    api.post("/tickets", {"subject": "With file", "description": "See it", "attachment_ids": [upload["id"]]})
    attached = api.delete(f"/attachments/{upload['id']}")
    assert attached.status_code == 409 and attached.mimetype == PROBLEM
    assert attached.get_json()["detail"] == "This file is attached to a message and can't be deleted."

    loose = api.upload().get_json()["data"]
    stranger = Api(client, token_for(person("customer", "sly@example.com", "Sly Stranger")))
    assert stranger.delete(f"/attachments/{loose['id']}").status_code == 404
    assert stranger.delete(f"/attachments/{upload['id']}").status_code == 404
    assert api.delete(f"/attachments/{loose['id']}").status_code == 204


# ------------------------------------------------------------------------------------------------- bidi names

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize("name", ["invoice\u202egpj.exe", "report\u2067fdp.exe\u2069", "a\u200fb\u061c\x07.txt"])
def test_download_names_carry_no_bidi_or_control_characters(api, name):
    upload = attachments.upload(api_user(api), io.BytesIO(b"MZ not really"), name, "application/octet-stream")
    response = api.get(f"/attachments/{upload.id}")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    from urllib.parse import unquote

    decoded = unquote(header)
    assert not any(ch in decoded for ch in BIDI) and "\x07" not in decoded
    assert "%E2%80%AE" not in header.upper()
    if "\u202e" in name:
        assert "invoicegpj.exe" in decoded


def api_user(api):
    from portal.services import accounts

    return accounts.user_for_token(api.token)


def test_the_html_download_is_cleaned_too(client, app):
    from .conftest import Auth, make_user

    owner = make_user("customer", "dora@example.com", "Dora Download")
    upload = attachments.upload(owner, io.BytesIO(b"data"), "photo\u202egnp.exe", "application/octet-stream")
    tickets.create_ticket(owner, "A file", "Here", attachment_ids=[upload.id])
    Auth(client).login(owner.email)
    response = client.get(f"/attachments/{upload.id}")
    assert response.status_code == 200 and "\u202e" not in response.headers["Content-Disposition"]
    assert "%E2%80%AE" not in response.headers["Content-Disposition"].upper()


def test_deep_json_is_a_400_even_where_the_rate_limiter_reads_the_body_first(tmp_path):
    from portal import create_app
    from portal.cli import init_db

    from .conftest import test_config

    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    with app.app_context():
        init_db()
    response = app.test_client().post(API + "/contact", data="[" * 50_000 + "]" * 50_000,
                                      content_type="application/json")
    assert response.status_code == 400 and response.mimetype == PROBLEM
