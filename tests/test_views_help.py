"""The help center pages, the agents' editor and the deflection box, through Flask's test client."""
import re

import pytest

from portal.models import Article, Collection
from portal.services import help_center

from .conftest import csrf_from

HX = {"HX-Request": "true"}


@pytest.fixture
def demo(agent):
    help_center.load_demo_articles(agent)
    return agent


def html_of(response):
    return response.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------- public pages


def test_home_lists_collections_linking_to_their_pages(client, demo):
    html = html_of(client.get("/"))
    assert 'href="/help/collections/account-and-sign-in"' in html
    assert "2 articles" in html


def test_help_index_redirects_home(client):
    response = client.get("/help")
    assert response.status_code == 301 and response.headers["Location"].endswith("/")


def test_collection_page_lists_published_articles(client, demo):
    response = client.get("/help/collections/account-and-sign-in")
    html = html_of(response)
    assert response.status_code == 200
    assert "Reset a forgotten password" in html and "Two-factor codes are not accepted" in html
    assert "Draft: new pricing" not in html
    assert 'href="/help/collections/billing"' in html  # the other collections
    assert client.get("/help/collections/nope").status_code == 404


def test_article_page_shows_rendered_body_and_siblings(client, demo):
    response = client.get("/help/articles/reset-a-forgotten-password")
    html = html_of(response)
    assert response.status_code == 200
    assert "<strong>Sign in</strong>" in html
    assert 'href="/help/articles/two-factor-codes-are-not-accepted"' in html
    assert 'href="/help/collections/account-and-sign-in"' in html
    assert "Edit article" not in html


def test_drafts_404_for_the_public_and_show_for_staff(client, auth, demo):
    slug = Article.get(Article.status == "draft").slug
    assert client.get(f"/help/articles/{slug}").status_code == 404
    auth.login(demo.email)
    html = html_of(client.get(f"/help/articles/{slug}"))
    assert "badge-draft" in html and "Edit article" in html


def test_search_page_and_its_fragment(client, demo):
    page = client.get("/help/search?q=invoice")
    html = html_of(page)
    assert page.status_code == 200 and "<html" in html
    assert "Download an invoice" in html and 'id="search-results"' in html
    assert "HX-Request" in page.headers["Vary"]
    fragment = html_of(client.get("/help/search?q=invoice", headers=HX))
    assert fragment.lstrip().startswith('<div id="search-results"') and "<html" not in fragment
    assert "Download an invoice" in fragment
    assert "Nothing found" in html_of(client.get("/help/search?q=zebra"))
    assert "Type a word" in html_of(client.get("/help/search"))


def test_search_never_shows_drafts_to_the_public(client, demo):
    assert "new pricing" not in html_of(client.get("/help/search?q=pricing"))


def test_search_input_is_live_and_mirrors_a_real_url(client):
    html = html_of(client.get("/help/search"))
    form = re.search(r'<form class="help-search"[^>]*>', html).group(0)
    assert 'action="/help/search"' in form and 'hx-get="/help/search"' in form and 'hx-push-url="true"' in form


# ---------------------------------------------------------------------------------------------------- deflection


def test_suggestions_fragment_for_a_subject(client, demo):
    response = client.get("/help/suggestions?subject=forgot+password", headers=HX)
    html = html_of(response)
    assert response.status_code == 200 and "<html" not in html
    assert 'href="/help/articles/reset-a-forgotten-password"' in html
    assert 'id="suggestions-hint" class="suggestions-hint" hx-swap-oob="true"' in html
    assert len(re.findall(r'<li>', html)) <= 5


def test_no_suggestions_collapse_the_box(client, demo):
    html = html_of(client.get("/help/suggestions?subject=zebra", headers=HX))
    # Only the (empty) out-of-band hint comes back: the aside stays :empty and hidden.
    assert re.fullmatch(r'<p id="suggestions-hint" class="suggestions-hint" hx-swap-oob="true"></p>', html.strip())


def test_suggestions_url_works_as_a_page(client, demo):
    html = html_of(client.get("/help/suggestions?subject=invoice"))
    assert "<html" in html and "Download an invoice" in html


@pytest.mark.parametrize("path", ["/contact", "/tickets/new"])
def test_subject_field_asks_for_suggestions_as_people_type(client, auth, customer, path):
    if path == "/tickets/new":
        auth.login(customer.email)
    html = html_of(client.get(path))
    subject = re.search(r'<input[^>]*id="subject"[^>]*>', html).group(0)
    assert 'hx-get="/help/suggestions"' in subject
    assert 'hx-trigger="input changed delay:300ms"' in subject
    assert 'hx-target="#suggestions"' in subject
    assert '<aside class="aside" id="suggestions" aria-live="polite"></aside>' in html


def test_contact_form_errors_keep_the_suggestions(client, demo):
    token = csrf_from(html_of(client.get("/contact")))
    response = client.post("/contact", data={"csrf_token": token, "subject": "password reset", "body": "",
                                              "name": "", "email": ""})
    html = html_of(response)
    assert response.status_code == 422
    aside = re.search(r'<aside class="aside" id="suggestions".*?</aside>', html, re.S).group(0)
    assert "Reset a forgotten password" in aside


def test_new_ticket_errors_keep_the_suggestions(client, auth, customer, demo):
    auth.login(customer.email)
    token = csrf_from(html_of(client.get("/tickets/new")))
    response = client.post("/tickets/new", data={"csrf_token": token, "subject": "invoice", "description": ""})
    assert response.status_code == 422
    assert "Download an invoice" in html_of(response)


# -------------------------------------------------------------------------------------------------------- editor


def test_editor_needs_staff(client, auth, customer):
    response = client.get("/agent/help")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(customer.email)
    assert client.get("/agent/help").status_code == 403
    assert client.get("/agent/help/articles/new").status_code == 403


def test_editor_lists_drafts_and_filters(client, auth, demo):
    auth.login(demo.email)
    html = html_of(client.get("/agent/help"))
    assert "Draft: new pricing" in html and "Reset a forgotten password" in html
    drafts = html_of(client.get("/agent/help?status=draft", headers=HX))
    assert drafts.lstrip().startswith('<div id="article-list"')
    assert "Draft: new pricing" in drafts and "Reset a forgotten password" not in drafts
    found = html_of(client.get("/agent/help?q=invoice", headers=HX))
    assert "Download an invoice" in found and "Invite your team" not in found


def test_staff_top_bar_links_the_editor(client, auth, agent):
    auth.login(agent.email)
    assert 'href="/agent/help"' in html_of(client.get("/"))


def test_write_and_publish_an_article(client, auth, agent):
    auth.login(agent.email)
    collection = help_center.create_collection(agent, "Billing")
    token = csrf_from(html_of(client.get("/agent/help/articles/new")))
    response = client.post("/agent/help/articles/new", data={
        "csrf_token": token, "title": "Change your plan", "slug": "", "collection_id": str(collection.id),
        "status": "published", "body": "Open **Billing**.",
    })
    article = Article.get(Article.title == "Change your plan")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/agent/help/articles/{article.id}")
    assert article.status == "published" and article.collection_id == collection.id
    assert "<strong>Billing</strong>" in html_of(client.get("/help/articles/change-your-plan"))


def test_article_form_errors_beside_fields_and_keep_input(client, auth, agent):
    auth.login(agent.email)
    token = csrf_from(html_of(client.get("/agent/help/articles/new")))
    response = client.post("/agent/help/articles/new", data={
        "csrf_token": token, "title": "x", "slug": "Bad Slug", "collection_id": "", "status": "draft",
        "body": "Kept *body*",
    })
    html = html_of(response)
    assert response.status_code == 422
    assert 'id="title-error"' in html and 'id="slug-error"' in html
    assert "Kept *body*" in html and "<em>body</em>" in html  # the preview shows what was typed
    assert Article.select().count() == 0


def test_preview_button_renders_without_saving(client, auth, agent):
    auth.login(agent.email)
    token = csrf_from(html_of(client.get("/agent/help/articles/new")))
    response = client.post("/agent/help/articles/new", data={
        "csrf_token": token, "title": "Draft me", "slug": "", "collection_id": "", "status": "draft",
        "body": "## Heading", "intent": "preview",
    })
    assert response.status_code == 200 and "<h2>Heading</h2>" in html_of(response)
    assert Article.select().count() == 0


def test_live_preview_fragment_and_page(client, auth, agent):
    auth.login(agent.email)
    token = csrf_from(html_of(client.get("/agent/help/articles/new")))
    fragment = client.post("/agent/help/preview", data={"csrf_token": token, "body": "**bold** <script>x</script>"},
                           headers=HX)
    html = html_of(fragment)
    assert html.lstrip().startswith('<div id="preview"') and "<strong>bold</strong>" in html and "<script>x" not in html
    page = client.post("/agent/help/preview", data={"csrf_token": token, "body": "**bold**"})
    assert "<html" in html_of(page) and "<strong>bold</strong>" in html_of(page)


def test_live_preview_is_wired_to_the_body(client, auth, agent):
    auth.login(agent.email)
    html = html_of(client.get("/agent/help/articles/new"))
    body = re.search(r'<textarea[^>]*id="body"[^>]*>', html).group(0)
    assert 'hx-post="/agent/help/preview"' in body and 'hx-target="#preview"' in body


def test_preview_needs_csrf(client, auth, agent):
    auth.login(agent.email)
    assert client.post("/agent/help/preview", data={"body": "x"}).status_code == 400


def test_edit_and_delete_an_article(client, auth, demo):
    auth.login(demo.email)
    article = Article.get(Article.slug == "invite-your-team")
    page = html_of(client.get(f"/agent/help/articles/{article.id}"))
    assert "Settings → Team" in page and 'value="invite-your-team"' in page
    token = csrf_from(page)
    response = client.post(f"/agent/help/articles/{article.id}", data={
        "csrf_token": token, "title": "Invite colleagues", "slug": "invite-your-team", "collection_id": "",
        "status": "draft", "body": "Updated.",
    })
    assert response.status_code == 303
    article = Article.get_by_id(article.id)
    assert (article.title, article.status, article.collection_id) == ("Invite colleagues", "draft", None)
    assert client.get("/agent/help/articles/9999").status_code == 404
    response = client.post(f"/agent/help/articles/{article.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert Article.get_or_none(Article.id == article.id) is None


def test_collections_editor(client, auth, agent):
    auth.login(agent.email)
    token = csrf_from(html_of(client.get("/agent/help/collections")))
    response = client.post("/agent/help/collections", data={"csrf_token": token, "name": "Billing",
                                                            "description": "Money", "slug": "", "position": ""})
    assert response.status_code == 303
    collection = Collection.get(Collection.name == "Billing")
    duplicate = client.post("/agent/help/collections", data={"csrf_token": token, "name": "Billing", "description": "",
                                                             "slug": "", "position": ""})
    assert duplicate.status_code == 422 and 'id="name-error"' in html_of(duplicate)
    response = client.post(f"/agent/help/collections/{collection.id}", data={
        "csrf_token": token, "name": "Plans", "description": "", "slug": "plans", "position": "3"})
    assert response.status_code == 303 and Collection.get_by_id(collection.id).slug == "plans"
    response = client.post(f"/agent/help/collections/{collection.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303 and Collection.select().count() == 0
