"""Keyset pages for lists other than the ticket queue: newest first by a timestamp, ties broken by id."""
import base64
import json
from dataclasses import dataclass
from datetime import datetime

from peewee import DateTimeField

from .errors import ValidationError

MAX_LIMIT = 100
# Larger than any id a database hands out, small enough for every driver to bind.
MAX_ID = 2**53 - 1


@dataclass
class Page:
    """One page of a list: its items, how many there are in all, and the cursor to the next page (or None)."""

    items: list
    total: int
    next_cursor: str | None
    limit: int


def encode_cursor(values):
    """An opaque cursor for [kind, sort value, id]."""
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor):
    """[kind, sort value, id] from a cursor this server handed out.

    :raises ValidationError: for anything else, so a forged cursor fails here and not in the database.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise _bad_cursor()
    if not isinstance(values, list) or len(values) != 3:
        raise _bad_cursor()
    kind, value, last_id = values
    if not isinstance(kind, str) or isinstance(last_id, bool) or not isinstance(last_id, int):
        raise _bad_cursor()
    # A null sort value marks the undated tail of a list sorted by a nullable column (due times).
    if not (0 <= last_id <= MAX_ID) or not isinstance(value, (str, int, type(None))) or isinstance(value, bool):
        raise _bad_cursor()
    if isinstance(value, int) and abs(value) > MAX_ID:
        raise _bad_cursor()
    return values


def clamp_limit(limit):
    try:
        limit = int(limit or 25)
    except (TypeError, ValueError):
        limit = 25
    return max(1, min(limit, MAX_LIMIT))


def _bad_cursor():
    return ValidationError({"cursor": "This cursor is not valid; start again from the first page."})


def read_cursor(cursor, kind, column):
    """The (sort value, id) a cursor of `kind` points after, typed for `column`.

    :raises ValidationError: for a cursor this server did not hand out for this list.
    """
    name, value, last_id = decode_cursor(cursor)
    if name != kind or not isinstance(value, str):
        raise _bad_cursor()
    if isinstance(column, DateTimeField):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _bad_cursor()
    return value, last_id


def keyset_page(query, column, id_column, kind, cursor=None, limit=25, descending=True):
    """One page of `query` ordered by (column, id), with the total and the cursor to the next page.

    `column` is a timestamp or a text column; `kind` names the list so a cursor of one list is refused by another.
    """
    limit = clamp_limit(limit)
    total = query.count()
    if cursor:
        value, last_id = read_cursor(cursor, kind, column)
        if descending:
            query = query.where((column < value) | ((column == value) & (id_column < last_id)))
        else:
            query = query.where((column > value) | ((column == value) & (id_column > last_id)))
    ordering = [column.desc(), id_column.desc()] if descending else [column.asc(), id_column.asc()]
    items = list(query.order_by(*ordering).limit(limit + 1))
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        value = getattr(last, column.name)
        next_cursor = encode_cursor([kind, value.isoformat() if isinstance(value, datetime) else value, last.id])
    return Page(items=items, total=total, next_cursor=next_cursor, limit=limit)
