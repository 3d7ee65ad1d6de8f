"""The help center through its service: writing articles and collections, who reads what, search and suggestions."""
import pytest

from portal.db import db
from portal.models import Article, Collection
from portal.services import help_center, rich_text
from portal.services.errors import NotFound, PermissionDenied, ValidationError


def fts_rows(text):
    return [r[0] for r in db.execute_sql("SELECT rowid FROM article_fts WHERE article_fts MATCH ?", (text,))]


@pytest.fixture
def billing(agent):
    return help_center.create_collection(agent, "Billing", "Invoices and refunds.")


def test_create_article_renders_markdown_once_and_indexes_it(agent, billing):
    article = help_center.create_article(
        agent, "Download an invoice", "Open **Settings**.", status="published", collection_id=billing.id
    )
    assert article.slug == "download-an-invoice"
    assert article.body_html == "<p>Open <strong>Settings</strong>.</p>"
    assert article.published_at is not None and article.author_id == agent.id
    assert fts_rows('"invoice"*') == [article.id]


def test_slugs_stay_unique_and_typed_slugs_are_checked(agent):
    first = help_center.create_article(agent, "Same title", "Body.")
    second = help_center.create_article(agent, "Same title", "Body.")
    assert (first.slug, second.slug) == ("same-title", "same-title-2")
    with pytest.raises(ValidationError) as info:
        help_center.create_article(agent, "Other", "Body.", slug="same-title")
    assert "slug" in info.value.errors
    with pytest.raises(ValidationError) as info:
        help_center.create_article(agent, "Other", "Body.", slug="Not A Slug!")
    assert "slug" in info.value.errors


def test_create_validates_every_field(agent):
    with pytest.raises(ValidationError) as info:
        help_center.create_article(agent, "x", "  ", status="archived", collection_id=999)
    assert set(info.value.errors) == {"title", "body", "status", "collection_id"}
    assert Article.select().count() == 0


@pytest.mark.parametrize("role", ["customer", "guest"])
def test_only_staff_write(role, customer, billing):
    actor = customer if role == "customer" else None
    with pytest.raises(PermissionDenied):
        help_center.create_article(actor, "Title", "Body.")
    with pytest.raises(PermissionDenied):
        help_center.create_collection(actor, "Other")
    with pytest.raises(PermissionDenied):
        help_center.preview(actor, "**x**")


def test_update_changes_only_given_fields_and_renders_again(agent, billing):
    article = help_center.create_article(agent, "Refunds", "Old text.", collection_id=billing.id)
    updated = help_center.update_article(agent, article.id, body="New *text*.", status="published")
    assert updated.title == "Refunds" and updated.collection_id == billing.id
    assert updated.body_html == "<p>New <em>text</em>.</p>"
    assert updated.published_at is not None
    assert fts_rows('"new"*') == [article.id] and fts_rows('"old"*') == []
    moved = help_center.update_article(agent, article.id, collection_id=None, slug="money-back")
    assert moved.collection_id is None and moved.slug == "money-back"


def test_update_unknown_article_is_not_found(agent):
    with pytest.raises(NotFound):
        help_center.update_article(agent, 12345, title="Nope")


def test_delete_article_takes_it_out_of_search(agent):
    article = help_center.create_article(agent, "Gone soon", "Ephemeral words.", status="published")
    help_center.delete_article(agent, article.id)
    assert Article.select().count() == 0
    assert fts_rows('"ephemeral"*') == []
    assert help_center.search_articles(None, "ephemeral") == []


def test_drafts_are_for_staff_only(agent, customer):
    draft = help_center.create_article(agent, "Secret pricing", "Not ready.")
    assert help_center.get_article(agent, draft.slug).id == draft.id
    for reader in (None, customer):
        with pytest.raises(NotFound):
            help_center.get_article(reader, draft.slug)
        assert help_center.search_articles(reader, "pricing") == []
        assert help_center.list_articles(reader) == []
    assert [a.id for a in help_center.search_articles(agent, "pricing")] == [draft.id]


def test_collections_count_readable_articles(agent, billing):
    help_center.create_article(agent, "Published one", "Text.", status="published", collection_id=billing.id)
    help_center.create_article(agent, "Draft one", "Text.", collection_id=billing.id)
    assert [c.article_count for c in help_center.list_collections(None)] == [1]
    assert [c.article_count for c in help_center.list_collections(agent)] == [2]
    assert [a.title for a in help_center.get_collection(None, "billing").article_list] == ["Published one"]


def test_collection_editing(agent, billing):
    second = help_center.create_collection(agent, "Account")
    assert second.position > billing.position  # new collections go last
    with pytest.raises(ValidationError) as info:
        help_center.create_collection(agent, "Billing")
    assert "name" in info.value.errors
    renamed = help_center.update_collection(agent, billing.id, "Billing and plans", "All money.", "plans", 5)
    assert (renamed.name, renamed.slug, renamed.position) == ("Billing and plans", "plans", 5)
    with pytest.raises(ValidationError) as info:
        help_center.update_collection(agent, second.id, "Account", slug="plans")
    assert "slug" in info.value.errors
    with pytest.raises(ValidationError) as info:
        help_center.update_collection(agent, second.id, "Account", position="first")
    assert "position" in info.value.errors


def test_deleting_a_collection_keeps_its_articles(agent, billing):
    article = help_center.create_article(agent, "Invoices", "Text.", collection_id=billing.id)
    help_center.delete_collection(agent, billing.id)
    assert Collection.select().count() == 0
    assert Article.get_by_id(article.id).collection_id is None


def test_related_articles_are_published_siblings(agent, billing):
    main = help_center.create_article(agent, "Main", "Text.", status="published", collection_id=billing.id)
    sibling = help_center.create_article(agent, "Sibling", "Text.", status="published", collection_id=billing.id)
    help_center.create_article(agent, "Draft sibling", "Text.", collection_id=billing.id)
    help_center.create_article(agent, "Elsewhere", "Text.", status="published")
    assert [a.id for a in help_center.related_articles(main)] == [sibling.id]


def test_suggest_matches_any_significant_word_and_only_published(agent):
    help_center.load_demo_articles(agent)
    titles = [a.title for a in help_center.suggest("I forgot my passwords, please help")]
    assert titles[0] == "Reset a forgotten password"
    assert help_center.suggest("pricing") == []  # only a draft matches
    assert help_center.suggest("hi") == []
    assert help_center.suggest("how can I do this") == []  # stop words alone suggest nothing


def test_suggest_returns_at_most_five(agent):
    for n in range(8):
        help_center.create_article(agent, f"Printer setup part {n}", "Printer words.", status="published")
    assert len(help_center.suggest("printer")) == 5


def test_significant_words_drop_noise():
    assert help_center.significant_words("How do I reset my Passwords?? 2024") == ["reset", "password"]


def test_preview_is_the_same_renderer_as_on_save(agent):
    body = "# Title\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    assert help_center.preview(agent, body) == rich_text.render(body)
    assert "<script" not in help_center.preview(agent, body)


def test_demo_articles_include_a_published_password_article(agent):
    help_center.load_demo_articles(agent)
    article = help_center.get_article(None, "reset-a-forgotten-password")
    assert article.collection.name == "Account and sign-in"
    assert Article.select().where(Article.status == "draft").count() == 1
