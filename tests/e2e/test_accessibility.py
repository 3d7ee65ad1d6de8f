"""Every page of both portals passes axe-core with no serious or critical violation, in the light and the dark theme.

The pages come from the app's own URL map: each GET route without arguments, plus one real id, slug or token for
each route that needs one (a route this file does not know fails the test, so a new page cannot skip the check).
"""
from pathlib import Path

import pytest

from portal.cli import DEMO_ADMIN, DEMO_CUSTOMER, DEMO_PASSWORD, load_demo_data
from portal.db import db, write
from portal.models import Article, Category, Collection, Macro, Organization, SlaPolicy, Ticket, User, Webhook
from portal.services import accounts, ratings, tickets

from .conftest import click_through

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"

# Not pages: files, JSON, redirects and fragments.
NOT_PAGES = {
    "static",
    "attachments.download",
    "attachments.guest_download",
    "reports.download",
    "api_docs.openapi",
    "auth.verify_email",
    "auth.complete_sign_up",
    "privacy.export",
    "intake.questions",  # a fragment the contact and new-ticket forms swap in: checked inside those pages
    # "Show earlier" fragments of a long thread (without htmx they redirect to the ticket page, checked itself)
    "agent.thread_messages",
    "customer.thread_messages",
    "public.guest_messages",
}
# Who opens the pages of each blueprint (the admin sees every staff page an agent sees, and more).
VISITOR = {
    "public": "guest", "help": "guest", "auth": "guest", "api_docs": "guest",
    "customer": "customer", "account": "customer",
}
BLOCKING = ("serious", "critical")


@pytest.fixture
def demo(live_app):
    """The demo desk, plus the ids, slugs and tokens the pages with arguments need."""
    with live_app.app_context(), live_app.test_request_context():
        assert load_demo_data(ticket_count=24)
        with db.connection_context():
            customer = User.get(User.email == DEMO_CUSTOMER)
            ticket = Ticket.select().where(Ticket.customer == customer).order_by(Ticket.id).first()
            resolved = Ticket.select().where(Ticket.status == "resolved").first()
            other = Ticket.select().where(Ticket.id != ticket.id).order_by(Ticket.id).first()
            guest_ticket, key = tickets.submit_contact(
                name="Gus Guest", email="gus@example.net", subject="Where is my parcel?",
                body="It was due on Monday.",
            )
            organization = Organization.select().first() or Organization.create(name="Acme Ltd", domains="acme.test")
            args = {
                "organizations.show": {"organization_id": organization.id},
                "category_fields.fields": {"slug": Category.select().first().slug},
                "agent.show": {"ticket_id": ticket.id},
                "agent.merge_choose": {"ticket_id": other.id},
                "macros.picker": {"ticket_id": ticket.id},
                "assistant.suggestions": {"ticket_id": ticket.id},
                "agent.customer": {"customer_id": customer.id},
                "customer.show": {"ticket_id": ticket.id},
                "admin.sla_policies_edit": {"policy_id": SlaPolicy.select().first().id},
                "admin.webhooks_show": {"webhook_id": Webhook.select().first().id},
                "macros.edit": {"macro_id": Macro.select().first().id},
                "help_editor.edit_article": {"article_id": Article.select().first().id},
                "help_editor.edit_collection": {"collection_id": Collection.select().first().id},
                "help.article": {"slug": Article.select().where(Article.status == "published").first().slug},
                "help.collection": {"slug": Collection.select().first().slug},
                "public.guest_ticket": {"key": key},
                "public.rate": {"token": ratings.link_token(resolved, "good")},
                "auth.reset_password": {"token": accounts.password_reset_token(DEMO_CUSTOMER)[1]},
                # Reached by sending the contact form (it lives in the sender's session).
                "public.contact_sent": None,
            }
            with write():
                User.update(theme="system").execute()
    return {"args": args, "guest_ticket": guest_ticket.id}


def pages(app, args):
    """(visitor, endpoint, path) for every page of the app, failing on a route with arguments nobody supplied."""
    found, unknown = [], []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            endpoint = rule.endpoint
            if "GET" not in rule.methods or endpoint in NOT_PAGES or endpoint.startswith("api."):
                continue
            if rule.arguments:
                if endpoint not in args:
                    unknown.append(rule.rule)
                    continue
                if args[endpoint] is None:
                    continue
                path = url_for(endpoint, **args[endpoint])
            else:
                path = url_for(endpoint)
            found.append((VISITOR.get(endpoint.split(".")[0], "admin"), endpoint, path))
    assert not unknown, f"pages with arguments the accessibility test cannot open yet: {unknown}"
    # The account pages are seen by staff too.
    found += [("admin", e, p) for v, e, p in list(found) if e.startswith("account.")]
    return sorted(found)


def violations(page):
    """The serious and critical axe-core violations on the page, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        // Swagger UI's own widget (the API reference) is a vendored bundle: our frame around it is checked.
        const context = {exclude: [['.swagger-ui']]};
        const result = await axe.run(context, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))}));
    }""")
    return [f"{v['impact']} {v['id']} ({v['help']}): {'; '.join(v['nodes'])}" for v in found if v["impact"] in BLOCKING]


def check(page, url, failures, label):
    response = page.goto(url)
    if response.status >= 400:
        failures.append(f"{label} {url}: answered {response.status}")
        return False
    page.wait_for_load_state("load")
    for line in violations(page):
        failures.append(f"{label} {url}: {line}")
    return True


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    click_through(page, "button:has-text('Sign in')")


def test_every_page_passes_axe_in_light_and_dark(live_server, live_app, browser, demo):
    """Guests and customers follow the system setting; the admin chose the theme explicitly, against the system."""
    failures = []
    for scheme in ("light", "dark"):
        check_every_page(live_server, live_app, browser, demo, scheme, failures)
    assert not failures, "axe-core found serious or critical problems:\n" + "\n".join(failures)


def check_every_page(live_server, live_app, browser, demo, scheme, failures):
    with live_app.app_context(), db.connection_context(), write():
        User.update(theme=scheme).where(User.email == DEMO_ADMIN).execute()
    other = "dark" if scheme == "light" else "light"
    contexts = {}
    try:
        for visitor, color_scheme in (("guest", scheme), ("customer", scheme), ("admin", other)):
            context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True,
                                          color_scheme=color_scheme)
            page = context.new_page()
            page.set_default_timeout(10_000)
            contexts[visitor] = (context, page)
        sign_in(contexts["customer"][1], live_server, DEMO_CUSTOMER)
        sign_in(contexts["admin"][1], live_server, DEMO_ADMIN)

        # The contact form, filled in and sent, leads to its confirmation page.
        guest = contexts["guest"][1]
        guest.goto(live_server + "/contact")
        guest.fill("#name", "Rita Reader")
        guest.fill("#email", "rita@example.net")
        guest.fill("#subject", "Screen reader cannot find the reply box")
        guest.fill("#body", "Which heading is the reply form under?")
        guest.wait_for_timeout(1500)
        click_through(guest, "form button[type=submit]:has-text('Send')")
        for line in violations(guest):
            failures.append(f"guest {guest.url}: {line}")

        for visitor, endpoint, path in pages(live_app, demo["args"]):
            page = contexts[visitor][1]
            if check(page, live_server + path, failures, f"{visitor}/{scheme}"):
                theme = page.evaluate("document.documentElement.dataset.theme")
                assert theme == ("system" if visitor != "admin" else scheme), (endpoint, theme)
    finally:
        for context, _ in contexts.values():
            context.close()
