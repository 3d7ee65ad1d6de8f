"""SLA policies in the service layer: what admins may store, the match order, and who may touch them."""
import pytest

from portal.models import Category, SlaPolicy
from portal.services import admin as admin_service
from portal.services import sla_policies, tickets
from portal.services.business_hours import MAX_MINUTES
from portal.services.errors import NotFound, PermissionDenied, ValidationError

BERLIN_WEEK = {"timezone": "Europe/Berlin", "days": {"fri": ["09:00", "17:00"], "mon": ["08:30", "24:00"]}}


def names(actor):
    return [p.name for p in sla_policies.list_policies(actor)]


def positions():
    return [p.position for p in SlaPolicy.select().order_by(SlaPolicy.position)]


def test_a_policy_keeps_what_the_admin_chose(admin):
    policy = sla_policies.create_policy(admin, "  Urgent billing  ", priorities=["urgent", "high"],
                                        categories=["billing", "account"], first_response_minutes=60,
                                        resolution_minutes=1440, business_hours=BERLIN_WEEK)
    stored = sla_policies.get_policy(admin, policy.id)
    assert stored.name == "Urgent billing"
    assert sla_policies.priorities_of(stored) == ["high", "urgent"]  # in the order of PRIORITIES
    assert sla_policies.categories_of(stored) == ["billing", "account"]
    assert (stored.first_response_minutes, stored.resolution_minutes) == (60, 1440)
    # Days come back in week order, whatever order they were sent in.
    assert sla_policies.hours_of(stored) == {"timezone": "Europe/Berlin",
                                             "days": {"mon": ["08:30", "24:00"], "fri": ["09:00", "17:00"]}}
    assert list(sla_policies.hours_of(stored)["days"]) == ["mon", "fri"]


def test_empty_lists_take_any_ticket_and_no_hours_is_round_the_clock(admin):
    policy = sla_policies.create_policy(admin, "Everything", resolution_minutes=2880)
    assert sla_policies.priorities_of(policy) == [] and sla_policies.categories_of(policy) == []
    assert sla_policies.hours_of(policy) is None and policy.business_hours is None
    assert policy.first_response_minutes is None


def test_a_deactivated_category_can_still_be_named(admin):
    billing = Category.get(Category.slug == "billing")
    admin_service.set_category_active(admin, billing.id, False)
    policy = sla_policies.create_policy(admin, "Old billing", categories=["billing"], first_response_minutes=30)
    assert sla_policies.categories_of(policy) == ["billing"]


# ---------------------------------------------------------------------------------------------------- match order


def test_new_policies_go_last_unless_placed(admin):
    for name in ("A", "B", "C"):
        sla_policies.create_policy(admin, name, first_response_minutes=60)
    sla_policies.create_policy(admin, "Top", first_response_minutes=5, position=0)
    sla_policies.create_policy(admin, "Middle", first_response_minutes=5, position=2)
    sla_policies.create_policy(admin, "Far", first_response_minutes=5, position=99)
    assert names(admin) == ["Top", "A", "Middle", "B", "C", "Far"]
    assert positions() == [0, 1, 2, 3, 4, 5]


def test_moving_a_policy_shifts_the_others_and_deleting_closes_the_gap(admin):
    a, b, c = (sla_policies.create_policy(admin, name, first_response_minutes=60) for name in "ABC")
    moved = sla_policies.update_policy(admin, c.id, position=0)
    assert moved.position == 0 and names(admin) == ["C", "A", "B"]
    sla_policies.update_policy(admin, c.id, position=5)
    assert names(admin) == ["A", "B", "C"] and positions() == [0, 1, 2]
    sla_policies.update_policy(admin, a.id, name="A2")  # a change that is not a move keeps the place
    assert names(admin) == ["A2", "B", "C"]
    deleted = sla_policies.delete_policy(admin, b.id)
    assert deleted.name == "B" and names(admin) == ["A2", "C"] and positions() == [0, 1]


def test_a_new_ticket_gets_the_first_matching_policy(admin, customer):
    sla_policies.create_policy(admin, "Billing", categories=["billing"], first_response_minutes=240)
    urgent = sla_policies.create_policy(admin, "Urgent", priorities=["urgent"], first_response_minutes=30)
    everything = sla_policies.create_policy(admin, "Everything", resolution_minutes=2880)
    urgent_billing = tickets.create_ticket(customer, "Card charged twice", "Help", category="billing",
                                           priority="urgent")
    assert urgent_billing.sla_policy_id != urgent.id  # "Billing" comes first and takes it
    sla_policies.update_policy(admin, urgent.id, position=0)
    again = tickets.create_ticket(customer, "Card charged twice again", "Help", category="billing",
                                  priority="urgent")
    assert again.sla_policy_id == urgent.id
    other = tickets.create_ticket(customer, "A question", "Hello", category="general")
    assert other.sla_policy_id == everything.id


# ---------------------------------------------------------------------------------------------------- validation

VALID = dict(name="Policy", first_response_minutes=60)

INVALID = [
    (dict(name=""), "name", "Give the policy a name"),
    (dict(name="   "), "name", "Give the policy a name"),
    (dict(name="x" * 121), "name", "at most 120 characters"),
    (dict(priorities=["urgent", "asap"]), "priorities", "“asap” is not a priority"),
    (dict(priorities=["high", "high"]), "priorities", "“high” is listed twice"),
    (dict(categories=["billing", "no_such"]), "categories", "There is no category “no_such”"),
    (dict(categories=["billing", "billing"]), "categories", "“billing” is listed twice"),
    (dict(first_response_minutes=None), "first_response_minutes", "Set a first-response target, a resolution"),
    (dict(first_response_minutes=0), "first_response_minutes", "from 1 to"),
    (dict(first_response_minutes=MAX_MINUTES + 1), "first_response_minutes", "from 1 to"),
    (dict(first_response_minutes="four hours"), "first_response_minutes", "whole minutes"),
    (dict(first_response_minutes=1.5), "first_response_minutes", "whole minutes"),
    (dict(first_response_minutes=True), "first_response_minutes", "whole minutes"),
    (dict(resolution_minutes=30), "resolution_minutes", "cannot be shorter than the first-response target (1 h)"),
    (dict(business_hours="weekdays"), "business_hours", "time zone and opening hours"),
    (dict(business_hours={"timezone": "Mars/Olympus", "days": {"mon": ["09:00", "17:00"]}}),
     "business_hours.timezone", "not a known time zone"),
    (dict(business_hours={"timezone": "", "days": {"mon": ["09:00", "17:00"]}}),
     "business_hours.timezone", "Choose the time zone"),
    (dict(business_hours={"timezone": "UTC", "days": {}}), "business_hours.days", "at least one day"),
    (dict(business_hours={"timezone": "UTC", "days": {"tue": ["17:00", "09:00"]}}),
     "business_hours.days.tue", "Tuesday: the closing time must be after the opening time"),
    (dict(business_hours={"timezone": "UTC", "days": {"wed": ["9am", "5pm"]}}),
     "business_hours.days.wed", "Wednesday: give an opening and a closing time as HH:MM"),
    (dict(business_hours={"timezone": "UTC", "days": {"monday": ["09:00", "17:00"]}}),
     "business_hours.days.monday", "“monday” is not one of them"),
    (dict(position=-1), "position", "0 or more"),
    (dict(position="first"), "position", "0 or more"),
]


@pytest.mark.parametrize("changes, field, message", INVALID, ids=[f"{f}: {m}" for _, f, m in INVALID])
def test_bad_input_is_refused_beside_its_field(admin, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        sla_policies.create_policy(admin, **{**VALID, **changes})
    assert message in caught.value.errors[field]
    assert SlaPolicy.select().count() == 0


def test_every_problem_is_reported_at_once(admin):
    with pytest.raises(ValidationError) as caught:
        sla_policies.create_policy(admin, "", priorities=["nope"], first_response_minutes=0,
                                   business_hours={"timezone": "Nowhere/City", "days": {"sun": ["10:00", "09:00"]}})
    assert set(caught.value.errors) == {"name", "priorities", "first_response_minutes", "business_hours.timezone",
                                        "business_hours.days.sun"}


def test_names_are_unique_regardless_of_case(admin):
    first = sla_policies.create_policy(admin, "Urgent", first_response_minutes=30)
    with pytest.raises(ValidationError) as caught:
        sla_policies.create_policy(admin, "URGENT", first_response_minutes=30)
    assert caught.value.errors == {"name": "Another policy already has this name."}
    assert sla_policies.update_policy(admin, first.id, name="urgent").name == "urgent"  # its own name is fine


def test_form_text_counts_as_numbers(admin):
    policy = sla_policies.create_policy(admin, "Typed", first_response_minutes=" 90 ", resolution_minutes="480",
                                        position="0")
    assert (policy.first_response_minutes, policy.resolution_minutes, policy.position) == (90, 480, 0)


def test_update_changes_only_what_is_given(admin):
    policy = sla_policies.create_policy(admin, "Berlin", priorities=["high"], first_response_minutes=60,
                                        resolution_minutes=600, business_hours=BERLIN_WEEK)
    updated = sla_policies.update_policy(admin, policy.id, resolution_minutes=None, categories=["bug"])
    assert updated.resolution_minutes is None and updated.first_response_minutes == 60
    assert sla_policies.priorities_of(updated) == ["high"] and sla_policies.categories_of(updated) == ["bug"]
    assert sla_policies.hours_of(updated)["timezone"] == "Europe/Berlin"
    assert sla_policies.hours_of(sla_policies.update_policy(admin, policy.id, business_hours=None)) is None


def test_update_blames_the_field_that_was_sent(admin):
    policy = sla_policies.create_policy(admin, "Both", first_response_minutes=60, resolution_minutes=120)
    sla_policies.update_policy(admin, policy.id, resolution_minutes=None)
    with pytest.raises(ValidationError) as caught:
        sla_policies.update_policy(admin, policy.id, first_response_minutes=None)
    assert list(caught.value.errors) == ["first_response_minutes"]
    sla_policies.update_policy(admin, policy.id, resolution_minutes=120)
    with pytest.raises(ValidationError) as caught:
        sla_policies.update_policy(admin, policy.id, first_response_minutes=180)
    assert caught.value.errors == {"first_response_minutes": "The first-response target cannot be longer than the "
                                                             "resolution target (2 h)."}
    stored = SlaPolicy.get_by_id(policy.id)
    assert (stored.first_response_minutes, stored.resolution_minutes) == (60, 120)  # nothing half-saved


def test_unknown_fields_are_a_programming_error(admin):
    policy = sla_policies.create_policy(admin, "P", first_response_minutes=60)
    with pytest.raises(TypeError):
        sla_policies.update_policy(admin, policy.id, colour="red")


@pytest.mark.parametrize("minutes, text", [(None, ""), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"),
                                           (240, "4 h"), (1440, "1 d"), (1560, "1 d 2 h"), (1501, "1 d 1 h 1 min")])
def test_targets_read_as_days_hours_and_minutes(minutes, text):
    assert sla_policies.describe_minutes(minutes) == text


def test_the_default_time_zone_is_the_first_policy_with_hours(admin):
    assert sla_policies.default_timezone(sla_policies.list_policies(admin)) == "UTC"
    sla_policies.create_policy(admin, "Round the clock", first_response_minutes=60)
    sla_policies.create_policy(admin, "Tokyo", first_response_minutes=60,
                               business_hours={"timezone": "Asia/Tokyo", "days": {"mon": ["09:00", "18:00"]}})
    sla_policies.create_policy(admin, "Berlin", first_response_minutes=60, business_hours=BERLIN_WEEK)
    assert sla_policies.default_timezone(sla_policies.list_policies(admin)) == "Asia/Tokyo"


# --------------------------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("role", ["agent", "customer"])
def test_only_admins_manage_policies(admin, role, agent, customer):
    actor = {"agent": agent, "customer": customer}[role]
    policy = sla_policies.create_policy(admin, "Urgent", first_response_minutes=30)
    calls = [
        lambda: sla_policies.list_policies(actor),
        lambda: sla_policies.get_policy(actor, policy.id),
        lambda: sla_policies.category_options(actor),
        lambda: sla_policies.create_policy(actor, "Mine", first_response_minutes=5),
        lambda: sla_policies.update_policy(actor, policy.id, name="Hijacked"),
        lambda: sla_policies.delete_policy(actor, policy.id),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert names(admin) == ["Urgent"]


@pytest.mark.parametrize("policy_id", [987654, "abc", None, 2**70])
def test_an_unknown_policy_is_not_found(admin, policy_id):
    for call in (sla_policies.get_policy, sla_policies.delete_policy,
                 lambda actor, pid: sla_policies.update_policy(actor, pid, name="X")):
        with pytest.raises(NotFound):
            call(admin, policy_id)
