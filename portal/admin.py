"""Administration: users and roles, categories, tags, the trash and the inbound mail log. Admins only."""
from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from .auth import safe_next
from .extensions import login_manager
from .forms import ActionForm, show_errors
from .htmx import is_htmx, redirect_to, render
from .models import INBOUND_OUTCOMES, ROLES
from .services import admin, failures, inbound, mail, tickets
from .services.errors import Conflict, ValidationError
from .services.permissions import require_admin

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {"customer": "Customer", "agent": "Agent", "admin": "Admin"}


@bp.before_request
def _admins_only():
    """Every page here is for admins: guests sign in first, everyone else gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_admin(current_user)


class UserForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": 120, "autocomplete": "off"})
    email = EmailField("E-mail", render_kw={"required": True, "maxlength": 128, "autocomplete": "off"})
    role = SelectField("Role", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ("agent", "admin", "customer")],
                       default="agent", validate_choice=False)
    password = PasswordField("Password", description="At least 8 characters; share it with them safely.",
                             render_kw={"required": True, "autocomplete": "new-password", "minlength": 8})


class CategoryForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": 120})
    slug = StringField("Slug", description="Used in the API and URLs; made from the name when left empty.",
                       render_kw={"maxlength": 64, "pattern": "[a-z0-9][a-z0-9_\\-]*", "autocomplete": "off"})
    description = StringField("Description", render_kw={"maxlength": 500})


class TagForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": 64, "autocomplete": "off"})
    color = StringField("Colour", default="#64748b", render_kw={"type": "color"})


def _back(default):
    return safe_next(request.form.get("next")) or default


@bp.route("")
def index():
    """The administration home: what there is to manage, with counts."""
    return render("admin/index.html", overview=admin.overview(current_user))


# ------------------------------------------------------------------------------------------------------------ users


def _users_page(form=None, status=200):
    role = request.args.get("role", "staff")
    q = request.args.get("q", "").strip()[:120]
    page = admin.list_users(current_user, q, role, cursor=request.args.get("cursor") or None)
    return render("admin/users.html", fragment="admin/_users_list.html", page=page, role=role, q=q,
                  form=form or UserForm(formdata=None), action_form=ActionForm(), roles=ROLES,
                  role_labels=ROLE_LABELS, status=status)


@bp.route("/users")
def users():
    """Users by name (staff by default), with role changes and deactivation; a form to add agents and admins."""
    return _users_page()


@bp.route("/users", methods=["POST"])
def create_user():
    """Add a user who can sign in at once (an agent, by default)."""
    form = UserForm()
    if not form.validate_on_submit():
        return _users_page(form, 422)
    try:
        user = admin.create_user(current_user, form.email.data, form.name.data, form.role.data, form.password.data)
    except ValidationError as error:
        show_errors(form, error)
        return _users_page(form, 422)
    flash(f"{user.name} can now sign in as {ROLE_LABELS[user.role].lower()}.", "success")
    return redirect_to(url_for("admin.users"))


def _user_action(change, done):
    form = ActionForm()
    if form.validate_on_submit():
        try:
            user = change()
            flash(done(user), "success")
        except (Conflict, ValidationError) as error:
            flash(error.message, "error")
    return redirect_to(_back(url_for("admin.users")))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id):
    """Give a user another role."""
    role = request.form.get("role", "")
    return _user_action(lambda: admin.change_role(current_user, user_id, role),
                        lambda u: f"{u.name} is now {ROLE_LABELS.get(u.role, u.role).lower()}.")


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id):
    """Deactivate a user: they are signed out and their API tokens stop working."""
    return _user_action(lambda: admin.set_user_active(current_user, user_id, False),
                        lambda u: f"{u.name} is deactivated and can no longer sign in.")


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
def activate_user(user_id):
    """Let a deactivated user sign in again."""
    return _user_action(lambda: admin.set_user_active(current_user, user_id, True),
                        lambda u: f"{u.name} can sign in again.")


# ------------------------------------------------------------------------------------------------------- categories


def _categories_page(form=None, status=200, edit_errors=None):
    return render("admin/categories.html", categories=admin.list_categories(current_user),
                  form=form or CategoryForm(formdata=None), action_form=ActionForm(), edit_errors=edit_errors or {},
                  status=status)


@bp.route("/categories")
def categories():
    """Categories in display order with their ticket counts; create, rename, deactivate."""
    return _categories_page()


@bp.route("/categories", methods=["POST"])
def create_category():
    """Add a category."""
    form = CategoryForm()
    if not form.validate_on_submit():
        return _categories_page(form, 422)
    try:
        category = admin.create_category(current_user, form.name.data, form.slug.data, form.description.data)
    except ValidationError as error:
        show_errors(form, error)
        return _categories_page(form, 422)
    flash(f"Category “{category.name}” added.", "success")
    return redirect_to(url_for("admin.categories"))


@bp.route("/categories/<int:category_id>", methods=["POST"])
def update_category(category_id):
    """Rename a category or change its description."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            admin.update_category(current_user, category_id, request.form.get("name"), request.form.get("description"))
        except ValidationError as error:
            return _categories_page(status=422, edit_errors={category_id: error.errors})
        flash("Category saved.", "success")
    return redirect_to(url_for("admin.categories"))


@bp.route("/categories/<int:category_id>/active", methods=["POST"])
def toggle_category(category_id):
    """Deactivate a category or bring it back."""
    form = ActionForm()
    if form.validate_on_submit():
        category = admin.set_category_active(current_user, category_id, request.form.get("active") == "1")
        flash(f"“{category.name}” is {'active' if category.is_active else 'deactivated'}.", "success")
    return redirect_to(url_for("admin.categories"))


# ------------------------------------------------------------------------------------------------------------- tags


def _tags_page(form=None, status=200, edit_errors=None):
    return render("admin/tags.html", tags=admin.list_tags(current_user), form=form or TagForm(formdata=None),
                  action_form=ActionForm(), edit_errors=edit_errors or {}, status=status)


@bp.route("/tags")
def tags():
    """Tags with their colours and how many tickets carry them."""
    return _tags_page()


@bp.route("/tags", methods=["POST"])
def create_tag():
    """Add a tag."""
    form = TagForm()
    if not form.validate_on_submit():
        return _tags_page(form, 422)
    try:
        tag = admin.create_tag(current_user, form.name.data, form.color.data)
    except ValidationError as error:
        show_errors(form, error)
        return _tags_page(form, 422)
    flash(f"Tag “{tag.name}” added.", "success")
    return redirect_to(url_for("admin.tags"))


@bp.route("/tags/<int:tag_id>", methods=["POST"])
def update_tag(tag_id):
    """Rename a tag or change its colour."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            admin.update_tag(current_user, tag_id, request.form.get("name"), request.form.get("color"))
        except ValidationError as error:
            return _tags_page(status=422, edit_errors={tag_id: error.errors})
        flash("Tag saved.", "success")
    return redirect_to(url_for("admin.tags"))


@bp.route("/tags/<int:tag_id>/delete", methods=["POST"])
def delete_tag(tag_id):
    """Delete a tag and take it off every ticket."""
    form = ActionForm()
    if form.validate_on_submit():
        admin.delete_tag(current_user, tag_id)
        flash("Tag deleted.", "success")
    return redirect_to(url_for("admin.tags"))


# ------------------------------------------------------------------------------------------------------------ trash


@bp.route("/trash")
def trash():
    """Tickets in the trash, most recently deleted first: restore or delete for good."""
    page = admin.list_trash(current_user, cursor=request.args.get("cursor") or None)
    return render("admin/trash.html", page=page, action_form=ActionForm())


@bp.route("/trash/<int:ticket_id>/restore", methods=["POST"])
def restore(ticket_id):
    """Bring a ticket back from the trash."""
    form = ActionForm()
    if form.validate_on_submit():
        tickets.restore_ticket(current_user, ticket_id)
        flash(f"Ticket #{ticket_id} is restored.", "success")
    return redirect_to(_back(url_for("admin.trash")))


@bp.route("/trash/<int:ticket_id>/purge", methods=["POST"])
def purge(ticket_id):
    """Delete a trashed ticket for good."""
    form = ActionForm()
    if form.validate_on_submit():
        tickets.purge_ticket(current_user, ticket_id)
        flash(f"Ticket #{ticket_id} is deleted for good.", "success")
    return redirect_to(url_for("admin.trash"))


# ------------------------------------------------------------------------------------------------------------- mail

OUTCOME_LABELS = {"new_ticket": "New ticket", "threaded": "Threaded", "duplicate": "Duplicate", "ignored": "Ignored",
                  "rejected": "Rejected", "error": "Error"}


@bp.route("/mail")
def inbound_mail():
    """Every message that reached the desk by e-mail and what became of it; failed ones can be tried again."""
    outcome = request.args.get("outcome") or None
    if outcome not in INBOUND_OUTCOMES:
        outcome = None
    page = inbound.list_entries(current_user, outcome, cursor=request.args.get("cursor") or None)
    warnings = {}
    if not is_htmx():  # a filter swap replaces the list and its tabs alone: the warnings above stay as they are
        warnings = dict(failures=failures.recent(current_user), failed_mail=mail.failed_mail(current_user))
    return render("admin/mail.html", fragment="admin/_mail_list.html", page=page, outcome=outcome,
                  counts=inbound.outcome_counts(current_user), labels=OUTCOME_LABELS, action_form=ActionForm(),
                  **warnings)


@bp.route("/mail/<int:entry_id>/retry", methods=["POST"])
def retry_mail(entry_id):
    """Run a message that ended in an error through the desk again."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            entry = inbound.retry(current_user, entry_id)
        except Conflict as error:
            flash(error.message, "error")
        else:
            kind = "success" if entry.outcome != "error" else "error"
            flash(f"Tried again: {OUTCOME_LABELS[entry.outcome].lower()}. {entry.reason}", kind)
    return redirect_to(_back(url_for("admin.inbound_mail")))


@bp.route("/mail/outgoing/<int:mail_id>/send", methods=["POST"])
def send_mail_again(mail_id):
    """Give a message that could not be delivered a fresh set of tries."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            mail.send_again(current_user, mail_id)
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash("The message is queued again.", "success")
    return redirect_to(url_for("admin.inbound_mail"))
