"""An XSS corpus through every place people can write (subject, body, article, file name, customer name),
checked on every page and API answer that shows them back.

A page passes when nothing from the corpus can run: no script but our own files, no event-handler or style
attribute, no javascript:/vbscript:/data: URL, no frame, object, base or meta refresh, no htmx attribute carrying
user text, and inside rendered Markdown (`.prose`) only the sanitizer's allow-list of tags and attributes.
"""
import io
import json
import re
from html.parser import HTMLParser

import pytest

from portal.models import Article, Collection, Ticket, User
from portal.services import accounts, attachments, help_center, rich_text, tickets

from .conftest import csrf_from
from .test_attachments import png_bytes

CORPUS = [
    # plain script and event handlers
    "<script>alert('xss-1')</script>",
    "<SCRIPT SRC=//evil.example/xss-2.js></SCRIPT>",
    "<img src=x onerror=alert('xss-3')>",
    '<img src="x" onerror="alert(\'xss-4\')"/>',
    "<body onload=alert('xss-5')>",
    "<input autofocus onfocus=alert('xss-6')>",
    "<details open ontoggle=alert('xss-7')>",
    "<video><source onerror=alert('xss-8')></video>",
    # SVG and MathML
    "<svg onload=alert('xss-9')>",
    "<svg><script>alert('xss-10')</script></svg>",
    "<svg><a xlink:href=\"javascript:alert('xss-11')\"><text x=20 y=20>xss-11</text></a></svg>",
    "<svg><animate onbegin=alert('xss-12') attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-13')>",
    # URLs in raw HTML
    "<a href=\"javascript:alert('xss-14')\">xss-14</a>",
    "<a href=\"JaVaScRiPt:alert('xss-15')\">xss-15</a>",
    "<a href=\"java&#x09;script:alert('xss-16')\">xss-16</a>",
    "<a href=\"&#106;avascript:alert('xss-17')\">xss-17</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxOCk8L3NjcmlwdD4=">xss-18</a>',
    "<iframe src=\"javascript:alert('xss-19')\"></iframe>",
    "<object data=\"data:text/html,<script>alert('xss-20')</script>\"></object>",
    "<embed src=\"javascript:alert('xss-21')\">",
    "<form action=\"javascript:alert('xss-22')\"><button>xss-22</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('xss-23')\">",
    "<base href=\"javascript:alert('xss-24')//\">",
    # styles
    "<div style=\"background:url(javascript:alert('xss-25'))\">xss-25</div>",
    "<style>@import 'https://evil.example/xss-26.css';</style>",
    # broken and nested tags, attribute breakouts
    "<img src=x onerror=alert('xss-27')//",
    "<<script>script>alert('xss-28')<</script>/script>",
    "<scr<script>ipt>alert('xss-29')</scr</script>ipt>",
    "\"><script>alert('xss-30')</script>",
    "'><img src=x onerror=alert('xss-31')>",
    "</textarea><script>alert('xss-32')</script>",
    "</title><script>alert('xss-33')</script>",
    "<!--<img src=\"--><img src=x onerror=alert('xss-34')//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('xss-35')>\">",
    # htmx attributes would be live markup on our pages
    '<div hx-get="/logout" hx-trigger="load">xss-36</div>',
    "<span hx-on:click=\"alert('xss-37')\" data-hx-on-click=\"alert('xss-37')\">xss-37</span>",
    # Markdown link and image tricks
    "[xss-38](javascript:alert('xss-38'))",
    "[xss-39](JAVASCRIPT:alert('xss-39'))",
    "[xss-40](<javascript:alert('xss-40')>)",
    "[xss-41](  javascript:alert('xss-41'))",
    "![xss-42](javascript:alert('xss-42'))",
    "![xss-43](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoNDMpPg==)",
    "[xss-44][r]\n\n[r]: javascript:alert('xss-44')",
    "<javascript:alert('xss-45')>",
    "[xss-46](https://example.com\"onmouseover=\"alert('xss-46'))",
    "![xss-47\" onerror=\"alert('xss-47')](x.png)",
    "[xss-48](vbscript:msgbox('xss-48'))",
    "```\n</code></pre><script>alert('xss-49')</script>\n```",
    "`<img src=x onerror=alert('xss-50')>`",
    "[xss-51](java\tscript:alert('xss-51'))",
    # template injection and odd characters
    "{{ 7*'xss-52' }}{% print('xss-52') %}",
    "\u202e<script>alert('xss-53')</script>\u0000",
]
# File names lose folders, so these stay whole through clean_filename.
FILE_NAMES = [
    '"><img src=x onerror=alert(\'xss-f1\')>.png',
    "<svg onload=alert('xss-f2')>.png",
    "javascript:alert('xss-f3').png",
    "' onmouseover='alert(`xss-f4`)'.png",
    "xss-f5<script>alert(1)<\\script>.png",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset",
                  "cite", "longdesc", "ping"}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "math",
                  "template", "portal"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _inert_url(value):
    """What a browser's URL parser would do: trim C0 controls and spaces, drop tabs and newlines anywhere."""
    cleaned = re.sub(r"[\t\n\r]", "", (value or "").strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
                                                       "\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"
                                                       "\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20")).lower()
    return not re.match(r"(javascript|vbscript|data|livescript):", cleaned)


class ActiveContent(HTMLParser):
    """Collects every place in a page where markup could run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.stack = []
        self.prose_depth = None
        self.in_script = False

    def _check(self, tag, attrs):
        where = f"<{tag} {attrs}>"
        attributes = dict(attrs)
        in_prose = self.prose_depth is not None
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"forbidden tag {where}")
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.problems.append(f"inline or foreign script {where}")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"meta http-equiv {where}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {where}")
            if name == "style":
                self.problems.append(f"style attribute {where}")
            if name in URL_ATTRIBUTES and not _inert_url(value):
                self.problems.append(f"active URL {where}")
            if (name.startswith("hx-") or name.startswith("data-hx-")) and (
                "xss-" in (value or "") or name.startswith(("hx-on", "data-hx-on")) or in_prose
            ):
                self.problems.append(f"htmx attribute from user text {where}")
        if in_prose:
            allowed = rich_text.ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
            if tag not in rich_text.ALLOWED_TAGS:
                self.problems.append(f"tag outside the allow-list in rendered Markdown {where}")
            for name, _ in attrs:
                if name not in allowed:
                    self.problems.append(f"attribute outside the allow-list in rendered Markdown {where}")
            if tag == "a" and attributes.get("rel") != "noopener nofollow":
                self.problems.append(f"link without rel=noopener nofollow {where}")

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag in VOID:
            return
        self.stack.append(tag)
        classes = (dict(attrs).get("class") or "").split()
        if self.prose_depth is None and "prose" in classes:
            self.prose_depth = len(self.stack)
        if tag == "script":
            self.in_script = True

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False
        if tag in VOID or tag not in self.stack:
            return
        while self.stack:
            closed = self.stack.pop()
            if self.prose_depth is not None and len(self.stack) < self.prose_depth:
                self.prose_depth = None
            if closed == tag:
                break

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script body {data[:60]!r}")


def problems_in(html):
    """Everything in `html` that could run, as readable strings (empty when the page is safe)."""
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    found = parser.problems
    for payload in CORPUS + FILE_NAMES:
        # Markup that came back byte for byte was neither escaped nor sanitized.
        if "<" in payload and payload.strip("\u202e\u0000") in html:
            found.append(f"raw payload in page: {payload!r}")
    if "xss-52xss-52" in html:
        found.append("template expression was evaluated")
    return found


def assert_safe(response, label, expected=200):
    assert response.status_code == expected, f"{label}: status {response.status_code}"
    found = problems_in(response.get_data(as_text=True))
    assert not found, f"{label}:\n" + "\n".join(found)


def sign_in(client, user):
    """A session for `user` without the password round trip (these users have no password)."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


def person(role, n, name):
    return accounts.create_user(f"{role}{n}@xss.example", name[:120], role, verified=True)


def attach(actor, name):
    return attachments.upload(actor, io.BytesIO(png_bytes()), name, "image/png").id


def label_for(n):
    return f"payload {n}: {CORPUS[n]!r}"


@pytest.fixture
def staff(app):
    return accounts.create_user("agent@xss.example", "Agent Smith", "agent", verified=True)


@pytest.fixture
def customer_tickets(app, staff):
    """One ticket per payload: the customer's name, the subject, both bodies and a file name carry it."""
    made = []
    for n, payload in enumerate(CORPUS):
        customer = person("customer", n, payload)
        file_name = FILE_NAMES[n % len(FILE_NAMES)]
        ticket = tickets.create_ticket(customer, payload[:250], payload, attachment_ids=[attach(customer, file_name)])
        tickets.reply(staff, ticket.id, payload, attachment_ids=[attach(staff, payload.replace("/", "") + ".png")])
        tickets.reply(staff, ticket.id, payload, internal=True)
        made.append((customer, ticket))
    return made


# -------------------------------------------------------------------------------------------------- the checker


@pytest.mark.parametrize("bad", [
    "<script>alert(1)</script>",
    '<script src="https://evil.example/x.js"></script>',
    '<img src="x" onerror="alert(1)">',
    '<a href=" JaVa&#x0A;Script:alert(1)">x</a>',
    '<a href="data:text/html,x">x</a>',
    '<iframe src="/"></iframe>',
    '<meta http-equiv="refresh" content="0">',
    '<p style="color:red">x</p>',
    '<div hx-get="/logout?xss-36" hx-trigger="load">x</div>',
    '<span hx-on:click="alert(1)">x</span>',
    '<div class="prose"><p hx-get="/x">x</p></div>',
    '<div class="prose"><div>not allowed here</div></div>',
    '<div class="prose"><a href="https://example.com">no rel</a></div>',
    '<svg><animate onbegin="alert(1)"/></svg>',
])
def test_checker_catches_known_bad_markup(bad):
    assert problems_in(f"<html><body>{bad}</body></html>")


def test_checker_catches_a_corpus_payload_that_comes_back_raw():
    assert problems_in(f"<p>{CORPUS[35]}</p>")  # the htmx payload, unescaped


def test_checker_passes_our_own_markup():
    html = ('<script src="/static/js/app.js" defer></script><div class="prose"><p><a href="https://e.com" '
            'rel="noopener nofollow">x</a></p><pre><code class="language-py">x</code></pre></div>'
            '<div class="card"><div>outside prose</div></div>')
    assert problems_in(html) == []


def test_markdown_without_the_sanitizer_would_fail_the_checker():
    import markdown

    raw = markdown.markdown("[x](javascript:alert('xss-38'))")
    assert problems_in(f'<div class="prose">{raw}</div>')


# ------------------------------------------------------------------------------------------------- the renderer


@pytest.mark.parametrize("payload", CORPUS + FILE_NAMES)
def test_renderer_output_is_inert(payload):
    html = f'<div class="prose">{rich_text.render(payload)}</div>'
    assert not problems_in(html), problems_in(html)


def test_links_get_noopener_nofollow():
    html = rich_text.render('[site](https://example.com) <https://example.org> <a href="https://x.example">x</a>')
    assert html.count('rel="noopener nofollow"') == 2
    assert re.findall(r'<a href="([^"]+)"', html) == ["https://example.com", "https://example.org"]  # raw <a> escaped


def test_code_classes_are_only_languages():
    assert 'class="language-python"' in rich_text.render("```python\nx = 1\n```")
    assert "class=" not in rich_text.sanitize('<code class="flash flash-success">x</code>')


# ---------------------------------------------------------------------------------------------- customer pages


def test_customer_ticket_page_and_list(client, customer_tickets):
    for n, (customer, ticket) in enumerate(customer_tickets):
        sign_in(client, customer)
        assert_safe(client.get(f"/tickets/{ticket.id}"), f"ticket page, {label_for(n)}")
        assert_safe(client.get("/tickets"), f"ticket list, {label_for(n)}")
        assert_safe(client.get("/tickets", query_string={"q": CORPUS[n]}), f"ticket search, {label_for(n)}")
        assert_safe(client.get(f"/tickets/{ticket.id}", headers={"HX-Request": "true"}), f"fragment, {label_for(n)}")


def test_customer_forms_echo_input_safely(client, customer_tickets):
    customer, ticket = customer_tickets[0]
    sign_in(client, customer)
    token = csrf_from(client.get("/tickets/new").get_data(as_text=True))
    for n, payload in enumerate(CORPUS):
        response = client.post("/tickets/new", data={"csrf_token": token, "subject": payload, "description": "",
                                                      "category": payload, "priority": payload})
        assert_safe(response, f"new ticket errors, {label_for(n)}", 422)
        response = client.post(f"/tickets/{ticket.id}/reply", data={"csrf_token": token, "body": payload},
                               headers={"HX-Request": "true"})
        assert_safe(response, f"reply fragment, {label_for(n)}")


def test_file_names_in_threads_and_download_headers(client, customer_tickets):
    customer, ticket = customer_tickets[1]
    sign_in(client, customer)
    ids = []
    for name in FILE_NAMES:
        ids.append(attach(customer, name))
        tickets.reply(customer, ticket.id, "A file.", attachment_ids=[ids[-1]])
    assert_safe(client.get(f"/tickets/{ticket.id}"), "thread with hostile file names")
    for upload_id in ids:
        disposition = client.get(f"/attachments/{upload_id}?download=1").headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition


# -------------------------------------------------------------------------------------------------- guest pages


def test_contact_confirmation_and_guest_page(app, client):
    # Every payload goes into four fields: a link in it would count four times and hold the message as spam.
    app.config["CONTACT_MAX_LINKS"] = 100
    for n, payload in enumerate(CORPUS):
        guest = app.test_client()
        page = guest.get("/contact").get_data(as_text=True)
        key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
        name = payload[:120]
        response = guest.post("/contact", content_type="multipart/form-data", data={
            "csrf_token": csrf_from(page), "submission_key": key, "name": name, "email": f"g{n}@xss.example",
            "company": payload[:120], "phone": "", "category": "", "subject": payload[:250], "body": payload,
            "attachments": [(io.BytesIO(png_bytes()), FILE_NAMES[n % len(FILE_NAMES)], "image/png")],
        })
        assert response.status_code == 303, f"contact {label_for(n)}: {response.status_code}"
        confirmation = guest.get(response.headers["Location"])
        assert_safe(confirmation, f"contact confirmation, {label_for(n)}")
        link = re.search(r'value="https?://[^"]+(/t/[^"]+)"', confirmation.get_data(as_text=True)).group(1)
        assert_safe(guest.get(link), f"guest page, {label_for(n)}")
        token = csrf_from(guest.get(link).get_data(as_text=True))
        reply = guest.post(f"{link}/reply", data={"csrf_token": token, "body": payload}, headers={"HX-Request": "true"})
        assert_safe(reply, f"guest reply fragment, {label_for(n)}")


def test_contact_form_echoes_input_safely(client):
    token = csrf_from(client.get("/contact").get_data(as_text=True))
    for n, payload in enumerate(CORPUS):
        response = client.post("/contact", data={"csrf_token": token, "name": payload, "email": payload,
                                                  "company": payload, "phone": payload, "category": payload,
                                                  "subject": payload, "body": ""})
        assert_safe(response, f"contact errors, {label_for(n)}", 422)


# --------------------------------------------------------------------------------------------------- help pages


@pytest.fixture
def hostile_articles(staff):
    made = []
    for n, payload in enumerate(CORPUS):
        name = payload[:120]
        collection = help_center.create_collection(staff, name, payload[:500], slug=f"c{n}")
        article = help_center.create_article(staff, name, payload, status="published", collection_id=collection.id,
                                             slug=f"a{n}")
        help_center.create_article(staff, f"Sibling {n}", payload, status="published", collection_id=collection.id,
                                   slug=f"s{n}")
        made.append((collection, article))
    return made


def test_help_pages(client, hostile_articles):
    assert_safe(client.get("/"), "help home")
    for n, (collection, article) in enumerate(hostile_articles):
        assert_safe(client.get(f"/help/collections/{collection.slug}"), f"collection, {label_for(n)}")
        assert_safe(client.get(f"/help/articles/{article.slug}"), f"article, {label_for(n)}")
        assert_safe(client.get("/help/search", query_string={"q": CORPUS[n]}), f"search, {label_for(n)}")
        assert_safe(client.get("/help/search", query_string={"q": "xss"}, headers={"HX-Request": "true"}),
                    f"search fragment, {label_for(n)}")
        assert_safe(client.get("/help/suggestions", query_string={"subject": CORPUS[n]}),
                    f"suggestions, {label_for(n)}")
        assert_safe(client.get("/help/suggestions", query_string={"subject": "sibling xss alert"},
                               headers={"HX-Request": "true"}), f"suggestions fragment, {label_for(n)}")


def test_help_editor_pages(client, staff, hostile_articles):
    sign_in(client, staff)
    assert_safe(client.get("/agent/help"), "editor list")
    assert_safe(client.get("/agent/help/collections"), "editor collections")
    token = csrf_from(client.get("/agent/help").get_data(as_text=True))
    for n, (collection, article) in enumerate(hostile_articles):
        assert_safe(client.get(f"/agent/help/articles/{article.id}"), f"editor article, {label_for(n)}")
        assert_safe(client.get(f"/agent/help/collections/{collection.id}"), f"editor collection, {label_for(n)}")
        assert_safe(client.get("/agent/help", query_string={"q": CORPUS[n]}), f"editor search, {label_for(n)}")
        preview = client.post("/agent/help/preview", data={"csrf_token": token, "body": CORPUS[n]},
                              headers={"HX-Request": "true"})
        assert_safe(preview, f"live preview, {label_for(n)}")
        errors = client.post("/agent/help/articles/new", data={"csrf_token": token, "title": CORPUS[n][:1],
                                                                "slug": CORPUS[n], "body": CORPUS[n],
                                                                "status": CORPUS[n], "collection_id": CORPUS[n]})
        assert_safe(errors, f"editor errors, {label_for(n)}", 422)


# -------------------------------------------------------------------------------------------------- agent pages


def test_agent_pages(client, staff, customer_tickets):
    sign_in(client, staff)
    assert_safe(client.get("/agent"), "agent queue")
    assert_safe(client.get("/agent/customers"), "agent customers")
    for n, (customer, ticket) in enumerate(customer_tickets):
        assert_safe(client.get(f"/agent/tickets/{ticket.id}"), f"agent ticket page, {label_for(n)}")
        assert_safe(client.get(f"/agent/customers/{customer.id}"), f"agent customer page, {label_for(n)}")
        assert_safe(client.get("/agent", query_string={"q": CORPUS[n]}), f"agent queue search, {label_for(n)}")


# ---------------------------------------------------------------------------------------------------------- API


def api_token(user):
    return accounts.create_token(user, "xss")[1]


def walk_html_fields(value, path="$"):
    """Every string in a JSON document that the API says is HTML (`*_html`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_html") and isinstance(item, str):
                yield f"{path}.{key}", item
            else:
                yield from walk_html_fields(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk_html_fields(item, f"{path}[{i}]")


def assert_safe_json(response, label):
    assert response.status_code == 200, f"{label}: status {response.status_code}"
    assert response.mimetype == "application/json", label
    assert response.headers["X-Content-Type-Options"] == "nosniff", label
    document = json.loads(response.get_data(as_text=True))
    for where, html in walk_html_fields(document):
        found = ActiveContent()
        found.feed(f'<div class="prose">{html}</div>')
        assert not found.problems, f"{label} {where}: {found.problems}"


def test_api_answers(client, staff, customer_tickets, hostile_articles):
    staff_headers = {"Authorization": f"Bearer {api_token(staff)}"}
    assert_safe_json(client.get("/api/v1/tickets", headers=staff_headers), "API ticket list")
    assert_safe_json(client.get("/api/v1/articles"), "API article list")
    for n, (customer, ticket) in enumerate(customer_tickets):
        headers = {"Authorization": f"Bearer {api_token(customer)}"}
        assert_safe_json(client.get(f"/api/v1/tickets/{ticket.id}", headers=headers), f"API ticket, {label_for(n)}")
        assert_safe_json(client.get(f"/api/v1/tickets/{ticket.id}/messages", headers=staff_headers),
                         f"API messages, {label_for(n)}")
    for n, (_, article) in enumerate(hostile_articles):
        assert_safe_json(client.get(f"/api/v1/articles/{article.id}"), f"API article, {label_for(n)}")


def test_corpus_reaches_every_field(customer_tickets, hostile_articles):
    """The fixtures really stored the payloads (so the page checks above are not checking empty pages)."""
    stored_subjects = {t.subject for t in Ticket.select()}
    assert all(" ".join(p[:250].split()) in stored_subjects for p in CORPUS)  # subjects are one line
    assert User.select().where(User.name.contains("xss-3")).exists()
    assert Article.select().where(Article.body.contains("xss-38")).exists()
    assert Collection.select().where(Collection.name.contains("xss-9")).exists()
