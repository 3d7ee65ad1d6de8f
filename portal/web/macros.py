"""Macros for agents: the pages that list and edit them, and the picker that fills the ticket composer from one."""
from dataclasses import dataclass, field as dc_field
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..extensions import login_manager
from ..forms import ActionForm, show_errors
from ..htmx import is_htmx, redirect_to, render
from ..models import PRIORITIES, STATUSES
from ..services import macros, tickets
from ..services.errors import NotFound, ValidationError
from ..services.permissions import require_staff
from ..templating import status_label

bp = Blueprint("macros", __name__, url_prefix="/agent")

PICKER_SIZE = 8
PLACEHOLDER_HINT = "Placeholders: " + ", ".join("{{ " + p + " }}" for p in macros.PLACEHOLDERS) + "."


@bp.before_request
def _staff_only():
    """Macros are for support staff: guests sign in first, customers get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_staff(current_user)


# ------------------------------------------------------------------------------------------------------------ forms


class MacroForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": macros.NAME_MAX, "autocomplete": "off",
                                          "placeholder": "e.g. Refund issued"})
    body = TextAreaField("Message", description=PLACEHOLDER_HINT + " Leave empty for a macro that only changes "
                         "fields.", render_kw={"rows": 8})
    internal = BooleanField("Post it as an internal note, not a reply")
    status = SelectField("Status", validate_choice=False,
                         choices=[SelectChoice("", "Leave as is")] + [SelectChoice(s, status_label(s))
                                                                      for s in STATUSES])
    priority = SelectField("Priority", validate_choice=False,
                           choices=[SelectChoice("", "Leave as is")] + [SelectChoice(p, p.capitalize())
                                                                        for p in PRIORITIES])
    assignee_id = SelectField("Assign to", choices=[], validate_choice=False)
    add_tags = StringField("Add tags", description="Comma-separated; the ticket keeps its own tags.",
                           render_kw={"autocomplete": "off", "placeholder": "refund, vip"})
    shared = BooleanField("Shared: every agent can use it")


def _macro_form(macro=None, formdata=None):
    form = MacroForm(formdata=formdata)
    agents = tickets.agents()
    form.assignee_id.choices = [SelectChoice("", "Leave as is")] + [SelectChoice(str(a.id), a.name) for a in agents]
    if formdata is None and macro is not None:
        actions = macros.actions_of(macro)
        form.name.data = macro.name
        form.body.data = macro.body
        form.internal.data = macro.internal
        form.status.data = actions.get("status", "")
        form.priority.data = actions.get("priority", "")
        form.assignee_id.data = str(actions.get("assignee_id", ""))
        form.add_tags.data = ", ".join(actions.get("add_tags", []))
        form.shared.data = macros.is_shared(macro)
    return form


def _actions_from(form):
    return {"status": form.status.data or None, "priority": form.priority.data or None,
            "assignee_id": form.assignee_id.data or None,
            "add_tags": [t.strip() for t in (form.add_tags.data or "").split(",") if t.strip()]}


def _show_errors(form, error):
    """The service's actions.<name> errors go beside the form field of that name."""
    show_errors(form, ValidationError({key.removeprefix("actions."): message
                                       for key, message in error.errors.items()}))


# ------------------------------------------------------------------------------------------------ management pages


def _list_page(status=200):
    rows = macros.list_macros(current_user)
    names = macros.assignee_names(rows)
    return render("agent/macros/index.html", status=status,
                  shared=[m for m in rows if macros.is_shared(m)],
                  personal=[m for m in rows if not macros.is_shared(m)],
                  changes={m.id: macros.describe_actions(m, names) for m in rows},
                  action_form=ActionForm())


def _form_page(form, macro=None, status=200):
    return render("agent/macros/form.html", form=form, macro=macro, status=status, action_form=ActionForm())


@bp.route("/macros")
def index():
    """The shared macros and my own, with what each writes and changes."""
    return _list_page()


@bp.route("/macros/new")
def new():
    """An empty macro form; admins may make it shared."""
    return _form_page(_macro_form())


@bp.route("/macros", methods=["POST"])
def create():
    """Save a new macro; a refused form comes back with the messages beside the fields and everything as typed."""
    form = _macro_form(formdata=request.form)
    if not form.validate_on_submit():
        form.form_errors.append("This form has expired; send it again.")
        return _form_page(form, status=400)
    try:
        macro = macros.create_macro(current_user, form.name.data, form.body.data, form.internal.data,
                                    _actions_from(form), shared=current_user.is_admin and form.shared.data)
    except ValidationError as error:
        _show_errors(form, error)
        return _form_page(form, status=422)
    flash(f"Macro “{macro.name}” saved.", "success")
    return redirect_to(url_for("macros.index"))


@bp.route("/macros/<int:macro_id>")
def edit(macro_id):
    """A macro's form. :raises NotFound: someone else's personal macro. :raises PermissionDenied: agents, shared."""
    macro = macros.get_changeable(current_user, macro_id)
    return _form_page(_macro_form(macro), macro)


@bp.route("/macros/<int:macro_id>", methods=["POST"])
def update(macro_id):
    """Save a macro's changes; errors beside the fields."""
    macro = macros.get_changeable(current_user, macro_id)
    form = _macro_form(macro, formdata=request.form)
    if not form.validate_on_submit():
        form.form_errors.append("This form has expired; send it again.")
        return _form_page(form, macro, status=400)
    try:
        macro = macros.update_macro(current_user, macro_id, name=form.name.data, body=form.body.data,
                                    internal=form.internal.data, actions=_actions_from(form))
    except ValidationError as error:
        _show_errors(form, error)
        return _form_page(form, macro, status=422)
    flash(f"Macro “{macro.name}” saved.", "success")
    return redirect_to(url_for("macros.index"))


@bp.route("/macros/<int:macro_id>/delete", methods=["POST"])
def delete(macro_id):
    """Delete a macro and go back to the list."""
    form = ActionForm()
    if not form.validate_on_submit():
        return _list_page(status=400)
    macro = macros.delete_macro(current_user, macro_id)
    flash(f"Macro “{macro.name}” deleted.", "success")
    return redirect_to(url_for("macros.index"))


# ----------------------------------------------------------------------------------------------- workspace picker


@dataclass
class Chosen:
    """The macro a composer was filled from, and the changes it makes on send."""

    macro: object
    changes: list


@dataclass
class Picker:
    """What the picker above the composer shows."""

    q: str
    items: list
    more: int
    changes: dict = dc_field(default_factory=dict)
    chosen: Chosen | None = None


def _picker(actor, q):
    q = " ".join((q or "").split())[:macros.NAME_MAX]
    rows = macros.list_macros(actor, q)
    shown = rows[:PICKER_SIZE]
    names = macros.assignee_names(shown)
    return Picker(q=q, items=shown, more=len(rows) - len(shown),
                  changes={m.id: macros.describe_actions(m, names) for m in shown})


def workspace_picker(actor, ticket, composer):
    """The workspace's macro picker (narrowed by ?macro_q=), and the composer filled from ?macro=ID when it was not
    posted; a composer sent with a macro_id keeps showing that macro's changes."""
    picker = _picker(actor, request.args.get("macro_q"))
    macro = None
    if request.method == "GET" and request.args.get("macro"):
        macro, body = macros.render_for(actor, request.args["macro"], ticket.id)
        composer.body.data = body
        composer.kind.data = "note" if macro.internal else "reply"
        composer.macro_id.data = str(macro.id)
        if not body:
            # A macro that only changes fields sends with an empty message.
            composer.body.render_kw = {k: v for k, v in (composer.body.render_kw or {}).items() if k != "required"}
    elif composer.macro_id.data:
        try:
            macro = macros.get_macro(actor, composer.macro_id.data)
        except NotFound:
            composer.macro_id.data = ""
    if macro is not None:
        picker.chosen = Chosen(macro, macros.describe_actions(macro))
    return picker


@bp.route("/tickets/<int:ticket_id>/macros")
def picker(ticket_id):
    """The macros matching what was typed, for the picker above the composer; without htmx, the workspace itself."""
    ticket = tickets.get_ticket(current_user, ticket_id)
    q = request.args.get("macro_q", "")
    if not is_htmx():
        query = urlencode({"macro_q": q}) if q.strip() else ""
        return redirect(url_for("agent.show", ticket_id=ticket.id) + (f"?{query}" if query else "") + "#macro-picker",
                        code=303)
    return render("agent/ticket/_macro_list.html", ticket=ticket, macro_picker=_picker(current_user, q))
