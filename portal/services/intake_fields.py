"""Intake fields: the questions a category asks when a ticket is filed (an order number for billing, say).

Admins define them per category; the contact form, the new-ticket form and the API ask them; agents see and edit the
answers. A field hidden from customers is for the team alone: customers and guests never see it nor set it.
Category CRUD for the API lives here too, on top of the admin service's category functions.
"""
import json
import math
import re
from datetime import date

from peewee import fn

from ..db import write
from ..models import FIELD_TYPES, Category, CategoryField, SlaPolicy, Ticket
from . import admin
from .errors import Conflict, NotFound, ValidationError
from .permissions import is_staff, require_admin, require_staff

KEY = re.compile(r"[a-z][a-z0-9_]{0,24}")  # short enough for "fields.<key>" in a history entry
MAX_FIELDS = 30
MAX_TEXT = 1000
MAX_OPTIONS = 50
MAX_OPTION = 120
TYPE_LABELS = {"text": "Text", "number": "Number", "select": "Choice from a list", "checkbox": "Checkbox",
               "date": "Date"}


# ------------------------------------------------------------------------------------------------------- categories


def category_by_slug(slug, include_inactive=True):
    """The category with this slug. :raises NotFound: when there is none (or it is inactive and that counts)."""
    query = Category.select().where(Category.slug == (slug or ""))
    if not include_inactive:
        query = query.where(Category.is_active == True)  # noqa: E712
    category = query.first()
    if category is None:
        raise NotFound("No such category.")
    return category


def _category_for(actor, slug):
    """Staff reach every category; customers and guests only the active ones. :raises NotFound:"""
    return category_by_slug(slug, include_inactive=is_staff(actor))


def create_category(actor, name, slug=None, description=""):
    """A new active category (admins); the slug is made from the name when left empty."""
    return admin.create_category(actor, name, slug, description)


def update_category(actor, slug, **changes):
    """Change a category's name, description or whether it is active (admins); only what is given changes.

    :raises NotFound: for an unknown slug.
    """
    require_admin(actor)
    category = category_by_slug(slug)
    if "name" in changes or "description" in changes:
        category = admin.update_category(actor, category.id, changes.get("name", category.name),
                                         changes.get("description", category.description))
    if "active" in changes and bool(changes["active"]) != category.is_active:
        category = admin.set_category_active(actor, category.id, changes["active"])
    return category


def delete_category(actor, slug):
    """Delete a category and its fields (admins).

    :raises Conflict: while a ticket (the trash included) or an SLA policy uses it: deactivate it instead.
    """
    require_admin(actor)
    with write():
        category = category_by_slug(slug)
        if Ticket.select().where(Ticket.category == category.id).exists():
            raise Conflict("Tickets are filed under this category; deactivate it instead, so they keep it.")
        for policy in SlaPolicy.select(SlaPolicy.categories).where(SlaPolicy.categories != ""):
            if category.slug in [s.strip() for s in policy.categories.split(",")]:
                raise Conflict("An SLA policy names this category; take it out of the policy first.")
        category.delete_instance(recursive=True)


def categories_with_fields(actor, categories):
    """Set `field_list` on each category: its fields the actor may see, in order, with one query for all."""
    by_id = {c.id: c for c in categories}
    for category in categories:
        category.field_list = []
    if by_id:
        query = CategoryField.select().where(CategoryField.category.in_(list(by_id)))
        if not is_staff(actor):
            query = query.where(CategoryField.visible_to_customer == True)  # noqa: E712
        for row in query.order_by(CategoryField.position, CategoryField.id):
            by_id[row.category_id].field_list.append(row)
    return categories


# ----------------------------------------------------------------------------------------------------------- fields


def fields_for(actor, category):
    """The fields of a category (a row or None) that the actor may see, in order: all for staff, else the visible."""
    if category is None:
        return []
    query = CategoryField.select().where(CategoryField.category == category.id)
    if not is_staff(actor):
        query = query.where(CategoryField.visible_to_customer == True)  # noqa: E712
    return list(query.order_by(CategoryField.position, CategoryField.id))


def questions(actor, slug):
    """The intake form's fields for a category slug (empty for none, or one the actor cannot choose)."""
    if not slug:
        return None, []
    try:
        category = category_by_slug(slug, include_inactive=False)
    except NotFound:
        return None, []
    return category, fields_for(actor, category)


def list_fields(actor, slug):
    """A category's fields: every one for staff, the visible ones for customers and guests.

    :raises NotFound: for an unknown category (or an inactive one, for customers).
    """
    return fields_for(actor, _category_for(actor, slug))


def get_field(actor, slug, key):
    """One field of a category (staff). :raises NotFound:"""
    require_staff(actor)
    return _field(category_by_slug(slug), key)


def _field(category, key):
    field = CategoryField.get_or_none((CategoryField.category == category.id) & (CategoryField.key == (key or "")))
    if field is None:
        raise NotFound("No such field in this category.")
    return field


def _clean_definition(errors, values):
    """Check a field's definition; returns the cleaned values (only those given)."""
    cleaned = {}
    if "label" in values:
        label = " ".join(str(values["label"] or "").split())
        if not label:
            errors["label"] = "Enter a label: the question people read."
        elif len(label) > 120:
            errors["label"] = "The label can be at most 120 characters."
        cleaned["label"] = label
    if "type" in values:
        if values["type"] not in FIELD_TYPES:
            errors["type"] = f"Choose one of: {', '.join(FIELD_TYPES)}."
        cleaned["type"] = values["type"]
    if "options" in values:
        raw = values["options"]
        lines = raw if isinstance(raw, (list, tuple)) else str(raw or "").splitlines()
        options = list(dict.fromkeys(" ".join(str(o).split()) for o in lines if str(o).strip()))
        if len(options) > MAX_OPTIONS:
            errors["options"] = f"At most {MAX_OPTIONS} options."
        elif any(len(o) > MAX_OPTION for o in options):
            errors["options"] = f"Each option can be at most {MAX_OPTION} characters."
        cleaned["options"] = "\n".join(options)
    for flag in ("required", "visible_to_customer"):
        if flag in values:
            cleaned[flag] = bool(values[flag])
    if values.get("position") is not None:
        try:
            cleaned["position"] = max(0, int(values["position"]))
        except (TypeError, ValueError):
            errors["position"] = "Enter a whole number."
    return cleaned


def create_field(actor, slug, key, label, type="text", options="", required=False, visible_to_customer=True,
                 position=None):
    """A new question for a category's tickets (admins), last unless `position` says otherwise.

    :raises ValidationError: beside each field (key taken or malformed, no label, a list without options).
    """
    require_admin(actor)
    errors = {}
    key = (key or "").strip()
    if not KEY.fullmatch(key):
        errors["key"] = "Use lower-case letters, digits and _ (starting with a letter, at most 25)."
    cleaned = _clean_definition(errors, dict(label=label, type=type, options=options, required=required,
                                             visible_to_customer=visible_to_customer, position=position))
    if cleaned.get("type") == "select" and not cleaned.get("options") and "options" not in errors:
        errors["options"] = "A list needs at least one option, one per line."
    with write():
        category = category_by_slug(slug)
        if "key" not in errors and CategoryField.select().where(CategoryField.category == category.id,
                                                                CategoryField.key == key).exists():
            errors["key"] = "This category already has a field with this key."
        if CategoryField.select().where(CategoryField.category == category.id).count() >= MAX_FIELDS:
            errors.setdefault("key", f"A category can have at most {MAX_FIELDS} fields.")
        if errors:
            raise ValidationError(errors)
        if "position" not in cleaned:
            last = CategoryField.select(fn.MAX(CategoryField.position)).where(
                CategoryField.category == category.id).scalar()
            cleaned["position"] = 0 if last is None else last + 1
        if cleaned["type"] != "select":
            cleaned["options"] = ""
        return CategoryField.create(category=category, key=key, **cleaned)


def update_field(actor, slug, field_key, **changes):
    """Change a field's label, type, options, required, visibility or position (admins); the key stays.

    :raises NotFound: for an unknown category or field. :raises ValidationError: beside each field.
    """
    require_admin(actor)
    unknown = set(changes) - {"label", "type", "options", "required", "visible_to_customer", "position"}
    if unknown:
        raise ValidationError({name: "This cannot be changed." for name in unknown})
    errors = {}
    cleaned = _clean_definition(errors, changes)
    with write():
        field = _field(category_by_slug(slug), field_key)
        kind = cleaned.get("type", field.type)
        options = cleaned.get("options", field.options)
        if kind == "select" and not options.strip() and "options" not in errors:
            errors["options"] = "A list needs at least one option, one per line."
        if errors:
            raise ValidationError(errors)
        if kind != "select":
            cleaned["options"] = ""
        for name, value in cleaned.items():
            setattr(field, name, value)
        field.save()
    return field


def delete_field(actor, slug, key):
    """Remove a question (admins); answers already given stay in the tickets' stored values but no longer show.

    :raises NotFound:
    """
    require_admin(actor)
    with write():
        _field(category_by_slug(slug), key).delete_instance()


# ------------------------------------------------------------------------------------------------------- the values


def _empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_value(field, value):
    """One answer cleaned for its field's type; returns (value, error message or None)."""
    if field.type == "checkbox":
        if not isinstance(value, bool):
            return None, "Answer true or false."
        if field.required and not value:
            return None, "Tick this box to go on."
        return value, None
    if field.type == "number":
        if isinstance(value, bool):
            return None, "Enter a number."
        if isinstance(value, str):
            text = value.strip()
            try:
                value = int(text)
            except ValueError:
                try:
                    value = float(text)
                except ValueError:
                    return None, "Enter a number."
        if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
            return None, "Enter a number."
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        if abs(value) >= 10**15:
            return None, "This number is too large."
        return value, None
    if not isinstance(value, str):
        return None, "Enter text."
    value = value.strip()
    if field.type == "select":
        if value not in field.option_list:
            return None, "Choose one of the listed options."
        return value, None
    if field.type == "date":
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            return None, "Enter a date as YYYY-MM-DD."
        return value, None
    if len(value) > MAX_TEXT:
        return None, f"At most {MAX_TEXT:,} characters."
    return value, None


def check(errors, category, values, actor, stored=None):
    """Judge the answers to a category's questions; errors go under `fields.<key>`. Returns the values to store.

    `values` ({key: value}) are what the actor sends; `stored` the ticket's answers so far (agents editing): the keys
    sent replace theirs and an empty value clears one. Customers and guests may only answer the questions they
    see; a key the actor cannot answer is refused like an unknown one. When filing (`stored` is None) every visible
    required question needs an answer; when editing, a required answer cannot be cleared.
    """
    values = values or {}
    if not isinstance(values, dict):
        errors["fields"] = "Send the answers as an object of {key: value}."
        return {}
    fields = fields_for(actor, category)
    by_key = {f.key: f for f in fields}
    result = dict(stored or {})
    for key in values:
        if key not in by_key:
            errors[f"fields.{key}"[:200]] = ("This category has no such question." if category is not None
                                            else "Choose a category with this question first.")
    for field in fields:
        name = f"fields.{field.key}"
        if field.key in values:
            value = values[field.key]
            if _empty(value):
                result.pop(field.key, None)
            else:
                cleaned, problem = _clean_value(field, value)
                if problem:
                    errors[name] = problem
                    continue
                result[field.key] = cleaned
        filing = stored is None
        must = field.required and (field.visible_to_customer if filing else field.key in values)
        if must and name not in errors and _empty(result.get(field.key)) and field.type != "checkbox":
            errors[name] = "Answer this question."
        elif must and field.type == "checkbox" and result.get(field.key) is not True and name not in errors:
            errors[name] = "Tick this box to go on."
    order = {f.key: i for i, f in enumerate(fields)}
    return dict(sorted(result.items(), key=lambda item: order.get(item[0], len(order))))


def validate(category, values, actor):
    """The answers cleaned for storing. :raises ValidationError: keyed `fields.<key>`."""
    errors = {}
    cleaned = check(errors, category, values, actor)
    if errors:
        raise ValidationError(errors)
    return cleaned


def stored_values(ticket):
    """The answers a ticket holds, {key: value} ({} when none or unreadable)."""
    try:
        values = json.loads(ticket.field_values or "{}")
    except (TypeError, ValueError):
        return {}
    return values if isinstance(values, dict) else {}


def dump(values):
    """The answers as the JSON text Ticket.field_values keeps."""
    return json.dumps(values or {}, ensure_ascii=False, separators=(",", ":"))


def as_text(value):
    """An answer as people read it (history entries, pages)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def visible_values(actor, ticket):
    """The questions of the ticket's category the actor may see, each with its answer (or None), as (field, value)."""
    values = stored_values(ticket)
    loaded = getattr(ticket, "loaded_fields", None)  # attach_values already read them for this audience
    fields = loaded[1] if loaded is not None and loaded[0] == is_staff(actor) else fields_for(actor, ticket.category)
    return [(field, values.get(field.key)) for field in fields]


def attach_values(actor, tickets):
    """Set on each ticket the answers the actor may see, in question order: `shown_fields` ({key: value}, for the
    API) and `answer_rows` ([(field, value)], for pages); one query for all the tickets."""
    category_ids = {t.category_id for t in tickets if t.category_id}
    by_category = {}
    if category_ids:
        query = CategoryField.select().where(CategoryField.category.in_(list(category_ids)))
        if not is_staff(actor):
            query = query.where(CategoryField.visible_to_customer == True)  # noqa: E712
        for row in query.order_by(CategoryField.position, CategoryField.id):
            by_category.setdefault(row.category_id, []).append(row)
    for ticket in tickets:
        values = stored_values(ticket)
        ticket.loaded_fields = (is_staff(actor), by_category.get(ticket.category_id, []))
        ticket.answer_rows = [(f, values[f.key]) for f in by_category.get(ticket.category_id, []) if f.key in values]
        ticket.shown_fields = {f.key: value for f, value in ticket.answer_rows}
    return tickets


def changes_for(errors, ticket, category, values, actor):
    """For update_ticket: the answers after an agent's edit, judged against the (possibly new) category."""
    require_staff(actor)
    return check(errors, category, values, actor, stored=stored_values(ticket))


def record_changes(ticket, actor, values, at, record):
    """For update_ticket: store the new answers and write a history entry (`fields.<key>`) and a staff-only event line
    for each one that changed; `record` is tickets._record. Returns whether anything changed."""
    old = stored_values(ticket)
    changed = [key for key in dict.fromkeys([*old, *values]) if old.get(key) != values.get(key)
               or type(old.get(key)) is not type(values.get(key))]
    if not changed:
        return False
    labels = dict(CategoryField.select(CategoryField.key, CategoryField.label)
                  .where(CategoryField.category == ticket.category_id, CategoryField.key.in_(changed)).tuples())
    who = actor.name if actor is not None else "System"
    for key in changed:
        new = as_text(values.get(key))
        label = labels.get(key, key.replace("_", " "))
        text = f"{who} set {label} to {new}" if new is not None else f"{who} cleared {label}"
        record(ticket, actor, f"fields.{key}", as_text(old.get(key)), new, at, text=text, public=False)
    ticket.field_values = dump(values)
    return True


def set_fields(actor, ticket_id, values):
    """Agents change a ticket's answers; each changed one is recorded in the history.

    :raises NotFound: :raises PermissionDenied: for customers. :raises ValidationError: keyed `fields.<key>`.
    """
    from . import tickets  # tickets files answers through this module, so this one reaches back lazily

    return tickets.update_ticket(actor, ticket_id, fields=values)


def form_values(form, fields):
    """The answers an HTML form sent for these fields (inputs named `fields.<key>`; an unticked box is false)."""
    values = {}
    for field in fields:
        name = f"fields.{field.key}"
        if field.type == "checkbox":
            values[field.key] = form.get(name) in ("1", "on", "true", "yes")
        else:
            values[field.key] = form.get(name, "")
    return values
