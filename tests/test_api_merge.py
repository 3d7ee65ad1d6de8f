"""POST /tickets/{id}/merge: the thread moves, the source closes and points at the target, conflicts are 409."""
import pytest

from portal.models import Message

from .test_api_auth import Api, person, token_for
from .test_api_tickets import as_  # noqa: F401 (a token per person, made once)


@pytest.fixture
def people(app):
    return {
        "jane": person("customer", "jane@example.com", "Jane Customer"),
        "olga": person("customer", "olga@example.com", "Olga Other"),
        "sam": person("agent", "sam@example.com", "Sam Support"),
    }


def file(api, subject, description):
    response = api.post("/tickets", {"subject": subject, "description": description})
    assert response.status_code == 201
    return response.get_json()["data"]["id"]


def test_agent_merges_and_gets_the_target_back(as_):
    jane, sam = as_("jane"), as_("sam")
    target = file(jane, "VPN drops every hour", "Since the update.")
    source = file(jane, "VPN again", "Still dropping.")
    assert sam.post(f"/tickets/{source}/messages", {"body": "Noted.", "internal": True}).status_code == 201

    response = sam.post(f"/tickets/{source}/merge", {"into_id": target})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["id"], data["merged_into_id"], data["message_count"]) == (target, None, 2)

    merged = sam.get(f"/tickets/{source}").get_json()["data"]
    assert (merged["status"], merged["locked"], merged["merged_into_id"]) == ("closed", True, target)
    assert [m["kind"] for m in merged["messages"]] == ["event", "event", "event"]
    assert merged["messages"][-1]["body"] == f"Merged into #{target} by Sam Support"

    thread = sam.get(f"/tickets/{target}").get_json()["data"]["messages"]
    assert [m["body"] for m in thread] == ["Since the update.", "Still dropping.", "Noted.",
                                           f"#{source} merged into this ticket by Sam Support"]
    # The customer reads their own moved reply under the target, never the note.
    mine = jane.get(f"/tickets/{target}").get_json()["data"]["messages"]
    assert "Noted." not in [m["body"] for m in mine] and "Still dropping." in [m["body"] for m in mine]


def test_another_customer_is_copied_on_the_target(as_):
    jane, olga, sam = as_("jane"), as_("olga"), as_("sam")
    target = file(jane, "Office printer offline", "Floor 3.")
    source = file(olga, "Printer not found", "Floor 3 too.")
    data = sam.post(f"/tickets/{source}/merge", {"into_id": target}).get_json()["data"]
    assert data["cc"] == ["olga@example.com"]
    # Olga keeps her own ticket, marked merged and closed, but learns nothing of Jane's: not even its number.
    mine = olga.get(f"/tickets/{source}").get_json()["data"]
    assert (mine["status"], mine["locked"], mine["merged_into_id"]) == ("closed", True, None)
    assert olga.get("/tickets").get_json()["data"][0]["merged_into_id"] is None
    assert olga.get(f"/tickets/{target}").status_code == 404
    assert sam.get(f"/tickets/{source}").get_json()["data"]["merged_into_id"] == target


def test_the_same_customer_sees_where_their_ticket_went(as_):
    jane, sam = as_("jane"), as_("sam")
    target = file(jane, "Office printer offline", "Floor 3.")
    source = file(jane, "Printer again", "Still offline.")
    sam.post(f"/tickets/{source}/merge", {"into_id": target})
    assert jane.get(f"/tickets/{source}").get_json()["data"]["merged_into_id"] == target


@pytest.mark.parametrize("case", ["itself", "into merged", "already merged"])
def test_impossible_merges_are_409_problems(as_, case):
    jane, sam = as_("jane"), as_("sam")
    first, second, third = (file(jane, f"Ticket {n}", "Body.") for n in ("one", "two", "three"))
    if case == "itself":
        source, into = first, first
    elif case == "into merged":
        assert sam.post(f"/tickets/{second}/merge", {"into_id": third}).status_code == 200
        source, into = first, second
    else:
        assert sam.post(f"/tickets/{first}/merge", {"into_id": third}).status_code == 200
        source, into = first, second
    response = sam.post(f"/tickets/{source}/merge", {"into_id": into})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    expected = {"itself": "cannot be merged into itself",
                "into merged": f"#{second} was itself merged into #{third}",
                "already merged": f"#{first} is already merged into #{third}"}[case]
    assert problem["code"] == "CONFLICT" and expected in problem["detail"]


def test_merging_into_a_trashed_ticket_is_409(client, as_):
    admin = Api(client, token_for(person("admin", "ada@example.com", "Ada Admin")))
    jane, sam = as_("jane"), as_("sam")
    source, trashed = file(jane, "Ticket one", "Body."), file(jane, "Ticket two", "Body.")
    assert admin.delete(f"/tickets/{trashed}").status_code == 204
    response = sam.post(f"/tickets/{source}/merge", {"into_id": trashed})
    assert response.status_code == 409 and "trash" in response.get_json()["detail"]


def test_customers_are_refused_and_bad_bodies_are_422(as_):
    jane, sam = as_("jane"), as_("sam")
    first, second = file(jane, "Ticket one", "Body."), file(jane, "Ticket two", "Body.")
    assert jane.post(f"/tickets/{first}/merge", {"into_id": second}).status_code == 403
    assert sam.post("/tickets/999/merge", {"into_id": second}).status_code == 404

    missing = sam.post(f"/tickets/{first}/merge", {"into_id": 999})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == [{"location": "body.into_id", "message": "There is no ticket #999."}]
    for body in ({}, {"into_id": "2"}, {"into_id": 2, "extra": 1}):
        assert sam.post(f"/tickets/{first}/merge", body).status_code == 422
    assert Message.select().where(Message.ticket == first).count() == 1  # nothing moved


def test_ticket_json_always_has_merged_into_id(as_):
    jane = as_("jane")
    ticket = file(jane, "Ticket one", "Body.")
    assert jane.get(f"/tickets/{ticket}").get_json()["data"]["merged_into_id"] is None
    assert all("merged_into_id" in t for t in jane.get("/tickets").get_json()["data"])
