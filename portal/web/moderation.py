"""Spam moderation for admins: contact submissions held as suspicious, released or deleted, and blocked domains."""
from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from ..extensions import login_manager
from ..forms import ActionForm, show_errors
from ..htmx import redirect_to, render
from ..services import spam
from ..services.errors import NotFound, ValidationError
from ..services.permissions import require_admin

bp = Blueprint("moderation", __name__, url_prefix="/admin/suspended")


class BlockedDomainsForm(FlaskForm):
    domains = TextAreaField(
        "Domains",
        description="One per line. Submissions from these domains, or linking to them (subdomains included), are held.",
        render_kw={"rows": 5, "spellcheck": "false", "autocomplete": "off"},
    )


@bp.before_request
def _admins_only():
    """Every page here is for admins: guests sign in first, everyone else gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_admin(current_user)


def _page(domains_form=None, status=200):
    page = spam.list_suspended(current_user, cursor=request.args.get("cursor") or None)
    if domains_form is None:
        domains_form = BlockedDomainsForm(formdata=None, data={"domains": "\n".join(spam.blocked_domains())})
    return render("admin/suspended.html", page=page, action_form=ActionForm(), domains_form=domains_form,
                  status=status)


@bp.route("")
def index():
    """Held submissions, newest first, with why each was held; the list of blocked domains."""
    return _page()


@bp.route("/<int:submission_id>/release", methods=["POST"])
def release(submission_id):
    """Open the ticket a held submission asked for; the sender gets the usual e-mail."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            ticket = spam.release(current_user, submission_id)
        except NotFound as error:
            flash(error.message, "error")
        except ValidationError as error:
            flash("It cannot become a ticket: " + "; ".join(error.errors.values()), "error")
        else:
            flash(f"Released: it is ticket #{ticket.id} now.", "success")
    return redirect_to(url_for("moderation.index"))


@bp.route("/<int:submission_id>/delete", methods=["POST"])
def delete(submission_id):
    """Throw one held submission away."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            spam.delete_one(current_user, submission_id)
        except NotFound as error:
            flash(error.message, "error")
        else:
            flash("Deleted.", "success")
    return redirect_to(url_for("moderation.index"))


@bp.route("/delete", methods=["POST"])
def delete_many():
    """Throw the ticked held submissions away."""
    form = ActionForm()
    if form.validate_on_submit():
        removed = spam.delete(current_user, request.form.getlist("ids"))
        flash(f"Deleted {removed} held submission{'' if removed == 1 else 's'}.", "success")
    return redirect_to(url_for("moderation.index"))


@bp.route("/domains", methods=["POST"])
def blocked_domains():
    """Save the list of blocked domains; a line that is not a domain is shown beside the field."""
    form = BlockedDomainsForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        domains = spam.set_blocked_domains(current_user, form.domains.data)
    except ValidationError as error:
        show_errors(form, error)
        return _page(form, 422)
    flash(f"{len(domains)} blocked domain{'' if len(domains) == 1 else 's'} saved.", "success")
    return redirect_to(url_for("moderation.index"))
