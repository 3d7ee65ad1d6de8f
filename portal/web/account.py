"""The signed-in person's account pages: personal API tokens."""
from flask import Blueprint, flash, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice

from ..extensions import limiter
from ..models import THEMES
from ..forms import ActionForm, show_errors
from ..htmx import redirect_to, render
from ..services import accounts
from ..services.errors import ValidationError

bp = Blueprint("account", __name__, url_prefix="/account")

NEW_TOKEN = "new_api_token"


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="What it is for, so you can tell your tokens apart: “CI export”, “Zapier”.",
        render_kw={"required": True, "maxlength": 80, "autocomplete": "off"},
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", render_kw={"autocomplete": "current-password", "required": True},
    )
    new_password = PasswordField(
        "New password", description="At least 8 characters. Your other signed-in browsers are signed out.",
        render_kw={"autocomplete": "new-password", "required": True, "minlength": 8},
    )


THEME_LABELS = {"system": "Match my device", "light": "Light", "dark": "Dark"}


class ThemeForm(FlaskForm):
    theme = RadioField("Theme", choices=[SelectChoice(theme, THEME_LABELS[theme]) for theme in THEMES],
                       validate_choice=False)


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


def _security_page(form=None, status=200, theme_form=None):
    theme_form = theme_form or ThemeForm(theme=current_user.theme)
    response = render("account/security.html", form=form or PasswordForm(), action_form=ActionForm(),
                      theme_form=theme_form, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/security")
def security():
    """Password and sessions: change my password, sign out of every browser."""
    return _security_page()


@bp.route("/password", methods=["POST"])
@limiter.limit("10 per minute")
def change_password():
    """Change my password; every other browser signed in as me is signed out, this one stays."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except ValidationError as error:
            # The service calls the new password "password"; this form calls it new_password.
            show_errors(form, ValidationError({("new_password" if k == "password" else k): v
                                               for k, v in error.errors.items()}))
            return _security_page(form, 422)
        # The generation moved on: re-issue this browser's session so only the others die.
        login_user(user)
        flash("Your password is changed. Other browsers signed in as you are signed out.", "success")
        return redirect_to(url_for("account.security"))
    return _security_page(form, 422)


@bp.route("/sessions/end", methods=["POST"])
def sign_out_everywhere():
    """Sign out of every browser, this one included: copies of any session cookie stop working."""
    form = ActionForm()
    if not form.validate_on_submit():
        return _security_page(status=422)
    accounts.end_sessions(current_user)
    logout_user()
    flash("You are signed out everywhere. Sign in again to continue here.", "info")
    return redirect_to(url_for("auth.login"))


@bp.route("/theme", methods=["POST"])
def set_theme():
    """Switch my pages to the light or dark theme, or back to following my device."""
    form = ThemeForm()
    if form.validate_on_submit():
        try:
            accounts.set_theme(current_user, form.theme.data)
        except ValidationError as error:
            show_errors(form, error)
            return _security_page(status=422, theme_form=form)
        flash("Theme saved.", "success")
        return redirect_to(url_for("account.security"))
    return _security_page(status=422, theme_form=form)
