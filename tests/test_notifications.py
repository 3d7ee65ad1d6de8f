"""Who gets an e-mail when something happens on a ticket."""
from portal import notifications
from portal.services import mail, tickets

from .conftest import csrf_from


def outbox(app):
    with app.test_request_context():
        return [(m["To"], m["Subject"], m.get_content()) for m in mail.sent_messages()]


def post_as(client, auth, user, path, data):
    auth.login(user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_staff_reply_mails_the_customer_but_notes_do_not(app, client, auth, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    with app.test_request_context():
        tickets.reply(agent, ticket.id, "SECRET internal remark", internal=True)
        tickets.reply(agent, ticket.id, "Open the tray and pull gently.")
    sent = outbox(app)
    assert len(sent) == 1
    to, subject, body = sent[0]
    assert to == customer.email and f"[#{ticket.id}]" in subject
    assert "Open the tray and pull gently." in body and f"/tickets/{ticket.id}" in body
    assert all("SECRET" not in b for _, _, b in sent)


def test_customer_reply_mails_the_assigned_agent(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.update_ticket(agent, ticket.id, assignee_id=agent.id)
    with app.test_request_context():
        tickets.reply(customer, ticket.id, "Still jammed")
    (to, subject, body), = outbox(app)
    assert to == agent.email and "Still jammed" in body and f"/agent/tickets/{ticket.id}" in body


def test_guest_gets_a_receipt_with_the_link_then_replies_without_it(app, agent):
    ticket, key = tickets.submit_contact("Gus Guest", "gus@example.com", "Where is my parcel", "Order 7")
    with app.test_request_context():
        tickets.reply(agent, ticket.id, "It ships tomorrow.")
    (to, subject, receipt), (to_again, _, body) = outbox(app)
    assert to == to_again == "gus@example.com" and f"[#{ticket.id}]" in subject
    assert f"/t/{key}" in receipt
    assert "It ships tomorrow." in body
    assert "private link" in body and key not in body


def test_ticket_opened_for_a_customer_mails_them(app, agent):
    with app.test_request_context():
        ticket = tickets.create_ticket(agent, "Your phone call", "As discussed", customer_email="pat@example.com",
                                       customer_name="Pat Phone")
    (to, subject, body), = outbox(app)
    assert to == "pat@example.com" and "opened ticket" in body and f"#{ticket.id}" in subject


def test_nothing_is_sent_while_muted(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    with notifications.muted():
        tickets.reply(agent, ticket.id, "From the demo data")
    assert outbox(app) == []


def test_outside_a_request_links_point_at_the_site_url(app, customer, agent):
    app.config["SITE_URL"] = "https://help.example.com/desk"
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.reply(agent, ticket.id, "From the worker")
    (_, _, body), = outbox(app)
    assert f"https://help.example.com/desk/tickets/{ticket.id}" in body


def test_a_reply_mail_threads_and_can_be_answered(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.reply(agent, ticket.id, "First answer")
    tickets.reply(agent, ticket.id, "Second answer")
    first, second = mail.sent_messages()
    assert first["Message-ID"] != second["Message-ID"]
    assert second["In-Reply-To"] == first["Message-ID"] and first["Message-ID"] in second["References"]
    assert mail.ticket_id_for_address(second["Reply-To"]) == ticket.id
    assert second["Auto-Submitted"] == "auto-generated"
    assert second.get_content().startswith(notifications.REPLY_ABOVE)
