"""Help-center articles by id and in pages, for the API: everyone reads published ones, staff also drafts.

Writing articles (create, update, delete) lives in help_center.py; this module adds the reads an API client needs.
"""
from peewee import JOIN

from .. import search
from ..models import ARTICLE_STATUSES, Article, Collection, User
from .errors import NotFound, ValidationError
from .paging import MAX_ID, clamp_limit, keyset_page
from .permissions import is_staff
from .paging import Page, decode_cursor, encode_cursor

Author = User.alias("author")


def _readable(actor):
    query = (
        Article.select(Article, Collection, Author)
        .join_from(Article, Collection, JOIN.LEFT_OUTER, on=(Article.collection == Collection.id), attr="collection")
        .join_from(Article, Author, JOIN.LEFT_OUTER, on=(Article.author == Author.id), attr="author")
    )
    if not is_staff(actor):
        query = query.where(Article.status == "published")
    return query


def get_article(actor, article_id):
    """One article by id: published for everyone, drafts too for staff. :raises NotFound:"""
    try:
        article_id = int(article_id)
    except (TypeError, ValueError):
        raise NotFound("No such article.")
    article = _readable(actor).where(Article.id == article_id).first() if 1 <= article_id <= MAX_ID else None
    if article is None:
        raise NotFound("No such article.")
    return article


def _offset_from(cursor):
    values = decode_cursor(cursor)
    kind, text, offset = values
    if kind != "search" or not isinstance(text, str) or isinstance(offset, bool) or not isinstance(offset, int) \
            or not 0 <= offset <= 10_000:
        raise ValidationError({"cursor": "This cursor is not valid; start again from the first page."})
    return text, offset


def list_articles(actor, search_text="", collection_id=None, status=None, cursor=None, limit=25):
    """One page of the articles the actor may read: newest change first, or best match first for `search_text`.

    :raises ValidationError: for an unknown status or a cursor from another list.
    """
    if status and status not in ARTICLE_STATUSES:
        raise ValidationError({"status": "Status is draft or published."})
    query = _readable(actor)
    if status:
        query = query.where(Article.status == status)
    if collection_id:
        query = query.where(Article.collection == collection_id)
    text = (search_text or "").strip()[:200]
    if not text:
        return keyset_page(query, Article.updated_at, Article.id, "articles", cursor, limit)

    # Relevance is not a column, so a search pages by position in the ranked list; the cursor names the search.
    limit = clamp_limit(limit)
    offset = 0
    if cursor:
        cursor_text, offset = _offset_from(cursor)
        if cursor_text != text:
            raise ValidationError({"cursor": "This cursor belongs to another search."})
    ranked = search.article_ids_matching(text)
    rows = {a.id: a for a in query.where(Article.id.in_(ranked or [0]))}
    matches = [rows[i] for i in ranked if i in rows]
    items = matches[offset: offset + limit]
    more = offset + limit < len(matches)
    next_cursor = encode_cursor(["search", text, offset + limit]) if more else None
    return Page(items=items, total=len(matches), next_cursor=next_cursor, limit=limit)
