"""Sign in, sign out and registration."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required, login_url, login_user, logout_user

from ..extensions import limiter, login_manager
from .. import emails
from ..forms import ActionForm, ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm, show_errors
from ..htmx import current_page_path, render, sign_in_first
from ..services import accounts
from ..services.errors import AuthenticationFailed, TooManyAttempts, ValidationError

bp = Blueprint("auth", __name__)


def safe_next(target):
    """Only a path on this site: never another host, never a scheme, never `//evil`."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_for(user):
    """Staff start at their queue, customers at their tickets."""
    if user.is_staff and "agent.queue" in current_app.view_functions:
        return url_for("agent.queue")
    return url_for("customer.index")


@login_manager.unauthorized_handler
def _sign_in_first():
    """Guests reaching a signed-in page go to the sign-in form, and back to that page afterwards."""
    flash("Please sign in to continue.", "info")
    return sign_in_first(login_url("auth.login", next_url=current_page_path()))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """The sign-in page; on success the user lands where they were going."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data) or home_for(current_user))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, source=request.remote_addr or "")
        except TooManyAttempts as error:
            form.form_errors.append(error.message)
            response = render("auth/login.html", form=form, status=429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        except AuthenticationFailed as error:
            form.form_errors.append(error.message)
            return render("auth/login.html", form=form, status=422)
        login_user(user)
        return redirect(safe_next(form.next.data) or home_for(user), code=303)
    return render("auth/login.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (the CSRF check has already run) and go back to the help center; a copy of the cookie dies too."""
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("public.home"), code=303)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def register():
    """Ask for an account: the link to create it goes to the address, and the page says the same either way."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            sign_up = accounts.request_sign_up(form.email.data, form.name.data)
        except ValidationError as error:
            show_errors(form, error)
            return render("auth/register.html", form=form, status=422)
        # Whether the address is free or taken, the person at the keyboard sees the same answer.
        if sign_up.owner is not None:
            emails.sign_up_attempt(sign_up.owner)
        else:
            emails.sign_up_link(sign_up)
        flash(f"Check your inbox: we sent a message to {sign_up.email} with the next step.", "info")
        return redirect(url_for("auth.register_sent"), code=303)
    return render("auth/register.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/register/sent")
def register_sent():
    """The "check your inbox" page shown after every sign-up request."""
    return render("auth/register_sent.html")


@bp.route("/register/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def complete_sign_up(token):
    """From the link we mailed: choose a password, and the account exists with its address confirmed."""
    try:
        request_data = accounts.sign_up_request(token)
    except ValidationError as error:
        flash(error.errors["token"], "error")
        return redirect(url_for("auth.login"))
    form = ResetPasswordForm()
    form.password.label.text = "Choose a password"
    if not form.validate_on_submit():
        return render("auth/register_finish.html", form=form, token=token, sign_up=request_data,
                      status=422 if form.is_submitted() else 200)
    try:
        user = accounts.complete_sign_up(token, form.password.data)
    except ValidationError as error:
        if "token" in error.errors:
            flash(error.errors["token"], "error")
            return redirect(url_for("auth.login"))
        show_errors(form, error)
        return render("auth/register_finish.html", form=form, token=token, sign_up=request_data, status=422)
    login_user(user)
    flash("Welcome! Your account is ready and your address is confirmed.", "success")
    return redirect(url_for("customer.index"), code=303)


@bp.route("/logout", methods=["GET"])
@login_required
def logout_page():
    """A plain confirmation page for people who type /logout (signing out itself is a POST)."""
    return render("auth/logout.html", form=ActionForm())


@bp.route("/verify/<token>")
def verify_email(token):
    """Confirm an e-mail address from the link we sent."""
    try:
        user = accounts.verify_email(token)
    except ValidationError as error:
        flash(error.errors["token"], "error")
        return redirect(url_for("customer.index" if current_user.is_authenticated else "auth.login"))
    flash(f"Thanks, {user.email} is confirmed.", "success")
    return redirect(url_for("customer.index" if current_user.is_authenticated else "auth.login"))


@bp.route("/verify", methods=["POST"])
@login_required
@limiter.limit("3 per minute")
def resend_verification():
    """Send the confirmation e-mail again."""
    if not current_user.email_verified:
        emails.verification(current_user)
        flash(f"We sent a new confirmation link to {current_user.email}.", "info")
    return redirect(url_for("customer.index"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    """Ask for a password reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        found = accounts.password_reset_token(form.email.data)
        if found:
            emails.password_reset(*found)
        flash("If an account uses that address, we sent it a link to choose a new password.", "info")
        return redirect(url_for("auth.login"), code=303)
    return render("auth/forgot_password.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token):
    """Choose a new password from a reset link, then sign in."""
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(token, form.password.data)
        except ValidationError as error:
            if "token" in error.errors:
                flash(error.errors["token"], "error")
                return redirect(url_for("auth.forgot_password"), code=303)
            show_errors(form, error)
            return render("auth/reset_password.html", form=form, token=token, status=422)
        login_user(user)
        flash("Your new password is set.", "success")
        return redirect(home_for(user), code=303)
    return render("auth/reset_password.html", form=form, token=token, status=422 if form.is_submitted() else 200)
