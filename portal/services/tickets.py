"""Tickets and their threads: filing, listing, reading, replying, closing, reopening and field changes."""
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN, fn

from .. import search
from ..db import write
from ..models import (
    CHANNELS,
    PRIORITIES,
    PRIORITY_RANK,
    STATUSES,
    Attachment,
    Category,
    FieldChange,
    Message,
    Organization,
    Rating,
    Tag,
    Ticket,
    TicketCC,
    TicketTag,
    User,
    utcnow,
)
from . import attachments, intake_fields, rich_text, signals, sla
from .accounts import check_contact_fields, check_length, normalize_email
from .errors import Conflict, NewerMessages, NotFound, ServiceError, ValidationError
from .paging import Page, decode_cursor, encode_cursor
from .permissions import (
    KeyHolder, check_ticket, is_admin, is_staff, require_staff, require_user, shared_organization_id,
)

MAX_BODY = 50_000
Assignee = User.alias("assignee")
Customer = User.alias("customer")


# ----------------------------------------------------------------------------------------------------------- helpers


def _author_of(actor):
    return actor.user if isinstance(actor, KeyHolder) else actor


def _category_for(slug, errors, field="category"):
    if not slug:
        return None
    category = Category.get_or_none((Category.slug == slug) & (Category.is_active == True))  # noqa: E712
    if category is None:
        errors[field] = "Choose one of the listed categories."
    return category


def _check_body(errors, body, field="body", label="a message"):
    body = (body or "").strip()
    if not body:
        errors[field] = f"Enter {label}."
    elif len(body) > MAX_BODY:
        errors[field] = f"The message can be at most {MAX_BODY:,} characters."
    return body


def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def _one_line(text):
    # A subject is one line everywhere it goes: lists, page titles, e-mail headers (where a line break is refused).
    return " ".join((text or "").split())


def _add_message(ticket, kind, author, body, is_public=None, at=None):
    message = Message.create(
        ticket=ticket,
        kind=kind,
        author=author,
        body=body,
        body_html=rich_text.render(body) if kind != "event" else "",
        is_public=(kind == "reply") if is_public is None else is_public,
        created_at=at or utcnow(),
    )
    search.index_message(message)
    return message


def _event_text(actor, field_name, old, new):
    who = actor.name if actor is not None else "System"
    label = field_name.replace("_", " ")
    if field_name == "assignee":
        if new and actor is not None and new == actor.name:
            return f"{who} took the ticket"
        return f"{who} assigned the ticket to {new}" if new else f"{who} unassigned the ticket"
    if field_name == "tags":
        return f"{who} changed tags to {new or 'none'}"
    if field_name == "cc":
        return f"{who} set CC to {new or 'nobody'}"
    if field_name == "locked":
        return f"{who} locked the ticket" if new == "true" else f"{who} unlocked the ticket"
    return f"{who} set {label} to {new or 'none'}"


def _record(ticket, actor, field_name, old, new, at, text=None, public=None, line=True):
    """One history entry and, unless `line` is false, one event line in the thread (`text`, or one written from the
    change); status events are public unless `public` says otherwise, the rest staff-only."""
    old = None if old is None else str(old)
    new = None if new is None else str(new)
    FieldChange.create(ticket=ticket, field=field_name, old_value=old, new_value=new, actor=actor, at=at)
    ticket.__dict__.setdefault("changes_made", []).append((field_name, old, new))
    if line:
        _add_message(ticket, "event", actor, text or _event_text(actor, field_name, old, new),
                     is_public=(field_name == "status") if public is None else public, at=at)


def announce_changes(ticket, actor):
    """Tell subscribers (webhooks) what an operation changed on a ticket, once, after its transaction."""
    changes = ticket.__dict__.pop("changes_made", None)
    if changes:
        signals.announce(signals.ticket_updated, ticket, actor=actor, changes=changes)


def _set_status(ticket, status, actor, at, line=True):
    """Change the status with its timestamps, service-level bookkeeping and history; `line=False` leaves the thread
    without an event line (when a message posted with it already says what happened)."""
    if status == ticket.status:
        return
    old = ticket.status
    ticket.status = status
    if status == "resolved":
        ticket.resolved_at = at
    if status == "closed":
        ticket.closed_at = at
    sla.status_changed(ticket, old, status, at)
    _record(ticket, actor, "status", old, status, at, line=line)


def _attach(actor, message, attachment_ids):
    """Hang the caller's own unattached uploads on a message."""
    if not attachment_ids:
        return []
    owner = _author_of(actor)
    ids = list(dict.fromkeys(int(i) for i in attachment_ids))
    uploads = list(
        Attachment.select().where(
            Attachment.id.in_(ids), Attachment.uploader == owner, Attachment.message.is_null()
        )
    )
    if len(uploads) != len(ids):
        raise ValidationError({"attachment_ids": "One of the attachments does not exist or is already used."})
    Attachment.update(message=message).where(Attachment.id.in_(ids)).execute()
    return uploads


# ------------------------------------------------------------------------------------------------------------ create


def create_ticket(
    actor,
    subject,
    description,
    category=None,
    priority=None,
    channel="portal",
    customer_email=None,
    customer_name=None,
    tags=None,
    assignee_id=None,
    attachment_ids=None,
    submission_key=None,
    with_access_key=False,
    fields=None,
):
    """A new open ticket whose description is its first public message.

    Customers file for themselves; agents may file on behalf of a customer by e-mail (creating them when new).
    A repeated submission_key returns the ticket the first submission created. `with_access_key` gives the ticket a
    private link (e-mail tickets), announced once with the new ticket.
    """
    require_user(actor)
    errors = {}
    subject = check_length(errors, "subject", _one_line(subject), 2, 250, "a subject")
    description = _check_body(errors, description, "description", "a description")
    category_row = _category_for(category, errors)
    # Channels that ask the category's questions pass `fields` (even {}); mail and the phone form ask none.
    answers = {}
    if fields is not None and "category" not in errors:
        answers = intake_fields.check(errors, category_row, fields, actor)
    priority = priority or "normal"
    if priority not in PRIORITIES:
        errors["priority"] = f"Choose one of: {', '.join(PRIORITIES)}."
    if channel not in CHANNELS:
        errors["channel"] = "Unknown channel."
    staff = is_staff(actor)
    if not staff:
        for name, value in (("customer_email", customer_email), ("tags", tags), ("assignee_id", assignee_id)):
            if value:
                errors[name] = "Only support staff can set this."
    if staff and customer_email:
        customer_email = normalize_email(customer_email, "customer_email", errors)
        if customer_email and User.select().where(User.email == customer_email, User.role != "customer").exists():
            errors["customer_email"] = "This address belongs to a support team member, not a customer."
    assignee = None
    if assignee_id and staff:
        assignee = User.get_or_none((User.id == assignee_id) & User.role.in_(("agent", "admin")))
        if assignee is None:
            errors["assignee_id"] = "Choose an agent."
    if errors:
        raise ValidationError(errors)

    key = secrets.token_urlsafe(24) if with_access_key else None
    with write():
        if submission_key:
            existing = Ticket.get_or_none(Ticket.submission_key == _digest(f"{actor.id}:{submission_key}"))
            if existing is not None:
                return existing
        customer = actor
        if staff and customer_email:
            customer = User.get_or_none(User.email == customer_email)
            if customer is None:
                customer = User.create(email=customer_email, name=customer_name or customer_email.split("@")[0])
        now = utcnow()
        ticket = Ticket.create(
            subject=subject,
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            category=category_row,
            customer=customer,
            assignee=assignee,
            channel=channel,
            created_at=now,
            updated_at=now,
            message_count=1,
            submission_key=_digest(f"{actor.id}:{submission_key}") if submission_key else None,
            access_key_hash=_digest(key) if key else None,
            organization=customer.organization_id,
            field_values=intake_fields.dump(answers),
        )
        message = _add_message(ticket, "reply", actor, description, at=now)
        if actor.id == customer.id:
            ticket.last_customer_message_at = now
            ticket.customer_last_read_at = now
        else:
            ticket.last_agent_message_at = now
        sla.start(ticket, now)
        ticket.save()
        _attach(actor, message, attachment_ids)
        if tags and staff:
            _replace_tags(ticket, tags)
        search.index_ticket(ticket)
    signals.announce(signals.ticket_created, ticket, actor=actor, key=key)
    return ticket


def submit_contact(name, email, subject, body, category=None, company=None, phone=None, submission_key=None,
                   attachment_ids=None, uploader=None, files=None, fields=None):
    """The public contact form: a ticket for this address and the secret key to its page (shown once).

    `files` (uploads from the form) are checked with the other fields and recorded in the ticket's transaction,
    owned by the guest customer, who only exists once that transaction runs.
    Returns (ticket, key); a repeated submission_key returns (ticket, None).
    """
    errors = {}
    name = check_length(errors, "name", name, 2, 120, "your name")
    email = normalize_email(email, errors=errors)
    phone, company = check_contact_fields(errors, phone, company)
    subject = check_length(errors, "subject", _one_line(subject), 2, 250, "a subject")
    body = _check_body(errors, body, "body", "your message")
    category_row = _category_for(category, errors)
    answers = {}
    if fields is not None and "category" not in errors:
        answers = intake_fields.check(errors, category_row, fields, None)  # a guest answers what customers see
    stored = []
    if files:
        try:
            stored = attachments.store_many(files)
        except ServiceError as error:
            errors["attachments"] = error.errors.get("file") if isinstance(error, ValidationError) else error.message
    if errors:
        attachments.forget(stored)
        raise ValidationError(errors)

    key = secrets.token_urlsafe(24)  # 192 bits
    try:
        ticket, key = _open_contact_ticket(
            name, email, subject, body, category_row, company, phone, submission_key, attachment_ids, uploader,
            stored, key, answers,
        )
    finally:
        # Rows now hold what was recorded; whatever a failed or repeated submission left behind goes.
        attachments.forget(stored)
    if key is not None:
        signals.announce(signals.ticket_created, ticket, actor=ticket.customer, key=key)
    return ticket, key


def _open_contact_ticket(name, email, subject, body, category_row, company, phone, submission_key, attachment_ids,
                         uploader, stored, key, answers=None):
    with write():
        if submission_key:
            existing = Ticket.get_or_none(Ticket.submission_key == _digest(f"contact:{submission_key}"))
            if existing is not None:
                return existing, None
        customer = User.get_or_none(User.email == email)
        if customer is None:
            customer = User.create(email=email, name=name, phone=phone, company=company)
        # An existing account is left exactly as it is: whoever fills in the form may not be its owner.
        now = utcnow()
        ticket = Ticket.create(
            subject=subject,
            category=category_row,
            customer=customer,
            channel="contact_form",
            created_at=now,
            updated_at=now,
            last_customer_message_at=now,
            customer_last_read_at=now,
            message_count=1,
            access_key_hash=_digest(key),
            submission_key=_digest(f"contact:{submission_key}") if submission_key else None,
            organization=customer.organization_id,
            field_values=intake_fields.dump(answers),
        )
        sla.start(ticket, now)
        ticket.save()
        message = _add_message(ticket, "reply", customer, body, at=now)
        if attachment_ids and uploader is not None:
            _attach(uploader, message, attachment_ids)
        attachments.record(stored, customer, message)
        search.index_ticket(ticket)
    return ticket, key


GUEST_LINKS_PER_MAIL = 50
# What anyone who asks is told, whether or not the address is known.
LINKS_RENEWED_NOTICE = ("If we have tickets for that address, we just e-mailed it new private links. "
                        "The links sent before no longer work.")


def renew_guest_links(email):
    """New private links for an address's guest tickets, announced to be mailed to that address; the old links stop
    working. The caller learns nothing: an unknown address, a staff address or one without guest tickets does the
    same from outside (no mail is sent).

    :raises ValidationError: when `email` is not an address.
    """
    errors = {}
    email = normalize_email(email, errors=errors)
    if errors:
        raise ValidationError(errors)
    links = []
    with write():
        customer = User.get_or_none((User.email == email) & (User.role == "customer") & (User.is_active == True))  # noqa: E712
        if customer is None:
            return
        rows = (Ticket.select()
                .where(Ticket.customer == customer, Ticket.access_key_hash.is_null(False), Ticket.deleted_at.is_null())
                .order_by(Ticket.updated_at.desc())
                .limit(GUEST_LINKS_PER_MAIL))
        for ticket in rows:
            key = secrets.token_urlsafe(24)
            Ticket.update(access_key_hash=_digest(key)).where(Ticket.id == ticket.id).execute()
            links.append((ticket, key))
    signals.announce(signals.links_renewed, customer, links=links)


def key_holder(key):
    """The actor for a secret ticket link. :raises NotFound: for an unknown key."""
    if not key or len(key) > 200:
        raise NotFound("No such ticket.")
    ticket = (
        Ticket.select(Ticket, Customer)
        .join(Customer, on=(Ticket.customer == Customer.id))
        .where(Ticket.access_key_hash == _digest(key), Ticket.deleted_at.is_null())
        .first()
    )
    if ticket is None:
        raise NotFound("No such ticket.")
    return KeyHolder(ticket)


# ------------------------------------------------------------------------------------------------------------- read


@dataclass
class TicketFilter:
    """What a list of tickets is narrowed to; every field optional."""

    statuses: list = field(default_factory=list)
    priorities: list = field(default_factory=list)
    categories: list = field(default_factory=list)  # slugs
    assignee: object = None  # "me", "none", or a user id
    customer_id: int | None = None
    organization_id: int | None = None  # agents: any organization; customers: what they may see of it
    mine: bool = False  # customers: only their own tickets, not their organization's
    tags: list = field(default_factory=list)  # names, all of
    search: str = ""
    sla: str = ""  # breached, due_soon or overdue (see services/sla.py)
    order_by: str = "updated_at"
    order_dir: str = "desc"
    deleted: bool = False


ORDER_FIELDS = {
    "updated_at": Ticket.updated_at,
    "created_at": Ticket.created_at,
    "priority": Ticket.priority_rank,
    "due_at": Ticket.due_at,  # tickets with nothing due come last, either way
}
SLA_FILTERS = ("breached", "due_soon", "overdue")


def _visible_tickets(actor, flt):
    query = Ticket.select()
    if flt.deleted:
        require_staff(actor)
        if not is_admin(actor):
            raise NotFound("No such page.")
        query = query.where(Ticket.deleted_at.is_null(False))
    else:
        query = query.where(Ticket.deleted_at.is_null())
    if not is_staff(actor):
        own = Ticket.customer == actor.id
        if not actor.email_verified:
            own = own & Ticket.access_key_hash.is_null()
        # The same rule as permissions.can_see_ticket: their own, and their sharing organization's.
        shared = None if flt.mine else shared_organization_id(actor)
        query = query.where(own | (Ticket.organization == shared) if shared else own)
    return query


def _apply_filters(query, actor, flt):
    errors = {}
    statuses = [s for s in flt.statuses if s]
    if any(s not in STATUSES for s in statuses):
        errors["status"] = f"Statuses are: {', '.join(STATUSES)}."
    priorities = [p for p in flt.priorities if p]
    if any(p not in PRIORITIES for p in priorities):
        errors["priority"] = f"Priorities are: {', '.join(PRIORITIES)}."
    if flt.order_by not in ORDER_FIELDS:
        errors["order_by"] = f"Sort by one of: {', '.join(ORDER_FIELDS)}."
    if flt.order_dir not in ("asc", "desc"):
        errors["order_dir"] = "Sort direction is asc or desc."
    if flt.sla and flt.sla not in SLA_FILTERS:
        errors["sla"] = "Service-level filters are breached, overdue and due_soon."
    if errors:
        raise ValidationError(errors)
    if statuses:
        query = query.where(Ticket.status.in_(statuses))
    if priorities:
        query = query.where(Ticket.priority.in_(priorities))
    if flt.categories:
        query = query.where(
            Ticket.category.in_(Category.select(Category.id).where(Category.slug.in_(flt.categories)))
        )
    if flt.organization_id:
        query = query.where(Ticket.organization == flt.organization_id)
    if is_staff(actor):
        if flt.assignee == "me":
            query = query.where(Ticket.assignee == actor.id)
        elif flt.assignee == "none":
            query = query.where(Ticket.assignee.is_null())
        elif flt.assignee not in (None, ""):
            try:
                query = query.where(Ticket.assignee == int(flt.assignee))
            except (TypeError, ValueError):
                raise ValidationError({"assignee": "Choose me, nobody or an agent."})
        if flt.customer_id:
            query = query.where(Ticket.customer == flt.customer_id)
        if flt.sla:
            query = query.where(sla.filter_expression(flt.sla))
        for name in dict.fromkeys(t.strip().lower() for t in flt.tags if t and t.strip()):
            query = query.where(
                fn.EXISTS(
                    TicketTag.select(TicketTag.id)
                    .join(Tag)
                    .where(TicketTag.ticket == Ticket.id, fn.LOWER(Tag.name) == name)
                )
            )
    if flt.search and flt.search.strip():
        # A customer's search, or an agent's within one customer, is narrowed inside the index itself.
        if is_staff(actor):
            customer_id = flt.customer_id
            organization_id = None if customer_id else flt.organization_id
        else:
            customer_id = actor.id
            organization_id = None if flt.mine else shared_organization_id(actor)
        expression = search.ticket_matches(Ticket, Message, flt.search, include_notes=is_staff(actor),
                                           customer_id=customer_id, organization_id=organization_id)
        if expression is not None:
            query = query.where(expression)
    return query


def count_tickets(actor, flt):
    """How many tickets the actor may see match `flt` now: one COUNT query, no rows loaded."""
    require_user(actor)
    return _apply_filters(_visible_tickets(actor, flt), actor, flt).count()


def _cursor_value(ticket, order_by):
    value = getattr(ticket, ORDER_FIELDS[order_by].name)
    return value.isoformat() if isinstance(value, datetime) else value  # None: an undated due_at


def list_tickets(actor, flt=None, cursor=None, limit=25):
    """One page of the tickets the actor may see, narrowed by `flt`, in keyset order.

    Customers see their own; agents see all. Each item carries customer, assignee, category and tags
    loaded in a fixed number of queries.
    """
    require_user(actor)
    flt = flt or TicketFilter()
    limit = max(1, min(int(limit or 25), 100))
    query = _apply_filters(_visible_tickets(actor, flt), actor, flt)
    total = query.count()

    column = ORDER_FIELDS[flt.order_by]
    descending = flt.order_dir == "desc"
    if cursor:
        order_by, value, last_id = decode_cursor(cursor)
        if order_by == "priority" and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValidationError({"cursor": "This cursor is not valid; start again from the first page."})
        if order_by != flt.order_by:
            raise ValidationError({"cursor": "This cursor belongs to another sort order."})
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise ValidationError({"cursor": "This cursor is not valid; start again from the first page."})
        if value is None and order_by != "due_at":
            raise ValidationError({"cursor": "This cursor is not valid; start again from the first page."})
        after_id = (Ticket.id < last_id) if descending else (Ticket.id > last_id)
        if value is None:
            # Past the last dated row: only the undated ones (which sort last) remain.
            query = query.where(column.is_null(), after_id)
        else:
            beyond = (column < value) if descending else (column > value)
            condition = beyond | ((column == value) & after_id)
            if order_by == "due_at":
                condition = condition | column.is_null()
            query = query.where(condition)
    if flt.order_by == "due_at":
        ordering = [column.desc(nulls="LAST") if descending else column.asc(nulls="LAST")]
    else:
        ordering = [column.desc() if descending else column.asc()]
    ordering.append(Ticket.id.desc() if descending else Ticket.id.asc())

    rows = (
        query.select(Ticket, Customer, Assignee, Category, Rating, Organization)
        .join_from(Ticket, Customer, on=(Ticket.customer == Customer.id), attr="customer")
        .join_from(Ticket, Assignee, JOIN.LEFT_OUTER, on=(Ticket.assignee == Assignee.id), attr="assignee")
        .join_from(Ticket, Category, JOIN.LEFT_OUTER, on=(Ticket.category == Category.id), attr="category")
        .join_from(Ticket, Rating, JOIN.LEFT_OUTER, on=(Rating.ticket == Ticket.id), attr="rating_row")
        .join_from(Ticket, Organization, JOIN.LEFT_OUTER, on=(Ticket.organization == Organization.id),
                   attr="organization")
        .order_by(*ordering)
        .limit(limit + 1)
    )
    items = list(rows)
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        next_cursor = encode_cursor([flt.order_by, _cursor_value(last, flt.order_by), last.id])
    attach_tags(items)
    _hide_service_level(actor, items)
    intake_fields.attach_values(actor, items)
    return Page(items=items, total=total, next_cursor=next_cursor, limit=limit)


def _hide_service_level(actor, items):
    # Due times and breaches are the team's business, not the customer's; so is the number of another person's
    # ticket that one of theirs was merged into.
    if not is_staff(actor):
        for ticket in items:
            ticket.sla_hidden = True
        merged = {t.merged_into_id for t in items if t.merged_into_id}
        if merged:
            own = set(Ticket.select(Ticket.id).where(Ticket.id.in_(list(merged)), Ticket.customer == actor.id,
                                                     Ticket.deleted_at.is_null()).tuples())
            for ticket in items:
                if ticket.merged_into_id and (ticket.merged_into_id,) not in own:
                    ticket.merged_into_hidden = True


def attach_cc(tickets):
    """Set `cc_list` (the addresses that receive public replies) on each ticket with one query for all of them."""
    by_id = {t.id: t for t in tickets}
    for t in tickets:
        t.cc_list = []
    if by_id:
        rows = TicketCC.select().where(TicketCC.ticket.in_(list(by_id))).order_by(TicketCC.id)
        for row in rows:
            by_id[row.ticket_id].cc_list.append(row.email)
    return tickets


def attach_tags(tickets):
    """Set `tag_list` on each ticket with one query for all of them."""
    by_id = {t.id: t for t in tickets}
    for t in tickets:
        t.tag_list = []
    if not by_id:
        return tickets
    rows = (
        TicketTag.select(TicketTag.ticket, Tag)
        .join(Tag)
        .where(TicketTag.ticket.in_(list(by_id)))
        .order_by(Tag.name)
    )
    for row in rows:
        by_id[row.ticket_id].tag_list.append(row.tag)
    return tickets


def get_ticket(actor, ticket_id):
    """One ticket with its customer, assignee, category and tags.

    :raises NotFound: when it does not exist or the actor may not see it.
    """
    if actor is None:
        raise NotFound("No such ticket.")
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound("No such ticket.")
    ticket = load_ticket(ticket_id)
    check_ticket(actor, ticket)
    _hide_service_level(actor, [ticket])
    intake_fields.attach_values(actor, [ticket])
    return ticket


def load_ticket(ticket_id):
    """One ticket with its customer, assignee, category, rating, tags and CC addresses, or None; no access check
    (get_ticket is the one for people; the desk's own subscribers use this)."""
    ticket = (
        Ticket.select(Ticket, Customer, Assignee, Category, Rating, Organization)
        .join_from(Ticket, Customer, on=(Ticket.customer == Customer.id), attr="customer")
        .join_from(Ticket, Assignee, JOIN.LEFT_OUTER, on=(Ticket.assignee == Assignee.id), attr="assignee")
        .join_from(Ticket, Category, JOIN.LEFT_OUTER, on=(Ticket.category == Category.id), attr="category")
        .join_from(Ticket, Rating, JOIN.LEFT_OUTER, on=(Rating.ticket == Ticket.id), attr="rating_row")
        .join_from(Ticket, Organization, JOIN.LEFT_OUTER, on=(Ticket.organization == Organization.id),
                   attr="organization")
        .where(Ticket.id == ticket_id)
        .first()
    )
    if ticket is not None:
        attach_tags([ticket])
        attach_cc([ticket])
    return ticket


def thread(actor, ticket):
    """The messages of a ticket the actor may read, oldest first, with authors and attachments.

    Customers and key holders never get internal notes or staff-only events.
    """
    check_ticket(actor, ticket)
    return _load_attachments(list(_visible_messages(actor, ticket).order_by(Message.created_at, Message.id)))


THREAD_WINDOW = 50


@dataclass
class ThreadWindow:
    """What a ticket page shows of a long thread: the first message, then a run of later ones, oldest first.

    `earlier` counts the messages hidden between `first` and `messages`; `before` is the keyset cursor that loads
    them (the id of the oldest message shown after the first); `later` says newer messages are hidden below.
    """

    first: object = None
    messages: list = field(default_factory=list)
    earlier: int = 0
    later: bool = False

    @property
    def before(self):
        return self.messages[0].id if self.earlier and self.messages else None

    @property
    def newest_id(self):
        return max((m.id for m in self), default=0)

    def __iter__(self):
        if self.first is not None:
            yield self.first
        yield from self.messages


def _visible_messages(actor, ticket):
    query = (
        Message.select(Message, User)
        .join(User, JOIN.LEFT_OUTER, on=(Message.author == User.id), attr="author")
        .where(Message.ticket == ticket.id)
    )
    if not is_staff(actor):
        query = query.where(Message.is_public == True)  # noqa: E712
    return query


def _older_than(message, model=Message):
    return (model.created_at < message.created_at) | (
        (model.created_at == message.created_at) & (model.id < message.id))


def _newer_than(message, model=Message):
    return (model.created_at > message.created_at) | (
        (model.created_at == message.created_at) & (model.id > message.id))


def thread_window(actor, ticket, before=None, limit=THREAD_WINDOW):
    """The first message and the latest `limit` the actor may read, or with `before` (a message id) the `limit`
    just before that message; a fixed number of queries whatever the thread's length.

    Customers and key holders never get internal notes or staff-only events.

    :raises NotFound: when the actor may not see the ticket, or `before` is not a message of it they may read.
    """
    check_ticket(actor, ticket)
    visible = _visible_messages(actor, ticket)
    pivot = None
    if before is not None:
        try:
            pivot = visible.where(Message.id == int(before)).first()
        except (TypeError, ValueError):
            pivot = None
        if pivot is None:
            raise NotFound("No such message.")
    first = visible.order_by(Message.created_at, Message.id).first()
    if first is None:
        return ThreadWindow()
    window = ThreadWindow(first=first, later=pivot is not None)
    # The run and the size of the stretch it ends (an uncorrelated subquery, counted once) in one query.
    Stretch = Message.alias("stretch")
    between, counted = _newer_than(first), _newer_than(first, Stretch)
    if pivot is not None:
        between &= _older_than(pivot)
        counted &= _older_than(pivot, Stretch)
    size = Stretch.select(fn.COUNT(Stretch.id)).where((Stretch.ticket == ticket.id) & counted)
    if not is_staff(actor):
        size = size.where(Stretch.is_public == True)  # noqa: E712
    rows = list(visible.select_extend(size.alias("stretch_size")).where(between)
                .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit))
    window.messages = rows[::-1]
    window.earlier = rows[0].stretch_size - len(rows) if rows else 0
    _load_attachments(list(window))
    return window


def earlier_messages(actor, ticket, before, limit=THREAD_WINDOW):
    """The `limit` messages the actor may read just before message `before` (and after the first), oldest first,
    with how many remain hidden before them. :raises NotFound: as thread_window."""
    window = thread_window(actor, ticket, before=before, limit=limit)
    window.first, window.later = None, False
    return window


def mark_read(actor, ticket):
    """Remember that the customer has seen the thread up to now (agents and other members reading change nothing)."""
    if is_staff(actor) or actor is None:
        return
    if not isinstance(actor, KeyHolder) and actor.id != ticket.customer_id:
        return
    now = utcnow()
    with write():
        Ticket.update(customer_last_read_at=now).where(Ticket.id == ticket.id).execute()
    ticket.customer_last_read_at = now


def history(actor, ticket):
    """Field changes of a ticket, oldest first (agents only); `ticket` is its id, or the ticket get_ticket gave."""
    require_staff(actor)
    if isinstance(ticket, Ticket):
        check_ticket(actor, ticket)
    else:
        ticket = get_ticket(actor, ticket)
    return list(
        FieldChange.select(FieldChange, User)
        .join(User, JOIN.LEFT_OUTER, on=(FieldChange.actor == User.id), attr="actor")
        .where(FieldChange.ticket == ticket.id)
        .order_by(FieldChange.at, FieldChange.id)
    )


# ----------------------------------------------------------------------------------------------------------- change


def reply(actor, ticket_id, body, internal=False, status=None, attachment_ids=None, after_message_id=None):
    """Add a message to the thread and apply the status rules, all in one transaction.

    Customers: a reply on waiting/resolved reopens to open; on a closed, unlocked ticket it reopens it; a locked
    ticket refuses it. Agents: a public reply may set the status in the same step and the first one stamps
    first_response_at; an internal note changes nothing the customer sees.

    `after_message_id` is the newest message the writer had seen: a public reply is held when someone else has
    written publicly since (the traffic-cop rule), so two agents never answer the same question twice.

    :raises NotFound: when the actor may not see the ticket.
    :raises Conflict: when the ticket is locked.
    :raises NewerMessages: when the thread gained public messages after `after_message_id`.
    """
    staff = is_staff(actor)
    errors = {}
    body = _check_body(errors, body)
    if internal and not staff:
        errors["internal"] = "Only support staff can write internal notes."
    if status is not None and status != "":
        if not staff:
            errors["status"] = "Only support staff can set the status."
        elif status not in STATUSES:
            errors["status"] = f"Statuses are: {', '.join(STATUSES)}."
    if after_message_id is not None and after_message_id != "":
        try:
            after_message_id = int(after_message_id)
            if after_message_id < 0:
                raise ValueError
        except (TypeError, ValueError):
            errors["after_message_id"] = "This must be the id of a message of this ticket."
    else:
        after_message_id = None
    if errors:
        raise ValidationError(errors)
    with write():
        ticket = Ticket.get_or_none(Ticket.id == ticket_id)
        check_ticket(actor, ticket)
        now = utcnow()
        author = _author_of(actor)
        if not staff and ticket.locked:
            raise Conflict("This ticket is locked: it can no longer be replied to. Please open a new ticket.")
        if after_message_id is not None and not internal:
            newer = newer_public_messages(actor, ticket, after_message_id)
            if newer:
                raise NewerMessages(newer)
        message = _add_message(ticket, "note" if internal else "reply", author, body, at=now)
        _attach(actor, message, attachment_ids)
        if internal:
            if status:
                _set_status(ticket, status, actor, now)
        else:
            ticket.message_count += 1
            if staff:
                ticket.last_agent_message_at = now
                if ticket.first_response_at is None and ticket.customer_id != author.id:
                    ticket.first_response_at = now
                    sla.first_response_given(ticket, now)
                if status:
                    _set_status(ticket, status, actor, now)
            else:
                ticket.last_customer_message_at = now
                if author.id == ticket.customer_id or isinstance(actor, KeyHolder):
                    ticket.customer_last_read_at = now
                if ticket.status in ("waiting", "resolved", "closed"):
                    _set_status(ticket, "open", author, now)
        ticket.updated_at = now
        ticket.save()
    if not internal:
        signals.announce(signals.reply_added, message, ticket=ticket, actor=actor)
    signals.announce(signals.message_added, message, ticket=ticket, actor=actor)
    announce_changes(ticket, author)
    return message


def newer_public_messages(actor, ticket, after_message_id):
    """The public replies someone other than the actor wrote after `after_message_id`, oldest first."""
    query = (
        Message.select(Message, User)
        .join(User, JOIN.LEFT_OUTER, on=(Message.author == User.id), attr="author")
        .where(Message.ticket == ticket.id, Message.id > after_message_id, Message.kind == "reply",
               Message.is_public == True)  # noqa: E712
        .order_by(Message.created_at, Message.id)
    )
    author = _author_of(actor)
    return _load_attachments([m for m in query if m.author_id != author.id])


def close_ticket(actor, ticket_id):
    """Close a ticket. :raises Conflict: when it is already closed."""
    with write():
        ticket = Ticket.get_or_none(Ticket.id == ticket_id)
        check_ticket(actor, ticket)
        if ticket.status == "closed":
            raise Conflict("This ticket is already closed.")
        now = utcnow()
        _set_status(ticket, "closed", _author_of(actor), now)
        ticket.updated_at = now
        ticket.save()
    announce_changes(ticket, _author_of(actor))
    return ticket


def reopen_ticket(actor, ticket_id):
    """Reopen a resolved or closed ticket.

    :raises Conflict: when it is locked (customers), or not resolved or closed.
    """
    with write():
        ticket = Ticket.get_or_none(Ticket.id == ticket_id)
        check_ticket(actor, ticket)
        if ticket.locked and not is_staff(actor):
            raise Conflict("This ticket is locked and cannot be reopened. Please open a new ticket.")
        if ticket.status not in ("resolved", "closed"):
            raise Conflict("Only a resolved or closed ticket can be reopened.")
        now = utcnow()
        _set_status(ticket, "open", _author_of(actor), now)
        ticket.updated_at = now
        ticket.save()
    announce_changes(ticket, _author_of(actor))
    return ticket


def _replace_tags(ticket, names):
    """Set the ticket's tags to `names` (creating unknown tags); returns (old names, new names)."""
    wanted = []
    for name in names:
        name = (name or "").strip()
        if name and name.lower() not in {w.lower() for w in wanted}:
            if len(name) > 64:
                raise ValidationError({"tags": "A tag can be at most 64 characters."})
            wanted.append(name)
    current = list(Tag.select().join(TicketTag).where(TicketTag.ticket == ticket.id).order_by(Tag.name))
    old_names = [t.name for t in current]
    tags = []
    for name in wanted:
        tag = Tag.get_or_none(fn.LOWER(Tag.name) == fn.LOWER(name))
        if tag is None:
            tag = Tag.create(name=name)
        tags.append(tag)
    TicketTag.delete().where(TicketTag.ticket == ticket.id).execute()
    if tags:
        TicketTag.insert_many([{"ticket": ticket.id, "tag": t.id} for t in tags]).execute()
    return old_names, sorted(t.name for t in tags)


EDITABLE_FIELDS = ("status", "priority", "category", "assignee_id", "tags", "subject", "locked", "cc", "fields")
MAX_CC = 20


def check_cc(addresses, errors, field="cc"):
    """A ticket's CC list cleaned: valid addresses, lower-cased, each once, at most MAX_CC."""
    cleaned = []
    for address in addresses or []:
        if not (address or "").strip():
            continue
        problems = {}
        address = normalize_email(address, field, problems)
        if problems:
            errors[field] = f"“{_one_line(str(address))[:80]}” is not a valid e-mail address."
            return []
        if address not in cleaned:
            cleaned.append(address)
    if len(cleaned) > MAX_CC:
        errors[field] = f"A ticket can have at most {MAX_CC} CC addresses."
    return cleaned


def add_cc(ticket, addresses):
    """Add addresses to a ticket's CC list (inside the caller's transaction); returns those that were new."""
    known = {row.email for row in TicketCC.select(TicketCC.email).where(TicketCC.ticket == ticket.id)}
    room = MAX_CC - len(known)
    new = [a for a in addresses if a not in known and a != ticket.customer.email][:max(room, 0)]
    if new:
        TicketCC.insert_many([{"ticket": ticket.id, "email": a} for a in new]).execute()
    return new


def _replace_cc(ticket, addresses):
    old = [row.email for row in TicketCC.select(TicketCC.email).where(TicketCC.ticket == ticket.id)
           .order_by(TicketCC.id)]
    addresses = [a for a in addresses if a != ticket.customer.email]
    TicketCC.delete().where(TicketCC.ticket == ticket.id).execute()
    if addresses:
        TicketCC.insert_many([{"ticket": ticket.id, "email": a} for a in addresses]).execute()
    return old, addresses


def update_ticket(actor, ticket_id, **changes):
    """Agents change ticket fields; each real change writes a history entry and an event line.

    Accepts status, priority, category (slug or None), assignee_id (id or None), tags (names), subject, locked,
    cc (addresses that receive the public replies), fields (answers to the category's questions, {key: value}:
    the keys sent change, an empty value clears one).
    Locking a ticket also closes it.

    :raises NotFound: when the ticket does not exist.
    :raises PermissionDenied: for customers.
    """
    require_staff(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    with write():
        ticket = Ticket.get_or_none(Ticket.id == ticket_id)
        check_ticket(actor, ticket)
        _apply_changes(ticket, actor, changes, utcnow())
    announce_changes(ticket, actor)
    return get_ticket(actor, ticket_id)


def _apply_changes(ticket, actor, changes, now):
    errors = {}
    if "status" in changes and changes["status"] not in STATUSES:
        errors["status"] = f"Statuses are: {', '.join(STATUSES)}."
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        errors["priority"] = f"Priorities are: {', '.join(PRIORITIES)}."
    category = None
    if changes.get("category"):
        category = _category_for(changes["category"], errors)
    assignee = None
    if changes.get("assignee_id") not in (None, ""):
        try:
            assignee = User.get_or_none(
                (User.id == int(changes["assignee_id"])) & User.role.in_(("agent", "admin")) & (User.is_active == True)  # noqa: E712
            )
        except (TypeError, ValueError):
            assignee = None
        if assignee is None:
            errors["assignee_id"] = "Choose an active agent."
    if "subject" in changes:
        changes["subject"] = check_length(errors, "subject", _one_line(changes["subject"]), 2, 250, "a subject")
    if "cc" in changes:
        changes["cc"] = check_cc(changes["cc"], errors)
    if "fields" in changes:
        asked = category if "category" in changes else ticket.category
        changes["fields"] = intake_fields.changes_for(errors, ticket, asked, changes["fields"], actor)
    if errors:
        raise ValidationError(errors)

    changed = terms_changed = False
    if "subject" in changes and changes["subject"] != ticket.subject:
        _record(ticket, actor, "subject", ticket.subject, changes["subject"], now)
        ticket.subject = changes["subject"]
        search.index_ticket(ticket)
        changed = True
    if "priority" in changes and changes["priority"] != ticket.priority:
        _record(ticket, actor, "priority", ticket.priority, changes["priority"], now)
        ticket.priority = changes["priority"]
        ticket.priority_rank = PRIORITY_RANK[ticket.priority]
        changed = terms_changed = True
    if "category" in changes:
        new_id = category.id if category else None
        if new_id != ticket.category_id:
            old = ticket.category.slug if ticket.category_id else None
            _record(ticket, actor, "category", old, category.slug if category else None, now)
            ticket.category = category
            changed = terms_changed = True
    if "assignee_id" in changes:
        new_id = assignee.id if assignee else None
        if new_id != ticket.assignee_id:
            old = ticket.assignee.name if ticket.assignee_id else None
            _record(ticket, actor, "assignee", old, assignee.name if assignee else None, now)
            ticket.assignee = assignee
            changed = True
    if terms_changed:
        sla.terms_changed(ticket, now)
    if "tags" in changes:
        old_names, new_names = _replace_tags(ticket, changes["tags"] or [])
        if old_names != new_names:
            _record(ticket, actor, "tags", ", ".join(old_names), ", ".join(new_names), now)
            changed = True
    if "cc" in changes:
        old_cc, new_cc = _replace_cc(ticket, changes["cc"])
        if old_cc != new_cc:
            _record(ticket, actor, "cc", ", ".join(old_cc), ", ".join(new_cc), now)
            changed = True
    if "fields" in changes:
        changed = intake_fields.record_changes(ticket, actor, changes["fields"], now, _record) or changed
    if "status" in changes and changes["status"] != ticket.status:
        _set_status(ticket, changes["status"], actor, now)
        changed = True
    if "locked" in changes and bool(changes["locked"]) != ticket.locked:
        ticket.locked = bool(changes["locked"])
        _record(ticket, actor, "locked", str(not ticket.locked).lower(), str(ticket.locked).lower(), now)
        if ticket.locked and ticket.status != "closed":
            _set_status(ticket, "closed", actor, now)
        changed = True
    if changed:
        ticket.updated_at = now
        ticket.save()
    return changed


def categories(include_inactive=False):
    """The categories a ticket can be filed under, in display order."""
    query = Category.select().order_by(Category.position, Category.name)
    if not include_inactive:
        query = query.where(Category.is_active == True)  # noqa: E712
    return list(query)


def agents():
    """Active agents and admins, by name: the people a ticket can be assigned to."""
    return list(
        User.select()
        .where(User.role.in_(("agent", "admin")), User.is_active == True)  # noqa: E712
        .order_by(User.name)
    )


def status_counts(actor):
    """How many of the actor's visible tickets are in each status."""
    require_user(actor)
    query = _visible_tickets(actor, TicketFilter())
    rows = query.select(Ticket.status, fn.COUNT(Ticket.id).alias("n")).group_by(Ticket.status)
    counts = {s: 0 for s in STATUSES}
    for row in rows:
        counts[row.status] = row.n
    return counts



# ------------------------------------------------------------------------------------------------------------ trash

from .permissions import require_admin  # noqa: E402  (kept with the trash functions that need it)

def _trash_entry(ticket, actor, old, new, text, at):
    FieldChange.create(ticket=ticket, field="trash", old_value=old, new_value=new, actor=actor, at=at)
    _add_message(ticket, "event", actor, f"{actor.name} {text}", is_public=False, at=at)


def delete_ticket(actor, ticket_id):
    """Move a ticket to the trash (admins only); it leaves every list until restored.

    :raises PermissionDenied: for anyone but an admin.
    :raises NotFound: when it does not exist or is already in the trash.
    """
    require_admin(actor)
    with write():
        ticket = Ticket.get_or_none((Ticket.id == ticket_id) & Ticket.deleted_at.is_null())
        if ticket is None:
            raise NotFound("No such ticket.")
        now = utcnow()
        ticket.deleted_at = now
        _trash_entry(ticket, actor, None, "trash", "moved the ticket to the trash", now)
        ticket.save()
    return ticket


def restore_ticket(actor, ticket_id):
    """Bring a ticket back from the trash (admins only). :raises NotFound: when it is not in the trash."""
    require_admin(actor)
    with write():
        ticket = Ticket.get_or_none((Ticket.id == ticket_id) & Ticket.deleted_at.is_null(False))
        if ticket is None:
            raise NotFound("No such ticket in the trash.")
        now = utcnow()
        ticket.deleted_at = None
        _trash_entry(ticket, actor, "trash", None, "restored the ticket from the trash", now)
        ticket.save()
    return ticket


def purge_ticket(actor, ticket_id):
    """Delete a trashed ticket for good: its thread, history, attachments and search entries (admins only).

    :raises NotFound: when it is not in the trash (a live ticket is never purged in one step).
    """
    require_admin(actor)
    with write():
        ticket = Ticket.get_or_none((Ticket.id == ticket_id) & Ticket.deleted_at.is_null(False))
        if ticket is None:
            raise NotFound("No such ticket in the trash.")
        message_ids = [m.id for m in Message.select(Message.id).where(Message.ticket == ticket.id)]
        shas = {
            a.sha256
            for a in Attachment.select(Attachment.sha256).where(Attachment.message.in_(message_ids or [0]))
        }
        search.unindex_ticket(ticket.id)
        ticket.delete_instance(recursive=True, delete_nullable=True)
    from .attachments import _remove_file_if_unused

    for sha in shas:
        _remove_file_if_unused(sha)


# ------------------------------------------------------------------------------------ API additions (paged thread)


def _load_attachments(messages):
    by_id = {m.id: m for m in messages}
    for m in messages:
        m.attachment_list = []
    if by_id:
        for attachment in Attachment.select().where(Attachment.message.in_(list(by_id))).order_by(Attachment.id):
            by_id[attachment.message_id].attachment_list.append(attachment)
    return messages


def list_messages(actor, ticket_id, cursor=None, limit=25):
    """One page of a ticket's thread, oldest first, with authors and attachments (customers never get notes).

    :raises NotFound: when the actor may not see the ticket.
    """
    from .paging import keyset_page

    ticket = get_ticket(actor, ticket_id)
    page = keyset_page(_visible_messages(actor, ticket), Message.created_at, Message.id, "messages", cursor, limit, descending=False)
    _load_attachments(page.items)
    return page


def get_message(actor, message_id):
    """One message with its author and attachments. :raises NotFound: unless the actor may read it."""
    message = load_message(message_id)
    if message is None:
        raise NotFound("No such message.")
    check_ticket(actor, Ticket.get_or_none(Ticket.id == message.ticket_id))
    if not message.is_public and not is_staff(actor):
        raise NotFound("No such message.")
    return message


def load_message(message_id):
    """One message with its author and attachments, or None; no access check (see load_ticket)."""
    message = (
        Message.select(Message, User)
        .join(User, JOIN.LEFT_OUTER, on=(Message.author == User.id), attr="author")
        .where(Message.id == message_id)
        .first()
    )
    return _load_attachments([message])[0] if message is not None else None

