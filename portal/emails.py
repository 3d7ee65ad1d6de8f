"""The e-mails the product sends: text composed here, links built for the current site, delivery by services.mail."""
from flask import current_app, url_for

from .services import accounts, mail


def _site():
    return current_app.config["SITE_NAME"]


def verification(user):
    """Ask a new account to confirm its address."""
    link = url_for("auth.verify_email", token=accounts.verification_token(user), _external=True)
    return mail.send(
        user.email,
        f"Confirm your e-mail for {_site()}",
        f"Hello {user.name},\n\nPlease confirm your e-mail address by opening this link:\n\n{link}\n\n"
        "Once it is confirmed, tickets you sent us through the contact form appear in your account.\n"
        "If you did not create an account, ignore this message.\n",
    )


def password_reset(user, token):
    """Send a one-time link that sets a new password."""
    link = url_for("auth.reset_password", token=token, _external=True)
    return mail.send(
        user.email,
        f"Reset your {_site()} password",
        f"Hello {user.name},\n\nSomeone asked to reset the password of your account. To choose a new one, open:\n\n"
        f"{link}\n\nThe link works once, for one hour. If it was not you, ignore this message: nothing changes.\n",
    )


def contact_receipt(ticket, key):
    """Confirm a contact-form ticket with its private link."""
    link = url_for("public.guest_ticket", key=key, _external=True)
    return mail.send(
        ticket.customer.email,
        f"[#{ticket.id}] {ticket.subject}",
        f"Hello {ticket.customer.name},\n\nWe received your message and opened ticket #{ticket.id}.\n"
        f"Follow the conversation and reply here:\n\n{link}\n\n"
        "Keep this link private: anyone who has it can read and answer this ticket.\n",
    )
