"""Who else has a ticket open right now, and whether they are writing: collision detection for agents.

Each open workspace reports every few seconds; a report older than WINDOW seconds no longer counts. Reports live in
Redis when REDIS_URL is set (so every gunicorn process and machine sees the same), else in the database's presence
table, which works across the processes of one machine.
"""
import time
from dataclasses import dataclass
from datetime import timedelta

import redis
from flask import current_app

from ..db import write
from ..models import Message, Presence, Ticket, User, utcnow
from .errors import NotFound, ValidationError
from .permissions import require_staff

WINDOW = 15  # seconds: a workspace polls every 4, so a closed tab is forgotten within this
STATES = ("viewing", "replying")
_clients = {}


@dataclass
class Colleague:
    """Another agent on the same ticket."""

    user: User
    state: str  # viewing or replying

    @property
    def replying(self):
        return self.state == "replying"


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _clients[url]


def _key(ticket_id):
    return f"presence:ticket:{ticket_id}"


def _store(client, ticket_id, user_id, state):
    now = time.time()
    key = _key(ticket_id)
    if client is not None:
        pipe = client.pipeline()
        pipe.hset(key, str(user_id), f"{state}|{now}")
        pipe.expire(key, WINDOW * 2)
        pipe.hgetall(key)
        entries = pipe.execute()[-1]
        live, stale = {}, []
        for field, value in entries.items():
            seen_state, _, seen_at = value.decode().partition("|")
            if now - float(seen_at or 0) <= WINDOW:
                live[int(field)] = seen_state
            else:
                stale.append(field)
        if stale:
            client.hdel(key, *stale)
        return live
    at = utcnow()
    with write():
        Presence.insert(ticket=ticket_id, user=user_id, state=state, seen_at=at).on_conflict(
            conflict_target=[Presence.ticket, Presence.user],
            update={Presence.state: state, Presence.seen_at: at},
        ).execute()
        Presence.delete().where(Presence.ticket == ticket_id, Presence.seen_at < at - timedelta(seconds=WINDOW)).execute()
    rows = Presence.select(Presence.user, Presence.state).where(Presence.ticket == ticket_id).tuples()
    return {user_id: seen_state for user_id, seen_state in rows}


def report(actor, ticket_id, state="viewing"):
    """Record that the actor has the ticket open (viewing or replying) and return the other agents on it now.

    :raises NotFound: when there is no such ticket.
    """
    require_staff(actor)
    if state not in STATES:
        raise ValidationError({"state": "Presence is viewing or replying."})
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound("No such ticket.")
    if not Ticket.select(Ticket.id).where(Ticket.id == ticket_id).exists():
        raise NotFound("No such ticket.")
    live = _store(_redis(), ticket_id, actor.id, state)
    others = {user_id: seen_state for user_id, seen_state in live.items() if user_id != actor.id}
    if not others:
        return []
    people = User.select().where(User.id.in_(list(others)), User.is_active == True)  # noqa: E712
    colleagues = [Colleague(person, others[person.id]) for person in people]
    # Writers first: they are the ones about to answer.
    return sorted(colleagues, key=lambda c: (not c.replying, c.user.name.lower()))


def leave(actor, ticket_id):
    """Forget the actor on this ticket at once (the workspace was closed)."""
    require_staff(actor)
    client = _redis()
    if client is not None:
        client.hdel(_key(ticket_id), str(actor.id))
        return
    with write():
        Presence.delete().where(Presence.ticket == ticket_id, Presence.user == actor.id).execute()


def newer_public_count(actor, ticket_id, after_message_id):
    """How many public replies others wrote after `after_message_id` (the workspace's "new reply" hint); 0 when
    that is missing or not a message id."""
    try:
        after_message_id = int(after_message_id)
    except (TypeError, ValueError):
        return 0
    return (
        Message.select(Message.id)
        .where(Message.ticket == ticket_id, Message.id > after_message_id, Message.kind == "reply",
               Message.is_public == True,  # noqa: E712
               (Message.author.is_null()) | (Message.author != actor.id))
        .count()
    )


def sweep():
    """Drop presence rows nobody refreshed (the database store; Redis keys expire by themselves)."""
    with write():
        return Presence.delete().where(Presence.seen_at < utcnow() - timedelta(seconds=WINDOW * 4)).execute()
