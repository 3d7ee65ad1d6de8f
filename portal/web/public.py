"""The public side: help center home, the contact form and the guest view of one ticket through its secret link."""
from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user

from .category_fields import Questions
from ..extensions import contact_accepted, contact_address_key, limiter
from ..forms import (
    ContactForm, RatingForm, ReplyForm, ResendLinksForm, category_choices, discard_uploads, note_files_dropped,
    show_errors, submit_rating, upload_attachments,
)
from ..htmx import is_htmx, redirect_to, render
from ..services import help_center, merge, ratings, spam, tickets
from ..services.errors import Conflict, ServiceError, ValidationError

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    """The help center home: search, collections, contact support, sign in."""
    return render("public/home.html", collections=help_center.list_collections(current_user))


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CONTACT_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["CONTACT_LIMIT_PER_ADDRESS"], methods=["POST"], key_func=contact_address_key,
               deduct_when=contact_accepted)
def contact():
    """The contact form: anyone can open a ticket without an account."""
    form = ContactForm()
    form.category.choices = category_choices(tickets.categories(), "General question")
    if request.method == "GET" and current_user.is_authenticated:
        form.name.data = form.name.data or current_user.name
        form.email.data = form.email.data or current_user.email
    questions = Questions(form.category.data, request.form if form.is_submitted() else None)
    if questions.only_showing():
        return _contact_page(form, 200, questions)
    if form.validate_on_submit():
        try:
            # Spam is held for the admins, and the sender sees the same confirmation as for a ticket.
            ticket, key = spam.submit_contact(
                ip=request.remote_addr or "",
                honeypot=form.website.data,
                started=request.form.get("started"),  # as sent: the field's default would stamp a missing one now
                name=form.name.data,
                email=form.email.data,
                company=form.company.data,
                phone=form.phone.data,
                category=form.category.data or None,
                fields=questions.answers,
                subject=form.subject.data,
                body=form.body.data,
                submission_key=form.submission_key.data,
                files=form.attachments.data,
            )
        except ValidationError as error:
            show_errors(form, questions.take_errors(error))
            note_files_dropped(form)
            return _contact_page(form, 422, questions)
        if key is not None:
            # The secret link is shown once, on the confirmation page; the session remembers it for a refresh.
            session["contact_receipt"] = {"ticket_id": ticket.id, "key": key}
        return redirect_to(url_for("public.contact_sent", ticket_id=ticket.id))
    return _contact_page(form, 422 if form.is_submitted() else 200, questions)


def _contact_page(form, status, questions=None):
    # Re-rendered after an error, the form keeps its help-center suggestions for the subject typed.
    suggestions = help_center.suggest(form.subject.data) if form.is_submitted() else []
    return render("public/contact.html", form=form, suggestions=suggestions, status=status, questions=questions)


@bp.route("/contact/sent/<int:ticket_id>")
def contact_sent(ticket_id):
    """The confirmation page with the ticket number and its secret link."""
    receipt = session.get("contact_receipt") or {}
    if receipt.get("ticket_id") != ticket_id:
        abort(404)
    link = url_for("public.guest_ticket", key=receipt["key"], _external=True)
    response = render("public/contact_sent.html", ticket_id=ticket_id, link=link)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/t/resend", methods=["GET", "POST"])
@limiter.limit("3 per minute; 10 per hour", methods=["POST"])
def resend_links():
    """Lost a private link: new links go to the address, and the page says the same whether or not it is known."""
    form = ResendLinksForm()
    if form.validate_on_submit():
        try:
            tickets.renew_guest_links(form.email.data)
        except ValidationError as error:
            show_errors(form, error)
            return render("public/resend.html", form=form, status=422)
        flash(tickets.LINKS_RENEWED_NOTICE, "info")
        return redirect(url_for("public.resend_links"), code=303)
    return render("public/resend.html", form=form, status=422 if form.is_submitted() else 200)


def _guest_page(key, form=None, status=200, rating_form=None):
    holder = tickets.key_holder(key)
    ticket = tickets.get_ticket(holder, holder.ticket_id)
    # First message + latest 50; `?before=ID` (the no-JavaScript "Show earlier") pages back from a message.
    thread = tickets.thread_window(holder, ticket,
                                   before=request.args.get("before") or None if request.method == "GET" else None)
    tickets.mark_read(holder, ticket)
    rating = ratings.rating_of(ticket)
    return render(
        "public/guest_ticket.html",
        fragment="shared/_conversation.html",
        ticket=ticket,
        thread=thread,
        form=form or ReplyForm(formdata=None),
        reply_url=url_for("public.guest_reply", key=key),
        viewer="guest",
        guest_key=key,
        rating=rating,
        can_rate=ratings.can_rate(ticket, rating),
        rating_form=rating_form or RatingForm(formdata=None),
        rate_url=url_for("public.guest_rate", key=key),
        merged_target=merge.visible_target(holder, ticket),
        status=status,
    )


@bp.route("/t/<key>")
@limiter.limit("60 per minute")
def guest_ticket(key):
    """The public thread of one ticket, for whoever holds its secret link."""
    return _guest_page(key)


@bp.route("/t/<key>/messages")
@limiter.limit("60 per minute")
def guest_messages(key):
    """For htmx, the 50 public messages before `?before=ID` with a new "Show earlier" control; plain requests get
    the thread page at that place."""
    holder = tickets.key_holder(key)
    ticket = tickets.get_ticket(holder, holder.ticket_id)
    before = request.args.get("before") or None
    if not is_htmx():
        return redirect(url_for("public.guest_ticket", key=key, before=before), code=303)
    thread = tickets.earlier_messages(holder, ticket, before) if before else tickets.thread_window(holder, ticket)
    return render("shared/_conversation_messages.html", ticket=ticket, thread=thread, viewer="guest", guest_key=key)


@bp.route("/t/<key>/reply", methods=["POST"])
@limiter.limit("20 per minute")
def guest_reply(key):
    """Reply through the secret link; the thread comes back with the new message."""
    holder = tickets.key_holder(key)
    form = ReplyForm()
    if form.validate_on_submit():
        attachment_ids = upload_attachments(form, holder)
        if attachment_ids is None:
            return _guest_page(key, form, 422)
        try:
            tickets.reply(holder, holder.ticket_id, form.body.data, attachment_ids=attachment_ids)
        except ValidationError as error:
            show_errors(form, error)
            discard_uploads(form, holder, attachment_ids)
            return _guest_page(key, form, 422)
        except Conflict as error:
            form.form_errors.append(error.message)
            discard_uploads(form, holder, attachment_ids)
            return _guest_page(key, form, 409)
        if not request.htmx:
            return redirect(url_for("public.guest_ticket", key=key), code=303)
        return _guest_page(key)
    return _guest_page(key, form, 422)


@bp.route("/t/<key>/rating", methods=["POST"])
@limiter.limit("20 per minute")
def guest_rate(key):
    """Answer "How did we do?" through the secret link; the thread comes back with the answer in it."""
    holder = tickets.key_holder(key)
    form = RatingForm()
    status = submit_rating(form, holder, holder.ticket_id)
    if status is not None:
        return _guest_page(key, status=status, rating_form=form)
    if not request.htmx:
        flash("Thank you for your answer.", "success")
        return redirect(url_for("public.guest_ticket", key=key), code=303)
    return _guest_page(key)


@bp.route("/rate/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def rate(token):
    """A one-click rating link from the resolution e-mail: the click records the score, the page asks for a
    comment. No sign-in: the signed link names the ticket, its customer and the score."""
    form = RatingForm()
    comment = None
    if request.method == "POST":
        if not form.validate_on_submit():
            form.form_errors.append("This form has expired; your rating is kept. Please send the comment again.")
            return _rating_page(token, form, 400)
        comment = form.comment.data or ""
    try:
        ratings.rate_by_link(token, comment)
    except ValidationError as error:
        show_errors(form, error)
        return _rating_page(token, form, 422)
    except ServiceError as error:  # a link that is not valid, or a closed ticket: nothing was recorded
        return render("public/rating.html", problem=error.message, status=error.status)
    if request.method == "POST":
        flash("Thank you: your comment reached the team.", "success")
        return redirect(url_for("public.rate", token=token), code=303)
    return _rating_page(token)


def _rating_page(token, form=None, status=200):
    """The thanks page of a rating link, with the comment box (as typed, or as given before) and the other score."""
    ticket, rating = ratings.link_state(token)
    form = form or RatingForm(formdata=None, data={"comment": rating.comment if rating else ""})
    other = "bad" if rating is None or rating.score == "good" else "good"
    return render("public/rating.html", ticket=ticket, rating=rating, form=form, token=token, status=status,
                  other_token=ratings.link_token(ticket, other))
