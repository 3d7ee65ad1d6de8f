"""The agent queue: named views with live counts, filters layered on a view, and bulk changes to many tickets."""
from dataclasses import dataclass, replace

from peewee import JOIN

from ..counts import live_counts
from ..db import write
from ..models import OPEN_STATUSES, PRIORITIES, STATUSES, Category, Tag, Ticket, utcnow
from . import sla, tickets
from .errors import NotFound, ValidationError
from .permissions import check_ticket, require_staff

DEFAULT_VIEW = "open"
SORTS = {"updated": "updated_at", "created": "created_at", "priority": "priority", "due": "due_at"}
MAX_BULK = 100


@dataclass
class View:
    """One entry of the queue's side bar."""

    key: str
    label: str
    count: int = 0
    group: str = "main"


# The fixed views; category views are added after them, one per active category.
FIXED_VIEWS = (
    ("mine", "My open"),
    ("unassigned", "Unassigned"),
    ("open", "All open"),
    ("overdue", "Overdue"),
    ("due_soon", "Due soon"),
    ("waiting", "Waiting"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
)
CATEGORY_PREFIX = "category-"


def view_filter(actor, key):
    """The filter a named view stands for. :raises NotFound: for a view that does not exist."""
    require_staff(actor)
    base = {
        "mine": tickets.TicketFilter(statuses=list(OPEN_STATUSES), assignee="me"),
        "unassigned": tickets.TicketFilter(statuses=list(OPEN_STATUSES), assignee="none"),
        "open": tickets.TicketFilter(statuses=list(OPEN_STATUSES)),
        "overdue": tickets.TicketFilter(statuses=list(OPEN_STATUSES), sla="overdue", order_by="due_at",
                                        order_dir="asc"),
        "due_soon": tickets.TicketFilter(statuses=list(OPEN_STATUSES), sla="due_soon", order_by="due_at",
                                         order_dir="asc"),
        "waiting": tickets.TicketFilter(statuses=["waiting"]),
        "resolved": tickets.TicketFilter(statuses=["resolved"]),
        "closed": tickets.TicketFilter(statuses=["closed"]),
    }.get(key)
    if base is not None:
        return base
    if key.startswith(CATEGORY_PREFIX):
        slug = key[len(CATEGORY_PREFIX):]
        if Category.select().where(Category.slug == slug, Category.is_active == True).exists():  # noqa: E712
            return tickets.TicketFilter(statuses=list(OPEN_STATUSES), categories=[slug])
    raise NotFound("There is no such queue view.")


def filter_from_args(actor, args):
    """The view key and filter for the queue's own query words: view, status, priority, assignee, category, tag, q,
    sort and dir (a MultiDict, as the queue's address carries them). :raises ValidationError: for bad values."""
    return queue_filter(
        actor,
        view=args.get("view"),
        statuses=args.getlist("status"),
        priorities=args.getlist("priority"),
        assignee=args.get("assignee"),
        categories=args.getlist("category"),
        tags=args.getlist("tag"),
        organization=args.get("organization"),
        search=args.get("q", ""),
        sort=args.get("sort"),
        direction=args.get("dir"),
    )


def views(actor, categories=None):
    """The side bar: every view with its live count, read from the maintained counts (portal/counts.py).

    `categories`: the active categories when the caller already has them (the queue page lists them for its filters).
    """
    require_staff(actor)
    counts = {key: 0 for key, _ in FIXED_VIEWS}
    by_category = {}
    for status, category_id, assignee_id, n in live_counts():
        if status in OPEN_STATUSES:
            counts["open"] += n
            counts["mine"] += n if assignee_id == actor.id else 0
            counts["unassigned"] += n if assignee_id is None else 0
            by_category[category_id] = by_category.get(category_id, 0) + n
        if status in ("waiting", "resolved", "closed"):
            counts[status] += n
    counts["overdue"], counts["due_soon"] = sla.due_counts()
    result = [View(key, label, counts[key]) for key, label in FIXED_VIEWS]
    for category in tickets.categories() if categories is None else categories:
        result.append(View(CATEGORY_PREFIX + category.slug, category.name, by_category.get(category.id, 0), "category"))
    return result


def view_named(actor, key):
    """The view `key` names, without counting (what an htmx refresh of the table shows as its caption).

    :raises NotFound: for a view that does not exist.
    """
    require_staff(actor)
    label = dict(FIXED_VIEWS).get(key)
    if label is not None:
        return View(key, label)
    if key.startswith(CATEGORY_PREFIX):
        category = Category.get_or_none(Category.slug == key[len(CATEGORY_PREFIX):], Category.is_active == True)  # noqa: E712
        if category is not None:
            return View(key, category.name, group="category")
    raise NotFound("There is no such queue view.")


def sort_of(flt):
    """The queue's (sort, direction) names for a filter: what the sort controls show as chosen."""
    return next(name for name, column in SORTS.items() if column == flt.order_by), flt.order_dir


def queue_filter(actor, view=None, statuses=None, priorities=None, assignee=None, categories=None, tags=None,
                 search="", sort=None, direction=None, organization=None):
    """The view's filter with the agent's own choices laid over it: a field the agent set replaces the view's.

    Without a sort or direction, the view's own applies (due time first for the service-level views, else the
    latest update). Returns (view key, TicketFilter). :raises ValidationError: for an unknown sort.
    """
    key = view or DEFAULT_VIEW
    flt = view_filter(actor, key)
    if sort and sort not in SORTS:
        raise ValidationError({"sort": f"Sort by one of: {', '.join(SORTS)}."})
    overrides = {"search": (search or "").strip()[:200]}
    if sort:
        overrides["order_by"] = SORTS[sort]
    if direction:
        overrides["order_dir"] = direction
    if statuses:
        overrides["statuses"] = list(statuses)
    if priorities:
        overrides["priorities"] = list(priorities)
    if assignee:
        overrides["assignee"] = assignee
    if categories:
        overrides["categories"] = list(categories)
    if tags:
        overrides["tags"] = list(tags)
    if organization:
        try:
            overrides["organization_id"] = int(organization)
        except (TypeError, ValueError):
            raise ValidationError({"organization": "Choose an organization from its page."})
    return key, replace(flt, **overrides)


def list_queue(actor, flt, cursor=None, limit=25):
    """One page of the queue for a filter from queue_filter (keyset pagination)."""
    require_staff(actor)
    return tickets.list_tickets(actor, flt, cursor=cursor, limit=limit)


@dataclass
class FilterOptions:
    agents: list
    categories: list
    tags: list


def filter_options(actor):
    """What the filter and bulk controls offer: active agents, active categories and every tag."""
    require_staff(actor)
    return FilterOptions(
        agents=tickets.agents(),
        categories=tickets.categories(),
        tags=list(Tag.select().order_by(Tag.name)),
    )


def bulk_options(actor):
    """What the bulk bar above the table offers (agents and tags), without the filters' categories."""
    require_staff(actor)
    return FilterOptions(agents=tickets.agents(), categories=[], tags=list(Tag.select().order_by(Tag.name)))


def _bulk_changes(actor, assignee_id, status, priority, add_tag):
    errors = {}
    changes = {}
    if assignee_id not in (None, ""):
        if assignee_id == "none":
            changes["assignee_id"] = None
        elif assignee_id == "me":
            changes["assignee_id"] = actor.id
        else:
            changes["assignee_id"] = assignee_id
    if status:
        if status not in STATUSES:
            errors["status"] = f"Statuses are: {', '.join(STATUSES)}."
        changes["status"] = status
    if priority:
        if priority not in PRIORITIES:
            errors["priority"] = f"Priorities are: {', '.join(PRIORITIES)}."
        changes["priority"] = priority
    tag = (add_tag or "").strip()
    if len(tag) > 64:
        errors["add_tag"] = "A tag can be at most 64 characters."
    if errors:
        raise ValidationError(errors)
    if not changes and not tag:
        raise ValidationError({"action": "Choose at least one change to apply."})
    return changes, tag


def bulk_update(actor, ticket_ids, assignee_id=None, status=None, priority=None, add_tag=None):
    """Apply the same changes to many tickets in one transaction; each ticket gets its own history entries.

    assignee_id is an agent id, "me" or "none" (unassign). Returns how many tickets actually changed.

    :raises ValidationError: when nothing is selected or a value is not valid (nothing is changed then).
    :raises NotFound: when one of the tickets no longer exists.
    """
    require_staff(actor)
    try:
        ids = list(dict.fromkeys(int(i) for i in ticket_ids or []))
    except (TypeError, ValueError):
        raise ValidationError({"ticket_ids": "The selection is not valid; reload the queue."})
    if not ids:
        raise ValidationError({"ticket_ids": "Select at least one ticket."})
    if len(ids) > MAX_BULK:
        raise ValidationError({"ticket_ids": f"Change at most {MAX_BULK} tickets at once."})
    changes, tag = _bulk_changes(actor, assignee_id, status, priority, add_tag)

    changed = 0
    with write():
        rows = list(
            Ticket.select(Ticket, tickets.Assignee, Category)
            .join_from(Ticket, tickets.Assignee, JOIN.LEFT_OUTER, on=(Ticket.assignee == tickets.Assignee.id),
                       attr="assignee")
            .join_from(Ticket, Category, JOIN.LEFT_OUTER, on=(Ticket.category == Category.id), attr="category")
            .where(Ticket.id.in_(ids), Ticket.deleted_at.is_null())
            .order_by(Ticket.id)
        )
        if len(rows) != len(ids):
            raise NotFound("One of the selected tickets no longer exists; reload the queue.")
        tickets.attach_tags(rows)
        now = utcnow()
        for ticket in rows:
            check_ticket(actor, ticket)
            per_ticket = dict(changes)
            names = [t.name for t in ticket.tag_list]
            if tag and tag.lower() not in {n.lower() for n in names}:
                per_ticket["tags"] = names + [tag]
            if per_ticket and tickets._apply_changes(ticket, actor, per_ticket, now):
                changed += 1
    for ticket in rows:
        tickets.announce_changes(ticket, actor)
    return changed
