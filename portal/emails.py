"""The account e-mails the product sends (address confirmation, password reset), and absolute links for any mail."""
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from .services import accounts, mail


def external_url(endpoint, **values):
    """An absolute link for a mail: the request's own host inside a request, SITE_URL in the worker or the CLI."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    site = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(site.netloc, script_name=site.path or "/", url_scheme=site.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def site_name():
    return current_app.config["SITE_NAME"]


def verification(user):
    """Ask a new account to confirm its address."""
    link = external_url("auth.verify_email", token=accounts.verification_token(user))
    return mail.send(
        user.email,
        f"Confirm your e-mail for {site_name()}",
        f"Hello {user.name},\n\nPlease confirm your e-mail address by opening this link:\n\n{link}\n\n"
        "Once it is confirmed, tickets you sent us through the contact form appear in your account.\n"
        "If you did not create an account, ignore this message.\n",
    )


def password_reset(user, token):
    """Send a one-time link that sets a new password."""
    link = external_url("auth.reset_password", token=token)
    return mail.send(
        user.email,
        f"Reset your {site_name()} password",
        f"Hello {user.name},\n\nSomeone asked to reset the password of your account. To choose a new one, open:\n\n"
        f"{link}\n\nThe link works once, for one hour. If it was not you, ignore this message: nothing changes.\n",
    )


def sign_up_link(sign_up):
    """Send the link that creates a new account at a free address."""
    link = external_url("auth.complete_sign_up", token=sign_up.token)
    return mail.send(
        sign_up.email,
        f"Finish creating your {site_name()} account",
        f"Hello {sign_up.name},\n\nTo create your account, open this link and choose a password:\n\n{link}\n\n"
        "Tickets you sent us through the contact form will appear in your account.\n"
        "If you did not ask for an account, ignore this message: nothing is created.\n",
    )


def sign_up_attempt(owner):
    """Tell the owner of an existing account that someone tried to sign up with their address."""
    return mail.send(
        owner.email,
        f"Someone tried to create a {site_name()} account with your address",
        f"Hello {owner.name},\n\nSomeone tried to create a new account with this e-mail address, which already has "
        f"one. If it was you, sign in:\n\n{external_url('auth.login')}\n\nForgot your password? Choose a new one "
        f"here:\n\n{external_url('auth.forgot_password')}\n\nIf it was not you, ignore this message: nothing "
        "changed in your account.\n",
    )
