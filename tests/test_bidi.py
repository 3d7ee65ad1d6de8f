"""Right-to-left overrides in subjects, names and file names stay inside their own <bdi>: they cannot reorder the
page around them, and a file name cannot pass an .exe off as a .pdf."""
import io
from html.parser import HTMLParser

from portal.services import attachments, tickets

from .conftest import make_user

RLO = "\u202e"
SUBJECT = f"Refund for order {RLO}1234"
FILENAME = f"invoice{RLO}fdp.exe"
NAME = f"Mallory {RLO}yrollaM"


class Isolation(HTMLParser):
    """Collects the text of the page, each piece marked with whether a <bdi> or dir="auto" element holds it."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack = []
        self.texts = []  # (text, isolated, innermost bdi's whole text so far)
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        isolates = tag == "bdi" or dict(attrs).get("dir") == "auto"
        self.stack.append((tag, isolates))
        if tag in ("script", "style", "title", "textarea"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag in ("script", "style", "title", "textarea"):
                self.skip -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append((data, any(isolates for _, isolates in self.stack)))


def isolation(html):
    parser = Isolation()
    parser.feed(html)
    return parser.texts


def assert_isolated(html, *expected):
    texts = isolation(html)
    bare = [text for text, isolated in texts if not isolated and any(c in text for c in "\u202a\u202b\u202d\u202e")]
    assert bare == [], f"bidi overrides outside <bdi>: {bare}"
    shown = " ".join(text for text, _ in texts)
    for piece in expected:
        assert piece in shown, piece


def test_overrides_stay_inside_bdi_on_queue_workspace_and_customer_pages(app, client, auth):
    customer = make_user("customer", "mallory@example.com", NAME)
    agent = make_user("agent", "ana@example.com", "Ana Agent")
    upload = attachments.upload(customer, io.BytesIO(b"MZ not really a pdf"), FILENAME, "application/pdf")
    ticket = tickets.create_ticket(customer, SUBJECT, "Please see the attached invoice.", attachment_ids=[upload.id])

    auth.login(agent.email)
    queue = client.get("/agent").get_data(as_text=True)
    assert_isolated(queue, SUBJECT, NAME)
    workspace = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    # The file name is shown without its override, so its real ending is what the agent reads.
    assert_isolated(workspace, SUBJECT, NAME, "invoicefdp.exe")
    assert any(text == "invoicefdp.exe" and isolated for text, isolated in isolation(workspace))
    customer_page = client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    assert_isolated(customer_page, SUBJECT, NAME)
    client.post("/logout", data={"csrf_token": auth.csrf("/agent")})

    auth.login(customer.email)
    listing = client.get("/tickets").get_data(as_text=True)
    assert_isolated(listing, SUBJECT)
    thread = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert_isolated(thread, SUBJECT, NAME, "invoicefdp.exe")


def test_the_checker_sees_a_bare_override():
    """The helper itself: an override outside any isolation is reported."""
    texts = isolation(f"<p>Subject: {SUBJECT}</p><p><bdi>{SUBJECT}</bdi></p><p dir='auto'>{SUBJECT}</p>")
    assert [isolated for _, isolated in texts] == [False, True, True]
