"""Privacy pages for admins: a customer's data exported or anonymised, and the log of every privacy action."""
from flask import Blueprint, flash, request, send_file, url_for
from flask_login import current_user

from ..extensions import login_manager
from ..forms import ActionForm
from ..htmx import redirect_to, render
from ..services import privacy
from ..services.errors import Conflict
from ..services.permissions import require_admin

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")


@bp.before_request
def _admins_only():
    """Every page here is for admins: guests sign in first, everyone else gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_admin(current_user)


@bp.route("")
def log():
    """Every export, anonymisation and trash purge, newest first."""
    page = privacy.list_log(current_user, cursor=request.args.get("cursor") or None)
    return render("admin/privacy.html", page=page, labels=privacy.ACTION_LABELS)


@bp.route("/customers/<int:customer_id>/export")
def export(customer_id):
    """Download a ZIP of what the desk holds about one customer (logged)."""
    filename, archive = privacy.export_customer(current_user, customer_id)
    response = send_file(archive, mimetype="application/zip", as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/customers/<int:customer_id>/anonymize", methods=["POST"])
def anonymize(customer_id):
    """Take the customer's name and address out for good; their tickets stay."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            customer = privacy.anonymize_customer(current_user, customer_id)
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(f"The customer is now {customer.name}: name, address, phone and company are gone, "
                  "and they can no longer sign in.", "success")
    return redirect_to(url_for("agent.customer", customer_id=customer_id))
