"""The customer portal: my tickets, a new ticket, one ticket's thread with reply, close and reopen."""
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField

from .category_fields import Questions
from ..extensions import limiter
from ..forms import (
    ActionForm, RatingForm, ReplyForm, TicketForm, category_choices, discard_uploads, show_errors, submit_rating,
    upload_attachments,
)
from ..htmx import is_htmx, redirect_to, render
from ..models import STATUSES
from ..services import assistant, help_center, merge, organizations, ratings, tickets
from ..services.errors import Conflict, ValidationError

bp = Blueprint("customer", __name__, url_prefix="/tickets")


class NewTicketForm(TicketForm):
    ask_assistant = BooleanField("Ask the assistant first",
                                 description="It answers right away from our help center; a person takes over "
                                             "whenever you ask.")


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user; staff work from their queue instead of a customer's list."""
    if request.endpoint == "customer.index" and current_user.is_staff and "agent.queue" in current_app.view_functions:
        return redirect(url_for("agent.queue"))


def _filter_from_args(organization=None):
    status = request.args.get("status", "")
    statuses = {"active": ["open", "in_progress", "waiting"], "done": ["resolved", "closed"]}.get(
        status, [status] if status in STATUSES else []
    )
    whose = request.args.get("whose", "")
    return tickets.TicketFilter(statuses=statuses, search=request.args.get("q", "").strip()[:200],
                                mine=whose == "mine",
                                organization_id=organization.id if organization and whose == "organization" else None)


@bp.route("")
def index():
    """My tickets (and my organization's, when it shares them), newest activity first, filtered by status, whose and
    text; htmx swaps only the list."""
    organization = organizations.sharing_organization(current_user)
    flt = _filter_from_args(organization)
    page = tickets.list_tickets(current_user, flt, cursor=request.args.get("cursor") or None, limit=25)
    return render(
        "customer/tickets/index.html",
        fragment="customer/tickets/_list.html",
        page=page,
        status=200,
        status_filter=request.args.get("status", ""),
        q=flt.search,
        organization=organization,
        whose_filter=request.args.get("whose", "") if organization else "",
    )


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def new():
    """File a new ticket."""
    form = NewTicketForm()
    form.category.choices = category_choices(tickets.categories())
    questions = Questions(form.category.data, request.form if form.is_submitted() else None)
    if questions.only_showing():
        return _new_ticket_page(form, 200, questions)
    if form.validate_on_submit():
        attachment_ids = upload_attachments(form, current_user)
        if attachment_ids is None:
            return _new_ticket_page(form, 422, questions)
        open_ticket = assistant.open_ticket if form.ask_assistant.data else tickets.create_ticket
        try:
            ticket = open_ticket(
                current_user,
                subject=form.subject.data,
                description=form.description.data,
                category=form.category.data or None,
                fields=questions.answers,
                priority=form.priority.data,
                submission_key=form.submission_key.data,
                attachment_ids=attachment_ids,
            )
        except ValidationError as error:
            show_errors(form, questions.take_errors(error))
            discard_uploads(form, current_user, attachment_ids)
            return _new_ticket_page(form, 422, questions)
        if ticket.assistant_state:
            flash(f"Ticket #{ticket.id} is filed. The assistant answers here first; choose “Talk to a person” "
                  "whenever you like.", "success")
        else:
            flash(f"Ticket #{ticket.id} is filed. We will reply here and mark it unread for you.", "success")
        return redirect_to(url_for("customer.show", ticket_id=ticket.id))
    return _new_ticket_page(form, 422 if form.is_submitted() else 200, questions)


def _new_ticket_page(form, status, questions=None):
    # Re-rendered after an error, the form keeps its help-center suggestions for the subject typed.
    suggestions = help_center.suggest(form.subject.data) if form.is_submitted() else []
    return render("customer/tickets/new.html", form=form, suggestions=suggestions, status=status,
                  questions=questions)


def _ticket_page(ticket_id, form=None, status=200, rating_form=None):
    ticket = tickets.get_ticket(current_user, ticket_id)
    # First message + latest 50; `?before=ID` (the no-JavaScript "Show earlier") pages back from a message.
    thread = tickets.thread_window(current_user, ticket,
                                   before=request.args.get("before") or None if request.method == "GET" else None)
    tickets.mark_read(current_user, ticket)
    rating = ratings.rating_of(ticket)
    return render(
        "customer/tickets/show.html",
        fragment="shared/_conversation.html",
        ticket=ticket,
        thread=thread,
        form=form or ReplyForm(formdata=None),
        action_form=ActionForm(),
        reply_url=url_for("customer.reply", ticket_id=ticket.id),
        viewer="customer",
        rating=rating,
        can_rate=ratings.can_rate(ticket, rating) and ticket.customer_id == current_user.id,
        rating_form=rating_form or RatingForm(formdata=None),
        rate_url=url_for("customer.rate", ticket_id=ticket.id),
        merged_target=merge.visible_target(current_user, ticket),
        status=status,
    )


@bp.route("/<int:ticket_id>")
def show(ticket_id):
    """One ticket's thread, with reply, close and reopen. :raises NotFound: for someone else's ticket."""
    return _ticket_page(ticket_id)


@bp.route("/<int:ticket_id>/messages")
def thread_messages(ticket_id):
    """For htmx, the 50 messages before `?before=ID` with a new "Show earlier" control (never a note); plain
    requests get the ticket page at that place. :raises NotFound: for someone else's ticket."""
    ticket = tickets.get_ticket(current_user, ticket_id)
    before = request.args.get("before") or None
    if not is_htmx():
        return redirect(url_for("customer.show", ticket_id=ticket.id, before=before), code=303)
    thread = tickets.earlier_messages(current_user, ticket, before) if before else tickets.thread_window(
        current_user, ticket)
    return render("shared/_conversation_messages.html", ticket=ticket, thread=thread, viewer="customer")


@bp.route("/<int:ticket_id>/reply", methods=["POST"])
@limiter.limit("30 per minute")
def reply(ticket_id):
    """Add a reply; htmx gets the refreshed conversation, plain forms a redirect."""
    form = ReplyForm()
    if form.validate_on_submit():
        tickets.get_ticket(current_user, ticket_id)  # a foreign ticket is a 404 before any file is stored
        attachment_ids = upload_attachments(form, current_user)
        if attachment_ids is None:
            return _ticket_page(ticket_id, form, 422)
        try:
            tickets.reply(current_user, ticket_id, form.body.data, attachment_ids=attachment_ids)
        except ValidationError as error:
            show_errors(form, error)
            discard_uploads(form, current_user, attachment_ids)
            return _ticket_page(ticket_id, form, 422)
        except Conflict as error:
            form.form_errors.append(error.message)
            discard_uploads(form, current_user, attachment_ids)
            return _ticket_page(ticket_id, form, 409)
        if not request.htmx:
            return redirect(url_for("customer.show", ticket_id=ticket_id), code=303)
        return _ticket_page(ticket_id)
    return _ticket_page(ticket_id, form, 422)


@bp.route("/<int:ticket_id>/rating", methods=["POST"])
@limiter.limit("30 per minute")
def rate(ticket_id):
    """Answer "How did we do?" on my resolved ticket; htmx gets the conversation back with the answer in it."""
    form = RatingForm()
    status = submit_rating(form, current_user, ticket_id)
    if status is not None:
        return _ticket_page(ticket_id, status=status, rating_form=form)
    if not request.htmx:
        flash("Thank you for your answer.", "success")
        return redirect(url_for("customer.show", ticket_id=ticket_id), code=303)
    return _ticket_page(ticket_id, rating_form=RatingForm(formdata=None))


def _change_state(ticket_id, change, done_message):
    form = ActionForm()
    if form.validate_on_submit():
        try:
            change(current_user, ticket_id)
            flash(done_message, "success")
        except Conflict as error:
            flash(error.message, "error")
    return redirect_to(url_for("customer.show", ticket_id=ticket_id))


@bp.route("/<int:ticket_id>/close", methods=["POST"])
def close(ticket_id):
    """Close my ticket."""
    return _change_state(ticket_id, tickets.close_ticket, "The ticket is closed. You can reopen it if you need to.")


@bp.route("/<int:ticket_id>/reopen", methods=["POST"])
def reopen(ticket_id):
    """Reopen my resolved or closed ticket."""
    return _change_state(ticket_id, tickets.reopen_ticket, "The ticket is open again.")
