"""The SLA policy admin pages through Flask's test client: the list in match order, the form, moves, permissions."""
import re

import pytest

from portal.models import SlaPolicy
from portal.services import sla_policies

from .conftest import csrf_from, make_user

BERLIN = {"timezone": "Europe/Berlin", "days": {day: ["09:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}}


@pytest.fixture
def signed_in_admin(client, auth, admin):
    auth.login(admin.email)
    return admin


def token(client, path="/admin/sla"):
    return csrf_from(client.get(path).get_data(as_text=True))


def form(client, **fields):
    """A complete policy form as a browser posts it: 24/7, nothing ticked, unless told otherwise."""
    data = {"csrf_token": token(client), "name": "Urgent", "first_response_minutes": "60",
            "resolution_minutes": "", "hours": "always", "timezone": "UTC", "position": ""}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        data[f"open_{day}"], data[f"close_{day}"] = "09:00", "17:00"
    data.update(fields)
    return data


def error_of(html, element_id):
    match = re.search(rf'<p class="error" id="{element_id}-error">([^<]*)</p>', html)
    return match and match.group(1)


def test_the_list_shows_policies_in_match_order_with_a_summary_each(client, signed_in_admin):
    sla_policies.create_policy(signed_in_admin, "Everything else", first_response_minutes=1440)
    sla_policies.create_policy(signed_in_admin, "Urgent billing", priorities=["urgent", "high"],
                               categories=["billing"], first_response_minutes=240, resolution_minutes=1560,
                               business_hours=BERLIN, position=0)
    response = client.get("/admin/sla")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("Urgent billing") < html.index("Everything else")
    assert "High or urgent priority, Billing" in html and "Every ticket" in html
    assert "4 h" in html and "1 d 2 h" in html and "1 d" in html
    assert "Mon-Fri 09:00-17:00 (Europe/Berlin)" in html and "24/7" in html
    assert "the first matching policy applies" in html
    assert "Changing a policy affects tickets created or re-prioritised afterwards." in html
    assert re.search(r'<a href="/admin/sla"[^>]*aria-current="page"[^>]*>SLA policies</a>', html)


def test_an_empty_list_says_what_a_policy_is_for(client, signed_in_admin):
    html = client.get("/admin/sla").get_data(as_text=True)
    assert "No SLA policies yet" in html and 'href="/admin/sla/new"' in html


def test_the_new_form_starts_round_the_clock_in_the_first_policys_time_zone(client, signed_in_admin):
    html = client.get("/admin/sla/new").get_data(as_text=True)
    assert 'name="timezone" value="UTC"' in html
    sla_policies.create_policy(signed_in_admin, "Round the clock", first_response_minutes=60)
    sla_policies.create_policy(signed_in_admin, "Berlin", first_response_minutes=60, business_hours=BERLIN)
    html = client.get("/admin/sla/new").get_data(as_text=True)
    assert re.search(r'value="always" checked', html)
    assert 'name="timezone" value="Europe/Berlin"' in html and 'list="sla-timezones"' in html
    assert '<option value="Asia/Tokyo">' in html
    assert re.search(r'value="mon" id="sla-day-mon" checked', html)
    assert re.search(r'value="sat" id="sla-day-sat">', html)  # weekends start unticked
    assert html.count('type="time"') == 14
    assert re.search(r'<option value="2" selected>After “Berlin”</option>', html)  # last by default
    assert "none ticked: any priority" in html and "none ticked: any category" in html


def test_adding_a_policy_with_business_hours(client, signed_in_admin):
    response = client.post("/admin/sla", data=form(
        client, name="Weekend desk", priorities=["urgent", "high"], categories=["technical"],
        first_response_minutes="90", resolution_minutes="1440", hours="business", timezone="America/New_York",
        days=["sat", "sun"], open_sat="9:00", close_sat="16:00:00", open_sun="10:00", close_sun="00:00"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/sla")
    policy = SlaPolicy.get(SlaPolicy.name == "Weekend desk")
    assert sla_policies.priorities_of(policy) == ["high", "urgent"]
    assert sla_policies.categories_of(policy) == ["technical"]
    assert (policy.first_response_minutes, policy.resolution_minutes) == (90, 1440)
    # Times come as the browser sends them; a closing time of 00:00 is midnight at the end of the day.
    assert sla_policies.hours_of(policy) == {"timezone": "America/New_York",
                                             "days": {"sat": ["09:00", "16:00"], "sun": ["10:00", "24:00"]}}
    html = client.get("/admin/sla").get_data(as_text=True)
    assert "SLA policy “Weekend desk” added." in html
    edit = client.get(f"/admin/sla/{policy.id}").get_data(as_text=True)
    assert 'id="sla-close-sun" name="close_sun" value="00:00"' in edit


def test_round_the_clock_ignores_the_week_below_it(client, signed_in_admin):
    client.post("/admin/sla", data=form(client, hours="always", timezone="Not/AZone", days=["mon"], open_mon="18:00"))
    assert sla_policies.hours_of(SlaPolicy.get(SlaPolicy.name == "Urgent")) is None


def test_a_refused_form_keeps_the_input_and_says_why_beside_each_field(client, signed_in_admin):
    response = client.post("/admin/sla", data=form(
        client, name="", priorities=["urgent"], categories=["billing"], first_response_minutes="120",
        resolution_minutes="60", hours="business", timezone="Mars/Olympus", days=["mon", "wed"],
        open_mon="18:00", close_mon="09:00", open_wed="08:15", close_wed="12:45"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please fix the fields marked below." in html
    assert error_of(html, "sla-name").startswith("Give the policy a name")
    assert error_of(html, "sla-resolution").startswith("The resolution target cannot be shorter")
    assert "is not a known time zone" in error_of(html, "sla-timezone")
    assert error_of(html, "sla-day-mon") == "Monday: the closing time must be after the opening time."
    assert 'aria-invalid="true"' in html
    # Everything as it was typed.
    assert 'value="urgent" checked' in html and 'value="billing" checked' in html
    assert 'value="120"' in html and 'value="60"' in html and 'value="Mars/Olympus"' in html
    assert re.search(r'value="business" checked', html)
    assert re.search(r'value="wed" id="sla-day-wed" checked', html) and 'value="08:15"' in html
    assert re.search(r'value="tue" id="sla-day-tue">', html)
    assert SlaPolicy.select().count() == 0


def test_a_week_without_days_and_a_form_without_targets(client, signed_in_admin):
    html = client.post("/admin/sla", data=form(client, first_response_minutes="", hours="business",
                                               timezone="UTC")).get_data(as_text=True)
    assert error_of(html, "sla-first") == "Set a first-response target, a resolution target or both."
    assert error_of(html, "sla-days") == "Give the opening hours of at least one day."
    html = client.post("/admin/sla", data=form(client, first_response_minutes="4h")).get_data(as_text=True)
    assert "whole minutes" in error_of(html, "sla-first")


def test_editing_a_policy(client, signed_in_admin):
    first = sla_policies.create_policy(signed_in_admin, "First", first_response_minutes=30)
    policy = sla_policies.create_policy(signed_in_admin, "Billing", categories=["billing"],
                                        first_response_minutes=240, business_hours=BERLIN)
    html = client.get(f"/admin/sla/{policy.id}").get_data(as_text=True)
    assert 'value="Billing"' in html and 'value="billing" checked' in html and 'value="240"' in html
    assert 'value="Europe/Berlin"' in html and re.search(r'value="business" checked', html)
    assert re.search(r'<option value="1" selected>After “First”</option>', html)
    response = client.post(f"/admin/sla/{policy.id}", data=form(
        client, name="Billing, any time", categories=["billing", "account"], first_response_minutes="120",
        resolution_minutes="2880", hours="always", position="0"))
    assert response.status_code == 303
    saved = SlaPolicy.get_by_id(policy.id)
    assert saved.name == "Billing, any time" and saved.business_hours is None and saved.position == 0
    assert sla_policies.categories_of(saved) == ["billing", "account"]
    assert [p.id for p in sla_policies.list_policies(signed_in_admin)] == [policy.id, first.id]
    assert "SLA policy “Billing, any time” saved." in client.get("/admin/sla").get_data(as_text=True)


def test_a_refused_edit_keeps_the_input(client, signed_in_admin):
    policy = sla_policies.create_policy(signed_in_admin, "Billing", first_response_minutes=240)
    sla_policies.create_policy(signed_in_admin, "Taken", first_response_minutes=240)
    response = client.post(f"/admin/sla/{policy.id}", data=form(client, name="Taken", first_response_minutes="77"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(html, "sla-name") == "Another policy already has this name."
    assert 'value="Taken"' in html and 'value="77"' in html and "Edit “<bdi>Billing</bdi>”" in html
    assert SlaPolicy.get_by_id(policy.id).name == "Billing"


def test_an_unknown_policy_is_404(client, signed_in_admin):
    assert client.get("/admin/sla/987654").status_code == 404
    assert client.post("/admin/sla/987654", data=form(client)).status_code == 404
    assert client.post("/admin/sla/987654/delete", data={"csrf_token": token(client)}).status_code == 404


def test_moving_a_policy_with_and_without_htmx(client, signed_in_admin):
    a, b, c = (sla_policies.create_policy(signed_in_admin, name, first_response_minutes=60) for name in "ABC")
    response = client.post(f"/admin/sla/{c.id}/move", data={"csrf_token": token(client), "position": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/sla")
    assert [p.name for p in sla_policies.list_policies(signed_in_admin)] == ["A", "C", "B"]

    response = client.post(f"/admin/sla/{c.id}/move", data={"csrf_token": token(client), "position": "0"},
                           headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<div id="sla-list"')
    assert "<html" not in fragment and "data-moved" in fragment
    assert fragment.index(">C</bdi>") < fragment.index(">A</bdi>") < fragment.index(">B</bdi>")
    # The move buttons post where their plain form would.
    assert f'action="/admin/sla/{a.id}/move" hx-post="/admin/sla/{a.id}/move"' in fragment


def test_deleting_a_policy(client, signed_in_admin):
    policy = sla_policies.create_policy(signed_in_admin, "Old promise", first_response_minutes=60)
    html = client.get("/admin/sla").get_data(as_text=True)
    assert 'data-confirm="Delete the SLA policy “Old promise”?' in html
    response = client.post(f"/admin/sla/{policy.id}/delete", data={"csrf_token": token(client)})
    assert response.status_code == 303
    assert SlaPolicy.select().count() == 0
    assert "SLA policy “Old promise” deleted." in client.get("/admin/sla").get_data(as_text=True)


def test_boosted_form_posts_land_on_the_list(client, signed_in_admin):
    response = client.post("/admin/sla", data=form(client), headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/sla"


def test_pages_carry_no_inline_script_or_style(client, signed_in_admin):
    sla_policies.create_policy(signed_in_admin, "P", first_response_minutes=60, business_hours=BERLIN)
    for path in ("/admin/sla", "/admin/sla/new", f"/admin/sla/{SlaPolicy.get().id}"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path
        assert "js/sla_policies.js" in html and "css/sla_policies.css" in html


@pytest.mark.parametrize("role", ["agent", "customer"])
def test_only_admins_reach_the_pages(client, auth, admin, role):
    policy = sla_policies.create_policy(admin, "Urgent", first_response_minutes=30)
    user = make_user(role)
    auth.login(user.email)
    csrf = csrf_from(client.get("/").get_data(as_text=True))
    assert client.get("/admin/sla").status_code == 403
    assert client.get(f"/admin/sla/{policy.id}").status_code == 403
    assert client.post("/admin/sla", data={"csrf_token": csrf, "name": "Mine",
                                           "first_response_minutes": "5"}).status_code == 403
    assert client.post(f"/admin/sla/{policy.id}/delete", data={"csrf_token": csrf}).status_code == 403
    assert [p.name for p in SlaPolicy.select()] == ["Urgent"]


def test_guests_are_sent_to_sign_in(client):
    response = client.get("/admin/sla/new")
    assert response.status_code in (302, 303) and response.headers["Location"].startswith("/login?next=")
