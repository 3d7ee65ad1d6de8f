"""The public help center: collections, articles, search, and suggestions while someone writes a ticket."""
from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from ..extensions import limiter
from ..htmx import render
from ..services import help_center

bp = Blueprint("help", __name__, url_prefix="/help")


def _reader():
    return current_user if current_user.is_authenticated else None


@bp.route("")
def index():
    """The help center lives on the home page."""
    return redirect(url_for("public.home"), code=301)


@bp.route("/search")
@limiter.limit("60 per minute")
def search():
    """Published articles matching the words typed; htmx swaps only the results as someone types."""
    q = request.args.get("q", "").strip()[:200]
    results = help_center.search_articles(_reader(), q) if q else []
    return render("help/search.html", fragment="help/_results.html", q=q, results=results)


@bp.route("/collections/<slug>")
def collection(slug):
    """One collection and its articles. :raises NotFound: for an unknown collection."""
    return render(
        "help/collection.html",
        collection=help_center.get_collection(_reader(), slug),
        collections=help_center.list_collections(_reader()),
    )


@bp.route("/articles/<slug>")
def article(slug):
    """One article, with the others of its collection. :raises NotFound: for an unknown or unpublished article."""
    article = help_center.get_article(_reader(), slug)
    return render("help/article.html", article=article, related=help_center.related_articles(article))


@bp.route("/suggestions")
@limiter.limit("120 per minute")
def suggestions():
    """Articles that may answer what someone is typing as a ticket subject (the deflection box)."""
    text = (request.args.get("subject") or request.args.get("q") or "").strip()[:250]
    return render(
        "help/suggestions.html",
        fragment="help/_suggestions.html",
        suggestions=help_center.suggest(text),
        text=text,
    )
