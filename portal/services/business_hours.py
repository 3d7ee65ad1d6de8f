"""Working-time arithmetic for service levels: add working minutes to an instant, count working minutes between two.

Instants are naive UTC datetimes, as stored everywhere else; the working week is read in the policy's own time zone,
so a 09:00-17:00 day stays 09:00-17:00 local time across daylight-saving changes. A policy without hours is 24/7.
"""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")
# No promise reaches further than a year of working time; the loops below are bounded by it.
MAX_MINUTES = 366 * 24 * 60


class AlwaysOpen:
    """Round the clock, every day."""

    timezone = "UTC"

    def add(self, start, minutes):
        return start + timedelta(minutes=minutes)

    def minutes_between(self, start, end):
        return max((end - start).total_seconds() / 60, 0.0)


def _minute_of_day(text):
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class WorkingWeek:
    """The same opening hours every week, per weekday, in one time zone."""

    def __init__(self, zone_name, hours):
        self.timezone = zone_name
        self.zone = ZoneInfo(zone_name)
        self.hours = hours  # weekday index (0 = Monday) -> (first minute, last minute) of the working day

    def _window(self, day):
        """The working interval of a local date as naive UTC instants, or None on a day off."""
        span = self.hours.get(day.weekday())
        if span is None:
            return None
        midnight = datetime.combine(day, time(0), tzinfo=self.zone)
        # Adding minutes to an aware local midnight is wall-clock arithmetic; going through UTC makes each edge a
        # real instant, so a working day that spans a daylight-saving change is an hour shorter or longer.
        return tuple(_to_utc(midnight + timedelta(minutes=m)) for m in span)

    def _local_date(self, instant):
        return instant.replace(tzinfo=timezone.utc).astimezone(self.zone).date()

    def add(self, start, minutes):
        """The instant when `minutes` of working time have passed since `start`."""
        remaining = timedelta(minutes=minutes)
        day = self._local_date(start)
        cursor = start
        for _ in range(MAX_MINUTES // 60 + 400):
            window = self._window(day)
            if window is not None:
                opens, closes = window
                cursor = max(cursor, opens)
                if cursor < closes:
                    if remaining <= closes - cursor:
                        return cursor + remaining
                    remaining -= closes - cursor
                    cursor = closes
            day += timedelta(days=1)
        raise ValueError("The target is too far away to compute.")

    def minutes_between(self, start, end):
        """Working minutes from `start` to `end` (0 when end is not after start)."""
        if end <= start:
            return 0.0
        total = timedelta()
        day = self._local_date(start)
        last = self._local_date(end)
        while day <= last:
            window = self._window(day)
            if window is not None:
                opens, closes = max(window[0], start), min(window[1], end)
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total.total_seconds() / 60


def _to_utc(aware):
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


def parse(data):
    """A calendar from a policy's `business_hours`: None or {} is 24/7, else {"timezone", "days": {"mon": [..]}}.

    :raises ValueError: with a message a person can act on, for anything malformed.
    """
    if not data:
        return AlwaysOpen()
    if not isinstance(data, dict):
        raise ValueError("Business hours are a time zone and opening hours per day.")
    zone_name = data.get("timezone")
    if not isinstance(zone_name, str) or not zone_name.strip():
        raise ValueError("Choose the time zone the business hours are in, e.g. Europe/Berlin.")
    try:
        ZoneInfo(zone_name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"“{zone_name[:60]}” is not a known time zone; use a name like Europe/Berlin.")
    days = data.get("days")
    if not isinstance(days, dict) or not days:
        raise ValueError("Give the opening hours of at least one day.")
    unknown = [key for key in days if key not in DAYS]
    if unknown:
        raise ValueError(f"Days are written {', '.join(DAYS)}; “{str(unknown[0])[:20]}” is not one of them.")
    hours = {}
    for key, span in days.items():
        name = DAY_NAMES[DAYS.index(key)]
        if (not isinstance(span, (list, tuple)) or len(span) != 2
                or not all(isinstance(v, str) and _CLOCK.fullmatch(v) for v in span)):
            raise ValueError(f"{name}: give an opening and a closing time as HH:MM, e.g. 09:00 and 17:00.")
        first, last = (_minute_of_day(v) for v in span)
        if first >= last:
            raise ValueError(f"{name}: the closing time must be after the opening time.")
        hours[DAYS.index(key)] = (first, last)
    return WorkingWeek(zone_name.strip(), hours)


def describe(data):
    """A short human summary: "24/7" or "Mon-Fri 09:00-17:00 (Europe/Berlin)"."""
    if not data:
        return "24/7"
    days = data.get("days") or {}
    groups = []
    for key in DAYS:
        if key not in days:
            continue
        span = "-".join(days[key])
        if groups and groups[-1][2] == span and DAYS.index(groups[-1][1]) == DAYS.index(key) - 1:
            groups[-1][1] = key
        else:
            groups.append([key, key, span])
    parts = [(f"{a.title()}" if a == b else f"{a.title()}-{b.title()}") + f" {span}" for a, b, span in groups]
    return f"{', '.join(parts)} ({data.get('timezone')})"
