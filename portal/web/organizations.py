"""Organizations for agents: the list and one organization's members and tickets; admins create, edit and delete
them; agents move a customer in or out."""
from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from ..extensions import login_manager
from ..forms import ActionForm, show_errors
from ..htmx import redirect_to, render
from ..services import customers, organizations, tickets
from ..services.errors import ValidationError
from ..services.permissions import require_admin, require_staff

bp = Blueprint("organizations", __name__, url_prefix="/agent")

RECENT_TICKETS = 10


@bp.before_request
def _staff_only():
    """Organizations are for support staff: guests sign in first, customers get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_staff(current_user)


class OrganizationForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": organizations.NAME_MAX,
                                          "autocomplete": "off"})
    domains = TextAreaField("Domains", description="Address domains, one per line or comma-separated, like "
                            "acme.com. Customers whose verified address is at one of them join on their own.",
                            render_kw={"rows": 2, "autocomplete": "off", "spellcheck": "false"})
    shared_tickets = BooleanField("Shared tickets: every member sees and answers every ticket of the organization")


def _form_for(organization=None, formdata=None):
    form = OrganizationForm(formdata=formdata)
    if formdata is None and organization is not None:
        form.name.data = organization.name
        form.domains.data = "\n".join(organization.domain_list)
        form.shared_tickets.data = organization.shared_tickets
    return form


# ------------------------------------------------------------------------------------------------------------ pages


def _list_page(form=None, status=200):
    q = request.args.get("q", "").strip()[:120]
    page = organizations.list_organizations(current_user, q, cursor=request.args.get("cursor") or None)
    return render("agent/organizations/index.html", fragment="agent/organizations/_list.html", page=page, q=q,
                  form=form or OrganizationForm(formdata=None), status=status)


@bp.route("/organizations")
def index():
    """Organizations by name with their member counts, found by name or domain; htmx swaps only the list."""
    return _list_page()


@bp.route("/organizations", methods=["POST"])
def create():
    """Add an organization (admins); errors beside the fields, the input kept."""
    require_admin(current_user)
    form = OrganizationForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        organization = organizations.create_organization(current_user, form.name.data, form.domains.data,
                                                         form.shared_tickets.data)
    except ValidationError as error:
        show_errors(form, error)
        return _list_page(form, 422)
    flash(f"Organization “{organization.name}” added.", "success")
    return redirect_to(url_for("organizations.show", organization_id=organization.id))


def _show_page(organization_id, form=None, status=200):
    organization = organizations.get_organization(current_user, organization_id)
    members = organizations.members(current_user, organization, cursor=request.args.get("cursor") or None)
    recent = tickets.list_tickets(current_user, tickets.TicketFilter(organization_id=organization.id),
                                  limit=RECENT_TICKETS)
    return render("agent/organizations/show.html", organization=organization, members=members, recent=recent,
                  form=form or _form_for(organization), action_form=ActionForm(), status=status)


@bp.route("/organizations/<int:organization_id>")
def show(organization_id):
    """One organization: its domains, members and latest tickets; admins edit or delete it here."""
    return _show_page(organization_id)


@bp.route("/organizations/<int:organization_id>", methods=["POST"])
def update(organization_id):
    """Save an organization's name, domains and sharing (admins)."""
    require_admin(current_user)
    form = OrganizationForm()
    if not form.validate_on_submit():
        return _show_page(organization_id, form, 422)
    try:
        organizations.update_organization(current_user, organization_id, name=form.name.data,
                                          domains=form.domains.data, shared_tickets=form.shared_tickets.data)
    except ValidationError as error:
        show_errors(form, error)
        return _show_page(organization_id, form, 422)
    flash("Organization saved.", "success")
    return redirect_to(url_for("organizations.show", organization_id=organization_id))


@bp.route("/organizations/<int:organization_id>/delete", methods=["POST"])
def delete(organization_id):
    """Delete an organization (admins); its members and their tickets stay."""
    require_admin(current_user)
    form = ActionForm()
    if form.validate_on_submit():
        organization = organizations.get_organization(current_user, organization_id)
        organizations.delete_organization(current_user, organization.id)
        flash(f"Organization “{organization.name}” deleted; its members stay as customers.", "success")
    return redirect_to(url_for("organizations.index"))


@bp.route("/customers/<int:customer_id>/organization", methods=["POST"])
def set_customer_organization(customer_id):
    """Move a customer into an organization, or out of theirs (an empty choice); their tickets go with them."""
    form = ActionForm()
    if form.validate_on_submit():
        customer = customers.get_customer(current_user, customer_id)
        choice = request.form.get("organization_id", "").strip()
        organizations.set_organization(current_user, customer.id, choice or None)
        flash(f"{customer.name} is now in no organization." if not choice else
              f"{customer.name} moved; their tickets went with them.", "success")
    return redirect_to(url_for("agent.customer", customer_id=customer_id))
