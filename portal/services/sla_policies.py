"""SLA policies: which tickets are promised a first answer and a resolution within how long. Admins only.

A ticket gets the first policy, in `position` order, whose priorities and categories take it (an empty list takes
any); services/sla.py does the matching and the clock. Positions are the match order itself: they are kept as
0, 1, 2 ... so that placing a policy at a position moves the others along instead of tying with them.
"""
import json

from peewee import fn

from ..db import write
from ..models import PRIORITIES, Category, SlaPolicy
from . import business_hours
from .errors import NotFound, ValidationError
from .permissions import require_admin

NAME_MAX = 120
FIELDS = ("name", "priorities", "categories", "first_response_minutes", "resolution_minutes", "business_hours",
          "position")
TARGET_LABELS = {"first_response_minutes": "first-response target", "resolution_minutes": "resolution target"}

# ---------------------------------------------------------------------------------------------------------- readers


def _listed(text):
    return [item for item in (text or "").split(",") if item]


def priorities_of(policy):
    """The priorities a policy takes, in the order of PRIORITIES; empty means any."""
    return _listed(policy.priorities)


def categories_of(policy):
    """The category slugs a policy takes; empty means any."""
    return _listed(policy.categories)


def hours_of(policy):
    """The policy's business hours as {"timezone", "days": {"mon": ["09:00", "17:00"], ...}}, or None for 24/7."""
    if not policy.business_hours:
        return None
    try:
        data = json.loads(policy.business_hours)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data else None


def describe_minutes(minutes):
    """A target for people: 45 -> "45 min", 240 -> "4 h", 1560 -> "1 d 2 h"; "" for none."""
    if not minutes:
        return ""
    days, rest = divmod(int(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(part for part in parts if part)


def default_timezone(policies):
    """The zone a new policy's business hours start in: the first policy's that has hours, else UTC."""
    for policy in policies:
        hours = hours_of(policy)
        if hours and hours.get("timezone"):
            return hours["timezone"]
    return "UTC"


# --------------------------------------------------------------------------------------------------------- listing


def ordered():
    """Every policy in match order (no permission check: the ticket clock uses it)."""
    return list(SlaPolicy.select().order_by(SlaPolicy.position, SlaPolicy.id))


def list_policies(actor):
    """Every policy in the order tickets are matched against them: the first that matches applies."""
    require_admin(actor)
    return ordered()


def _policy(policy_id):
    try:
        policy = SlaPolicy.get_or_none(SlaPolicy.id == int(policy_id))
    except (TypeError, ValueError, OverflowError):
        policy = None
    if policy is None:
        raise NotFound("No such SLA policy.")
    return policy


def get_policy(actor, policy_id):
    """One policy. :raises NotFound: for an unknown id."""
    require_admin(actor)
    return _policy(policy_id)


def category_options(actor):
    """Every category a policy may name, active or not, in display order."""
    require_admin(actor)
    return list(Category.select().order_by(Category.position, Category.name))


# ------------------------------------------------------------------------------------------------------- checking


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return list(value)


def _check_name(errors, name, except_id=None):
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = "Give the policy a name, e.g. “Urgent tickets”."
    elif len(name) > NAME_MAX:
        errors["name"] = f"The name can be at most {NAME_MAX} characters."
    else:
        query = SlaPolicy.select().where(fn.LOWER(SlaPolicy.name) == name.lower())
        if except_id is not None:
            query = query.where(SlaPolicy.id != except_id)
        if query.exists():
            errors["name"] = "Another policy already has this name."
    return name


def _check_choices(errors, field, values, known, unknown_message):
    chosen, seen = [], set()
    for value in _as_list(values):
        if not isinstance(value, str) or value not in known:
            errors[field] = unknown_message(str(value)[:40])
            return []
        if value in seen:
            errors[field] = f"“{value}” is listed twice; list each once."
            return []
        seen.add(value)
        chosen.append(value)
    return chosen


def _check_priorities(errors, values):
    chosen = _check_choices(errors, "priorities", values, PRIORITIES,
                            lambda v: f"“{v}” is not a priority; choose from {', '.join(PRIORITIES)}.")
    return [p for p in PRIORITIES if p in chosen]


def _check_categories(errors, values):
    wanted = [v for v in _as_list(values) if isinstance(v, str)]
    known = {slug for (slug,) in Category.select(Category.slug).where(Category.slug.in_(wanted)).tuples()} if wanted \
        else set()
    return _check_choices(errors, "categories", values, known, lambda v: f"There is no category “{v}”.")


def _whole(value):
    """An int from an int, an integral float or a form's digits; anything else comes back as it was."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 12:
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_minutes(errors, field, value):
    """Whole minutes from 1 to MAX_MINUTES, or None; digits typed into a form count as a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    label = TARGET_LABELS[field]
    value = _whole(value)
    if not isinstance(value, int) or isinstance(value, bool):
        errors[field] = f"Enter the {label} as whole minutes, e.g. 240 for 4 hours."
        return None
    if not 1 <= value <= business_hours.MAX_MINUTES:
        errors[field] = (f"The {label} must be from 1 to {business_hours.MAX_MINUTES} minutes "
                         f"({business_hours.MAX_MINUTES // 1440} days).")
        return None
    return value


def _check_hours(errors, data):
    """Business hours cleaned for storing (days in week order), or None for 24/7; each problem beside its part."""
    if data is None or data == {}:
        return None
    if not isinstance(data, dict):
        errors["business_hours"] = "Business hours are a time zone and opening hours per day, or null for 24/7."
        return None
    zone = data.get("timezone")
    zone = zone.strip() if isinstance(zone, str) else zone
    sample_day = {"mon": ["09:00", "17:00"]}
    found = False
    try:
        business_hours.parse({"timezone": zone, "days": sample_day})
    except ValueError as error:
        errors["business_hours.timezone"] = str(error)
        found = True
    days = data.get("days")
    if isinstance(days, dict) and days:
        for key, span in days.items():
            try:
                business_hours.parse({"timezone": "UTC", "days": {key: span}})
            except ValueError as error:
                errors[f"business_hours.days.{str(key)[:20]}"] = str(error)
                found = True
    else:
        try:
            business_hours.parse({"timezone": "UTC", "days": days})
        except ValueError as error:
            errors["business_hours.days"] = str(error)
            found = True
    if found:
        return None
    cleaned = {"timezone": zone, "days": {key: list(days[key]) for key in business_hours.DAYS if key in days}}
    try:  # the whole, once more: the calendar is the judge of what a policy may store
        business_hours.parse(cleaned)
    except ValueError as error:
        errors["business_hours"] = str(error)
        return None
    return cleaned


def _check_position(errors, value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    value = _whole(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors["position"] = "The position is a whole number, 0 or more; 0 is matched first."
        return None
    return value


def _check_targets(errors, first, resolution, changed):
    """At least one target, and a resolution no sooner than the first response; said beside the field changed."""
    if "first_response_minutes" in errors or "resolution_minutes" in errors:
        return
    if first is None and resolution is None:
        field = "first_response_minutes" if "first_response_minutes" in changed else "resolution_minutes"
        errors[field] = "Set a first-response target, a resolution target or both."
    elif first is not None and resolution is not None and resolution < first:
        if "resolution_minutes" in changed:
            errors["resolution_minutes"] = (f"The resolution target cannot be shorter than the first-response "
                                            f"target ({describe_minutes(first)}).")
        else:
            errors["first_response_minutes"] = (f"The first-response target cannot be longer than the resolution "
                                                f"target ({describe_minutes(resolution)}).")


def _clean(values, changed, except_id=None):
    """Check the fields named in `changed` (and the targets together); the cleaned values, or ValidationError."""
    errors, cleaned = {}, {}
    if "name" in changed:
        cleaned["name"] = _check_name(errors, values.get("name"), except_id)
    if "priorities" in changed:
        cleaned["priorities"] = _check_priorities(errors, values.get("priorities"))
    if "categories" in changed:
        cleaned["categories"] = _check_categories(errors, values.get("categories"))
    for field in TARGET_LABELS:
        cleaned[field] = _check_minutes(errors, field, values.get(field)) if field in changed else values.get(field)
    if "business_hours" in changed:
        cleaned["business_hours"] = _check_hours(errors, values.get("business_hours"))
    if "position" in changed:
        cleaned["position"] = _check_position(errors, values.get("position"))
    _check_targets(errors, cleaned["first_response_minutes"], cleaned["resolution_minutes"], changed)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _store(policy, cleaned):
    if "name" in cleaned:
        policy.name = cleaned["name"]
    if "priorities" in cleaned:
        policy.priorities = ",".join(cleaned["priorities"])
    if "categories" in cleaned:
        policy.categories = ",".join(cleaned["categories"])
    policy.first_response_minutes = cleaned["first_response_minutes"]
    policy.resolution_minutes = cleaned["resolution_minutes"]
    if "business_hours" in cleaned:
        hours = cleaned["business_hours"]
        policy.business_hours = json.dumps(hours, separators=(",", ":")) if hours else None


def _place(policy, index):
    """Put `policy` at `index` of the match order (past the end: last) and number everything 0, 1, 2 ..."""
    others = [p for p in ordered() if p.id != policy.id]
    index = len(others) if index is None else min(index, len(others))
    for number, item in enumerate(others[:index] + [policy] + others[index:]):
        if item.position != number:
            SlaPolicy.update(position=number).where(SlaPolicy.id == item.id).execute()
        item.position = number


# -------------------------------------------------------------------------------------------------------- changing


def create_policy(actor, name, priorities=(), categories=(), first_response_minutes=None, resolution_minutes=None,
                  business_hours=None, position=None):
    """A new policy at `position` of the match order (default: last); the ones from there on move down one.

    :raises ValidationError: beside each field: name, priorities, categories, the two targets (at least one),
        business_hours (or its timezone and days), position.
    """
    require_admin(actor)
    values = dict(name=name, priorities=priorities, categories=categories,
                  first_response_minutes=first_response_minutes, resolution_minutes=resolution_minutes,
                  business_hours=business_hours, position=position)
    with write():
        cleaned = _clean(values, set(FIELDS))
        policy = SlaPolicy(position=0)
        _store(policy, cleaned)
        policy.position = (SlaPolicy.select(fn.MAX(SlaPolicy.position)).scalar() or 0) + 1
        policy.save()
        _place(policy, cleaned["position"])
    return policy


def update_policy(actor, policy_id, **changes):
    """Change the fields given; a new `position` moves the policy in the match order and the others make room.

    :raises NotFound: for an unknown id. :raises ValidationError: as for create_policy.
    """
    require_admin(actor)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"update_policy() got unexpected fields: {', '.join(sorted(unknown))}")
    with write():
        policy = _policy(policy_id)
        values = {"first_response_minutes": policy.first_response_minutes,
                  "resolution_minutes": policy.resolution_minutes, **changes}
        cleaned = _clean(values, set(changes), except_id=policy.id)
        _store(policy, cleaned)
        policy.save()
        if cleaned.get("position") is not None:
            _place(policy, cleaned["position"])
    return policy


def delete_policy(actor, policy_id):
    """Delete a policy: tickets that followed it are left without one, and new tickets match the policies left."""
    require_admin(actor)
    with write():
        policy = _policy(policy_id)
        policy.delete_instance()
        for number, item in enumerate(ordered()):
            if item.position != number:
                SlaPolicy.update(position=number).where(SlaPolicy.id == item.id).execute()
    return policy
