"""Domain events the services announce after their transaction commits; faces subscribe (e-mail, later webhooks)."""
from blinker import Namespace

_events = Namespace()

# sender: the new Message (a public reply); kwargs: ticket, actor
reply_added = _events.signal("reply-added")
# sender: the new Ticket; kwargs: actor (who filed it: the customer, or an agent on their behalf)
ticket_created = _events.signal("ticket-created")
