"""Spam defence for the public contact form and POST /contact, without third parties.

A submission is held ("suspended") instead of becoming a ticket when it trips a rule: the honeypot field was filled,
the form came back faster than a person types, it carries more links than a question needs, or the sender's address
or one of its links is on the admins' list of blocked domains. The sender sees the same confirmation either way, so
a bot learns nothing; an admin releases a held submission (it becomes a ticket as if just sent) or deletes it.
"""
import json
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from peewee import fn

from ..db import write
from ..models import Setting, SuspendedSubmission, Ticket
from . import paging, tickets
from .accounts import check_contact_fields, check_length, normalize_email
from .errors import NotFound, ValidationError
from .permissions import require_admin

BLOCKED_DOMAINS_KEY = "spam_blocked_domains"
REASON_LABELS = {
    "honeypot": "Filled the hidden field",
    "too_fast": "Sent faster than a person types",
    "no_timestamp": "Form timestamp missing or forged",
    "links": "More links than a question needs",
    "blocked_domain": "Blocked domain",
}
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# What a contact submission may carry into the held payload; files cannot be held and are left out (see hold()).
_TEXT_FIELDS = ("name", "email", "company", "phone", "category", "subject", "body", "submission_key")


# ------------------------------------------------------------------------------------------------------ the rules


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="contact-form-started")


def started_token():
    """A signed stamp of now, put in the contact form when it is shown: how long the sender took is read from it."""
    return _serializer().dumps(secrets.token_hex(4))


def _min_seconds():
    return float(current_app.config.get("CONTACT_MIN_FILL_SECONDS", 3))


def _timing_reason(token):
    """None when the form took a person's time to fill; else why not. Off when CONTACT_MIN_FILL_SECONDS is 0."""
    minimum = _min_seconds()
    if minimum <= 0:
        return None
    if not token:
        return "no_timestamp"
    try:
        _, signed_at = _serializer().loads(token, return_timestamp=True)
    except (BadSignature, ValueError, TypeError):
        return "no_timestamp"
    age = time.time() - signed_at.timestamp()
    return "too_fast" if age < minimum else None


def links_in(text):
    """The web addresses written in a text."""
    return _URL.findall(text or "")


def _host(link):
    if link.lower().startswith("www."):
        link = "http://" + link
    try:
        return (urlsplit(link).hostname or "").lower()
    except ValueError:
        return ""


def _is_blocked(host, blocked):
    host = (host or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in blocked)


def reasons_for(contact, honeypot=None, started=None, form=True):
    """Why a contact submission looks like spam (a list of reason codes; empty when it does not).

    `form` is False for the API: a program sends no honeypot and no form timestamp, so only links, blocked domains
    (and the rate limits in the faces) apply there.
    """
    reasons = []
    if form:
        if (honeypot or "").strip():
            reasons.append("honeypot")
        timing = _timing_reason(started)
        if timing:
            reasons.append(timing)
    text = "\n".join(str(contact.get(name) or "") for name in ("name", "company", "subject", "body"))
    links = links_in(text)
    if len(links) > int(current_app.config.get("CONTACT_MAX_LINKS", 3)):
        reasons.append("links")
    blocked = blocked_domains()
    if blocked:
        sender_domain = str(contact.get("email") or "").rpartition("@")[2]
        if _is_blocked(sender_domain, blocked) or any(_is_blocked(_host(link), blocked) for link in links):
            reasons.append("blocked_domain")
    return reasons


# ------------------------------------------------------------------------------------------------- the submission


@dataclass(frozen=True)
class HeldReceipt:
    """What the sender of a held submission is shown in place of a ticket: the same fields, nothing real."""

    id: int
    status: str = "open"


def _check_fields(contact):
    """The checks submit_contact makes on the plain fields, so a held submission fails the same way a real one
    would (the sender must not learn that it was held). :raises ValidationError: beside each field."""
    errors = {}
    check_length(errors, "name", contact.get("name"), 2, 120, "your name")
    normalize_email(contact.get("email"), errors=errors)
    check_contact_fields(errors, contact.get("phone"), contact.get("company"))
    check_length(errors, "subject", " ".join(str(contact.get("subject") or "").split()), 2, 250, "a subject")
    tickets._check_body(errors, contact.get("body"), "body", "your message")
    tickets._category_for(contact.get("category"), errors)
    if errors:
        raise ValidationError(errors)


def submit_contact(ip="", honeypot=None, started=None, form=True, **contact):
    """The contact form (or POST /contact) behind the spam rules: (ticket, key) as tickets.submit_contact returns,
    or, for a held submission, (HeldReceipt, key) that look the same from outside.

    :raises ValidationError: as tickets.submit_contact does, held or not.
    """
    reasons = reasons_for(contact, honeypot=honeypot, started=started, form=form)
    if not reasons:
        return tickets.submit_contact(**contact)
    _check_fields(contact)
    row = hold(contact, reasons, ip)
    return HeldReceipt(id=_placeholder_number(row)), secrets.token_urlsafe(24)


def hold(contact, reasons, ip=""):
    """Keep a suspicious submission for the admins instead of opening a ticket. Files are not kept (only their
    names): spam rarely needs its attachments, and a released ticket can be asked for them."""
    payload = {name: contact.get(name) for name in _TEXT_FIELDS if contact.get(name) not in (None, "")}
    for name, value in contact.items():
        # Fields this module does not know (e.g. a category's intake fields) travel as they came, if JSON can.
        if name not in _TEXT_FIELDS and name not in ("files", "attachment_ids", "uploader") and value is not None:
            try:
                json.dumps(value)
            except TypeError:
                continue
            payload[name] = value
    dropped = [getattr(f, "filename", "") for f in contact.get("files") or [] if getattr(f, "filename", "")]
    if dropped:
        payload["dropped_files"] = dropped
    with write():
        return SuspendedSubmission.create(
            payload=json.dumps(payload),
            email=str(contact.get("email") or "")[:254],
            subject=" ".join(str(contact.get("subject") or "").split())[:250],
            reasons=",".join(reasons),
            ip=(ip or "")[:64],
        )


def _placeholder_number(row):
    # Held receipts count on from the newest real ticket, like real ticket numbers do.
    newest = Ticket.select(fn.MAX(Ticket.id)).scalar() or 0
    earlier = SuspendedSubmission.select().where(SuspendedSubmission.id < row.id).count()
    return newest + earlier + 1


# ------------------------------------------------------------------------------------------------------ moderation


def list_suspended(actor, cursor=None, limit=25):
    """Held submissions, newest first, each with `reason_list` (labels) and `data` (the payload)."""
    require_admin(actor)
    page = paging.keyset_page(SuspendedSubmission.select(), SuspendedSubmission.created_at, SuspendedSubmission.id,
                              "held", cursor, limit)
    for row in page.items:
        describe(row)
    return page


def describe(row):
    """Give a held submission its readable reasons and decoded payload."""
    row.reason_list = [REASON_LABELS.get(code, code) for code in row.reasons.split(",") if code]
    try:
        row.data = json.loads(row.payload)
    except ValueError:
        row.data = {}
    return row


def suspended_count():
    """How many submissions wait for an admin (no actor: the admin home reads it after its own check)."""
    return SuspendedSubmission.select().count()


def _get(submission_id):
    row = SuspendedSubmission.get_or_none(SuspendedSubmission.id == submission_id)
    if row is None:
        raise NotFound("No such held submission.")
    return row


def release(actor, submission_id):
    """Open the ticket a held submission asked for, as if just sent (the sender gets the usual e-mail with the
    private link); the held copy goes. Returns the ticket.

    :raises NotFound: when it is gone (released or deleted meanwhile).
    :raises ValidationError: when the ticket cannot be opened from it (e.g. its category is gone).
    """
    require_admin(actor)
    row = _get(submission_id)
    data = describe(row).data
    contact = {name: value for name, value in data.items() if name != "dropped_files"}
    ticket, _key = tickets.submit_contact(**contact)
    with write():
        SuspendedSubmission.delete().where(SuspendedSubmission.id == row.id).execute()
    return ticket


def delete(actor, submission_ids):
    """Throw held submissions away; returns how many went (ids already gone are ignored)."""
    require_admin(actor)
    ids = []
    for value in submission_ids or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    if not ids:
        return 0
    with write():
        return SuspendedSubmission.delete().where(SuspendedSubmission.id.in_(ids[:500])).execute()


def delete_one(actor, submission_id):
    """Throw one held submission away. :raises NotFound: when it is already gone."""
    require_admin(actor)
    if not delete(actor, [submission_id]):
        raise NotFound("No such held submission.")


# ------------------------------------------------------------------------------------------------- blocked domains


def blocked_domains():
    """The domains whose senders and links are held, lower-cased, in the order the admins wrote them."""
    row = Setting.get_or_none(Setting.key == BLOCKED_DOMAINS_KEY)
    return [d for d in (row.value.split() if row else []) if d]


def set_blocked_domains(actor, text):
    """Replace the list of blocked domains from text (one per line, or separated by spaces or commas); a leading
    "@", "*." or "http(s)://" is forgiven. :raises ValidationError: naming the entries that are not domains."""
    require_admin(actor)
    domains, bad = [], []
    for entry in re.split(r"[\s,;]+", text or ""):
        entry = entry.strip().lower()
        if not entry:
            continue
        entry = re.sub(r"^(https?://)?(\*\.|@)?", "", entry).split("/")[0].rstrip(".")
        if _DOMAIN.match(entry):
            if entry not in domains:
                domains.append(entry)
        else:
            bad.append(entry)
    if bad:
        raise ValidationError({"domains": "Not a domain: " + ", ".join(bad[:5]) + "."})
    if len(domains) > 1000:
        raise ValidationError({"domains": "At most 1,000 domains."})
    value = "\n".join(domains)
    with write():
        if not Setting.update(value=value).where(Setting.key == BLOCKED_DOMAINS_KEY).execute():
            Setting.create(key=BLOCKED_DOMAINS_KEY, value=value)
    return domains
