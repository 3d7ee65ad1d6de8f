"""Jinja filters and globals shared by every face."""
from datetime import datetime

from flask import current_app, request, url_for
from markupsafe import Markup

from .models import utcnow
from .services import ratings, sla

STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "waiting": "Waiting on customer",
    "resolved": "Resolved",
    "closed": "Closed",
}


def relative_time(value, now=None):
    if value is None:
        return ""
    now = now or utcnow()
    seconds = int((now - value).total_seconds())
    if seconds < -45:  # a due time still ahead
        return f"in {duration(max(-seconds / 60, 1))}"
    if seconds < 45:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{max(minutes, 1)} min ago"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h ago"
    days = hours // 24
    if days < 30:
        return f"{days} d ago" if days > 1 else "yesterday"
    return value.strftime("%d %b %Y")


def timestamp(value):
    """A <time> element: relative text, the exact UTC time on hover."""
    if value is None:
        return ""
    iso = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    exact = value.strftime("%d %b %Y, %H:%M UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(iso, exact, relative_time(value))


def duration(value):
    """A duration in minutes as people read it: 45 min, 3 h 20 min, 2 d 4 h; an empty value as a dash."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.1f} min"
    total = round(value)
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def due_badge(ticket):
    """The queue's service-level badge: overdue (red), due within the hour (amber) or due later (quiet)."""
    badge = sla.badge(ticket)
    if badge is None:
        return ""
    kind, due = badge
    minutes = (due - utcnow()).total_seconds() / 60
    what = "First response" if ticket.first_response_at is None and due == ticket.first_response_due_at else "Resolution"
    title = f"{what} due {due.strftime('%d %b %Y, %H:%M UTC')}"
    text = f"Overdue {duration(max(-minutes, 1))}" if kind == "overdue" else f"Due in {duration(max(minutes, 1))}"
    return Markup('<span class="due due-{}" title="{}">{}</span>').format(kind.replace("_", "-"), title, text)


def status_label(status):
    return STATUS_LABELS.get(status, status)


def url_with(**changes):
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def url_for_safe(endpoint, **values):
    """A URL for an endpoint, or None while that face is not installed."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def filesize(n):
    n = n or 0
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


def service_level(ticket):
    """The ticket's service-level state for the agent's side panel (None without a policy)."""
    return sla.state(ticket)


def init_app(app):
    app.jinja_env.filters["timestamp"] = timestamp
    app.jinja_env.filters["reltime"] = relative_time
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["due_badge"] = due_badge
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["service_level"] = service_level
    app.jinja_env.filters["rating"] = ratings.rating_of
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["url_for_safe"] = url_for_safe
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS

    @app.context_processor
    def _site():
        return {"site_name": app.config["SITE_NAME"], "now": datetime.utcnow}
