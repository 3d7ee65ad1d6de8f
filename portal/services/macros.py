"""Macros: canned answers with field changes. Shared ones (no owner) are the admins'; personal ones their owner's alone.

A macro's body is Markdown with a handful of placeholders. They are filled in by plain substitution, never by a
template engine, so nothing written in a macro can run: anything else between braces is refused when the macro is
saved, and if it reaches the database some other way it is shown as the literal text it is.
"""
import json
import re
from dataclasses import dataclass

from peewee import fn

from ..db import write
from ..models import PRIORITIES, STATUSES, Macro, User, utcnow
from . import signals, tickets
from .errors import NotFound, PermissionDenied, ValidationError
from .permissions import is_admin, require_admin, require_staff

NAME_MAX = 120
BODY_MAX = tickets.MAX_BODY
TAG_MAX = 64
TAGS_MAX = 10
ACTIONS = ("status", "priority", "assignee_id", "add_tags")
FIELDS = ("name", "body", "internal", "actions")
PLACEHOLDERS = ("customer.name", "customer.first_name", "ticket.id", "ticket.subject", "agent.name")

_PLACEHOLDER = re.compile(r"\{\{\s*(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + r")\s*\}\}")
_DOUBLE_BRACES = re.compile(r"\{\{(.*?)\}\}", re.S)
_TEMPLATE_CODE = re.compile(r"\{%|\{#")


# ---------------------------------------------------------------------------------------------------------- readers


def actions_of(macro):
    """A macro's field changes as a dict with only the keys it sets (status, priority, assignee_id, add_tags)."""
    try:
        data = json.loads(macro.actions or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: data[key] for key in ACTIONS if data.get(key) not in (None, "", [])}


def is_shared(macro):
    return macro.owner_id is None


def placeholder_values(ticket, agent):
    """What each placeholder stands for on this ticket, written by this agent."""
    name = (ticket.customer.name or "").strip()
    return {
        "customer.name": name,
        "customer.first_name": name.split()[0] if name else "",
        "ticket.id": str(ticket.id),
        "ticket.subject": ticket.subject,
        "agent.name": agent.name,
    }


def fill(body, values):
    """The body with the known placeholders replaced by their values, in one pass: a value that itself looks like
    a placeholder (a customer named "{{ agent.name }}") stays as written, and nothing else is touched."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], body or "")


def _visible(actor):
    return (Macro.owner.is_null()) | (Macro.owner == actor.id)


def list_macros(actor, q=""):
    """The shared macros and the actor's own, by name; `q` narrows them to those whose name or body contains it
    (names that match first)."""
    require_staff(actor)
    macros = list(Macro.select().where(_visible(actor)).order_by(fn.LOWER(Macro.name), Macro.id))
    needle = " ".join((q or "").split())[:NAME_MAX].lower()
    if needle:
        # A desk has dozens of macros, not thousands: matching here is exact on every database.
        macros = [m for m in macros if needle in m.name.lower()] + \
                 [m for m in macros if needle not in m.name.lower() and needle in (m.body or "").lower()]
    return macros


def _macro(actor, macro_id):
    try:
        macro = Macro.get_or_none((Macro.id == int(macro_id)) & _visible(actor))
    except (TypeError, ValueError, OverflowError):
        macro = None
    if macro is None:
        raise NotFound("No such macro.")
    return macro


def get_macro(actor, macro_id):
    """One shared macro or one of the actor's own. :raises NotFound: for anyone else's personal macro."""
    require_staff(actor)
    return _macro(actor, macro_id)


def assignee_names(macros):
    """{user id: name} for the agents the macros assign to, in one query."""
    ids = {actions_of(m).get("assignee_id") for m in macros} - {None}
    if not ids:
        return {}
    return {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(list(ids)))}


@dataclass
class Change:
    """One field change a macro makes on send, in words: ("status", "status → Waiting")."""

    field: str
    text: str


def describe_actions(macro, names=None):
    """The macro's field changes in words, in a fixed order: status, priority, tags, assignee."""
    actions = actions_of(macro)
    changes = []
    if "status" in actions:
        changes.append(Change("status", f"status → {actions['status'].replace('_', ' ').capitalize()}"))
    if "priority" in actions:
        changes.append(Change("priority", f"priority → {actions['priority'].capitalize()}"))
    if actions.get("add_tags"):
        changes.append(Change("add_tags", "tags " + " ".join(f"+ {t}" for t in actions["add_tags"])))
    if "assignee_id" in actions:
        names = names if names is not None else assignee_names([macro])
        changes.append(Change("assignee_id", f"assign to {names.get(actions['assignee_id'], 'an agent who left')}"))
    return changes


# ------------------------------------------------------------------------------------------------------- checking


def check_body(errors, body, field="body"):
    """A body within the length limit whose only template syntax is the five placeholders."""
    if body is None:
        body = ""
    if not isinstance(body, str):
        errors[field] = "The body is text."
        return ""
    body = body.strip()
    allowed = ", ".join("{{ " + p + " }}" for p in PLACEHOLDERS)
    if len(body) > BODY_MAX:
        errors[field] = f"The body can be at most {BODY_MAX:,} characters."
    elif _TEMPLATE_CODE.search(body):
        errors[field] = (f"Macros cannot contain template code ({{% … %}} or {{# … #}}). "
                         f"Placeholders are: {allowed}.")
    else:
        for match in _DOUBLE_BRACES.finditer(body):
            if not _PLACEHOLDER.fullmatch(match.group(0)):
                shown = " ".join(match.group(1).split())[:40]
                errors[field] = f"“{{{{ {shown} }}}}” is not a placeholder. Placeholders are: {allowed}."
                break
    return body


def _check_name(errors, actor, name, shared, except_id=None):
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name:
        errors["name"] = "Give the macro a name, e.g. “Refund issued”."
    elif len(name) > NAME_MAX:
        errors["name"] = f"The name can be at most {NAME_MAX} characters."
    else:
        query = Macro.select().where(fn.LOWER(Macro.name) == name.lower(),
                                     Macro.owner.is_null() if shared else Macro.owner == actor.id)
        if except_id is not None:
            query = query.where(Macro.id != except_id)
        if query.exists():
            errors["name"] = ("Another shared macro already has this name." if shared
                              else "You already have a macro with this name.")
    return name


def _check_tags(errors, tags):
    if tags is None or tags == "":
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, (list, tuple)):
        errors["actions.add_tags"] = "Tags are a list of names."
        return []
    cleaned = []
    for tag in tags:
        if not isinstance(tag, str):
            errors["actions.add_tags"] = "Tags are a list of names."
            return []
        tag = " ".join(tag.split())
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            errors["actions.add_tags"] = f"A tag can be at most {TAG_MAX} characters."
            return []
        if "," in tag:
            errors["actions.add_tags"] = "A tag cannot contain a comma."
            return []
        if tag.lower() not in {t.lower() for t in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        errors["actions.add_tags"] = f"A macro can add at most {TAGS_MAX} tags."
        return []
    return cleaned


def _check_assignee(errors, value):
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        assignee_id = int(value)
    except (TypeError, ValueError, OverflowError):
        errors["actions.assignee_id"] = "Choose an active agent."
        return None
    found = User.select().where(User.id == assignee_id, User.role.in_(("agent", "admin")),
                                User.is_active == True).exists()  # noqa: E712
    if not found:
        errors["actions.assignee_id"] = "Choose an active agent."
        return None
    return assignee_id


def check_actions(errors, actions):
    """The field changes cleaned, with only the keys set; each problem beside actions.<name>."""
    if actions is None:
        return {}
    if not isinstance(actions, dict):
        errors["actions"] = "Actions are an object: status, priority, assignee_id, add_tags."
        return {}
    cleaned = {}
    for key in actions:
        if key not in ACTIONS:
            errors[f"actions.{str(key)[:40]}"] = f"Macros can change: {', '.join(ACTIONS)}."
    status, priority = actions.get("status"), actions.get("priority")
    if status not in (None, ""):
        if status not in STATUSES:
            errors["actions.status"] = f"Statuses are: {', '.join(STATUSES)}."
        else:
            cleaned["status"] = status
    if priority not in (None, ""):
        if priority not in PRIORITIES:
            errors["actions.priority"] = f"Priorities are: {', '.join(PRIORITIES)}."
        else:
            cleaned["priority"] = priority
    assignee_id = _check_assignee(errors, actions.get("assignee_id"))
    if assignee_id is not None:
        cleaned["assignee_id"] = assignee_id
    tags = _check_tags(errors, actions.get("add_tags"))
    if tags:
        cleaned["add_tags"] = tags
    return cleaned


def _clean(actor, values, changed, shared, except_id=None):
    errors, cleaned = {}, {}
    if "name" in changed:
        cleaned["name"] = _check_name(errors, actor, values.get("name"), shared, except_id)
    if "body" in changed:
        cleaned["body"] = check_body(errors, values.get("body"))
    if "internal" in changed:
        cleaned["internal"] = bool(values.get("internal"))
    if "actions" in changed:
        cleaned["actions"] = check_actions(errors, values.get("actions"))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _store(macro, cleaned):
    for name in ("name", "body", "internal"):
        if name in cleaned:
            setattr(macro, name, cleaned[name])
    if "actions" in cleaned:
        macro.actions = json.dumps(cleaned["actions"], separators=(",", ":"))
    if not macro.body and not actions_of(macro):
        raise ValidationError({"body": "Write a body, or choose at least one change for the macro to make."})


def _check_may_change(actor, macro):
    if is_shared(macro) and not is_admin(actor):
        raise PermissionDenied("Only administrators can change shared macros.")


def get_changeable(actor, macro_id):
    """A macro the actor may edit (for its form). :raises NotFound: someone else's personal macro.
    :raises PermissionDenied: an agent and a shared macro."""
    macro = get_macro(actor, macro_id)
    _check_may_change(actor, macro)
    return macro


# -------------------------------------------------------------------------------------------------------- changing


def create_macro(actor, name, body="", internal=False, actions=None, shared=False):
    """A new macro: shared with the whole team (admins only) or the actor's own.

    :raises PermissionDenied: when an agent asks for a shared macro.
    :raises ValidationError: beside name, body or actions.<name>.
    """
    require_staff(actor)
    if shared:
        require_admin(actor)
    values = dict(name=name, body=body, internal=internal, actions=actions)
    with write():
        cleaned = _clean(actor, values, set(FIELDS), bool(shared))
        macro = Macro(owner=None if shared else actor.id)
        _store(macro, cleaned)
        macro.save()
    return macro


def update_macro(actor, macro_id, **changes):
    """Change the fields given (name, body, internal, actions; actions are replaced whole).

    :raises NotFound: for someone else's personal macro. :raises PermissionDenied: an agent changing a shared one.
    """
    require_staff(actor)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in sorted(unknown)})
    with write():
        macro = _macro(actor, macro_id)
        _check_may_change(actor, macro)
        cleaned = _clean(actor, changes, set(changes), is_shared(macro), except_id=macro.id)
        _store(macro, cleaned)
        macro.updated_at = utcnow()
        macro.save()
    return macro


def delete_macro(actor, macro_id):
    """Delete a macro. :raises NotFound: someone else's personal one. :raises PermissionDenied: agents, shared ones."""
    require_staff(actor)
    with write():
        macro = _macro(actor, macro_id)
        _check_may_change(actor, macro)
        macro.delete_instance()
    return macro


# --------------------------------------------------------------------------------------------------------- applying


def render_for(actor, macro_id, ticket_id):
    """(macro, body) with the body's placeholders filled for this ticket and this agent.

    :raises NotFound: for a macro or ticket the actor may not see.
    """
    macro = get_macro(actor, macro_id)
    ticket = tickets.get_ticket(actor, ticket_id)
    return macro, fill(macro.body, placeholder_values(ticket, actor))


def _ticket_changes(macro, ticket, status=None):
    """The update_ticket arguments that carry out the macro's actions on this ticket."""
    actions = actions_of(macro)
    changes = {key: actions[key] for key in ("status", "priority", "assignee_id") if key in actions}
    if status:
        changes["status"] = status  # the send button the agent pressed wins over the macro's status
    if actions.get("add_tags"):
        names = [t.name for t in ticket.tag_list]
        known = {n.lower() for n in names}
        added = [t for t in actions["add_tags"] if t.lower() not in known]
        if added:
            changes["tags"] = names + added
    return changes


def _carry_out(actor, macro, ticket, body, internal, status, attachment_ids, after_message_id):
    """Post the message (if any) and make the macro's changes, inside the caller's transaction."""
    if body.strip():
        tickets.reply(actor, ticket.id, body, internal=internal, attachment_ids=attachment_ids,
                      after_message_id=after_message_id)
    elif attachment_ids:
        raise ValidationError({"body": "Write a message to go with the attachments."})
    changes = _ticket_changes(macro, ticket, status)
    if changes:
        try:
            tickets.update_ticket(actor, ticket.id, **changes)
        except ValidationError as error:
            # Nothing was sent: the reply above is rolled back with the rest of the transaction.
            problems = " ".join(error.errors.values())
            raise ValidationError({"macro_id": f"The macro “{macro.name}” cannot be applied: {problems} "
                                               "Edit the macro, or send without it."})


def apply_macro(actor, ticket_id, macro_id, after_message_id=None):
    """Post the macro's body (a reply, or a note for an internal macro) and make its changes, all or nothing.

    A macro without a body only makes its changes. Returns the ticket as it is afterwards.

    :raises NotFound: for a ticket or macro the actor may not see.
    :raises NewerMessages: when a public reply would answer a thread that moved on since `after_message_id`.
    :raises ValidationError: when one of the changes cannot be made (nothing is posted then).
    """
    require_staff(actor)
    macro = get_macro(actor, macro_id)
    with signals.held(), write():
        ticket = tickets.get_ticket(actor, ticket_id)
        body = fill(macro.body, placeholder_values(ticket, actor))
        _carry_out(actor, macro, ticket, body, macro.internal, None, None, after_message_id)
    return tickets.get_ticket(actor, ticket_id)


def reply_with_macro(actor, ticket_id, macro_id, body, internal=False, status=None, attachment_ids=None,
                     after_message_id=None):
    """Send a composer that was filled from a macro (its text perhaps edited) and make the macro's changes, all or
    nothing. A `status` chosen on sending wins over the macro's; an empty body only makes the changes.

    :raises NotFound: for a ticket or macro the actor may not see.
    :raises NewerMessages: when a public reply would answer a thread that moved on since `after_message_id`.
    :raises ValidationError: for the message, or a change that cannot be made (nothing is posted then).
    """
    require_staff(actor)
    macro = get_macro(actor, macro_id)
    if status not in (None, "") and status not in STATUSES:
        raise ValidationError({"status": f"Statuses are: {', '.join(STATUSES)}."})
    with signals.held(), write():
        ticket = tickets.get_ticket(actor, ticket_id)
        _carry_out(actor, macro, ticket, body or "", bool(internal), status or None, attachment_ids,
                   after_message_id)
    return tickets.get_ticket(actor, ticket_id)
