"""Merging from the agent workspace (with and without htmx), and what the merged ticket's customer then sees."""
import re

import pytest

from portal.models import Message, Ticket
from portal.services import merge, tickets

from .conftest import csrf_from

HX = {"HX-Request": "true"}


@pytest.fixture
def signed_in_agent(client, auth, agent):
    auth.login(agent.email)
    return agent


def file(customer, subject, body="It smells of toner."):
    return tickets.create_ticket(customer, subject, body)


def candidate_ids(html):
    return [int(n) for n in re.findall(r'/merge\?into=(\d+)"', html)]


# ------------------------------------------------------------------------------------------------------ workspace


def test_workspace_has_the_merge_control(client, signed_in_agent, customer):
    ticket = file(customer, "Printer jams")
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert 'id="ticket-merge"' in html and "Merge into…" in html
    assert f'action="/agent/tickets/{ticket.id}/merge"' in html and f'hx-get="/agent/tickets/{ticket.id}/merge"' in html


def test_htmx_search_lists_the_customers_open_tickets_first(client, signed_in_agent, customer, other_customer):
    source = file(customer, "Printer jams on page 3")
    own = file(customer, "Printer still jamming")
    foreign = file(other_customer, "Printer jams for me too")
    response = client.get(f"/agent/tickets/{source.id}/merge?q=printer", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="merge-candidates"' in html
    assert candidate_ids(html) == [own.id, foreign.id]
    assert "Same customer" in html and "Otto Other" in html
    # Nothing typed yet: the customer's other open tickets.
    empty = client.get(f"/agent/tickets/{source.id}/merge", headers=HX).get_data(as_text=True)
    assert candidate_ids(empty) == [own.id]


def test_without_javascript_a_number_goes_straight_to_the_confirmation(client, signed_in_agent, customer,
                                                                     other_customer):
    target = file(customer, "Office Wi-Fi down")
    source = file(other_customer, "No internet on floor 2")
    tickets.reply(signed_in_agent, source.id, "Checking the switch.", internal=True)
    response = client.get(f"/agent/tickets/{source.id}/merge?q=%23{target.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert f"Merge into #{target.id} “<bdi>Office Wi-Fi down</bdi>”?" in html
    assert "1 reply and 1 internal note" in html
    assert "otto@example.com will get the public replies" in html
    assert f'name="into_id" value="{target.id}"' in html

    # Words instead of a number: a page of candidates, each a link to its confirmation.
    page = client.get(f"/agent/tickets/{source.id}/merge?q=wi-fi").get_data(as_text=True)
    assert "<html" in page and candidate_ids(page) == [target.id]


def test_confirming_merges_and_opens_the_target_with_a_flash(client, signed_in_agent, customer):
    target = file(customer, "Printer jams", "Page 3 jams.")
    source = file(customer, "Printer jam again", "It beeps too.")
    confirm = client.get(f"/agent/tickets/{source.id}/merge?into={target.id}").get_data(as_text=True)
    response = client.post(f"/agent/tickets/{source.id}/merge",
                           data={"into_id": str(target.id), "csrf_token": csrf_from(confirm)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/agent/tickets/{target.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Ticket #{source.id} is merged into #{target.id}" in html
    event = f"#{source.id} merged into this ticket"
    assert html.index("Page 3 jams.") < html.index("It beeps too.") < html.index(event)
    assert Ticket.get_by_id(source.id).merged_into_id == target.id


def test_htmx_confirmation_redirects_the_browser(client, signed_in_agent, customer):
    target, source = file(customer, "One"), file(customer, "Two")
    token = csrf_from(client.get(f"/agent/tickets/{source.id}/merge?into={target.id}").get_data(as_text=True))
    response = client.post(f"/agent/tickets/{source.id}/merge", data={"into_id": str(target.id), "csrf_token": token},
                           headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(f"/agent/tickets/{target.id}")


def test_refused_merges_say_why_beside_the_field(client, signed_in_agent, customer):
    first, second, third = file(customer, "One"), file(customer, "Two"), file(customer, "Three")
    merge.merge_tickets(signed_in_agent, second.id, third.id)
    page = client.get(f"/agent/tickets/{first.id}/merge?into={second.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert f"Ticket #{second.id} was itself merged into #{third.id}" in html and 'id="merge-page-q-error"' in html
    token = csrf_from(html)
    response = client.post(f"/agent/tickets/{first.id}/merge", data={"into_id": str(first.id), "csrf_token": token})
    assert response.status_code == 409 and "cannot be merged into itself" in response.get_data(as_text=True)
    missing = client.post(f"/agent/tickets/{first.id}/merge", data={"into_id": "999", "csrf_token": token})
    assert missing.status_code == 422 and "There is no ticket #999." in missing.get_data(as_text=True)
    expired = client.post(f"/agent/tickets/{first.id}/merge", data={"into_id": str(third.id)})
    assert expired.status_code == 400 and Ticket.get_by_id(first.id).merged_into_id is None


def test_a_merged_workspace_shows_the_banner_and_hides_composer_and_merge(client, signed_in_agent, customer):
    target, source = file(customer, "One"), file(customer, "Two")
    merge.merge_tickets(signed_in_agent, source.id, target.id)
    html = client.get(f"/agent/tickets/{source.id}").get_data(as_text=True)
    assert f'Merged into <a href="/agent/tickets/{target.id}">#{target.id}</a>' in html
    assert 'id="composer"' not in html and 'id="ticket-merge"' not in html


def test_customers_cannot_reach_the_merge_pages(client, auth, customer):
    first, second = file(customer, "One"), file(customer, "Two")
    auth.login(customer.email)
    assert client.get(f"/agent/tickets/{first.id}/merge").status_code == 403
    token = csrf_from(client.get(f"/tickets/{first.id}").get_data(as_text=True))
    response = client.post(f"/agent/tickets/{first.id}/merge", data={"into_id": str(second.id), "csrf_token": token})
    assert response.status_code == 403 and Ticket.get_by_id(first.id).merged_into_id is None


# ------------------------------------------------------------------------------------------------------- customers


def test_the_customer_is_pointed_to_their_own_target(client, auth, customer, agent):
    target, source = file(customer, "Printer jams"), file(customer, "Printer again")
    merge.merge_tickets(agent, source.id, target.id)
    auth.login(customer.email)
    html = client.get(f"/tickets/{source.id}").get_data(as_text=True)
    assert (f'This request was merged into <a href="/tickets/{target.id}">#{target.id} “<bdi>Printer jams</bdi>”</a>'
            in html)
    assert 'id="reply-form"' not in html and "Reopen" not in html


def test_another_customer_gets_a_notice_without_number_or_link(client, auth, customer, other_customer, agent):
    target = file(customer, "Office Wi-Fi down")
    source = file(other_customer, "No internet")
    merge.merge_tickets(agent, source.id, target.id)
    auth.login(other_customer.email)
    html = client.get(f"/tickets/{source.id}").get_data(as_text=True)
    assert "This request was merged with another one" in html and "reply to you by e-mail" in html
    assert f"#{target.id}" not in html.replace(f"#{source.id}", "") and f"/tickets/{target.id}" not in html
    assert 'id="reply-form"' not in html


def test_a_guest_link_gets_the_plain_notice(client, agent, customer):
    target = file(customer, "Office Wi-Fi down")
    source, key = tickets.submit_contact("Gus Guest", "gus@example.com", "No internet", "Since this morning.")
    merge.merge_tickets(agent, source.id, target.id)
    html = client.get(f"/t/{key}").get_data(as_text=True)
    assert "This request was merged with another one" in html and f"/tickets/{target.id}" not in html
    assert 'id="reply-form"' not in html
    assert Message.select().where(Message.ticket == target.id, Message.body == "Since this morning.").exists()
