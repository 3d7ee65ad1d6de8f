"""The help center: articles and their collections. Everyone reads published articles; agents write."""
from flask import url_for

from ..services import articles, help_center
from . import schemas as s
from . import serializers as out
from .core import OPTIONAL, TOKEN, list_meta, operation, whole_list_meta

TAG = "Help center"


@operation("GET", "/articles", tag=TAG, summary="List articles", query=s.ArticleListQuery,
           response=s.ArticleList, auth=OPTIONAL)
def list_articles(actor, query):
    """Published articles, newest change first or best match for `search`; with a staff token drafts too."""
    page = articles.list_articles(actor, query.search or "", collection_id=query.collection_id, status=query.status,
                                  cursor=query.cursor or None, limit=query.limit)
    return s.ArticleList(data=[out.article(a) for a in page.items], meta=list_meta(page))


@operation("POST", "/articles", tag=TAG, summary="Write an article (agents)", body=s.ArticleCreate,
           response=s.ArticleResponse, status=201, errors=(403,), auth=TOKEN)
def create_article(actor, body):
    """A new article, a draft unless `status` is published; the slug comes from the title when left out."""
    article = help_center.create_article(actor, body.title, body.body, status=body.status,
                                         collection_id=body.collection_id, slug=body.slug)
    return (s.ArticleResponse(data=out.article(articles.get_article(actor, article.id))),
            {"Location": url_for("api.get_article", article_id=article.id)})


@operation("GET", "/articles/{article_id}", tag=TAG, summary="Get an article", response=s.ArticleResponse,
           auth=OPTIONAL)
def get_article(actor, article_id):
    """A published article; drafts answer 404 unless the token is staff's."""
    return s.ArticleResponse(data=out.article(articles.get_article(actor, article_id)))


@operation("PATCH", "/articles/{article_id}", tag=TAG, summary="Change an article (agents)",
           body=s.ArticleUpdate, response=s.ArticleResponse, errors=(403,), auth=TOKEN)
def update_article(actor, article_id, body):
    """Only the fields sent change; publishing stamps published_at the first time."""
    help_center.update_article(actor, article_id, **body.model_dump(exclude_unset=True))
    return s.ArticleResponse(data=out.article(articles.get_article(actor, article_id)))


@operation("DELETE", "/articles/{article_id}", tag=TAG, summary="Delete an article (agents)", status=204,
           errors=(403,), auth=TOKEN)
def delete_article(actor, article_id):
    """The article is deleted for good and leaves search."""
    help_center.delete_article(actor, article_id)


@operation("GET", "/collections", tag=TAG, summary="List collections", response=s.CollectionList, auth=OPTIONAL)
def list_collections(actor):
    """Collections in display order, each with the number of articles the caller may read."""
    rows = help_center.list_collections(actor)
    return s.CollectionList(data=[out.collection(c) for c in rows], meta=whole_list_meta(rows))
