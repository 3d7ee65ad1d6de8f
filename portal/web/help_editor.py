"""Agents write the help center: articles (Markdown with a live preview, draft or published) and collections."""
from flask import Blueprint, flash, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..forms import ActionForm, ArticleForm, CollectionForm, show_errors
from ..htmx import redirect_to, render
from ..models import ARTICLE_STATUSES
from ..services import help_center
from ..services.errors import ValidationError
from ..services.permissions import require_staff

bp = Blueprint("help_editor", __name__, url_prefix="/agent/help")


@bp.before_request
@login_required
def _staff_only():
    """Every page here is for support staff. :raises PermissionDenied: for customers."""
    require_staff(current_user)


def _collection_choices():
    collections = help_center.list_collections(current_user)
    return [SelectChoice("", "No collection")] + [SelectChoice(str(c.id), c.name) for c in collections]


def _filters():
    status = request.args.get("status", "")
    collection = request.args.get("collection", "")
    return {
        "status": status if status in ARTICLE_STATUSES else "",
        "collection": collection if collection.isdigit() else "",
        "q": request.args.get("q", "").strip()[:200],
    }


@bp.route("")
def index():
    """All articles, drafts included, filtered by status, collection and text; htmx swaps only the list."""
    filters = _filters()
    articles = help_center.list_articles(
        current_user,
        text=filters["q"],
        collection_id=int(filters["collection"]) if filters["collection"] else None,
        status=filters["status"] or None,
    )
    return render(
        "help_editor/index.html",
        fragment="help_editor/_list.html",
        articles=articles,
        collections=help_center.list_collections(current_user),
        filters=filters,
        action_form=ActionForm(),
    )


def _editor(form, article=None, status=200, preview_html=None):
    return render(
        "help_editor/edit.html",
        form=form,
        article=article,
        preview_html=preview_html if preview_html is not None else (article.body_html if article else ""),
        action_form=ActionForm(),
        status=status,
    )


def _article_fields(form):
    return {
        "title": form.title.data,
        "body": form.body.data,
        "status": form.status.data,
        "collection_id": form.collection_id.data or None,
        "slug": form.slug.data,
    }


def _wants_preview():
    return request.form.get("intent") == "preview"


@bp.route("/articles/new", methods=["GET", "POST"])
def new_article():
    """Write a new article; it is saved as a draft unless published."""
    form = ArticleForm()
    form.collection_id.choices = _collection_choices()
    if request.method == "GET" and request.args.get("collection", "").isdigit():
        form.collection_id.data = request.args["collection"]
    if form.is_submitted() and _wants_preview() and form.validate():
        return _editor(form, preview_html=help_center.preview(current_user, form.body.data))
    if form.validate_on_submit():
        try:
            article = help_center.create_article(current_user, **_article_fields(form))
        except ValidationError as error:
            show_errors(form, error)
            return _editor(form, status=422, preview_html=help_center.preview(current_user, form.body.data))
        state = "published" if article.status == "published" else "a draft"
        flash(f"“{article.title}” is saved as {state}.", "success")
        return redirect_to(url_for("help_editor.edit_article", article_id=article.id))
    return _editor(form, status=422 if form.is_submitted() else 200)


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
def edit_article(article_id):
    """Edit one article. :raises NotFound: for an unknown article."""
    article = help_center.get_article_by_id(current_user, article_id)
    form = ArticleForm(obj=None if request.method == "POST" else article)
    form.collection_id.choices = _collection_choices()
    if request.method == "GET":
        form.collection_id.data = str(article.collection_id or "")
    if form.is_submitted() and _wants_preview() and form.validate():
        return _editor(form, article, preview_html=help_center.preview(current_user, form.body.data))
    if form.validate_on_submit():
        try:
            article = help_center.update_article(current_user, article_id, **_article_fields(form))
        except ValidationError as error:
            show_errors(form, error)
            return _editor(form, article, 422, help_center.preview(current_user, form.body.data))
        flash(f"“{article.title}” is saved.", "success")
        return redirect_to(url_for("help_editor.edit_article", article_id=article.id))
    return _editor(form, article, 422 if form.is_submitted() else 200)


@bp.route("/articles/<int:article_id>/delete", methods=["POST"])
def delete_article(article_id):
    """Delete an article for good. :raises NotFound: for an unknown article."""
    form = ActionForm()
    if form.validate_on_submit():
        article = help_center.delete_article(current_user, article_id)
        flash(f"“{article.title}” is deleted.", "success")
    return redirect_to(url_for("help_editor.index"))


@bp.route("/preview", methods=["POST"])
def preview():
    """The live preview of a Markdown body as the editor types (htmx), or as a page of its own."""
    html = help_center.preview(current_user, request.form.get("body", ""))
    return render("help_editor/preview.html", fragment="help_editor/_preview.html", preview_html=html)


def _collections_page(form=None, status=200):
    return render(
        "help_editor/collections.html",
        collections=help_center.list_collections(current_user),
        form=form or CollectionForm(),
        action_form=ActionForm(),
        status=status,
    )


@bp.route("/collections", methods=["GET", "POST"])
def collections():
    """The collections, in display order, and a form to add one."""
    form = CollectionForm()
    if form.validate_on_submit():
        try:
            collection = help_center.create_collection(
                current_user, form.name.data, form.description.data, form.slug.data, form.position.data
            )
        except ValidationError as error:
            show_errors(form, error)
            return _collections_page(form, 422)
        flash(f"Collection “{collection.name}” is added.", "success")
        return redirect_to(url_for("help_editor.collections"))
    return _collections_page(form, 422 if form.is_submitted() else 200)


@bp.route("/collections/<int:collection_id>", methods=["GET", "POST"])
def edit_collection(collection_id):
    """Rename, describe, re-address or move a collection. :raises NotFound: for an unknown collection."""
    collection = help_center.get_collection_by_id(current_user, collection_id)
    form = CollectionForm(obj=None if request.method == "POST" else collection)
    if form.validate_on_submit():
        try:
            collection = help_center.update_collection(
                current_user, collection_id, form.name.data, form.description.data, form.slug.data, form.position.data
            )
        except ValidationError as error:
            show_errors(form, error)
            return render("help_editor/collection.html", form=form, collection=collection, status=422,
                          action_form=ActionForm())
        flash(f"Collection “{collection.name}” is saved.", "success")
        return redirect_to(url_for("help_editor.collections"))
    return render(
        "help_editor/collection.html",
        form=form,
        collection=collection,
        action_form=ActionForm(),
        status=422 if form.is_submitted() else 200,
    )


@bp.route("/collections/<int:collection_id>/delete", methods=["POST"])
def delete_collection(collection_id):
    """Delete a collection; its articles stay, outside any collection. :raises NotFound: for an unknown one."""
    form = ActionForm()
    if form.validate_on_submit():
        collection = help_center.delete_collection(current_user, collection_id)
        flash(f"Collection “{collection.name}” is deleted; its articles are kept.", "success")
    return redirect_to(url_for("help_editor.collections"))
