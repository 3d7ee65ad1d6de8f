"""The assistant's pages: draft and summary in the agent workspace, suggestions, "Talk to a person" for customers
and the admin's instructions; also the subscription that starts an answer when a customer writes."""
import logging

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from .. import jobs
from ..extensions import limiter, login_manager
from ..forms import ActionForm, show_errors
from ..htmx import is_htmx, redirect_to, render
from ..services import assistant, failures, signals, tickets
from ..services.assistant import AssistantUnavailable
from ..services.errors import Conflict, ValidationError
from ..services.permissions import require_admin, require_staff

bp = Blueprint("assistant", __name__)
log = logging.getLogger(__name__)


class InstructionsForm(FlaskForm):
    instructions = TextAreaField(
        "Instructions",
        description="How the assistant should write: tone, what it may promise, what it must leave to a person. "
                    "Leave empty for the built-in instructions.",
        render_kw={"rows": 12, "maxlength": assistant.MAX_INSTRUCTIONS},
    )


def _signed_in():
    """None when someone is signed in, else the way to the sign-in page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _panel(ticket_id, status=200, **result):
    """The assistant panel of the workspace with the outcome of one action (a draft, a notice or an error)."""
    ticket = tickets.get_ticket(current_user, ticket_id)
    return render("agent/ticket/_assistant.html", status=status, ticket=ticket, action_form=ActionForm(), **result)


# ------------------------------------------------------------------------------------------------------ workspace


def _ask(ticket_id, action):
    """Run one assistant `action(actor, ticket_id)` for a signed-in agent's fresh form: (its result, None), or
    (None, the response that says why not: sign in, an expired form, or the assistant's failure)."""
    if (gate := _signed_in()) is not None:
        return None, gate
    require_staff(current_user)
    if not ActionForm().validate_on_submit():
        return None, _panel(ticket_id, 400, error="This form has expired; reload the page.")
    try:
        return action(current_user, ticket_id), None
    except AssistantUnavailable as error:
        if is_htmx():
            return None, _panel(ticket_id, 503, error=error.message)
        flash(error.message, "error")
        return None, redirect(url_for("agent.show", ticket_id=ticket_id), code=303)


@bp.route("/agent/tickets/<int:ticket_id>/assist/draft", methods=["POST"])
@limiter.limit("20 per minute")
def draft(ticket_id):
    """Ask the assistant for a draft reply: it lands in the composer to be read and changed, never sent by itself."""
    body, refusal = _ask(ticket_id, assistant.draft_reply)
    if refusal is not None:
        return refusal
    if is_htmx():
        return _panel(ticket_id, draft=body)
    # Without JavaScript: the workspace again, its composer holding the draft.
    from .agent import ComposerForm, _workspace

    composer = ComposerForm(formdata=None)
    composer.kind.data = "reply"
    composer.body.data = body
    flash("The assistant's draft is in the reply box below. Read and change it before you send it.", "success")
    return _workspace(ticket_id, composer=composer)


@bp.route("/agent/tickets/<int:ticket_id>/assist/summary", methods=["POST"])
@limiter.limit("20 per minute")
def summary(ticket_id):
    """Ask the assistant to summarize the ticket as an internal note; htmx also gets the thread with it."""
    note, refusal = _ask(ticket_id, assistant.summarize)
    if refusal is not None:
        return refusal
    if not is_htmx():
        flash("The assistant's summary is in the thread as an internal note.", "success")
        return redirect(url_for("agent.show", ticket_id=ticket_id, _anchor=f"message-{note.id}"), code=303)
    ticket = tickets.get_ticket(current_user, ticket_id)
    return _panel(ticket_id, notice="The summary is in the thread as an internal note.",
                  thread_messages=tickets.thread_window(current_user, ticket))


@bp.route("/agent/tickets/<int:ticket_id>/suggestions")
def suggestions(ticket_id):
    """Similar solved tickets and suggested articles for a ticket; htmx loads them into the workspace side bar."""
    if (gate := _signed_in()) is not None:
        return gate
    found = assistant.suggestions(current_user, ticket_id)
    return render("agent/ticket/suggestions.html", fragment="agent/ticket/_suggestions.html",
                  ticket=found.ticket, suggestions=found)


# ------------------------------------------------------------------------------------------------------- customers


@bp.route("/tickets/<int:ticket_id>/handover", methods=["POST"])
@limiter.limit("20 per minute")
def handover(ticket_id):
    """"Talk to a person": the assistant stops and the ticket goes to the support team's queue."""
    if (gate := _signed_in()) is not None:
        return gate
    page = url_for("agent.show" if current_user.is_staff else "customer.show", ticket_id=ticket_id)
    if ActionForm().validate_on_submit():
        try:
            assistant.handover(current_user, ticket_id)
            flash("The assistant has stopped. A person from our team will answer here."
                  if not current_user.is_staff else "You took the ticket over from the assistant.", "success")
        except Conflict as error:
            flash(error.message, "error")
    return redirect_to(page)


# ----------------------------------------------------------------------------------------------------------- admin


@bp.route("/admin/assistant", methods=["GET", "POST"])
def settings():
    """The assistant's instructions, and whether a model is configured."""
    if (gate := _signed_in()) is not None:
        return gate
    require_admin(current_user)
    form = InstructionsForm()
    if form.validate_on_submit():
        try:
            custom = assistant.save_instructions(current_user, form.instructions.data)
        except ValidationError as error:
            show_errors(form, error)
            return render("admin/assistant.html", form=form, state=assistant.status(current_user), status=422)
        flash("Instructions saved." if custom else "The built-in instructions apply again.", "success")
        return redirect(url_for("assistant.settings"), code=303)
    state = assistant.status(current_user)
    if not form.is_submitted():
        form.instructions.data = state.instructions if state.custom else ""
    return render("admin/assistant.html", form=form, state=state, status=422 if form.is_submitted() else 200)


# ----------------------------------------------------------------------------------------------------- subscribers


def _safely(what, work):
    # The customer's message is committed; a queue or model hiccup here must not turn their request into an error.
    try:
        work()
    except Exception as error:
        log.exception("assistant: %s failed", what)
        try:
            failures.record("assistant", what, error)
        except Exception:
            log.exception("and the failure could not be recorded either")


def on_ticket_created(ticket, actor, key=None):
    if ticket.assistant_state == "active":
        _safely(f"answering ticket #{ticket.id}", lambda: jobs.answer_customer(ticket.id, 0))


def on_reply_added(message, ticket, actor):
    if assistant.needs_answer(message, ticket):
        _safely(f"answering ticket #{ticket.id}", lambda: jobs.answer_customer(ticket.id, message.id))
    elif ticket.assistant_state == "active":
        _safely(f"handing ticket #{ticket.id} over", lambda: assistant.person_replied(message, ticket))


def init_app(app):
    app.register_blueprint(bp)
    app.add_template_global(assistant.is_configured, "assistant_configured")
    app.add_template_global(assistant.quota, "assistant_quota")
    # weak=False: the handlers are module functions, kept for the life of the process anyway.
    signals.ticket_created.connect(on_ticket_created, weak=False)
    signals.reply_added.connect(on_reply_added, weak=False)
