"""Saved views: an agent's own named sets of ticket filters, listed in the queue's side bar with live counts.

A view's `filters` are the query parameters of `GET /api/v1/tickets` (status, priority, category, assignee_id,
unassigned, tags, search, sla, order_by, order_dir), kept in one canonical form so that two equal sets of filters
compare equal. The queue speaks its own query words (view, status, assignee, tag, q, sort, dir); `from_queue` and
`to_queue_args` translate between the two, here and nowhere else.
"""
import json
from dataclasses import dataclass

from peewee import fn
from werkzeug.datastructures import MultiDict

from ..db import write
from ..models import PRIORITIES, STATUSES, Category, Organization, SavedView, User
from . import queue, tickets
from .errors import NotFound, ValidationError
from .permissions import require_staff

NAME_MAX = 80
MAX_VIEWS = 30
FILTER_KEYS = ("status", "priority", "category", "assignee_id", "unassigned", "organization_id", "tags", "search", "sla",
               "order_by", "order_dir")
ORDER_BY = ("updated_at", "created_at", "priority", "due_at")
# overdue is what the queue's own Overdue view shows: a promised time has passed and is still pending.
SLA_KINDS = ("breached", "due_soon", "overdue")
LIST_MAX = 500
SEARCH_MAX = 200
TAG_MAX = 64


@dataclass
class ListedView:
    """A saved view as the side bar and the API show it."""

    id: int
    name: str
    filters: dict
    count: int
    current: bool = False
    position: int = 0
    queue_args: dict = None  # the queue's query args that show it, for links (see sidebar)


# ------------------------------------------------------------------------------------------------------- filters


def _items(value, field, errors):
    """A comma-separated string or a list of strings, as a list of non-empty, stripped strings."""
    if value is None:
        return []
    if isinstance(value, str):
        if len(value) > LIST_MAX:
            errors[field] = f"This can be at most {LIST_MAX} characters."
            return []
        parts = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        errors[field] = "Give a comma-separated text or a list of texts."
        return []
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def clean_filters(raw, check=True):
    """The canonical form of a set of filters; defaults and "everything" choices are left out.

    `check=False` trusts that categories and agents exist (the queue already chose them from a list): no queries.

    :raises ValidationError: for an unknown key or a bad value, located as `filters.<key>`.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationError({"filters": "Filters are an object of ticket-list query parameters."})
    errors = {}
    for key in raw:
        if key not in FILTER_KEYS:
            errors[f"filters.{key}"] = f"Not a filter; filters are {', '.join(FILTER_KEYS)}."
    out = {}

    statuses = _items(raw.get("status"), "filters.status", errors)
    if any(s not in STATUSES for s in statuses):
        errors["filters.status"] = f"Statuses are: {', '.join(STATUSES)}."
    elif statuses and len(statuses) < len(STATUSES):
        out["status"] = ",".join(s for s in STATUSES if s in statuses)

    priorities = _items(raw.get("priority"), "filters.priority", errors)
    if any(p not in PRIORITIES for p in priorities):
        errors["filters.priority"] = f"Priorities are: {', '.join(PRIORITIES)}."
    elif priorities and len(priorities) < len(PRIORITIES):
        out["priority"] = ",".join(p for p in PRIORITIES if p in priorities)

    categories = _items(raw.get("category"), "filters.category", errors)
    if categories:
        known = set(categories) if not check else {
            c.slug for c in Category.select(Category.slug).where(Category.slug.in_(categories))}
        unknown = [c for c in categories if c not in known]
        if unknown:
            errors["filters.category"] = f"No such category: {', '.join(unknown)}."
        else:
            out["category"] = ",".join(sorted(categories))

    assignee = raw.get("assignee_id")
    if assignee not in (None, ""):
        if assignee == "me":
            out["assignee_id"] = "me"
        elif isinstance(assignee, bool) or not isinstance(assignee, (int, str)):
            errors["filters.assignee_id"] = "Give an agent's id, or me."
        else:
            try:
                agent_id = int(assignee)
            except ValueError:
                agent_id = 0
            if agent_id < 1 or (check and not User.select().where(User.id == agent_id,
                                                                 User.role.in_(("agent", "admin"))).exists()):
                errors["filters.assignee_id"] = "Give an agent's id, or me."
            else:
                out["assignee_id"] = agent_id

    unassigned = raw.get("unassigned")
    if unassigned not in (None, False):
        if unassigned is not True:
            errors["filters.unassigned"] = "This is true or false."
        elif "assignee_id" in out:
            errors["filters.unassigned"] = "Choose either an assignee or unassigned, not both."
        else:
            out["unassigned"] = True

    organization_id = raw.get("organization_id")
    if organization_id not in (None, ""):
        try:
            organization_id = int(organization_id)
        except (TypeError, ValueError):
            organization_id = 0
        if isinstance(raw.get("organization_id"), bool) or organization_id < 1 or (
                check and not Organization.select().where(Organization.id == organization_id).exists()):
            errors["filters.organization_id"] = "Give an organization's id."
        else:
            out["organization_id"] = organization_id

    tags = _items(raw.get("tags"), "filters.tags", errors)
    if any(len(t) > TAG_MAX for t in tags):
        errors["filters.tags"] = f"A tag can be at most {TAG_MAX} characters."
    elif tags:
        unique = list({t.lower(): t for t in reversed(tags)}.values())
        out["tags"] = ",".join(sorted(unique, key=str.lower))

    search = raw.get("search")
    if search not in (None, ""):
        if not isinstance(search, str):
            errors["filters.search"] = "This is a text."
        elif len(search) > SEARCH_MAX:
            errors["filters.search"] = f"A search can be at most {SEARCH_MAX} characters."
        elif search.strip():
            out["search"] = search.strip()

    kind = raw.get("sla")
    if kind not in (None, ""):
        if kind not in SLA_KINDS:
            errors["filters.sla"] = f"Service-level filters are {', '.join(SLA_KINDS)}."
        else:
            out["sla"] = kind

    order_by = raw.get("order_by")
    if order_by not in (None, ""):
        if order_by not in ORDER_BY:
            errors["filters.order_by"] = f"Sort by one of: {', '.join(ORDER_BY)}."
        elif order_by != "updated_at":
            out["order_by"] = order_by
    order_dir = raw.get("order_dir")
    if order_dir not in (None, ""):
        if order_dir not in ("asc", "desc"):
            errors["filters.order_dir"] = "Sort direction is asc or desc."
        elif order_dir != "desc":
            out["order_dir"] = order_dir

    if errors:
        raise ValidationError(errors)
    return {key: out[key] for key in FILTER_KEYS if key in out}


def _split(text):
    return [part for part in (text or "").split(",") if part]


def to_filter(filters):
    """The TicketFilter that canonical `filters` stand for: what the count and the queue list."""
    return tickets.TicketFilter(
        statuses=_split(filters.get("status")),
        priorities=_split(filters.get("priority")),
        categories=_split(filters.get("category")),
        assignee="none" if filters.get("unassigned") else filters.get("assignee_id"),
        organization_id=filters.get("organization_id"),
        tags=_split(filters.get("tags")),
        search=filters.get("search", ""),
        sla=filters.get("sla", ""),
        order_by=filters.get("order_by", "updated_at"),
        order_dir=filters.get("order_dir", "desc"),
    )


def from_filter(flt, check=False):
    """The canonical filters of a TicketFilter (the queue's current one, say)."""
    raw = {
        "status": list(flt.statuses),
        "priority": list(flt.priorities),
        "category": list(flt.categories),
        "tags": list(flt.tags),
        "search": flt.search or "",
        "sla": flt.sla or "",
        "order_by": flt.order_by,
        "order_dir": flt.order_dir,
        "organization_id": flt.organization_id,
    }
    if flt.assignee == "none":
        raw["unassigned"] = True
    elif flt.assignee not in (None, ""):
        raw["assignee_id"] = flt.assignee
    return clean_filters(raw, check=check)


def from_queue(actor, args):
    """The canonical filters the queue shows for its query args (view, status, priority, ... sort, dir).

    :raises ValidationError: for queue args that are not valid.
    """
    _, flt = queue.filter_from_args(actor, args)
    return from_filter(flt, check=True)


# The queue view each service-level filter starts from; the other filters start from "open" and replace its statuses.
SLA_VIEWS = {"overdue": "overdue", "due_soon": "due_soon", "breached": "overdue"}
QUEUE_SORTS = {column: name for name, column in queue.SORTS.items()}


def to_queue_args(filters):
    """The queue's query args that show `filters`: every field is spelt out, so the view's defaults never leak in.

    The queue has no "breached" view; such a saved view opens on Overdue (its count still counts breaches).
    """
    args = MultiDict()
    args.add("view", SLA_VIEWS.get(filters.get("sla"), "open"))
    for status in _split(filters.get("status")) or STATUSES:
        args.add("status", status)
    for priority in _split(filters.get("priority")):
        args.add("priority", priority)
    if filters.get("unassigned"):
        args.add("assignee", "none")
    elif filters.get("assignee_id"):
        args.add("assignee", str(filters["assignee_id"]))
    for slug in _split(filters.get("category")):
        args.add("category", slug)
    if filters.get("organization_id"):
        args.add("organization", str(filters["organization_id"]))
    for tag in _split(filters.get("tags")):
        args.add("tag", tag)
    if filters.get("search"):
        args.add("q", filters["search"])
    args.add("sort", QUEUE_SORTS[filters.get("order_by", "updated_at")])
    args.add("dir", filters.get("order_dir", "desc"))
    return args


# ------------------------------------------------------------------------------------------------------- readers


def _stored(view):
    try:
        data = json.loads(view.filters or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def filters_of(view):
    """A saved view's filters as a dict (the canonical form they were saved in)."""
    return _stored(view)


def count(actor, filters):
    """How many tickets match `filters` now: one COUNT query, no rows loaded."""
    flt = to_filter(filters)
    return tickets.count_tickets(actor, flt)


def _own(actor, view_id):
    try:
        view_id = int(view_id)
    except (TypeError, ValueError):
        raise NotFound("No such view.")
    view = SavedView.get_or_none(SavedView.id == view_id, SavedView.owner == actor.id)
    if view is None:
        raise NotFound("No such view.")
    return view


def _listed(actor, view, current=None):
    filters = filters_of(view)
    try:
        matched = count(actor, filters)
    except ValidationError:  # saved before a rule changed: the view still lists, matching nothing
        matched = 0
    return ListedView(id=view.id, name=view.name, filters=filters, count=matched,
                      current=current is not None and filters == current, position=view.position)


def list_views(actor, current=None):
    """The actor's saved views in side-bar order, each with its live count; `current` (canonical filters) marks the
    one the queue is showing. :raises PermissionDenied: for customers."""
    require_staff(actor)
    rows = SavedView.select().where(SavedView.owner == actor.id).order_by(SavedView.position, SavedView.id)
    return [_listed(actor, view, current) for view in rows]


def sidebar(actor, flt=None):
    """The side bar's "My views" for the queue now showing `flt` (None when its filters were not valid)."""
    current = None
    if flt is not None:
        try:
            current = from_filter(flt)
        except ValidationError:
            current = None
    views = list_views(actor, current)
    for view in views:
        view.queue_args = to_queue_args(view.filters).to_dict(flat=False)
    return views


def get_view(actor, view_id):
    """One of the actor's saved views with its live count. :raises NotFound: for another agent's view."""
    require_staff(actor)
    return _listed(actor, _own(actor, view_id))


# ------------------------------------------------------------------------------------------------------- changes


def _clean_name(name, errors):
    name = " ".join((name or "").split()) if isinstance(name, str) else None
    if name is None:
        errors["name"] = "A name is a text."
    elif not name:
        errors["name"] = "Give the view a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"A name can be at most {NAME_MAX} characters."
    return name


def _check_unique(actor, name, exclude_id=None):
    query = SavedView.select().where(SavedView.owner == actor.id, fn.LOWER(SavedView.name) == name.lower())
    if exclude_id is not None:
        query = query.where(SavedView.id != exclude_id)
    if query.exists():
        raise ValidationError({"name": "You already have a view with this name."})


def create_view(actor, name, filters):
    """Save `filters` under `name` as the actor's newest view, last in the side bar.

    :raises ValidationError: for a missing, long or taken name, bad filters, or too many views.
    """
    require_staff(actor)
    errors = {}
    name = _clean_name(name, errors)
    try:
        filters = clean_filters(filters)
    except ValidationError as error:
        errors.update(error.errors)
    if errors:
        raise ValidationError(errors)
    with write():
        _check_unique(actor, name)
        existing = SavedView.select().where(SavedView.owner == actor.id)
        if existing.count() >= MAX_VIEWS:
            raise ValidationError({"name": f"You can keep at most {MAX_VIEWS} views; delete one first."})
        last = existing.select(fn.MAX(SavedView.position)).scalar()
        view = SavedView.create(owner=actor.id, name=name, filters=json.dumps(filters),
                                position=0 if last is None else last + 1)
    return _listed(actor, view)


def create_from_queue(actor, name, args):
    """Save what the queue shows for its query `args` as a view named `name`.

    :raises ValidationError: for a bad name, queue args that are not valid, or too many views.
    """
    require_staff(actor)
    return create_view(actor, name, from_queue(actor, args))


def update_view(actor, view_id, name=None, filters=None):
    """Rename a view or replace its filters; only what is given changes.

    :raises NotFound: for another agent's view. :raises ValidationError: for a bad name or bad filters.
    """
    require_staff(actor)
    errors = {}
    if name is not None:
        name = _clean_name(name, errors)
    if filters is not None:
        try:
            filters = clean_filters(filters)
        except ValidationError as error:
            errors.update(error.errors)
    with write():
        view = _own(actor, view_id)
        if errors:
            raise ValidationError(errors)
        if name is not None:
            _check_unique(actor, name, exclude_id=view.id)
            view.name = name
        if filters is not None:
            view.filters = json.dumps(filters)
        view.save()
    return _listed(actor, view)


def delete_view(actor, view_id):
    """Remove one of the actor's views from the side bar. :raises NotFound: for another agent's view."""
    require_staff(actor)
    with write():
        _own(actor, view_id).delete_instance()
