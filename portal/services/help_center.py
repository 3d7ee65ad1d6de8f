"""The help center: collections of Markdown articles, drafts for staff, published ones for everyone."""
import re
import unicodedata

from peewee import JOIN, fn

from .. import search
from ..db import write
from ..models import ARTICLE_STATUSES, Article, Collection, utcnow
from . import rich_text
from .accounts import check_length
from .errors import NotFound, ValidationError
from .permissions import is_staff, require_staff


def slugify(text):
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120] or "article"


def list_collections(actor=None):
    """Collections in display order, each with `article_count` of the articles the actor may read."""
    count = fn.COUNT(Article.id)
    condition = Article.collection == Collection.id
    if not is_staff(actor):
        condition &= Article.status == "published"
    query = (
        Collection.select(Collection, count.alias("article_count"))
        .join(Article, on=condition, join_type=JOIN.LEFT_OUTER)
        .group_by(Collection.id)
        .order_by(Collection.position, Collection.name)
    )
    return list(query)


def _readable(actor):
    query = Article.select()
    if not is_staff(actor):
        query = query.where(Article.status == "published")
    return query


def get_collection(actor, slug):
    """One collection with its readable articles. :raises NotFound:"""
    collection = Collection.get_or_none(Collection.slug == slug)
    if collection is None:
        raise NotFound("No such collection.")
    collection.article_list = list(
        _readable(actor).where(Article.collection == collection.id).order_by(Article.title)
    )
    return collection


def get_article(actor, slug):
    """A published article (staff also see drafts). :raises NotFound:"""
    article = _readable(actor).where(Article.slug == slug).first()
    if article is None:
        raise NotFound("No such article.")
    return article


def search_articles(actor, text, limit=20):
    """Articles matching `text`, best first: published ones for everyone, drafts too for staff."""
    ids = search.article_ids_matching(text, limit=limit * 3)
    if not ids:
        return []
    rows = {a.id: a for a in _readable(actor).where(Article.id.in_(ids))}
    return [rows[i] for i in ids if i in rows][:limit]


def suggest(text, limit=5):
    """Up to `limit` published articles for what someone is typing as a ticket subject (deflection)."""
    if len((text or "").strip()) < 3:
        return []
    return search_articles(None, text, limit=limit)


def _validate_article(errors, title, body, status, collection_id):
    title = check_length(errors, "title", title, 2, 200, "a title")
    body = (body or "").strip()
    if not body:
        errors["body"] = "Write the article."
    if status not in ARTICLE_STATUSES:
        errors["status"] = "Status is draft or published."
    collection = None
    if collection_id:
        collection = Collection.get_or_none(Collection.id == collection_id)
        if collection is None:
            errors["collection_id"] = "Choose a collection."
    return title, body, collection


def _unique_slug(wanted, article_id=None):
    base = slugify(wanted)
    slug, n = base, 2
    while Article.select().where((Article.slug == slug) & (Article.id != (article_id or 0))).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_article(actor, title, body, status="draft", collection_id=None, slug=None):
    """A new article (agents)."""
    require_staff(actor)
    errors = {}
    title, body, collection = _validate_article(errors, title, body, status, collection_id)
    if errors:
        raise ValidationError(errors)
    with write():
        now = utcnow()
        article = Article.create(
            title=title,
            slug=_unique_slug(slug or title),
            body=body,
            body_html=rich_text.render(body),
            status=status,
            collection=collection,
            author=actor,
            created_at=now,
            updated_at=now,
            published_at=now if status == "published" else None,
        )
        search.index_article(article)
    return article


def create_collection(actor, name, description="", slug=None):
    """A new collection of articles (agents)."""
    require_staff(actor)
    errors = {}
    name = check_length(errors, "name", name, 2, 120, "a name")
    if errors:
        raise ValidationError(errors)
    with write():
        slug = slugify(slug or name)
        if Collection.select().where(Collection.slug == slug).exists():
            raise ValidationError({"name": "A collection with this name already exists."})
        return Collection.create(name=name, slug=slug, description=description or "")


DEMO_ARTICLES = {
    ("Account and sign-in", "Passwords, two-factor codes and access to your account."): [
        ("Reset a forgotten password",
         "If you forgot your password, open **Sign in** and choose *Forgot password*. "
         "We send a reset link to your e-mail; it works for one hour.\n\n"
         "- Check your spam folder if the e-mail does not arrive.\n"
         "- A new password needs at least 8 characters."),
        ("Two-factor codes are not accepted",
         "Codes depend on your phone's clock. Turn on automatic time in your phone's settings, "
         "then try a fresh code."),
    ],
    ("Billing", "Invoices, payments and refunds."): [
        ("Download an invoice", "Open **Settings → Billing** and choose the month. Invoices are PDF files."),
        ("Ask for a refund", "Refunds for unused seats are possible within 30 days. "
                             "Open a ticket in the *Billing* category with the invoice number."),
    ],
    ("Getting started", "The first steps with the product."): [
        ("Invite your team", "Go to **Settings → Team** and enter their e-mail addresses, one per line."),
    ],
}


def load_demo_articles(author):
    for position, ((name, description), articles) in enumerate(DEMO_ARTICLES.items()):
        collection = create_collection(author, name, description)
        Collection.update(position=position).where(Collection.id == collection.id).execute()
        for title, body in articles:
            create_article(author, title, body, status="published", collection_id=collection.id)
    create_article(author, "Draft: new pricing (internal)", "Not ready yet.", status="draft")
