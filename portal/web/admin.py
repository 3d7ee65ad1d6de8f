"""Administration: users and roles, categories, tags, SLA policies, the trash, the inbound mail log and webhooks.
Admins only."""
import json
import re
from functools import lru_cache
from zoneinfo import available_timezones

from flask import Blueprint, flash, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice

from .auth import safe_next
from ..extensions import login_manager
from ..forms import ActionForm, show_errors
from ..htmx import is_htmx, redirect_to, render
from ..models import INBOUND_OUTCOMES, PRIORITIES, ROLES, WEBHOOK_EVENTS
from ..services import admin, business_hours, failures, inbound, mail, privacy, sla_policies, tickets
from ..services import webhooks as webhook_service
from ..services.webhooks import DELIVERY_STATUSES
from ..services.errors import Conflict, ValidationError
from ..services.permissions import require_admin

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
        privacy.purge_from_trash(current_user, ticket_id)
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


# ----------------------------------------------------------------------------------------------------- SLA policies

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
OPENING = ("09:00", "17:00")
_SHORT_CLOCK = re.compile(r"(\d):(\d\d)")


@lru_cache(maxsize=1)
def _timezone_names():
    """The zones to suggest: Region/City names and UTC (the old aliases still work when typed)."""
    return ["UTC"] + sorted(name for name in available_timezones() if "/" in name)


def _policy_values(policy, policies):
    """What the policy form shows for `policy`, or the defaults of a new one (24/7, Mon-Fri 09:00-17:00 ready)."""
    hours = sla_policies.hours_of(policy) if policy is not None else None
    days = (hours or {}).get("days", {})
    week = {}
    for day in business_hours.DAYS:
        opens, closes = days.get(day) or OPENING
        # A time input cannot show 24:00; midnight at the end of the day is typed and shown as 00:00.
        week[day] = {"on": day in days if hours else day in WORKDAYS, "open": opens,
                     "close": "00:00" if closes == "24:00" else closes}
    return {
        "name": policy.name if policy is not None else "",
        "priorities": sla_policies.priorities_of(policy) if policy is not None else [],
        "categories": sla_policies.categories_of(policy) if policy is not None else [],
        "first_response_minutes": str(policy.first_response_minutes or "") if policy is not None else "",
        "resolution_minutes": str(policy.resolution_minutes or "") if policy is not None else "",
        "hours": "business" if hours else "always",
        "timezone": hours["timezone"] if hours else sla_policies.default_timezone(policies),
        "week": week,
        # Its place among the others (the list is in match order), or last for a new one.
        "position": str([p.id for p in policies].index(policy.id) if policy is not None else len(policies)),
    }


def _submitted_values():
    """The policy form as posted, kept as typed so a refused form comes back exactly so."""
    form = request.form
    ticked = set(form.getlist("days"))
    return {
        "name": form.get("name", ""),
        "priorities": form.getlist("priorities"),
        "categories": form.getlist("categories"),
        "first_response_minutes": form.get("first_response_minutes", "").strip(),
        "resolution_minutes": form.get("resolution_minutes", "").strip(),
        "hours": "business" if form.get("hours") == "business" else "always",
        "timezone": form.get("timezone", "").strip(),
        "week": {day: {"on": day in ticked, "open": form.get(f"open_{day}", "").strip(),
                       "close": form.get(f"close_{day}", "").strip()} for day in business_hours.DAYS},
        "position": form.get("position", "").strip(),
    }


def _clock(text, closing=False):
    """A time input's value as HH:MM ("9:00" and "09:00:00" too); a closing time of 00:00 is midnight, 24:00."""
    text = text[:5] if len(text) == 8 and text[5:6] == ":" else text
    if _SHORT_CLOCK.fullmatch(text):
        text = "0" + text
    return "24:00" if closing and text == "00:00" else text


def _policy_fields(values):
    """The service's arguments from the form's values."""
    hours = None
    if values["hours"] == "business":
        hours = {"timezone": values["timezone"],
                 "days": {day: [_clock(w["open"]), _clock(w["close"], closing=True)]
                          for day, w in values["week"].items() if w["on"]}}
    return dict(name=values["name"], priorities=values["priorities"], categories=values["categories"],
                first_response_minutes=values["first_response_minutes"] or None,
                resolution_minutes=values["resolution_minutes"] or None, business_hours=hours,
                position=values["position"] or None)


def _sla_list_page(moved=None):
    return render("admin/sla_policies.html", fragment="admin/_sla_policies_list.html",
                  policies=sla_policies.list_policies(current_user), moved=moved,
                  category_names={c.slug: c.name for c in sla_policies.category_options(current_user)},
                  action_form=ActionForm(), describe_minutes=sla_policies.describe_minutes,
                  describe_hours=business_hours.describe, hours_of=sla_policies.hours_of,
                  priorities_of=sla_policies.priorities_of, categories_of=sla_policies.categories_of)


def _sla_form_page(policy=None, values=None, errors=None, status=200):
    policies = sla_policies.list_policies(current_user)
    values = values or _policy_values(policy, policies)
    others = [p for p in policies if policy is None or p.id != policy.id]
    return render("admin/sla_policy.html", policy=policy, values=values, errors=errors or {}, others=others,
                  priorities=PRIORITIES, categories=sla_policies.category_options(current_user),
                  days=list(zip(business_hours.DAYS, business_hours.DAY_NAMES)), timezones=_timezone_names(),
                  describe_minutes=sla_policies.describe_minutes, action_form=ActionForm(), status=status)


@bp.route("/sla", endpoint="sla_policies")
def sla_policies_list():
    """SLA policies in the order tickets are matched against them, each summed up in a line."""
    return _sla_list_page()


@bp.route("/sla/new")
def sla_policies_new():
    """An empty policy form: 24/7 unless business hours are chosen, placed last unless told otherwise."""
    return _sla_form_page()


@bp.route("/sla", methods=["POST"])
def sla_policies_create():
    """Add a policy; a refused form comes back with the messages beside the fields and everything as typed."""
    values = _submitted_values()
    if ActionForm().validate_on_submit():
        try:
            policy = sla_policies.create_policy(current_user, **_policy_fields(values))
        except ValidationError as error:
            return _sla_form_page(values=values, errors=error.errors, status=422)
        flash(f"SLA policy “{policy.name}” added.", "success")
    return redirect_to(url_for("admin.sla_policies"))


@bp.route("/sla/<int:policy_id>")
def sla_policies_edit(policy_id):
    """One policy's form."""
    policy = sla_policies.get_policy(current_user, policy_id)
    return _sla_form_page(policy)


@bp.route("/sla/<int:policy_id>", methods=["POST"])
def sla_policies_update(policy_id):
    """Save a policy's changes; tickets created or re-prioritised afterwards follow them."""
    policy = sla_policies.get_policy(current_user, policy_id)
    values = _submitted_values()
    if ActionForm().validate_on_submit():
        try:
            policy = sla_policies.update_policy(current_user, policy_id, **_policy_fields(values))
        except ValidationError as error:
            return _sla_form_page(policy, values, error.errors, 422)
        flash(f"SLA policy “{policy.name}” saved.", "success")
    return redirect_to(url_for("admin.sla_policies"))


@bp.route("/sla/<int:policy_id>/move", methods=["POST"])
def sla_policies_move(policy_id):
    """Move a policy one place up or down the match order; htmx gets the list back, a plain form the page."""
    if ActionForm().validate_on_submit():
        try:
            sla_policies.update_policy(current_user, policy_id, position=request.form.get("position", ""))
        except ValidationError as error:
            flash(next(iter(error.errors.values())), "error")
        if is_htmx():
            return _sla_list_page(moved=policy_id)
    return redirect_to(url_for("admin.sla_policies"))


@bp.route("/sla/<int:policy_id>/delete", methods=["POST"])
def sla_policies_delete(policy_id):
    """Delete a policy; the ones after it move up."""
    if ActionForm().validate_on_submit():
        policy = sla_policies.delete_policy(current_user, policy_id)
        flash(f"SLA policy “{policy.name}” deleted.", "success")
    return redirect_to(url_for("admin.sla_policies"))


# --------------------------------------------------------------------------------------------------------- webhooks

NEW_WEBHOOK_SECRET = "new_webhook_secret"
WEBHOOK_EVENT_LABELS = {
    "ticket.created": ("Ticket created", "A ticket is filed: portal, contact form, e-mail or API."),
    "ticket.updated": ("Ticket updated", "Status, priority, assignee, category, tags or CC change."),
    "message.created": ("Message added", "A public reply, or an internal note (sent with \"internal\": true)."),
    "ticket.rated": ("Ticket rated", "A customer answers “How did we do?”."),
}
DELIVERY_LABELS = {"pending": "Pending", "delivered": "Delivered", "failed": "Failed"}


class WebhookForm(FlaskForm):
    url = StringField("Receiver URL", description="Where the desk POSTs each event: a public https:// address.",
                      render_kw={"required": True, "maxlength": 2000, "type": "url", "autocomplete": "off",
                                 "spellcheck": "false", "placeholder": "https://hooks.example.com/desk"})
    description = StringField("Description (optional)", description="What it is for, e.g. “CRM sync”.",
                              render_kw={"maxlength": 200, "autocomplete": "off"})
    events = SelectMultipleField("Events", choices=[SelectChoice(e, e) for e in WEBHOOK_EVENTS], default=list(WEBHOOK_EVENTS),
                                 validate_choice=False)


PAYLOAD_SHOWN = 4000


def _readable_payload(payload):
    """The body as sent, indented for reading, and cut short when long (the log is a page, not an archive)."""
    try:
        text = json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    except ValueError:
        text = payload
    if len(text) > PAYLOAD_SHOWN:
        text = text[:PAYLOAD_SHOWN] + f"\n… ({len(payload):,} characters in all)"
    return text


def _webhooks_page(form=None, status=200):
    page = webhook_service.list_webhooks(current_user, cursor=request.args.get("cursor") or None, limit=100)
    return render("admin/webhooks.html", page=page, form=form or WebhookForm(formdata=None),
                  event_labels=WEBHOOK_EVENT_LABELS, delivery_labels=DELIVERY_LABELS, status=status)


def _webhook_page(webhook_id, form=None, status=200):
    webhook = webhook_service.get_webhook(current_user, webhook_id)
    state = request.args.get("status") or None
    if state not in DELIVERY_STATUSES:
        state = None
    deliveries = webhook_service.list_deliveries(current_user, webhook.id, state,
                                                 cursor=request.args.get("cursor") or None)
    for delivery in deliveries.items:
        delivery.shown_payload = _readable_payload(delivery.payload)
    new_secret = None
    if not is_htmx():  # the secret is shown once, on the page itself, never in a swapped fragment
        kept = session.get(NEW_WEBHOOK_SECRET)
        if kept and kept.get("id") == webhook.id:
            new_secret = session.pop(NEW_WEBHOOK_SECRET)["secret"]
    if form is None:
        form = WebhookForm(formdata=None, data={"url": webhook.url, "description": webhook.description,
                                                "events": webhook.event_list})
    response = render("admin/webhook.html", fragment="admin/_webhook_deliveries.html", webhook=webhook,
                      deliveries=deliveries, state=state, counts=webhook_service.status_counts(current_user, webhook.id),
                      form=form, action_form=ActionForm(), new_secret=new_secret, event_labels=WEBHOOK_EVENT_LABELS,
                      delivery_labels=DELIVERY_LABELS, max_attempts=webhook_service.MAX_ATTEMPTS,
                      disable_after=webhook_service.DISABLE_AFTER, status=status)
    # The page may carry a secret shown once: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/webhooks", endpoint="webhooks")
def webhooks_list():
    """Webhooks with their state and latest delivery; a form to add one."""
    return _webhooks_page()


@bp.route("/webhooks", methods=["POST"])
def webhooks_create():
    """Add a webhook; its page then shows the signing secret, once."""
    form = WebhookForm()
    if not form.validate_on_submit():
        return _webhooks_page(form, 422)
    try:
        webhook, secret = webhook_service.create_webhook(current_user, form.url.data, form.events.data,
                                                         form.description.data)
    except ValidationError as error:
        show_errors(form, error)
        return _webhooks_page(form, 422)
    # Kept in the session only until the page that shows it once is rendered.
    session[NEW_WEBHOOK_SECRET] = {"id": webhook.id, "secret": secret}
    flash("Webhook added. Copy its signing secret now: it is shown only this once.", "success")
    return redirect_to(url_for("admin.webhooks_show", webhook_id=webhook.id))


@bp.route("/webhooks/<int:webhook_id>")
def webhooks_show(webhook_id):
    """One webhook: its settings, why it is off (when it is), and its delivery log with a button to send again.

    :raises NotFound:"""
    return _webhook_page(webhook_id)


@bp.route("/webhooks/<int:webhook_id>", methods=["POST"])
def webhooks_update(webhook_id):
    """Change a webhook's address, events or description. :raises NotFound:"""
    form = WebhookForm()
    if not form.validate_on_submit():
        return _webhook_page(webhook_id, form, 422)
    try:
        webhook_service.update_webhook(current_user, webhook_id, url=form.url.data, events=form.events.data,
                                       description=form.description.data)
    except ValidationError as error:
        show_errors(form, error)
        return _webhook_page(webhook_id, form, 422)
    flash("Webhook saved.", "success")
    return redirect_to(url_for("admin.webhooks_show", webhook_id=webhook_id))


@bp.route("/webhooks/<int:webhook_id>/active", methods=["POST"])
def webhooks_toggle(webhook_id):
    """Turn a webhook off, or on again: that clears its failures and sends the deliveries left waiting.

    :raises NotFound:"""
    if ActionForm().validate_on_submit():
        webhook = webhook_service.set_active(current_user, webhook_id, request.form.get("active") == "1")
        flash("The webhook is on again: waiting deliveries go out now." if webhook.active
              else "The webhook is off: nothing is sent to it until you turn it on.", "success")
    return redirect_to(url_for("admin.webhooks_show", webhook_id=webhook_id))


@bp.route("/webhooks/<int:webhook_id>/delete", methods=["POST"])
def webhooks_delete(webhook_id):
    """Delete a webhook and its delivery log. :raises NotFound:"""
    if ActionForm().validate_on_submit():
        webhook = webhook_service.delete_webhook(current_user, webhook_id)
        flash(f"The webhook to {webhook.url} is deleted, with its delivery log.", "success")
    return redirect_to(url_for("admin.webhooks"))


@bp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry", methods=["POST"])
def webhooks_retry(webhook_id, delivery_id):
    """Send one delivery again now, with a fresh set of tries. :raises NotFound:"""
    if ActionForm().validate_on_submit():
        try:
            delivery = webhook_service.retry_delivery(current_user, webhook_id, delivery_id)
        except Conflict as error:
            flash(error.message, "error")
        else:
            if delivery.status == "delivered":
                flash(f"Delivered again ({delivery.response_code}).", "success")
            elif delivery.attempts and delivery.last_error:
                flash(f"Sent again, and it failed: {delivery.last_error} It is tried again later.", "error")
            else:
                flash("The delivery is queued to be sent again.", "success")
    # Back to the whole log, where the delivery shows in its new state whatever the filter was.
    return redirect_to(url_for("admin.webhooks_show", webhook_id=webhook_id))
