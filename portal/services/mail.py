"""Outgoing e-mail. With MAIL_SERVER set, messages go over SMTP; without it they are written to the instance
folder's outbox (one .eml file each), so a fresh install and the tests can read what would have been sent."""
import os
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from ..models import utcnow


def outbox_folder():
    return os.path.join(current_app.instance_path, "outbox")


def send(to, subject, text):
    """Send one plain-text message; failures are logged, never raised into the request that caused them."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].split("@")[-1])
    message.set_content(text)
    try:
        if config.get("MAIL_SERVER"):
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
                smtp.send_message(message)
        else:
            folder = outbox_folder()
            os.makedirs(folder, exist_ok=True)
            name = utcnow().strftime("%Y%m%dT%H%M%S%f") + ".eml"
            with open(os.path.join(folder, name), "wb") as out:
                out.write(message.as_bytes())
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.warning("mail to %s failed: %s", to, error)
        return False
    return True


def sent_messages():
    """Messages in the outbox, oldest first (for development and tests)."""
    from email import policy
    from email.parser import BytesParser

    folder = outbox_folder()
    if not os.path.isdir(folder):
        return []
    messages = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            messages.append(BytesParser(policy=policy.default).parse(f))
    return messages
