"""Working-time arithmetic: what a service-level target means in a real week, in a real time zone."""
from datetime import datetime

import pytest

from portal.services import business_hours

WEEKDAYS = {day: ["09:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = business_hours.parse({"timezone": "Europe/Berlin", "days": WEEKDAYS})
NEW_YORK = business_hours.parse({"timezone": "America/New_York", "days": WEEKDAYS})


def utc(*args):
    return datetime(*args)


def test_without_hours_the_clock_runs_round_the_clock():
    always = business_hours.parse(None)
    assert always.add(utc(2026, 12, 5, 23, 30), 90) == utc(2026, 12, 6, 1, 0)
    assert always.minutes_between(utc(2026, 12, 5, 23, 30), utc(2026, 12, 6, 1, 0)) == 90


def test_a_target_spanning_a_weekend_resumes_on_monday_morning():
    # Friday 4 Dec 2026, 16:00 in Berlin (15:00 UTC): one working hour left that day, one more on Monday.
    due = BERLIN.add(utc(2026, 12, 4, 15, 0), 120)
    assert due == utc(2026, 12, 7, 9, 0)  # Monday 10:00 in Berlin
    assert BERLIN.minutes_between(utc(2026, 12, 4, 15, 0), due) == 120


def test_a_ticket_filed_on_saturday_starts_counting_on_monday_at_opening():
    due = BERLIN.add(utc(2026, 12, 5, 12, 0), 30)
    assert due == utc(2026, 12, 7, 8, 30)  # Monday 09:30 in Berlin


def test_a_whole_working_week_is_forty_hours():
    monday_opening = utc(2026, 12, 7, 8, 0)
    assert BERLIN.add(monday_opening, 40 * 60) == utc(2026, 12, 11, 16, 0)  # Friday 17:00 in Berlin
    assert BERLIN.minutes_between(monday_opening, utc(2026, 12, 14, 8, 0)) == 40 * 60
    # One minute more runs into the next Monday.
    assert BERLIN.add(monday_opening, 40 * 60 + 1) == utc(2026, 12, 14, 8, 1)


def test_time_outside_working_hours_does_not_count():
    assert BERLIN.minutes_between(utc(2026, 12, 4, 17, 0), utc(2026, 12, 7, 7, 59)) == 0
    assert BERLIN.minutes_between(utc(2026, 12, 7, 9, 0), utc(2026, 12, 7, 8, 0)) == 0


def test_daylight_saving_keeps_the_local_opening_hours():
    # Europe changed to summer time on Sunday 29 March 2026: Friday 09:00 local was 08:00 UTC, Monday's is 07:00 UTC.
    assert BERLIN.add(utc(2026, 3, 27, 15, 0), 120) == utc(2026, 3, 30, 8, 0)
    # New York changed on 8 March 2026: opening moves from 14:00 UTC to 13:00 UTC.
    assert NEW_YORK.add(utc(2026, 3, 6, 22, 0), 60) == utc(2026, 3, 9, 14, 0)  # Fri 17:00 EST, then Mon 10:00 EDT
    assert NEW_YORK.minutes_between(utc(2026, 3, 6, 14, 0), utc(2026, 3, 9, 14, 0)) == 8 * 60 + 60


def test_a_day_that_lasts_past_midnight_utc_is_counted_in_its_own_zone():
    tokyo = business_hours.parse({"timezone": "Asia/Tokyo", "days": {"mon": ["08:00", "20:00"]}})
    # Monday 7 Dec 2026 08:00 in Tokyo is Sunday 23:00 UTC.
    assert tokyo.add(utc(2026, 12, 6, 12, 0), 60) == utc(2026, 12, 7, 0, 0)


@pytest.mark.parametrize("data, message", [
    ({"days": WEEKDAYS}, "time zone"),
    ({"timezone": "Mars/Olympus", "days": WEEKDAYS}, "not a known time zone"),
    ({"timezone": "UTC"}, "at least one day"),
    ({"timezone": "UTC", "days": {"monday": ["09:00", "17:00"]}}, "not one of them"),
    ({"timezone": "UTC", "days": {"mon": ["9am", "5pm"]}}, "HH:MM"),
    ({"timezone": "UTC", "days": {"mon": ["17:00", "09:00"]}}, "after the opening"),
    ({"timezone": "UTC", "days": {"mon": ["09:00"]}}, "HH:MM"),
    ("mon-fri", "time zone and opening hours"),
])
def test_malformed_hours_are_refused_with_a_message(data, message):
    with pytest.raises(ValueError, match=message):
        business_hours.parse(data)


def test_describe_groups_consecutive_days():
    assert business_hours.describe(None) == "24/7"
    assert business_hours.describe({"timezone": "Europe/Berlin", "days": WEEKDAYS}) == \
        "Mon-Fri 09:00-17:00 (Europe/Berlin)"
    mixed = {"timezone": "UTC", "days": {"mon": ["09:00", "17:00"], "tue": ["09:00", "17:00"],
                                         "sat": ["10:00", "14:00"]}}
    assert business_hours.describe(mixed) == "Mon-Tue 09:00-17:00, Sat 10:00-14:00 (UTC)"
