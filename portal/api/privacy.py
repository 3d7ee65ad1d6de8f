"""Privacy through the API: a customer's data exported or anonymised, and the log of privacy actions (admins)."""
from flask import send_file

from ..services import directory, privacy
from . import schemas as s
from . import serializers as out
from .core import list_meta, operation

TAG = "Privacy"


@operation("GET", "/customers/{customer_id}/export", tag=TAG, summary="Export a customer's data (admins)",
           download=True, errors=(403,))
def export_customer(actor, customer_id):
    """A ZIP (application/zip, as an attachment) of what the desk holds about the customer: `customer.json` (the
    profile), `tickets.json` (their tickets as they see them: fields shown to customers, public replies, ratings)
    and `attachments/<id>-<file name>` (files of those replies and every file they uploaded). Internal notes and
    other people's addresses are not included. Each export is written to the privacy log."""
    filename, archive = privacy.export_customer(actor, customer_id)
    response = send_file(archive, mimetype="application/zip", as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


@operation("POST", "/customers/{customer_id}/anonymize", tag=TAG, summary="Anonymise a customer (admins)",
           response=s.CustomerResponse, errors=(403, 409))
def anonymize_customer(actor, customer_id):
    """For good: the name becomes "Anonymous customer #id", the address `anonymized-<id>@invalid`, phone and company
    go; the password, sessions, tokens and private links stop working; CC entries and logged mail with the address
    are scrubbed. Tickets and messages stay, readable. 409 when already anonymised. Logged."""
    customer = privacy.anonymize_customer(actor, customer_id)
    return s.CustomerResponse(data=out.customer(directory.get_customer(actor, customer.id)))


@operation("GET", "/privacy-log", tag=TAG, summary="List privacy actions (admins)", query=s.PageQuery,
           response=s.PrivacyLogList, errors=(403,))
def list_privacy_log(actor, query):
    """Exports, anonymisations and trash purges, newest first."""
    page = privacy.list_log(actor, cursor=query.cursor or None, limit=query.limit)
    return s.PrivacyLogList(data=[out.privacy_log_entry(e) for e in page.items], meta=list_meta(page))
