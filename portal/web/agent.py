"""The agent portal: the queue, the ticket workspace, tickets opened for customers, and customers."""
import re
import secrets
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..extensions import limiter, login_manager
from ..forms import ActionForm, category_choices, show_errors
from ..htmx import is_htmx, redirect_to, render
from ..models import PRIORITIES, STATUSES
from ..services import attachments, customers, organizations, presence, queue, tickets
from ..services import saved_views
from ..services import merge
from ..services import macros
from .macros import workspace_picker
from .category_fields import Answers
from ..services.attachments import PayloadTooLarge
from ..services.errors import Conflict, NewerMessages, ValidationError
from ..services.permissions import require_staff
from ..templating import status_label

bp = Blueprint("agent", __name__, url_prefix="/agent")

PAGE_SIZE = 25
QUEUE_KEYS = ("view", "status", "priority", "assignee", "category", "tag", "organization", "q", "sort", "dir")


@bp.before_request
def _staff_only():
    """Every page here is for support staff: guests sign in first, customers get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_staff(current_user)


# ------------------------------------------------------------------------------------------------------------ forms


def _choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


class ComposerForm(FlaskForm):
    kind = RadioField("Write", choices=_choices([("reply", "Reply to customer"), ("note", "Internal note")]),
                      default="reply", validate_choice=False)
    body = TextAreaField("Message", render_kw={"rows": 6, "required": True})
    # The newest message the agent had in front of them: a reply is held if others wrote publicly since.
    after_message_id = HiddenField()
    # The macro the composer was filled from: a tick box (see _macro_chosen.html), not hidden, so it can be dropped.
    macro_id = StringField()


class PropertiesForm(FlaskForm):
    status = SelectField("Status", choices=_choices((s, status_label(s)) for s in STATUSES), validate_choice=False)
    priority = SelectField("Priority", choices=_choices((p, p.capitalize()) for p in PRIORITIES),
                           validate_choice=False)
    category = SelectField("Category", choices=[], validate_choice=False)
    assignee_id = SelectField("Assignee", choices=[], validate_choice=False)
    tags = StringField("Tags", render_kw={"list": "tag-names", "autocomplete": "off", "placeholder": "vip, refund"})
    cc = TextAreaField("CC", description="Public replies go to these addresses too; notes never do.",
                       render_kw={"rows": 2, "autocomplete": "off", "placeholder": "name@example.com"})
    locked = BooleanField("Locked: the customer can no longer reply or reopen")


class NewTicketForm(FlaskForm):
    customer_email = EmailField("Customer e-mail", render_kw={"required": True, "maxlength": 128,
                                                              "autocomplete": "off"})
    customer_name = StringField("Customer name", description="Used when this address is new to us.",
                                render_kw={"maxlength": 120, "autocomplete": "off"})
    subject = StringField("Subject", render_kw={"required": True, "maxlength": 250, "autocomplete": "off"})
    description = TextAreaField("First message", description="What the customer asked, in Markdown.",
                                render_kw={"required": True, "rows": 7})
    category = SelectField("Category", choices=[], validate_choice=False)
    priority = SelectField("Priority", choices=_choices((p, p.capitalize()) for p in PRIORITIES), default="normal",
                           validate_choice=False)
    channel = SelectField("Received by", choices=_choices([("email", "E-mail"), ("portal", "Portal, phone or chat")]),
                          default="email", validate_choice=False)
    assignee_id = SelectField("Assignee", choices=[], validate_choice=False)
    submission_key = HiddenField()


class CustomerForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": 120})
    phone = StringField("Phone", render_kw={"maxlength": 20, "autocomplete": "off"})
    company = StringField("Company", render_kw={"maxlength": 120, "autocomplete": "off"})


# ------------------------------------------------------------------------------------------------------------ queue


def _queue_args(source):
    """The queue state (view, filters, sort) from a query string or form, without empty values."""
    args = MultiDict()
    for key in QUEUE_KEYS:
        for value in source.getlist(key):
            value = value.strip()
            if value:
                args.add(key, value[:200])
    return args


def _queue_page(args, notice=None, errors=None, status=200, save_form=None):
    """The queue for `args`: the whole page; for htmx after a change, the table with the side bar out of band; for an
    htmx filter change or page link, only the table (its counts and views do not change with the filters)."""
    table_only = is_htmx() and request.method == "GET"
    errors = dict(errors or {})
    view_key, page, sort = args.get("view") or queue.DEFAULT_VIEW, None, ("updated", "desc")
    try:
        view_key, flt = queue.filter_from_args(current_user, args)
        sort = queue.sort_of(flt)
        page = queue.list_queue(current_user, flt, cursor=request.args.get("cursor") or None, limit=PAGE_SIZE)
    except ValidationError as error:
        errors.update(error.errors)
        status = 422
    context = dict(
        status=status,
        page=page,
        args=args,
        link_args=args.to_dict(flat=False),
        queue_query=urlencode(list(args.items(multi=True))),
        sort=sort,
        statuses=STATUSES,
        priorities=PRIORITIES,
        notice=notice,
        errors=errors,
        form=ActionForm(),
    )
    if table_only:
        # The bulk bar offers agents and tags only above a table with rows.
        return render("agent/queue/index.html", fragment="agent/queue/_results.html", table_only=True,
                      current_view=queue.view_named(current_user, view_key),
                      options=queue.bulk_options(current_user) if page is not None and page.items else None,
                      **context)
    options = queue.filter_options(current_user)
    views = queue.views(current_user, categories=options.categories)
    return render(
        "agent/queue/index.html",
        fragment="agent/queue/_fragment.html",
        views=views,
        current_view=next((v for v in views if v.key == view_key), views[0]),
        options=options,
        my_views=saved_views.sidebar(current_user, flt if page is not None else None),
        save_form=save_form or SaveViewForm(),
        **context,
    )


@bp.route("", endpoint="queue")
def queue_index():
    """The queue: views with live counts, filters, sort and pages; htmx swaps only the table and the counts."""
    return _queue_page(_queue_args(request.args))


@bp.route("/bulk", methods=["POST"])
def bulk():
    """Apply one set of changes to the selected tickets; the queue comes back as it was filtered."""
    form = ActionForm()
    args = _queue_args(MultiDict(parse_qsl(request.form.get("queue", ""))))
    if not form.validate_on_submit():
        return _queue_page(args, errors={"action": "This form has expired; reload the page."}, status=400)
    try:
        changed = queue.bulk_update(
            current_user,
            request.form.getlist("ticket_ids"),
            assignee_id=request.form.get("assignee_id"),
            status=request.form.get("status"),
            priority=request.form.get("priority"),
            add_tag=request.form.get("add_tag"),
        )
    except ValidationError as error:
        return _queue_page(args, errors=error.errors, status=422)
    notice = f"{changed} ticket{'' if changed == 1 else 's'} updated."
    if not is_htmx():
        flash(notice, "success")
        return redirect(url_for("agent.queue", **args.to_dict(flat=False)), code=303)
    return _queue_page(args, notice=notice)


# ------------------------------------------------------------------------------------------------------ saved views


class SaveViewForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": saved_views.NAME_MAX, "autocomplete": "off",
                                          "placeholder": "e.g. Urgent billing"})
    queue = HiddenField()


def _args_from_form():
    return _queue_args(MultiDict(parse_qsl(request.form.get("queue", ""))))


def _back_to_queue(args, notice):
    """After a side-bar change: the queue as it was filtered (a redirect without htmx, the table and side bar with)."""
    if not is_htmx():
        flash(notice, "success")
        return redirect(url_for("agent.queue", **args.to_dict(flat=False)), code=303)
    return _queue_page(args, notice=notice)


@bp.route("/views", methods=["POST"])
def save_view():
    """Save the queue's current filters as a named view: it joins "My views" with its live count."""
    form = SaveViewForm()
    args = _args_from_form()
    if not form.validate_on_submit():
        form.name.errors = ["This form has expired; reload the page."]
        return _queue_page(args, save_form=form, status=400)
    try:
        view = saved_views.create_from_queue(current_user, form.name.data, args)
    except ValidationError as error:
        form.name.errors = [error.errors.pop("name")] if "name" in error.errors else []
        form.name.errors += list(error.errors.values())
        return _queue_page(args, save_form=form, status=422)
    return _back_to_queue(args, f"View “{view.name}” saved.")


@bp.route("/views/<int:view_id>/delete", methods=["POST"])
def delete_view(view_id):
    """Delete one of my views; the queue stays as it was filtered. :raises NotFound: for another agent's view."""
    form = ActionForm()
    args = _args_from_form()
    if not form.validate_on_submit():
        return _queue_page(args, errors={"action": "This form has expired; reload the page."}, status=400)
    saved_views.delete_view(current_user, view_id)
    return _back_to_queue(args, "View deleted.")


# -------------------------------------------------------------------------------------------------------- workspace


def _properties_form(ticket, options, formdata=None):
    """The side panel's form; the ticket's own category and assignee stay choosable even when inactive."""
    form = PropertiesForm(formdata=formdata)
    categories = list(options.categories)
    if ticket.category is not None and ticket.category.id not in {c.id for c in categories}:
        categories.append(ticket.category)
    form.category.choices = category_choices(categories, "No category")
    agents = list(options.agents)
    if ticket.assignee is not None and ticket.assignee.id not in {a.id for a in agents}:
        agents.append(ticket.assignee)
    form.assignee_id.choices = [SelectChoice("", "Unassigned")] + [SelectChoice(str(a.id), a.name) for a in agents]
    if formdata is None:
        form.status.data = ticket.status
        form.priority.data = ticket.priority
        form.category.data = ticket.category.slug if ticket.category else ""
        form.assignee_id.data = str(ticket.assignee.id) if ticket.assignee else ""
        form.tags.data = ", ".join(t.name for t in ticket.tag_list)
        form.cc.data = ", ".join(ticket.cc_list)
        form.locked.data = ticket.locked
    return form


def _workspace(ticket_id, fragment=None, composer=None, properties=None, status=200, held=None, answers=None):
    """The ticket workspace, or for htmx the given fragment with the other parts out of band.

    `held` lists the messages that made the service hold a reply: the composer shows them with "Send anyway".
    """
    ticket = tickets.get_ticket(current_user, ticket_id)
    options = queue.filter_options(current_user)
    others = tickets.list_tickets(current_user, tickets.TicketFilter(customer_id=ticket.customer.id), limit=8)
    # First message + latest 50; `?before=ID` (the no-JavaScript "Show earlier") pages back from a message.
    thread = tickets.thread_window(current_user, ticket, before=request.args.get("before") or None
                                   if request.method == "GET" else None)
    composer = composer or ComposerForm(formdata=None)
    newest = str(thread.newest_id)
    if held or not composer.after_message_id.data:
        # A fresh composer, or a held one whose news the agent now sees: it covers the thread as shown.
        composer.after_message_id.data = newest
    return render(
        "agent/ticket/show.html",
        fragment=fragment,
        status=status,
        ticket=ticket,
        thread=thread,
        held=held,
        history=tickets.history(current_user, ticket),
        others=[t for t in others.items if t.id != ticket.id][:7],
        others_total=others.total - 1,
        options=options,
        composer=composer,
        macro_picker=workspace_picker(current_user, ticket, composer),
        properties=properties or _properties_form(ticket, options),
        answers=answers or Answers(current_user, ticket),
        action_form=ActionForm(),
    )


@bp.route("/tickets/<int:ticket_id>")
def show(ticket_id):
    """The ticket workspace: thread, composer, editable fields, history and the customer's other tickets.

    `?macro=ID` fills the composer from a macro (for htmx, only the composer comes back).
    """
    return _workspace(ticket_id, "agent/ticket/_composer.html" if request.args.get("macro") else None)


@bp.route("/tickets/<int:ticket_id>/messages")
def thread_messages(ticket_id):
    """The thread's entries for htmx: with `?before=ID` the 50 before that message and a new "Show earlier"
    control; without it, the thread as the workspace shows it. Plain requests get the workspace at that place."""
    if not is_htmx():
        return redirect(url_for("agent.show", ticket_id=ticket_id, **_before_arg()), code=303)
    ticket = tickets.get_ticket(current_user, ticket_id)
    before = request.args.get("before") or None
    if before is None:
        thread = tickets.thread_window(current_user, ticket)
    else:
        thread = tickets.earlier_messages(current_user, ticket, before)
    return render("agent/ticket/_messages.html", ticket=ticket, thread=thread)


def _before_arg():
    before = request.args.get("before", "")
    return {"before": before} if before.isdigit() else {}


@bp.route("/tickets/<int:ticket_id>/reply", methods=["POST"])
@limiter.limit("60 per minute")
def reply(ticket_id):
    """Send a reply or an internal note, with attachments and optionally a new status, in one step."""
    form = ComposerForm()
    fragment = "agent/ticket/_after_reply.html"
    if not form.validate_on_submit():
        return _workspace(ticket_id, fragment, composer=form, status=422)
    internal = form.kind.data == "note"
    try:
        attachment_ids = attachments.upload_many(current_user, request.files.getlist("files"))
    except PayloadTooLarge as error:
        form.file_error = error.message
        return _workspace(ticket_id, fragment, composer=form, status=422)
    except ValidationError as error:
        form.file_error = " ".join(error.errors.values())
        return _workspace(ticket_id, fragment, composer=form, status=422)
    # Files kept from a held reply come back as ids, so "Send anyway" needs no second upload.
    attachment_ids += attachments.kept_uploads(current_user, request.form.getlist("kept_attachment_ids"))
    sending = dict(internal=internal, status=None if internal else (request.form.get("status") or None),
                   attachment_ids=attachment_ids, after_message_id=form.after_message_id.data or None)
    try:
        if form.macro_id.data:
            macros.reply_with_macro(current_user, ticket_id, form.macro_id.data, form.body.data, **sending)
        else:
            tickets.reply(current_user, ticket_id, form.body.data, **sending)
    except NewerMessages as error:
        form.kept_attachments = attachments.kept_uploads(current_user, attachment_ids, rows=True)
        form.held_status = request.form.get("status") or ""
        return _workspace(ticket_id, fragment, composer=form, status=409, held=error.messages)
    except ValidationError as error:
        attachments.discard(current_user, attachment_ids)
        show_errors(form, error)
        return _workspace(ticket_id, fragment, composer=form, status=422)
    if not is_htmx():
        sent = "Internal note added." if internal else "Reply sent."
        flash(sent if (form.body.data or "").strip() else "Macro applied.", "success")
        return redirect(url_for("agent.show", ticket_id=ticket_id), code=303)
    return _workspace(ticket_id, fragment)


@bp.route("/tickets/<int:ticket_id>/presence", methods=["POST"])
def presence_report(ticket_id):
    """Say I have this ticket open (or am writing on it); answer who else has, and whether the thread moved on."""
    if not is_htmx():
        return redirect(url_for("agent.show", ticket_id=ticket_id), code=303)
    form = ActionForm()
    if not form.validate_on_submit():
        return render("agent/ticket/_presence.html", colleagues=[], newer=0, ticket_id=ticket_id, expired=True)
    state = "replying" if request.form.get("state") == "replying" else "viewing"
    colleagues = presence.report(current_user, ticket_id, state)
    newer = presence.newer_public_count(current_user, ticket_id, request.form.get("after_message_id"))
    return render("agent/ticket/_presence.html", colleagues=colleagues, ticket_id=ticket_id, newer=newer)


@bp.route("/tickets/<int:ticket_id>/presence/leave", methods=["POST"])
def presence_leave(ticket_id):
    """Forget me on this ticket now (the workspace tab closed or moved on); answers 204."""
    if ActionForm().validate_on_submit():
        presence.leave(current_user, ticket_id)
    return "", 204


def _parse_tags(text):
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _parse_addresses(text):
    return [a for a in re.split(r"[\s,;]+", text or "") if a]


@bp.route("/tickets/<int:ticket_id>/properties", methods=["POST"])
def update(ticket_id):
    """Change status, priority, category, assignee, tags, CC or locked; only the fields that differ are sent on."""
    ticket = tickets.get_ticket(current_user, ticket_id)
    options = queue.filter_options(current_user)
    form = _properties_form(ticket, options, formdata=request.form)
    fragment = "agent/ticket/_after_update.html"
    if not form.validate_on_submit():
        return _workspace(ticket_id, fragment, properties=form, status=422)
    changes = {}
    if form.status.data and form.status.data != ticket.status:
        changes["status"] = form.status.data
    if form.priority.data and form.priority.data != ticket.priority:
        changes["priority"] = form.priority.data
    if (form.category.data or "") != (ticket.category.slug if ticket.category else ""):
        changes["category"] = form.category.data or None
    if (form.assignee_id.data or "") != (str(ticket.assignee.id) if ticket.assignee else ""):
        changes["assignee_id"] = form.assignee_id.data or None
    tags = _parse_tags(form.tags.data)
    if sorted(t.lower() for t in tags) != sorted(t.name.lower() for t in ticket.tag_list):
        changes["tags"] = tags
    cc = _parse_addresses(form.cc.data)
    if [a.lower() for a in cc] != ticket.cc_list:
        changes["cc"] = cc
    if bool(form.locked.data) != ticket.locked:
        changes["locked"] = bool(form.locked.data)
    if changes:
        try:
            tickets.update_ticket(current_user, ticket_id, **changes)
        except ValidationError as error:
            show_errors(form, error)
            return _workspace(ticket_id, fragment, properties=form, status=422)
    if not is_htmx():
        if changes:
            flash("Ticket updated.", "success")
        return redirect(url_for("agent.show", ticket_id=ticket_id), code=303)
    return _workspace(ticket_id, fragment)


@bp.route("/tickets/<int:ticket_id>/take", methods=["POST"])
def take(ticket_id):
    """Assign the ticket to me in one click."""
    form = ActionForm()
    if form.validate_on_submit():
        tickets.update_ticket(current_user, ticket_id, assignee_id=current_user.id)
    if not is_htmx():
        return redirect(url_for("agent.show", ticket_id=ticket_id), code=303)
    return _workspace(ticket_id, "agent/ticket/_after_update.html")


@bp.route("/tickets/<int:ticket_id>/delete", methods=["POST"])
def delete(ticket_id):
    """Move the ticket to the trash (admins); back to the queue."""
    form = ActionForm()
    if form.validate_on_submit():
        tickets.delete_ticket(current_user, ticket_id)
        flash(f"Ticket #{ticket_id} is in the trash. An admin can restore it from there.", "success")
        return redirect_to(url_for("agent.queue"))
    return redirect_to(url_for("agent.show", ticket_id=ticket_id))


@bp.route("/tickets/new", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def new_ticket():
    """Open a ticket on behalf of a customer by e-mail, creating the customer when new."""
    form = NewTicketForm()
    options = queue.filter_options(current_user)
    form.category.choices = category_choices(options.categories, "No category")
    form.assignee_id.choices = [SelectChoice("", "Unassigned")] + [
        SelectChoice(str(a.id), a.name) for a in options.agents
    ]
    if request.method == "GET":
        form.customer_email.data = request.args.get("email", "")
        form.customer_name.data = request.args.get("name", "")
        form.assignee_id.data = str(current_user.id)
        form.submission_key.data = secrets.token_urlsafe(16)
    if form.validate_on_submit():
        try:
            ticket = customers.open_ticket_for(
                current_user,
                customer_email=form.customer_email.data,
                customer_name=form.customer_name.data,
                subject=form.subject.data,
                description=form.description.data,
                category=form.category.data or None,
                priority=form.priority.data,
                channel=form.channel.data,
                assignee_id=form.assignee_id.data or None,
                submission_key=form.submission_key.data or None,
            )
        except ValidationError as error:
            show_errors(form, error)
            return render("agent/ticket/new.html", form=form, status=422)
        flash(f"Ticket #{ticket.id} is open for {ticket.customer.email}.", "success")
        return redirect_to(url_for("agent.show", ticket_id=ticket.id))
    return render("agent/ticket/new.html", form=form, status=422 if form.is_submitted() else 200)


# ------------------------------------------------------------------------------------------------------------ merge


class MergeForm(FlaskForm):
    into_id = StringField("Ticket number", render_kw={"required": True, "autocomplete": "off", "inputmode": "numeric"})


def _merge_page(ticket_id, q="", into=None, form=None, status=200):
    """Choosing the ticket to merge into (candidates for `q`), or with `into` the confirmation of what will happen;
    a merge the service refuses shows its reason beside the field."""
    ticket = tickets.get_ticket(current_user, ticket_id)
    form = form or MergeForm(formdata=None)
    plan = None
    if into is not None:
        form.into_id.data = str(into)
        try:
            plan = merge.preview(current_user, ticket_id, into)
        except ValidationError as error:
            form.into_id.errors = list(error.errors.values())
            status = 422
        except Conflict as error:
            form.into_id.errors = [error.message]
            status = 409
    found = [] if plan else merge.candidates(current_user, ticket_id, q)
    return render("agent/ticket/merge.html", fragment="agent/ticket/_merge_candidates.html", status=status,
                  ticket=ticket, q=q, candidates=found, plan=plan, form=form)


@bp.route("/tickets/<int:ticket_id>/merge")
def merge_choose(ticket_id):
    """Find the ticket to merge into by number or words (htmx swaps only the candidates); `into` asks to confirm."""
    q = request.args.get("q", "").strip()[:200]
    into = request.args.get("into", "").strip() or (None if is_htmx() else merge.ticket_number(q))
    return _merge_page(ticket_id, q=q, into=into)


@bp.route("/tickets/<int:ticket_id>/merge", methods=["POST"])
def merge_tickets(ticket_id):
    """Merge the ticket into the confirmed one; the target's workspace opens with both threads."""
    form = MergeForm()
    if not form.validate_on_submit():
        form.into_id.errors = ["This form has expired; please confirm again."]
        return _merge_page(ticket_id, into=form.into_id.data or None, form=form, status=400)
    try:
        target = merge.merge_tickets(current_user, ticket_id, form.into_id.data)
    except ValidationError as error:
        form.into_id.errors = list(error.errors.values())
        return _merge_page(ticket_id, form=form, status=422)
    except Conflict as error:
        form.into_id.errors = [error.message]
        return _merge_page(ticket_id, form=form, status=409)
    flash(f"Ticket #{ticket_id} is merged into #{target.id}: its messages are here now.", "success")
    return redirect_to(url_for("agent.show", ticket_id=target.id))


# -------------------------------------------------------------------------------------------------------- customers


@bp.route("/customers")
def customer_list():
    """Customers found by name, e-mail or company, with their ticket counts; htmx swaps only the list."""
    q = request.args.get("q", "").strip()[:120]
    page = customers.search_customers(current_user, q, cursor=request.args.get("cursor") or None)
    return render("agent/customers/index.html", fragment="agent/customers/_list.html", page=page, q=q)


def _customer_page(customer_id, form=None, status=200):
    """A customer's page, or for an htmx save only the details card."""
    customer = customers.get_customer(current_user, customer_id)
    if form is None:
        form = CustomerForm(formdata=None, obj=customer)
    page = tickets.list_tickets(current_user, tickets.TicketFilter(customer_id=customer.id),
                                cursor=request.args.get("cursor") or None, limit=PAGE_SIZE)
    return render(
        "agent/customers/show.html",
        fragment="agent/customers/_details.html" if request.method == "POST" else None,
        status=status,
        customer=customer,
        counts=customers.ticket_counts(current_user, customer),
        organization_choices=organizations.all_organizations(current_user),
        page=page,
        form=form,
        statuses=STATUSES,
    )


@bp.route("/customers/<int:customer_id>")
def customer(customer_id):
    """A customer's details and tickets, with counts per status."""
    return _customer_page(customer_id)


@bp.route("/customers/<int:customer_id>", methods=["POST"])
def update_customer(customer_id):
    """Save a customer's name, phone and company; errors beside the fields."""
    form = CustomerForm()
    if not form.validate_on_submit():
        return _customer_page(customer_id, form, 422)
    try:
        customers.update_customer(current_user, customer_id, form.name.data, form.phone.data, form.company.data)
    except ValidationError as error:
        show_errors(form, error)
        return _customer_page(customer_id, form, 422)
    if not is_htmx():
        flash("Customer saved.", "success")
        return redirect(url_for("agent.customer", customer_id=customer_id), code=303)
    form.saved = True
    return _customer_page(customer_id, form)
