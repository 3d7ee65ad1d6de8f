"""Macros in the agent portal: the management pages, the picker above the composer, and sending with a macro."""
import re

import pytest

from portal.models import Macro, Message, Ticket
from portal.services import admin as admin_service
from portal.services import macros, tickets

from .conftest import csrf_from, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def ticket(customer):
    return tickets.create_ticket(customer, "Charged twice", "My card was charged twice.")


@pytest.fixture
def signed_in_agent(client, auth, agent):
    auth.login(agent.email)
    return agent


def token(client, path="/agent/macros"):
    return csrf_from(client.get(path).get_data(as_text=True))


def html_of(response):
    return response.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------- management pages


def test_list_shows_shared_and_mine_with_their_changes(client, signed_in_agent, admin):
    macros.create_macro(admin, "Refund issued", "Refunded.", shared=True,
                        actions={"status": "waiting", "add_tags": ["refund"], "assignee_id": signed_in_agent.id})
    macros.create_macro(signed_in_agent, "My hello", "Hi {{ customer.first_name }}", internal=True)
    macros.create_macro(make_user("agent"), "Someone else's", "Hidden")
    response = client.get("/agent/macros")
    html = html_of(response)
    assert response.status_code == 200
    assert "Refund issued" in html and "My hello" in html and "Someone else" not in html
    assert "status → Waiting · tags + refund · assign to Ana Agent" in html
    shared_part, mine_part = html.split('id="mine-title"')
    assert "Refund issued" in shared_part and "/delete" not in shared_part.split('id="shared-title"')[1]
    assert "My hello" in mine_part and "/delete" in mine_part
    assert 'href="/agent/macros"' in html  # the header tab


def test_agent_creates_a_personal_macro_and_sees_no_shared_box(client, signed_in_agent, agent):
    form = html_of(client.get("/agent/macros/new"))
    assert 'name="shared"' not in form
    response = client.post("/agent/macros", data={
        "csrf_token": csrf_from(form), "name": "Waiting on logs",
        "body": "Could you send the logs, {{ customer.first_name }}?",
        "status": "waiting", "priority": "", "assignee_id": "", "add_tags": "logs, needs-info", "shared": "y"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/agent/macros")
    macro = Macro.get(Macro.name == "Waiting on logs")
    assert macro.owner_id == agent.id  # "shared" from an agent is ignored
    assert macros.actions_of(macro) == {"status": "waiting", "add_tags": ["logs", "needs-info"]}


def test_admin_creates_a_shared_macro(client, auth, admin):
    auth.login(admin.email)
    form = html_of(client.get("/agent/macros/new"))
    assert 'name="shared"' in form
    client.post("/agent/macros", data={"csrf_token": csrf_from(form), "name": "Welcome", "body": "Welcome!",
                                       "shared": "y"})
    assert Macro.get(Macro.name == "Welcome").owner_id is None


def test_a_refused_form_keeps_the_input_and_shows_errors_beside_the_fields(client, signed_in_agent):
    response = client.post("/agent/macros", data={
        "csrf_token": token(client, "/agent/macros/new"), "name": "", "body": "Hi {{ config }}", "status": "done",
        "add_tags": "x" * 70})
    html = html_of(response)
    assert response.status_code == 422
    assert 'id="name-error"' in html and 'id="body-error"' in html and 'id="status-error"' in html
    assert 'id="add_tags-error"' in html
    assert "Hi {{ config }}</textarea>" in html
    assert "{{ customer.first_name }}" in html
    assert not Macro.select().exists()


def test_edit_and_delete_my_macro(client, signed_in_agent):
    macro = macros.create_macro(signed_in_agent, "Old name", "Hi")
    path = f"/agent/macros/{macro.id}"
    page = html_of(client.get(path))
    assert 'value="Old name"' in page
    response = client.post(path, data={"csrf_token": csrf_from(page), "name": "New name", "body": "Hello",
                                       "priority": "high"})
    assert response.status_code == 303
    macro = Macro.get_by_id(macro.id)
    assert (macro.name, macro.body, macros.actions_of(macro)) == ("New name", "Hello", {"priority": "high"})
    response = client.post(path + "/delete", data={"csrf_token": token(client)})
    assert response.status_code == 303 and not Macro.select().exists()


def test_permissions_on_the_pages(client, auth, admin, agent):
    shared = macros.create_macro(admin, "Shared one", "Hi", shared=True)
    theirs = macros.create_macro(make_user("agent"), "Theirs", "Hi")
    auth.login(agent.email)
    csrf = token(client)
    assert client.get(f"/agent/macros/{shared.id}").status_code == 403
    assert client.post(f"/agent/macros/{shared.id}", data={"csrf_token": csrf, "name": "X"}).status_code == 403
    assert client.post(f"/agent/macros/{shared.id}/delete", data={"csrf_token": csrf}).status_code == 403
    assert client.get(f"/agent/macros/{theirs.id}").status_code == 404
    assert client.post(f"/agent/macros/{theirs.id}/delete", data={"csrf_token": csrf}).status_code == 404
    assert Macro.select().count() == 2


def test_customers_get_403_and_guests_sign_in_first(app, client, auth, customer):
    assert app.test_client().get("/agent/macros").status_code in (302, 303)
    auth.login(customer.email)
    assert client.get("/agent/macros").status_code == 403
    assert client.get("/agent/macros/new").status_code == 403


# ------------------------------------------------------------------------------------------------ workspace picker


def test_workspace_shows_the_picker_and_filters_without_javascript(client, signed_in_agent, admin, ticket):
    macros.create_macro(admin, "Refund issued", "Refunded.", shared=True)
    macros.create_macro(signed_in_agent, "Password reset", "Use the link.")
    html = html_of(client.get(f"/agent/tickets/{ticket.id}"))
    assert 'id="macro-picker"' in html and "Refund issued" in html and "Password reset" in html
    assert f'href="/agent/tickets/{ticket.id}?macro=' in html
    # no JavaScript: the search form goes to the picker URL, which sends back to the workspace, narrowed
    response = client.get(f"/agent/tickets/{ticket.id}/macros?macro_q=refund")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/agent/tickets/{ticket.id}?macro_q=refund#macro-picker")
    narrowed = html_of(client.get(f"/agent/tickets/{ticket.id}?macro_q=refund"))
    picker = narrowed.split('id="macro-list"')[1].split("</div>")[0]
    assert "Refund issued" in picker and "Password reset" not in picker


def test_typing_with_htmx_swaps_only_the_list(client, signed_in_agent, ticket):
    macros.create_macro(signed_in_agent, "Refund issued", "Refunded.")
    macros.create_macro(signed_in_agent, "Password reset", "Use the link.")
    response = client.get(f"/agent/tickets/{ticket.id}/macros?macro_q=PASS", headers=HX)
    html = html_of(response)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="macro-list"')
    assert "Password reset" in html and "Refund issued" not in html
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]
    none = html_of(client.get(f"/agent/tickets/{ticket.id}/macros?macro_q=zzz", headers=HX))
    assert "No macro matches “zzz”" in none


def test_choosing_a_macro_fills_the_composer(client, signed_in_agent, admin, ticket):
    macro = macros.create_macro(admin, "Escalate", "Escalating #{{ ticket.id }} for {{ customer.name }}.",
                                internal=True, shared=True, actions={"priority": "high", "add_tags": ["refund"]})
    response = client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}", headers=HX)
    html = html_of(response)
    assert response.status_code == 200 and html.lstrip().startswith('<form id="composer"')
    assert f"Escalating #{ticket.id} for Cara Customer.</textarea>" in html
    assert '<input checked id="kind-1" name="kind" type="radio" value="note">' in html
    assert f'name="macro_id" value="{macro.id}" checked' in html
    # the tick box is the only carrier of the macro: unticking it really drops the changes
    assert re.findall(r'<input[^>]*name="macro_id"[^>]*>', html) == [
        f'<input type="checkbox" name="macro_id" value="{macro.id}" checked>']
    assert "On send:" in html and "priority → High" in html and "tags + refund" in html
    # the same URL without htmx is the whole workspace with the composer filled
    page = html_of(client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}"))
    assert "<html" in page and f"Escalating #{ticket.id} for Cara Customer.</textarea>" in page


def test_someone_elses_macro_cannot_fill_my_composer(client, signed_in_agent, ticket):
    theirs = macros.create_macro(make_user("agent"), "Theirs", "Secret text")
    response = client.get(f"/agent/tickets/{ticket.id}?macro={theirs.id}")
    assert response.status_code == 404 and "Secret text" not in html_of(response)


def test_an_actions_only_macro_does_not_require_a_message(client, signed_in_agent, ticket):
    macro = macros.create_macro(signed_in_agent, "Triage", "", actions={"status": "in_progress"})
    html = html_of(client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}", headers=HX))
    textarea = re.search(r"<textarea[^>]*>", html).group(0)
    assert "required" not in textarea
    plain = html_of(client.get(f"/agent/tickets/{ticket.id}", headers=HX | {"HX-Boosted": "true"}))
    assert "required" in re.search(r"<textarea[^>]*>", plain).group(0)


# ------------------------------------------------------------------------------------------------------- sending


def _send(client, ticket, **data):
    path = f"/agent/tickets/{ticket.id}"
    return client.post(path + "/reply", headers=data.pop("headers", HX),
                       data={"csrf_token": token(client, path), "kind": "reply", **data})


def test_sending_with_a_macro_posts_the_edited_reply_and_makes_the_changes(client, signed_in_agent, ticket):
    macro = macros.create_macro(signed_in_agent, "Refund", "Refunded.",
                                actions={"status": "waiting", "priority": "high", "add_tags": ["refund"]})
    response = _send(client, ticket, body="Refunded, sorry for the trouble.", macro_id=str(macro.id))
    html = html_of(response)
    assert response.status_code == 200
    assert 'id="macro-chosen"' not in html.split("</form>")[0]  # a fresh composer, without the macro
    t = tickets.get_ticket(signed_in_agent, ticket.id)
    assert (t.status, t.priority, [x.name for x in t.tag_list]) == ("waiting", "high", ["refund"])
    assert Message.select().where(Message.ticket == ticket.id, Message.kind == "reply").order_by(
        Message.id.desc()).first().body == "Refunded, sorry for the trouble."


def test_unticking_the_macro_sends_a_plain_reply(client, signed_in_agent, ticket):
    macros.create_macro(signed_in_agent, "Refund", "Refunded.", actions={"status": "waiting"})
    _send(client, ticket, body="Just text.")  # no macro_id: the box was unticked
    assert Ticket.get_by_id(ticket.id).status == "open"


def test_sending_an_actions_only_macro_without_javascript(client, signed_in_agent, ticket):
    macro = macros.create_macro(signed_in_agent, "Triage", "", actions={"status": "in_progress"})
    response = _send(client, ticket, body="", macro_id=str(macro.id), headers={})
    assert response.status_code == 303
    assert Ticket.get_by_id(ticket.id).status == "in_progress"
    assert Message.select().where(Message.ticket == ticket.id, Message.kind == "reply").count() == 1
    assert "Macro applied." in html_of(client.get(f"/agent/tickets/{ticket.id}"))


def test_a_macro_whose_change_fails_leaves_no_reply_behind(client, signed_in_agent, admin, ticket):
    leaving = make_user("agent", name="Leaving Agent")
    macro = macros.create_macro(signed_in_agent, "Hand over", "A colleague takes over.",
                                actions={"assignee_id": leaving.id, "status": "waiting"})
    admin_service.set_user_active(admin, leaving.id, False)
    response = _send(client, ticket, body="A colleague takes over.", macro_id=str(macro.id))
    html = html_of(response)
    assert response.status_code == 422
    assert 'id="macro-chosen-error"' in html and "Hand over" in html and "Choose an active agent." in html
    assert "A colleague takes over.</textarea>" in html  # the input is kept
    assert Message.select().where(Message.ticket == ticket.id, Message.kind == "reply").count() == 1
    assert Ticket.get_by_id(ticket.id).status == "open"


def test_sandbox_smuggled_template_code_is_sent_as_text(client, signed_in_agent, ticket):
    macro = Macro.create(owner=signed_in_agent.id, name="Smuggled",
                         body="{{ ''.__class__.__mro__ }} {{ config }} {% for x in [1,2] %}x{% endfor %} {{ 7*7 }}")
    html = html_of(client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}", headers=HX))
    assert "{{ config }}" in html and "test-secret" not in html and "49" not in html
    assert "&lt;class" not in html and "{% for x in [1,2] %}x{% endfor %}" in html


def test_customers_cannot_use_the_picker(client, auth, customer, ticket, agent):
    macro = macros.create_macro(agent, "Mine", "Hi")
    auth.login(customer.email)
    assert client.get(f"/agent/tickets/{ticket.id}/macros?macro_q=a", headers=HX).status_code == 403
    assert client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}").status_code == 403
