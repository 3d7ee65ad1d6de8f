"""Mail in through the API: a mail server or a script posts a raw message; admins read the inbound log."""
from flask import request

from ..services import inbound
from . import schemas as s
from . import serializers as out
from .core import operation, list_meta
from .errors import ApiError

TAG = "Inbound e-mail"


@operation("POST", "/inbound/email", tag=TAG, summary="Take in a raw e-mail (admins)", raw_body="message/rfc822",
           response=s.InboundEmailResponse, status=201, errors=(403,))
def receive_email(actor):
    """Send one raw RFC 5322 message as the body (`Content-Type: message/rfc822`), e.g. from a mail server's hook.

    It goes through the same steps as mail fetched from the IMAP mailbox: duplicate, auto-reply, threading, new
    ticket. The answer is its log entry; an `error` outcome can be retried later, nothing of it is half-made.
    """
    if request.mimetype != "message/rfc822":
        raise ApiError(400, "Send the raw message with Content-Type: message/rfc822.")
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise ApiError(422, "The body is empty: send the raw message.", [("body", "Send the raw message.")])
    return s.InboundEmailResponse(data=out.inbound_email(inbound.submit(actor, raw)))


@operation("GET", "/inbound/email", tag=TAG, summary="The inbound e-mail log (admins)", query=s.InboundListQuery,
           response=s.InboundEmailList, errors=(403,))
def list_inbound_email(actor, query):
    """Every message that reached the desk by e-mail, newest first, with what became of it."""
    page = inbound.list_entries(actor, query.outcome, cursor=query.cursor or None, limit=query.limit)
    return s.InboundEmailList(data=[out.inbound_email(e) for e in page.items], meta=list_meta(page))


@operation("POST", "/inbound/email/{entry_id}/retry", tag=TAG, summary="Try a failed message again (admins)",
           response=s.InboundEmailResponse, errors=(403,))
def retry_inbound_email(actor, entry_id):
    """Run a message whose entry ended in `error` through the desk again; other outcomes are a conflict."""
    return s.InboundEmailResponse(data=out.inbound_email(inbound.retry(actor, entry_id)))
