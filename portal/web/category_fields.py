"""Intake fields on the HTML faces: the questions partial of the contact and new-ticket forms, the admins' page of a
category's questions, and the agents' answers form in the ticket workspace."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from ..extensions import login_manager
from ..forms import ActionForm
from ..htmx import is_htmx, redirect_to, render
from ..models import FIELD_TYPES
from ..services import intake_fields
from ..services.errors import ValidationError
from ..services.permissions import require_staff

bp = Blueprint("intake", __name__)  # the public partial
staff_bp = Blueprint("category_fields", __name__)  # admins' and agents' pages

SHOW_BUTTON = "show_questions"


class Questions:
    """The questions of the category chosen on an intake form, with the answers typed and their errors.

    Intake forms are the customers' forms: they show what customers may answer, whoever looks.
    """

    def __init__(self, slug, formdata=None):
        self.category, self.fields = intake_fields.questions(None, slug)
        self.values = intake_fields.form_values(formdata, self.fields) if formdata is not None else {}
        self.errors = {}

    @property
    def answers(self):
        """What the services get: {key: answer} for every question shown."""
        return dict(self.values)

    @staticmethod
    def only_showing():
        """The no-JavaScript "Show questions for this category" button: re-render the form, file nothing."""
        return request.method == "POST" and SHOW_BUTTON in request.form

    def take_errors(self, error):
        """Keep the `fields.<key>` messages for the questions; the rest go back as a ValidationError for the form."""
        rest = {}
        for name, message in error.errors.items():
            if name.startswith("fields.") and name[len("fields."):] in {f.key for f in self.fields}:
                self.errors[name[len("fields."):]] = message
            else:
                rest[name] = message
        return ValidationError(rest)


@bp.route("/contact/fields")
def questions():
    """The questions of the category in `?category=`, as the partial the intake forms swap in when it changes."""
    return render("shared/_intake_fields.html", questions=Questions(request.args.get("category", "")))


# ------------------------------------------------------------------------------------------------------------ staff


@staff_bp.before_request
def _staff_only():
    """Guests sign in first; customers get 403. The admin pages check for an admin in the service."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_staff(current_user)


def _definition(form):
    return dict(label=form.get("label", ""), type=form.get("type", "text"), options=form.get("options", ""),
                required=form.get("required") == "1", visible_to_customer=form.get("visible_to_customer") == "1",
                position=form.get("position") or None)


def _fields_page(slug, new=None, new_errors=None, edit_errors=None, status=200):
    intake_fields.require_admin(current_user)
    category = intake_fields.category_by_slug(slug)
    fields = intake_fields.list_fields(current_user, slug)
    return render("admin/category_fields.html", category=category, fields=fields, field_types=FIELD_TYPES,
                  type_labels=intake_fields.TYPE_LABELS, new=new or {"type": "text", "visible_to_customer": True},
                  new_errors=new_errors or {}, edit_errors=edit_errors or {}, action_form=ActionForm(),
                  status=status)


@staff_bp.route("/admin/categories/<slug>/fields")
def fields(slug):
    """A category's questions, each editable, and a form to add one (admins)."""
    return _fields_page(slug)


@staff_bp.route("/admin/categories/<slug>/fields", methods=["POST"])
def create_field(slug):
    """Add a question to a category (admins)."""
    intake_fields.require_admin(current_user)
    values = dict(_definition(request.form), key=request.form.get("key", "").strip())
    if not ActionForm().validate_on_submit():
        return _fields_page(slug, values, {"key": "This form has expired; send it again."}, status=400)
    try:
        field = intake_fields.create_field(current_user, slug, **values)
    except ValidationError as error:
        return _fields_page(slug, values, error.errors, status=422)
    flash(f"Question “{field.label}” added.", "success")
    return redirect_to(url_for("category_fields.fields", slug=slug))


@staff_bp.route("/admin/categories/<slug>/fields/<key>", methods=["POST"])
def update_field(slug, key):
    """Change a question's label, type, options, required, visibility or position (admins)."""
    intake_fields.require_admin(current_user)
    if ActionForm().validate_on_submit():
        try:
            intake_fields.update_field(current_user, slug, key, **_definition(request.form))
        except ValidationError as error:
            return _fields_page(slug, edit_errors={key: error.errors}, status=422)
        flash("Question saved.", "success")
    return redirect_to(url_for("category_fields.fields", slug=slug))


@staff_bp.route("/admin/categories/<slug>/fields/<key>/delete", methods=["POST"])
def delete_field(slug, key):
    """Remove a question (admins); answers already given stop showing."""
    intake_fields.require_admin(current_user)
    if ActionForm().validate_on_submit():
        intake_fields.delete_field(current_user, slug, key)
        flash("Question removed.", "success")
    return redirect_to(url_for("category_fields.fields", slug=slug))


class Answers:
    """The workspace's answers card: the ticket's questions (all of them, for staff) with the answers, or with what
    the agent typed and the errors beside it."""

    def __init__(self, actor, ticket, values=None, errors=None):
        self.ticket = ticket
        self.rows = intake_fields.visible_values(actor, ticket)
        self.values = values if values is not None else {f.key: v for f, v in self.rows}
        self.errors = errors or {}


def _changed(values, stored):
    """The answers that differ from the stored ones (an untouched empty required question must not block others)."""
    changed = {}
    for key, value in values.items():
        old = stored.get(key)
        if isinstance(value, bool):
            if value != bool(old):
                changed[key] = value
        elif value.strip() != ("" if old is None else str(old)):
            changed[key] = value
    return changed


@staff_bp.route("/agent/tickets/<int:ticket_id>/fields", methods=["POST"])
def update_answers(ticket_id):
    """Agents change a ticket's answers from the workspace side bar; each change goes in the history."""
    from . import agent  # the workspace is agent.py's; this view only translates the form
    from ..services import tickets

    fragment = "agent/ticket/_after_answers.html"
    ticket = tickets.get_ticket(current_user, ticket_id)
    values = intake_fields.form_values(request.form, intake_fields.fields_for(current_user, ticket.category))
    changed = _changed(values, intake_fields.stored_values(ticket))
    errors = {}
    if not ActionForm().validate_on_submit():
        errors = {"": "This form has expired; send it again."}
    elif changed:
        try:
            intake_fields.set_fields(current_user, ticket_id, changed)
        except ValidationError as error:
            errors = {name.removeprefix("fields."): message for name, message in error.errors.items()}
    if errors:
        return agent._workspace(ticket_id, fragment, answers=Answers(current_user, ticket, values, errors), status=422)
    if not is_htmx():
        if changed:
            flash("Answers saved.", "success")
        return redirect(url_for("agent.show", ticket_id=ticket_id), code=303)
    return agent._workspace(ticket_id, fragment)
