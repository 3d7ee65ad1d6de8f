"""Privacy: what the desk holds about a customer handed over (export), their name and address taken out for good
(anonymise), trashed tickets deleted after the retention period, and a log of every one of these for the admins.

The export holds the customer's profile and their tickets as the customer sees them: ticket fields shown to
customers, public replies and their files. Internal notes, staff-only events, staff-only intake fields and other
people's addresses (CC) are the desk's own working notes and stay out.
"""
import json
import os
import tempfile
import zipfile
from datetime import timedelta

from flask import current_app
from peewee import JOIN, fn

from .. import search
from ..db import write
from ..models import (
    ApiToken, Attachment, Category, CategoryField, FieldChange, InboundEmail, Message, OutgoingMail, PrivacyLog,
    Rating, SignInFailure, SuspendedSubmission, Ticket, TicketCC, User, utcnow,
)
from . import paging
from .attachments import _path_for, clean_filename
from .errors import Conflict, NotFound
from .permissions import require_admin

ACTION_LABELS = {"export": "Export", "anonymize": "Anonymisation", "purge": "Trash purge"}
Author = User.alias("author")


def _log(action, actor, subject_label, detail=""):
    PrivacyLog.create(
        action=action,
        actor=actor,
        actor_label=f"{actor.name} <{actor.email}>" if actor is not None else "Automatic",
        subject_label=subject_label[:200],
        detail=detail,
        at=utcnow(),
    )


def _customer(customer_id):
    customer = User.get_or_none((User.id == customer_id) & (User.role == "customer"))
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def _when(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# ------------------------------------------------------------------------------------------------------------ export


def _profile(customer):
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "company": customer.company,
        "organization": customer.organization.name if customer.organization_id else None,
        "has_password": bool(customer.password_hash),
        "email_verified": customer.email_verified,
        "is_active": customer.is_active,
        "created_at": _when(customer.created_at),
        "last_login_at": _when(customer.last_login_at),
        "anonymized_at": _when(customer.anonymized_at),
    }


def _visible_fields(ticket, fields_by_category):
    try:
        values = json.loads(ticket.field_values or "{}")
    except ValueError:
        return {}
    shown = fields_by_category.get(ticket.category_id, {})
    return {key: value for key, value in values.items() if key in shown} if isinstance(values, dict) else {}


def _archive_name(attachment):
    return f"attachments/{attachment.id}-{clean_filename(attachment.filename)}"


def _collect(customer):
    """(tickets as JSON-ready dicts, the attachments to copy) for one customer."""
    tickets = list(
        Ticket.select(Ticket, Category)
        .join(Category, JOIN.LEFT_OUTER, on=(Ticket.category == Category.id), attr="category")
        .where(Ticket.customer == customer.id)
        .order_by(Ticket.id)
    )
    ticket_ids = [t.id for t in tickets] or [0]
    messages = list(
        Message.select(Message, Author)
        .join(Author, JOIN.LEFT_OUTER, on=(Message.author == Author.id), attr="author")
        .where(Message.ticket.in_(ticket_ids), Message.kind == "reply", Message.is_public == True)  # noqa: E712
        .order_by(Message.created_at, Message.id)
    )
    message_ids = [m.id for m in messages] or [0]
    # Their files on the tickets' public replies, and every file they uploaded anywhere (unattached ones too).
    files = list(
        Attachment.select()
        .where(Attachment.message.in_(message_ids) | (Attachment.uploader == customer.id))
        .order_by(Attachment.id)
    )
    files_by_message = {}
    for attachment in files:
        files_by_message.setdefault(attachment.message_id, []).append(attachment)
    fields_by_category = {}
    for row in CategoryField.select().where(CategoryField.visible_to_customer == True):  # noqa: E712
        fields_by_category.setdefault(row.category_id, {})[row.key] = row.label
    ratings = {r.ticket_id: r for r in Rating.select().where(Rating.ticket.in_(ticket_ids))}
    thread = {}
    for m in messages:
        author = m.author
        thread.setdefault(m.ticket_id, []).append({
            "id": m.id,
            "created_at": _when(m.created_at),
            "from": "you" if m.author_id == customer.id else ("assistant" if m.by_assistant else "support"),
            "author": author.name if author is not None else None,
            "body": m.body,
            "attachments": [_file_entry(a) for a in files_by_message.get(m.id, [])],
        })
    rows = []
    for t in tickets:
        rating = ratings.get(t.id)
        rows.append({
            "id": t.id,
            "subject": t.subject,
            "status": t.status,
            "priority": t.priority,
            "category": t.category.name if t.category_id and t.category else None,
            "channel": t.channel,
            "created_at": _when(t.created_at),
            "updated_at": _when(t.updated_at),
            "resolved_at": _when(t.resolved_at),
            "closed_at": _when(t.closed_at),
            "in_trash": t.deleted_at is not None,
            "fields": _visible_fields(t, fields_by_category),
            "rating": {"score": rating.score, "comment": rating.comment} if rating else None,
            "messages": thread.get(t.id, []),
        })
    public_ids = set(message_ids)
    uploads = [_file_entry(a) for a in files if a.message_id not in public_ids]
    return rows, uploads, files


def _file_entry(attachment):
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "file": _archive_name(attachment),
    }


def export_customer(actor, customer_id):
    """A ZIP of what the desk holds about a customer: customer.json, tickets.json and their files under
    attachments/. Returns (file name, an open binary file at its start); the export is logged.

    :raises PermissionDenied: for anyone but an admin.
    :raises NotFound: for staff accounts and ids that do not exist.
    """
    require_admin(actor)
    customer = _customer(customer_id)
    tickets, uploads, files = _collect(customer)
    # Large exports spill to a temporary file instead of memory; it goes away when the response closes it.
    archive = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    missing = []
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("customer.json", json.dumps(_profile(customer), indent=2, ensure_ascii=False))
        zf.writestr("tickets.json", json.dumps({"tickets": tickets, "other_files": uploads}, indent=2,
                                               ensure_ascii=False))
        for attachment in files:
            path = _path_for(attachment.sha256)
            if os.path.exists(path):
                zf.write(path, _archive_name(attachment))
            else:
                missing.append(attachment.id)
        zf.writestr("README.txt", _readme(customer, missing))
    archive.seek(0)
    with write():
        _log("export", actor, f"customer #{customer.id}",
             f"{len(tickets)} ticket(s), {len(files)} file(s)" + (f", {len(missing)} missing" if missing else ""))
    return f"customer-{customer.id}-{utcnow():%Y%m%d}.zip", archive


def _readme(customer, missing):
    site = current_app.config.get("SITE_NAME", "Support Desk")
    text = (
        f"What {site} holds about customer #{customer.id}, exported {utcnow():%Y-%m-%d %H:%M} UTC.\n\n"
        "customer.json  the profile\n"
        "tickets.json   their tickets as they see them: fields, public replies, ratings\n"
        "attachments/   the files of those replies and every file they uploaded\n\n"
        "Internal notes of the support team are not part of this export.\n"
    )
    if missing:
        text += f"\nFiles no longer in storage: {', '.join(f'#{i}' for i in missing)}\n"
    return text


# --------------------------------------------------------------------------------------------------------- anonymise


def anonymous_email(customer_id):
    """The address an anonymised customer keeps: unique, and never deliverable (.invalid is reserved)."""
    return f"anonymized-{customer_id}@invalid"


def anonymize_customer(actor, customer_id):
    """Take a customer's name, address, phone and company out for good and end every way in (password, sessions,
    tokens, private links); their tickets and messages stay, readable, under "Anonymous customer #id".

    :raises NotFound: for staff accounts and ids that do not exist.
    :raises Conflict: when the customer is already anonymised.
    """
    require_admin(actor)
    with write():
        customer = _customer(customer_id)
        if customer.anonymized_at is not None:
            raise Conflict("This customer is already anonymised.")
        old_email = customer.email.lower()
        placeholder = anonymous_email(customer.id)
        now = utcnow()
        User.update(
            name=f"Anonymous customer #{customer.id}",
            email=placeholder,
            phone=None,
            company=None,
            password_hash=None,
            email_verified=False,
            is_active=False,
            organization=None,
            anonymized_at=now,
            session_generation=User.session_generation + 1,
        ).where(User.id == customer.id).execute()
        ApiToken.update(revoked_at=now).where(ApiToken.user == customer.id, ApiToken.revoked_at.is_null()).execute()
        ticket_ids = [t.id for t in Ticket.select(Ticket.id).where(Ticket.customer == customer.id)]
        # Private links open the thread without signing in: they end too.
        Ticket.update(access_key_hash=None).where(Ticket.customer == customer.id).execute()
        cc_removed = TicketCC.delete().where(fn.LOWER(TicketCC.email) == old_email).execute()
        inbound = (InboundEmail.update(from_address=placeholder)
                   .where(fn.LOWER(InboundEmail.from_address) == old_email).execute())
        # Mail to or from them (its raw text names them) goes from the outbox; it can no longer be delivered anyway.
        outgoing = [m.id for m in OutgoingMail.select(OutgoingMail.id, OutgoingMail.recipients)
                    .where(fn.LOWER(OutgoingMail.recipients).contains(old_email))
                    if old_email in [r.strip().lower() for r in m.recipients.split(",")]]
        if outgoing:
            OutgoingMail.delete().where(OutgoingMail.id.in_(outgoing)).execute()
        # Event lines and history name CC addresses ("set CC to ..."): their address is replaced there too.
        Message.update(body=fn.REPLACE(Message.body, old_email, placeholder)).where(
            Message.kind == "event", Message.body.contains(old_email)).execute()
        for column in (FieldChange.old_value, FieldChange.new_value):
            FieldChange.update({column: fn.REPLACE(column, old_email, placeholder)}).where(
                column.contains(old_email)).execute()
        SuspendedSubmission.delete().where(fn.LOWER(SuspendedSubmission.email) == old_email).execute()
        SignInFailure.delete().where(fn.LOWER(SignInFailure.email) == old_email).execute()
        for ticket_id in ticket_ids:
            search.index_ticket(Ticket(id=ticket_id))
        _log("anonymize", actor, f"customer #{customer.id}",
             f"{len(ticket_ids)} ticket(s) kept; {cc_removed} CC entr{'y' if cc_removed == 1 else 'ies'} removed; "
             f"{inbound} inbound mail address(es) and {len(outgoing)} outgoing mail(s) scrubbed")
    return User.get_by_id(customer.id)


# ---------------------------------------------------------------------------------------------------- trash purge


class _Retention:
    """The worker purging the trash: allowed to purge, and no one in particular."""

    id = None
    name = "Trash retention"
    email = ""
    role = "admin"
    is_staff = True
    is_admin = True


def purge_from_trash(actor, ticket_id):
    """An admin's "Delete for good" on a trashed ticket, written to the privacy log.

    :raises NotFound: when the ticket is not in the trash. :raises PermissionDenied: for anyone but an admin.
    """
    from . import tickets

    tickets.purge_ticket(actor, ticket_id)
    with write():
        _log("purge", actor, f"ticket #{int(ticket_id)}", "Deleted for good from the trash by hand")


def purge_expired_trash(days=None):
    """Delete for good the tickets that have been in the trash longer than TRASH_RETENTION_DAYS (the worker's job);
    returns how many went. One log entry per run that deleted something."""
    from . import tickets

    days = current_app.config.get("TRASH_RETENTION_DAYS", 30) if days is None else days
    if days is None or days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=days)
    ids = [t.id for t in Ticket.select(Ticket.id).where(Ticket.deleted_at.is_null(False), Ticket.deleted_at < cutoff)
           .order_by(Ticket.id)]
    purged = []
    for ticket_id in ids:
        try:
            tickets.purge_ticket(_Retention(), ticket_id)
        except NotFound:  # restored or purged by an admin meanwhile
            continue
        purged.append(ticket_id)
    if purged:
        shown = ", ".join(f"#{i}" for i in purged[:50]) + (" ..." if len(purged) > 50 else "")
        with write():
            _log("purge", None, f"{len(purged)} ticket(s) from the trash",
                 f"In the trash for more than {days} days: {shown}")
    return len(purged)


# -------------------------------------------------------------------------------------------------------------- log


def list_log(actor, cursor=None, limit=25):
    """Privacy actions, newest first (keyset pages). :raises PermissionDenied: for anyone but an admin."""
    require_admin(actor)
    return paging.keyset_page(PrivacyLog.select(), PrivacyLog.at, PrivacyLog.id, "privacy", cursor, limit)
