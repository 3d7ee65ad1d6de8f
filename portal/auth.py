"""Sign in, sign out and registration."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .extensions import limiter
from .forms import ActionForm, LoginForm, RegisterForm, show_errors
from .htmx import render
from .services import accounts
from .services.errors import AuthenticationFailed, ValidationError

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
            user = accounts.authenticate(form.email.data, form.password.data)
        except AuthenticationFailed as error:
            form.form_errors.append(error.message)
            return render("auth/login.html", form=form, status=422)
        login_user(user)
        return redirect(safe_next(form.next.data) or home_for(user), code=303)
    return render("auth/login.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (the CSRF check has already run) and go back to the help center."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("public.home"), code=303)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def register():
    """Create a customer account and sign in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(form.email.data, form.name.data, form.password.data)
        except ValidationError as error:
            show_errors(form, error)
            return render("auth/register.html", form=form, status=422)
        login_user(user)
        flash("Welcome! Your account is ready.", "success")
        return redirect(url_for("customer.index"), code=303)
    return render("auth/register.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/logout", methods=["GET"])
@login_required
def logout_page():
    """A plain confirmation page for people who type /logout (signing out itself is a POST)."""
    return render("auth/logout.html", form=ActionForm())
