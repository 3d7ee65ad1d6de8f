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
