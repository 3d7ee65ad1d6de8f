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
    """An address-friendly form of a title: lower-case ASCII words joined by dashes."""
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
    """A published article (staff also see drafts), with its collection. :raises NotFound:"""
    article = (
        _readable(actor)
        .select(Article, Collection)
        .join(Collection, JOIN.LEFT_OUTER, on=(Article.collection == Collection.id), attr="collection")
        .where(Article.slug == slug)
        .first()
    )
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


# Words that say nothing about what a ticket is about; they would match every article.
STOP_WORDS = frozenset(
    "about after again also and any are can cannot cant does doesnt dont for from get gets got had has have help "
    "hello how i im into is isnt its just keep keeps me my not now please still thanks that the there this "
    "was what when where which who why will with wont work works working you your".split()
)


def significant_words(text):
    """The words of a subject worth searching for: no stop words, short words dropped, plurals trimmed."""
    words = []
    for word in re.findall(r"\w+", (text or "").lower()):
        if len(word) < 3 or word in STOP_WORDS or word.isdigit():
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]  # "passwords" should find "password"; the prefix match finds the plural again
        if word not in words:
            words.append(word)
    return words[:8]


def suggest(text, limit=5):
    """Up to `limit` published articles for what someone is typing as a ticket subject (deflection).

    Any significant word may match: a subject is a sentence, not a search query.
    """
    words = significant_words(text)
    if not words:
        return []
    ids = search.article_ids_matching_any(words, limit=limit * 4)
    if not ids:
        return []
    rows = {a.id: a for a in _readable(None).where(Article.id.in_(ids))}
    return [rows[i] for i in ids if i in rows][:limit]


_UNSET = object()
MAX_ARTICLE_BODY = 100_000
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_collection(errors, collection_id):
    if collection_id in (None, "", 0):
        return None
    try:
        collection = Collection.get_or_none(Collection.id == int(collection_id))
    except (TypeError, ValueError):
        collection = None
    if collection is None:
        errors["collection_id"] = "Choose one of the listed collections."
    return collection


def _check_article_body(errors, body):
    body = (body or "").strip()
    if not body:
        errors["body"] = "Write the article."
    elif len(body) > MAX_ARTICLE_BODY:
        errors["body"] = f"An article can be at most {MAX_ARTICLE_BODY:,} characters."
    return body


def _check_slug(errors, wanted, model, row_id=None):
    """A slug someone typed: lower-case words and dashes, not used by another row of `model`."""
    slug = (wanted or "").strip().lower()
    if not _SLUG.fullmatch(slug) or len(slug) > 120:
        errors["slug"] = "Use lower-case letters, digits and dashes, like reset-your-password."
        return None
    if model.select().where((model.slug == slug) & (model.id != (row_id or 0))).exists():
        errors["slug"] = "Another one already uses this address."
        return None
    return slug


def _unique_slug(wanted, article_id=None):
    base = slugify(wanted)
    slug, n = base, 2
    while Article.select().where((Article.slug == slug) & (Article.id != (article_id or 0))).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_article(actor, title, body, status="draft", collection_id=None, slug=None):
    """A new article (agents); without a slug one is made from the title.

    :raises PermissionDenied: for anyone but staff.
    """
    require_staff(actor)
    errors = {}
    title = check_length(errors, "title", title, 2, 200, "a title")
    body = _check_article_body(errors, body)
    if status not in ARTICLE_STATUSES:
        errors["status"] = "Status is draft or published."
    collection = _check_collection(errors, collection_id)
    with write():
        chosen = _check_slug(errors, slug, Article) if (slug or "").strip() else None
        if errors:
            raise ValidationError(errors)
        now = utcnow()
        article = Article.create(
            title=title,
            slug=chosen or _unique_slug(title),
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


def update_article(actor, article_id, title=_UNSET, body=_UNSET, status=_UNSET, collection_id=_UNSET, slug=_UNSET):
    """Change an article's fields (only those given); the HTML is rendered again when the body changes.

    :raises PermissionDenied: for anyone but staff.
    :raises NotFound: for an unknown article.
    """
    require_staff(actor)
    errors = {}
    changes = {}
    if title is not _UNSET:
        changes["title"] = check_length(errors, "title", title, 2, 200, "a title")
    if body is not _UNSET:
        changes["body"] = _check_article_body(errors, body)
    if status is not _UNSET:
        if status not in ARTICLE_STATUSES:
            errors["status"] = "Status is draft or published."
        changes["status"] = status
    if collection_id is not _UNSET:
        changes["collection"] = _check_collection(errors, collection_id)
    with write():
        article = Article.get_or_none(Article.id == article_id)
        if article is None:
            raise NotFound("No such article.")
        if slug is not _UNSET and (slug or "").strip() and slug.strip().lower() != article.slug:
            changes["slug"] = _check_slug(errors, slug, Article, article.id)
        if errors:
            raise ValidationError(errors)
        now = utcnow()
        for name, value in changes.items():
            setattr(article, name, value)
        if "body" in changes:
            article.body_html = rich_text.render(article.body)
        if article.status == "published" and article.published_at is None:
            article.published_at = now
        article.updated_at = now
        article.save()
        search.index_article(article)
    return article


def delete_article(actor, article_id):
    """Delete an article for good, and take it out of search.

    :raises PermissionDenied: for anyone but staff.
    :raises NotFound: for an unknown article.
    """
    require_staff(actor)
    with write():
        article = Article.get_or_none(Article.id == article_id)
        if article is None:
            raise NotFound("No such article.")
        search.unindex_article(article.id)
        article.delete_instance()
    return article


def get_article_by_id(actor, article_id):
    """Any article, drafts included, with its collection, for the editor.

    :raises PermissionDenied: for anyone but staff.
    :raises NotFound: for an unknown article.
    """
    require_staff(actor)
    article = (
        Article.select(Article, Collection)
        .join(Collection, JOIN.LEFT_OUTER, on=(Article.collection == Collection.id), attr="collection")
        .where(Article.id == article_id)
        .first()
    )
    if article is None:
        raise NotFound("No such article.")
    return article


def list_articles(actor, text="", collection_id=None, status=None, limit=200):
    """Articles the actor may read, with their collections: newest change first, or best match for `text`.

    :raises ValidationError: for an unknown status.
    """
    if status and status not in ARTICLE_STATUSES:
        raise ValidationError({"status": "Status is draft or published."})
    query = (
        _readable(actor)
        .select(Article, Collection)
        .join(Collection, JOIN.LEFT_OUTER, on=(Article.collection == Collection.id), attr="collection")
    )
    if status:
        query = query.where(Article.status == status)
    if collection_id:
        query = query.where(Article.collection == collection_id)
    if (text or "").strip():
        ids = search.article_ids_matching(text, limit=limit * 3)
        rows = {a.id: a for a in query.where(Article.id.in_(ids or [0]))}
        return [rows[i] for i in ids if i in rows][:limit]
    return list(query.order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit))


def related_articles(article, limit=5):
    """Other published articles of the same collection, by title."""
    if article.collection_id is None:
        return []
    return list(
        Article.select()
        .where(
            Article.collection == article.collection_id,
            Article.status == "published",
            Article.id != article.id,
        )
        .order_by(Article.title)
        .limit(limit)
    )


def preview(actor, body):
    """The HTML an article or message body will become, for the editor's live preview.

    :raises PermissionDenied: for anyone but staff.
    """
    require_staff(actor)
    return rich_text.render((body or "")[:MAX_ARTICLE_BODY])


def _check_collection_fields(errors, name, description, position):
    name = check_length(errors, "name", name, 2, 120, "a name")
    description = (description or "").strip()
    if len(description) > 500:
        errors["description"] = "The description can be at most 500 characters."
    try:
        position = int(position or 0)
    except (TypeError, ValueError):
        errors["position"] = "The position is a whole number."
        position = 0
    return name, description, position


def create_collection(actor, name, description="", slug=None, position=None):
    """A new collection of articles (agents).

    :raises PermissionDenied: for anyone but staff.
    """
    require_staff(actor)
    errors = {}
    name, description, position = _check_collection_fields(errors, name, description, position)
    with write():
        if (slug or "").strip():
            slug = _check_slug(errors, slug, Collection)
        elif name:
            slug = slugify(name)
            if Collection.select().where(Collection.slug == slug).exists():
                errors["name"] = "A collection with this name already exists."
        if errors:
            raise ValidationError(errors)
        if position == 0:
            # New collections go last unless told otherwise.
            position = (Collection.select(fn.MAX(Collection.position)).scalar() or 0) + 1
        return Collection.create(name=name, slug=slug, description=description, position=position)


def update_collection(actor, collection_id, name, description="", slug=None, position=None):
    """Rename, describe, re-address or move a collection.

    :raises PermissionDenied: for anyone but staff.
    :raises NotFound: for an unknown collection.
    """
    require_staff(actor)
    errors = {}
    name, description, position = _check_collection_fields(errors, name, description, position)
    with write():
        collection = Collection.get_or_none(Collection.id == collection_id)
        if collection is None:
            raise NotFound("No such collection.")
        new_slug = collection.slug
        if (slug or "").strip() and slug.strip().lower() != collection.slug:
            new_slug = _check_slug(errors, slug, Collection, collection.id)
        if errors:
            raise ValidationError(errors)
        collection.name, collection.description, collection.position = name, description, position
        collection.slug = new_slug
        collection.save()
    return collection


def delete_collection(actor, collection_id):
    """Delete a collection; its articles stay, outside any collection.

    :raises PermissionDenied: for anyone but staff.
    :raises NotFound: for an unknown collection.
    """
    require_staff(actor)
    with write():
        collection = Collection.get_or_none(Collection.id == collection_id)
        if collection is None:
            raise NotFound("No such collection.")
        Article.update(collection=None).where(Article.collection == collection.id).execute()
        collection.delete_instance()
    return collection


def get_collection_by_id(actor, collection_id):
    """One collection for the editor. :raises NotFound: :raises PermissionDenied: for anyone but staff."""
    require_staff(actor)
    collection = Collection.get_or_none(Collection.id == collection_id)
    if collection is None:
        raise NotFound("No such collection.")
    return collection


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
    """The demo collections and articles (published), plus one draft only staff see."""
    for position, ((name, description), articles) in enumerate(DEMO_ARTICLES.items()):
        collection = create_collection(author, name, description)
        Collection.update(position=position).where(Collection.id == collection.id).execute()
        for title, body in articles:
            create_article(author, title, body, status="published", collection_id=collection.id)
    create_article(author, "Draft: new pricing (internal)", "Not ready yet.", status="draft")
