"""Tell webhooks what happened on the desk, listening to the services' domain events (sent after their commit).

Each event's `data` is built with the API's serializers, so a receiver gets the Ticket and Message JSON the API gives
to staff: `ticket.created` {ticket, message (the description), actor}, `ticket.updated` {ticket, changes, actor},
`message.created` {message, ticket, internal, actor} and `ticket.rated` {ticket, rating}. Internal notes go out only
with `"internal": true`, since receivers are staff systems. With no webhook listening, an event costs one query.
"""
import logging

from flask import current_app, has_request_context

from .api import serializers as out
from .services import failures, signals, webhooks

log = logging.getLogger(__name__)


def _json(model):
    return model.model_dump(mode="json") if model is not None else None


def _ticket(ticket_id):
    return _json(out.ticket(webhooks.ticket_for_event(ticket_id)))


def _message(message_id):
    return _json(out.message(webhooks.message_for_event(message_id)))


def _actor(actor):
    user = getattr(actor, "user", actor)  # a key holder acts as the ticket's customer
    return _json(out.author(user)) if user is not None and getattr(user, "role", None) else None


def _publish(event_type, build):
    """Build the data and record the deliveries; a failure here never undoes the work that was announced."""
    try:
        listeners = webhooks.subscribers(event_type)
        if not listeners:
            return
        if has_request_context():
            data = build()
        else:  # the worker (mail polling) or the CLI: the API's links need a request to be built in
            with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
                data = build()
        webhooks.publish(event_type, data, listeners)
    except Exception as error:  # the work is committed: losing its event is written down where admins look
        log.exception("webhook event %s could not be recorded", event_type)
        try:
            failures.record("webhooks.publish", f"a {event_type} event", error)
        except Exception:
            log.exception("and the failure could not be recorded either")


def on_ticket_created(ticket, actor, key=None):
    def build():
        first = webhooks.first_message_id(ticket.id)
        return {"ticket": _ticket(ticket.id), "message": _message(first) if first else None, "actor": _actor(actor)}

    _publish("ticket.created", build)


def on_ticket_updated(ticket, actor, changes):
    _publish("ticket.updated", lambda: {
        "ticket": _ticket(ticket.id),
        "changes": [{"field": field, "old_value": old, "new_value": new} for field, old, new in changes],
        "actor": _actor(actor),
    })


def on_message_added(message, ticket, actor):
    _publish("message.created", lambda: {
        "message": _message(message.id),
        "ticket": _ticket(ticket.id),
        "internal": bool(message.internal),
        "actor": _actor(actor),
    })


def on_ticket_rated(rating, ticket):
    _publish("ticket.rated", lambda: {"ticket": _ticket(ticket.id), "rating": _json(out.rating(rating))})


def init_app(app):
    # weak=False: the handlers are module functions, kept for the life of the process anyway.
    signals.ticket_created.connect(on_ticket_created, weak=False)
    signals.ticket_updated.connect(on_ticket_updated, weak=False)
    signals.message_added.connect(on_message_added, weak=False)
    signals.ticket_rated.connect(on_ticket_rated, weak=False)
