"""Domain events the services announce after their transaction commits; faces subscribe (e-mail, later webhooks)."""
from contextlib import contextmanager
from contextvars import ContextVar

from blinker import Namespace

_events = Namespace()
_held = ContextVar("held_signals", default=None)


def announce(signal, sender, **kwargs):
    """Send a domain event now, or at the end of the enclosing `held()` block."""
    held = _held.get()
    if held is None:
        signal.send(sender, **kwargs)
    else:
        held.append((signal, sender, kwargs))


@contextmanager
def held():
    """Hold the events announced inside this block until it ends without an error (after the caller's commit);
    an error drops them, so nobody hears of work that was rolled back."""
    events = []
    token = _held.set(events)
    try:
        yield
    finally:
        _held.reset(token)
    for signal, sender, kwargs in events:
        signal.send(sender, **kwargs)

# sender: the new Message (a public reply); kwargs: ticket, actor
reply_added = _events.signal("reply-added")
# sender: the new Ticket; kwargs: actor (who filed it: the customer, or an agent on their behalf),
# key (the ticket's fresh private link, shown once, for contact-form and e-mail tickets; else None)
ticket_created = _events.signal("ticket-created")
# sender: the ticket (or None); kwargs: to, subject, reason: an e-mail the desk could not take, answered politely
mail_refused = _events.signal("mail-refused")
# sender: the customer User; kwargs: links [(ticket, key)]: fresh private links asked for at /t/resend
links_renewed = _events.signal("links-renewed")
# sender: the new Message, a public reply or an internal note; kwargs: ticket, actor
message_added = _events.signal("message-added")
# sender: the Ticket; kwargs: actor (None for the system), changes [(field, old, new)] as written to its history
ticket_updated = _events.signal("ticket-updated")
# sender: the Rating (new or changed); kwargs: ticket
ticket_rated = _events.signal("ticket-rated")
# sender: the Ticket; kwargs: target ("first_response" or "resolution"): a promised time just passed, noticed once
sla_breached = _events.signal("sla-breached")
