"""The assistant: drafts and summaries for agents, first answers for customers who ask for them, and suggestions.

Everything that talks to a model is off unless ASSIST_API_URL names an OpenAI-compatible chat-completions endpoint;
suggestions (similar solved tickets, matching articles) come from the full-text index and always work.

What a model may read is decided in one place, `build_prompt`: the admin's instructions, this ticket's public
replies (internal notes only for a summary, which is itself an internal note) and published help-center articles.
Nothing of any other ticket or customer ever goes into a prompt.

An assistant thread (`Ticket.assistant_state == "active"`) gets one answer per customer message, posted as a public
reply marked `by_assistant`, up to ASSIST_QUOTA answers; the ticket then waits on the customer. "Talk to a person",
an agent's public reply, a spent quota or a failing model hand it to the queue (`"handed_over"`, status open).
"""
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from flask import current_app
from peewee import JOIN

from .. import search
from ..db import db, is_sqlite, write
from ..models import Message, Setting, Ticket, User, utcnow
from . import help_center, rich_text, signals, tickets
from .accounts import check_length
from .errors import Conflict, ServiceError, ValidationError
from .permissions import KeyHolder, is_staff, require_admin, require_staff

log = logging.getLogger(__name__)

INSTRUCTIONS_KEY = "assistant.instructions"
MAX_INSTRUCTIONS = 8_000
DEFAULT_INSTRUCTIONS = (
    "Be friendly, brief and precise. Answer from the conversation and the help-center articles; when you are not "
    "sure, say so rather than guess. Never promise refunds, deadlines or changes to an account."
)
MAX_THREAD_MESSAGES = 40  # the latest ones; older context matters less than the question at hand
MAX_MESSAGE_CHARS = 4_000
MAX_ARTICLES = 3
MAX_ARTICLE_CHARS = 3_000
MAX_RESPONSE_BYTES = 1_000_000
MAX_ANSWER_CHARS = tickets.MAX_BODY
SOLVED = ("resolved", "closed")

TASKS = {
    "draft": (
        "Write the next reply from the support team to the customer. Answer their latest message. Write only the "
        "reply itself, in Markdown, ready to send: no subject line, no notes to the agent. Do not invent facts, "
        "policies or links that are not in the conversation or the articles."
    ),
    "summary": (
        "Summarize this ticket for a colleague who has not read it, in at most five short Markdown bullet points: "
        "what the customer wants, what has been tried or promised, what is still open, and the next step."
    ),
    "answer": (
        "You are answering the customer yourself, on the support desk, before a person from the team does. Answer "
        "their latest message in Markdown. Do not invent facts, policies or links that are not in the conversation "
        "or the articles. If you cannot help, or they ask for a person, tell them to press \"Talk to a person\"."
    ),
}
QUOTA_NOTICE = ("The assistant has answered as often as it may on one ticket, so a person from our team takes it "
                "from here.")
FAILED_NOTICE = "The assistant could not answer just now, so a person from our team takes it from here."


class AssistantUnavailable(ServiceError):
    """The assistant is not available right now."""

    code = "ASSISTANT_UNAVAILABLE"
    status = 503


# ------------------------------------------------------------------------------------------------------- settings


def is_configured():
    """Whether a model is configured (ASSIST_API_URL is set)."""
    return bool(current_app.config.get("ASSIST_API_URL"))


def quota():
    """How many answers the assistant may give on one ticket."""
    return max(0, int(current_app.config.get("ASSIST_QUOTA", 5)))


def instructions():
    """The admin's instructions to the assistant, or the built-in ones when none are written."""
    row = Setting.get_or_none(Setting.key == INSTRUCTIONS_KEY)
    return row.value if row is not None and row.value.strip() else DEFAULT_INSTRUCTIONS


@dataclass
class Status:
    configured: bool
    endpoint: str  # scheme and host only: never the key, never a path that might carry one
    model: str
    timeout: float
    quota: int
    instructions: str
    custom: bool  # the admin wrote instructions (else the built-in ones apply)


def status(actor):
    """What an admin sees on the assistant page: whether it is configured, its limits and its instructions.

    :raises PermissionDenied: for anyone but an admin.
    """
    require_admin(actor)
    config = current_app.config
    url = config.get("ASSIST_API_URL") or ""
    parts = urlsplit(url)
    row = Setting.get_or_none(Setting.key == INSTRUCTIONS_KEY)
    return Status(
        configured=bool(url),
        endpoint=f"{parts.scheme}://{parts.hostname}{':%d' % parts.port if parts.port else ''}" if url else "",
        model=config.get("ASSIST_MODEL") or "",
        timeout=float(config.get("ASSIST_TIMEOUT") or 20),
        quota=quota(),
        instructions=instructions(),
        custom=row is not None and bool(row.value.strip()),
    )


def save_instructions(actor, text):
    """Replace the assistant's instructions; empty text brings back the built-in ones.

    :raises PermissionDenied: for anyone but an admin. :raises ValidationError: when too long.
    """
    require_admin(actor)
    text = (text or "").strip()
    errors = {}
    if text:
        text = check_length(errors, "instructions", text, 1, MAX_INSTRUCTIONS, "instructions")
    if errors:
        raise ValidationError(errors)
    with write():
        updated = Setting.update(value=text).where(Setting.key == INSTRUCTIONS_KEY).execute()
        if not updated:
            Setting.create(key=INSTRUCTIONS_KEY, value=text)
    return text


# --------------------------------------------------------------------------------------------------------- client

_pool = urllib3.PoolManager(num_pools=4, maxsize=8)


def _endpoint(url):
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def complete(messages):
    """The model's answer to a list of chat messages, within ASSIST_TIMEOUT seconds in all.

    :raises AssistantUnavailable: when it is not configured, too slow, unreachable, or answers with an error.
    """
    config = current_app.config
    url = config.get("ASSIST_API_URL")
    if not url:
        raise AssistantUnavailable("The assistant is not configured.")
    seconds = float(config.get("ASSIST_TIMEOUT") or 20)
    too_slow = AssistantUnavailable(f"The assistant did not answer in {seconds:g} s.")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.get("ASSIST_API_KEY"):
        headers["Authorization"] = f"Bearer {config['ASSIST_API_KEY']}"
    payload = {"model": config.get("ASSIST_MODEL") or "default", "messages": messages, "temperature": 0.3}
    deadline = time.monotonic() + seconds
    try:
        response = _pool.request(
            "POST", _endpoint(url), body=json.dumps(payload).encode(), headers=headers,
            timeout=urllib3.Timeout(total=seconds), retries=False, redirect=False, preload_content=False,
        )
        try:
            # Read in pieces against one deadline, so a server that trickles bytes cannot stretch the wait.
            chunks, size = [], 0
            for chunk in response.stream(16_384):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise AssistantUnavailable("The assistant service sent an answer too large to use.")
                if time.monotonic() > deadline:
                    raise too_slow
        finally:
            response.release_conn()
    except urllib3.exceptions.NewConnectionError as error:  # a subclass of the timeout errors, for history's sake
        log.warning("assistant: %s unreachable: %s", _endpoint(url), error)
        raise AssistantUnavailable("The assistant service could not be reached.")
    except urllib3.exceptions.TimeoutError:
        raise too_slow
    except urllib3.exceptions.HTTPError as error:
        if isinstance(getattr(error, "reason", None), urllib3.exceptions.TimeoutError):
            raise too_slow
        log.warning("assistant: %s unreachable: %s", _endpoint(url), error)
        raise AssistantUnavailable("The assistant service could not be reached.")
    if response.status != 200:
        log.warning("assistant: %s answered %s", _endpoint(url), response.status)
        raise AssistantUnavailable(f"The assistant service answered {response.status}.")
    try:
        text = json.loads(b"".join(chunks))["choices"][0]["message"]["content"]
        if not isinstance(text, str):
            raise TypeError("content is not text")
    except (ValueError, KeyError, IndexError, TypeError):
        raise AssistantUnavailable("The assistant service sent an answer the desk cannot read.")
    text = text.strip()
    if not text:
        raise AssistantUnavailable("The assistant gave an empty answer.")
    return text[:MAX_ANSWER_CHARS]


# --------------------------------------------------------------------------------------------------------- prompts


def _thread_for_prompt(ticket, with_notes):
    """This ticket's replies (and notes when asked), the latest MAX_THREAD_MESSAGES, oldest first."""
    kinds = ("reply", "note") if with_notes else ("reply",)
    condition = (Message.ticket == ticket.id) & Message.kind.in_(kinds)
    if not with_notes:
        condition &= Message.is_public == True  # noqa: E712
    rows = list(
        Message.select(Message, User)
        .join(User, JOIN.LEFT_OUTER, on=(Message.author == User.id), attr="author")
        .where(condition)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(MAX_THREAD_MESSAGES)
    )
    return rows[::-1]


def _speaker(message, ticket):
    if message.by_assistant:
        who = "Assistant"
    elif message.author is None:
        who = "Customer"
    elif message.author.is_staff:
        who = f"Support agent {message.author.name}"
    elif message.author_id == ticket.customer_id:
        who = f"Customer {message.author.name}"
    else:
        who = f"{message.author.name} (in copy)"
    return f"{who} (internal note)" if message.kind == "note" else who


def _clip(text, limit):
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " […]"


def articles_for(ticket, thread):
    """The published help-center articles that best match the ticket's subject and the customer's latest words."""
    latest = next((m.body for m in reversed(thread) if not m.by_assistant and m.kind == "reply"
                   and not (m.author is not None and m.author.is_staff)), "")
    return help_center.suggest(f"{ticket.subject} {latest}", limit=MAX_ARTICLES)


def build_prompt(ticket, purpose, thread, articles):
    """The chat messages for one task (`draft`, `summary` or `answer`) on one ticket: the only way text reaches
    a model. `thread` and `articles` come from `_thread_for_prompt` and `articles_for`."""
    system = [instructions().strip(), "",
              f"You work for the support desk of {current_app.config.get('SITE_NAME') or 'this company'}."]
    if articles:
        system += ["", "Help-center articles that may help (quote or link them by title):"]
        for article in articles:
            system += ["", f"## {article.title}", _clip(article.body, MAX_ARTICLE_CHARS)]
    conversation = [f"Ticket #{ticket.id}: {ticket.subject}", ""]
    for message in thread:
        conversation += [f"--- {_speaker(message, ticket)}, {message.created_at:%Y-%m-%d %H:%M} UTC:",
                         _clip(message.body, MAX_MESSAGE_CHARS), ""]
    conversation += ["---", TASKS[purpose]]
    return [{"role": "system", "content": "\n".join(system)}, {"role": "user", "content": "\n".join(conversation)}]


# ----------------------------------------------------------------------------------------------------- for agents


def draft_reply(actor, ticket_id):
    """A draft of the next public reply, for the agent to read, change and send (it is never sent by itself).

    :raises NotFound: :raises PermissionDenied: for customers. :raises AssistantUnavailable:
    """
    require_staff(actor)
    ticket = tickets.get_ticket(actor, ticket_id)
    thread = _thread_for_prompt(ticket, with_notes=False)
    return complete(build_prompt(ticket, "draft", thread, articles_for(ticket, thread)))


def summarize(actor, ticket_id):
    """A summary of the ticket, posted as an internal note marked as the assistant's.

    :raises NotFound: :raises PermissionDenied: for customers. :raises AssistantUnavailable:
    """
    require_staff(actor)
    ticket = tickets.get_ticket(actor, ticket_id)
    text = complete(build_prompt(ticket, "summary", _thread_for_prompt(ticket, with_notes=True), []))
    with write():
        note = _assistant_message(ticket, "note", f"**Summary**\n\n{text}", at=utcnow())
        Ticket.update(updated_at=note.created_at).where(Ticket.id == ticket.id).execute()
    signals.announce(signals.message_added, note, ticket=ticket, actor=None)
    return note


def _assistant_message(ticket, kind, body, at):
    message = Message.create(ticket=ticket.id, kind=kind, author=None, body=body,
                             body_html=rich_text.render(body) if kind != "event" else "",
                             is_public=kind != "note", by_assistant=True, created_at=at)
    message.ticket = ticket
    if kind != "event":
        search.index_message(message)
    return message


# -------------------------------------------------------------------------------------------------- for customers


def open_ticket(actor, **fields):
    """A new ticket the assistant answers first (see `answer_customer`); an ordinary one when no model is set.

    Takes the arguments of tickets.create_ticket. :raises ValidationError:
    """
    if not is_configured() or is_staff(actor):
        return tickets.create_ticket(actor, **fields)
    # Held, so the "created" event goes out once the ticket is an assistant thread and starts its first answer.
    with signals.held():
        ticket = tickets.create_ticket(actor, **fields)
        with write():
            Ticket.update(assistant_state="active").where(Ticket.id == ticket.id, Ticket.assistant_state.is_null(),
                                                          Ticket.message_count == 1).execute()
        ticket.assistant_state = Ticket.get_by_id(ticket.id).assistant_state
    return ticket


def needs_answer(message, ticket):
    """Whether a new public message on a ticket is one the assistant should answer (a customer's, while active)."""
    if ticket.assistant_state != "active" or message.kind != "reply" or message.by_assistant:
        return False
    return not (message.author is not None and message.author.is_staff)


def _latest_public_reply(ticket_id):
    return (Message.select(Message, User)
            .join(User, JOIN.LEFT_OUTER, on=(Message.author == User.id), attr="author")
            .where(Message.ticket == ticket_id, Message.kind == "reply", Message.is_public == True)  # noqa: E712
            .order_by(Message.created_at.desc(), Message.id.desc()).first())


def answer_customer(ticket_id, message_id):
    """The job body: answer the customer's latest message on an assistant thread, or hand the ticket over when the
    quota is spent or the model fails. Does nothing when a person has taken over or the message is answered."""
    ticket = tickets.load_ticket(ticket_id)
    if ticket is None or ticket.deleted_at is not None or ticket.assistant_state != "active":
        return None
    latest = _latest_public_reply(ticket.id)
    if latest is None or latest.id < message_id or not needs_answer(latest, ticket):
        return None  # already answered (or a person wrote): nothing is waiting for the assistant
    if not is_configured():
        return _hand_over(ticket, None, FAILED_NOTICE)
    if ticket.assistant_answers >= quota():
        return _hand_over(ticket, None, QUOTA_NOTICE)
    thread = _thread_for_prompt(ticket, with_notes=False)
    try:
        text = complete(build_prompt(ticket, "answer", thread, articles_for(ticket, thread)))
    except AssistantUnavailable as error:
        from . import failures

        failures.record("assistant.answer", f"ticket #{ticket.id}", error)
        return _hand_over(ticket, None, FAILED_NOTICE)
    with write():
        fresh = Ticket.get_or_none(Ticket.id == ticket.id)
        newest = _latest_public_reply(ticket.id)
        # A person took over, or the customer wrote again while the model was thinking (their own job answers
        # with the whole thread): this answer is stale.
        if fresh is None or fresh.assistant_state != "active" or newest is None or newest.id != latest.id:
            return None
        now = utcnow()
        answer = _assistant_message(fresh, "reply", text, at=now)
        fresh.assistant_answers += 1
        fresh.message_count += 1
        fresh.last_agent_message_at = now
        fresh.updated_at = now
        # The answer itself says what happened: no status line in the thread.
        tickets._set_status(fresh, "waiting", None, now, line=False)
        fresh.save()
    signals.announce(signals.message_added, answer, ticket=fresh, actor=None)
    tickets.announce_changes(fresh, None)
    return answer


def _hand_over(ticket, person, notice):
    """Take the ticket off the assistant: a public notice, the state `handed_over` and status open, in one
    transaction. Returns the fresh ticket row."""
    with write():
        fresh = Ticket.get_or_none(Ticket.id == ticket.id)
        if fresh is None or fresh.assistant_state != "active":
            return fresh
        now = utcnow()
        fresh.assistant_state = "handed_over"
        tickets._record(fresh, person, "assistant", "active", "handed_over", now, line=False)
        if person is None:
            _assistant_message(fresh, "event", notice, at=now)
        else:
            Message.create(ticket=fresh.id, kind="event", author=person, body=notice, is_public=True, created_at=now)
        if fresh.status != "open":
            tickets._set_status(fresh, "open", person, now, line=False)
        fresh.updated_at = now
        fresh.save()
    tickets.announce_changes(fresh, person)
    return fresh


def handover(actor, ticket_id):
    """"Talk to a person": the assistant stops answering and the ticket joins the agents' queue as open.

    :raises NotFound: :raises Conflict: when the ticket is not (or no longer) with the assistant.
    """
    ticket = tickets.get_ticket(actor, ticket_id)
    if ticket.assistant_state != "active":
        raise Conflict("This ticket is not with the assistant: the support team already handles it.")
    person = actor.user if isinstance(actor, KeyHolder) else actor
    notice = (f"{person.name} took over from the assistant." if is_staff(person)
              else f"{person.name} asked to talk to a person; the support team takes it from here.")
    _hand_over(ticket, person, notice)
    return tickets.get_ticket(actor, ticket_id)


def person_replied(message, ticket):
    """An agent's public reply on an assistant thread: a person has taken over, so the assistant stops."""
    author = message.author
    if ticket.assistant_state == "active" and message.kind == "reply" and author is not None and author.is_staff:
        _hand_over(ticket, author, f"{author.name} took over from the assistant.")


# ---------------------------------------------------------------------------------------------------- suggestions


@dataclass
class Suggestions:
    ticket: Ticket
    tickets: list  # solved tickets sharing words with the subject, best match first
    articles: list  # published articles matching the subject


def suggestions(actor, ticket_id, limit=5):
    """Similar solved tickets and matching published articles for a ticket, from the full-text index (no model).

    :raises NotFound: :raises PermissionDenied: for customers.
    """
    require_staff(actor)
    ticket = tickets.get_ticket(actor, ticket_id)
    words = help_center.significant_words(ticket.subject)
    return Suggestions(ticket=ticket, tickets=_similar_solved(ticket, words, limit),
                       articles=help_center.suggest(ticket.subject, limit=limit))


def _similar_solved(ticket, words, limit):
    if not words:
        return []
    solved = (Ticket.status.in_(SOLVED) & Ticket.deleted_at.is_null() & Ticket.merged_into.is_null()
              & (Ticket.id != ticket.id))
    fields = (Ticket.id, Ticket.subject, Ticket.status, Ticket.resolved_at, Ticket.closed_at, Ticket.updated_at)
    if not is_sqlite():
        condition = None
        for word in words:
            term = Ticket.subject ** f"%{word}%"
            condition = term if condition is None else condition | term
        return list(Ticket.select(*fields).where(solved & condition).order_by(Ticket.updated_at.desc()).limit(limit))
    # Any word may match (a subject is a sentence, not a query); a match in a subject weighs most.
    match = "{subject replies} : (" + " OR ".join(f'"{w}"*' for w in words) + ")"
    ranked = [row[0] for row in db.execute_sql(
        "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ? ORDER BY bm25(ticket_fts, 5.0, 1.0, 0.0, 0.0) "
        "LIMIT 200", (match,)).fetchall()]
    if not ranked:
        return []
    found = {t.id: t for t in Ticket.select(*fields).where(solved & Ticket.id.in_(ranked))}
    return [found[i] for i in ranked if i in found][:limit]

