"""The signed-in person's account pages: personal API tokens."""
from flask import Blueprint, flash, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from .extensions import limiter
from .forms import ActionForm, show_errors
from .htmx import redirect_to, render
from .services import accounts
from .services.errors import ValidationError

bp = Blueprint("account", __name__, url_prefix="/account")

NEW_TOKEN = "new_api_token"


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="What it is for, so you can tell your tokens apart: “CI export”, “Zapier”.",
        render_kw={"required": True, "maxlength": 80, "autocomplete": "off"},
    )


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user."""


def _page(form=None, status=200, revoked=None):
    new_token = session.pop(NEW_TOKEN, None)
    response = render(
        "account/tokens.html",
        fragment="account/_tokens.html",
        tokens=accounts.list_tokens(current_user),
        form=form or TokenForm(),
        action_form=ActionForm(),
        new_token=new_token,
        revoked=revoked,
        status=status,
    )
    # The page may carry a secret shown once: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tokens")
def tokens():
    """My API tokens: create one (its secret is shown once), see when each was last used, revoke them."""
    return _page()


@bp.route("/tokens", methods=["POST"])
@limiter.limit("20 per minute")
def create_token():
    """Create a named token; the next page shows its secret once."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, secret = accounts.create_token(current_user, form.name.data)
        except ValidationError as error:
            show_errors(form, error)
            return _page(form, 422)
        # Kept in the session only until the page that shows it once is rendered.
        session[NEW_TOKEN] = {"id": token.id, "name": token.name, "secret": secret}
        return redirect_to(url_for("account.tokens"))
    return _page(form, 422)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id):
    """Revoke one of my tokens: programs using it get 401 from the next request on. :raises NotFound:"""
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(status=422)
    token = accounts.revoke_token(current_user, token_id)
    if request.htmx:
        return _page(revoked=token)
    flash(f"The token “{token.name}” is revoked.", "success")
    return redirect_to(url_for("account.tokens"))
