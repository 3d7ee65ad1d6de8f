"""The assistant through the API: drafts and summaries for agents, suggestions, and handing a ticket to a person."""
from ..services import assistant
from . import schemas as s
from . import serializers as out
from .core import operation

TAG = "Assistant"


@operation("POST", "/tickets/{ticket_id}/assist/draft", tag=TAG, summary="Draft a reply with the assistant (agents)",
           response=s.AssistDraftResponse, errors=(403, 503))
def draft_reply(actor, ticket_id):
    """A draft of the next public reply from the ticket's public thread and the best-matching published articles
    (never its internal notes). Nothing is sent: post it with `POST /tickets/{id}/messages` once a person has read
    it. 503 `ASSISTANT_UNAVAILABLE` when no model is configured, or it fails or is too slow."""
    return s.AssistDraftResponse(data=s.AssistDraft(body=assistant.draft_reply(actor, ticket_id)))


@operation("POST", "/tickets/{ticket_id}/assist/summary", tag=TAG, summary="Summarize a ticket (agents)",
           response=s.MessageResponse, status=201, errors=(403, 503))
def summarize(actor, ticket_id):
    """The assistant's summary of the ticket, posted as an internal note whose author has the role `assistant`.
    503 `ASSISTANT_UNAVAILABLE` when no model is configured, or it fails or is too slow."""
    return s.MessageResponse(data=out.message(assistant.summarize(actor, ticket_id)))


@operation("POST", "/tickets/{ticket_id}/handover", tag=TAG, summary="Talk to a person",
           response=s.TicketResponse, errors=(409,))
def handover(actor, ticket_id):
    """The assistant stops answering this ticket: it becomes open and joins the agents' queue like any other
    (the customer or staff). 409 when the ticket is not with the assistant."""
    return s.TicketResponse(data=out.ticket(assistant.handover(actor, ticket_id)))


@operation("GET", "/tickets/{ticket_id}/suggestions", tag=TAG, summary="Similar solved tickets and articles (agents)",
           response=s.SuggestionsResponse, errors=(403,))
def suggestions(actor, ticket_id):
    """Solved tickets sharing words with this ticket's subject and published articles matching it, from the
    full-text index: works without a model."""
    return s.SuggestionsResponse(data=out.suggestions(assistant.suggestions(actor, ticket_id)))
