"""GET /api/v1/reports/summary: the section 11 shape, the definitions, the defaults and every refusal."""
from datetime import datetime, timedelta

import pytest

from portal.models import Category, Rating, SlaPolicy, Ticket, utcnow

from .test_api_auth import Api, person, token_for

SECTION_11_KEYS = {"created", "solved", "first_response_minutes", "resolution_minutes", "sla_attainment", "csat",
                   "by_day"}


@pytest.fixture
def people(app):
    return {
        "agent": person("agent", "agnes@example.com", "Agnes Agent"),
        "other": person("agent", "otto@example.com", "Otto Agent"),
        "customer": person("customer", "cara@example.com", "Cara Customer"),
    }


@pytest.fixture
def api(client, people):
    return Api(client, token_for(people["agent"]))


def ticket(people, created, first_response=None, resolved=None, assignee="agent", category=None, **fields):
    later = lambda m: None if m is None else created + timedelta(minutes=m)  # noqa: E731
    return Ticket.create(subject="Printer is on fire", customer=people["customer"],
                         assignee=people[assignee] if assignee else None,
                         category=Category.get(Category.slug == category) if category else None,
                         status=fields.pop("status", "resolved" if resolved is not None else "open"),
                         created_at=created, updated_at=created,
                         first_response_at=later(first_response), resolved_at=later(resolved), **fields)


def at(day, hour=9):
    """A moment of a day of March 2025."""
    return datetime(2025, 3, day, hour)


def test_summary_has_the_section_11_shape_and_figures(api, people):
    policy = SlaPolicy.create(name="Standard", first_response_minutes=60, resolution_minutes=600)
    a = ticket(people, at(1), first_response=10, resolved=60, sla_policy=policy)
    ticket(people, at(1, 15), first_response=20, resolved=120, assignee="other", sla_policy=policy,
           sla_breached_at=at(1, 17))
    ticket(people, at(2), first_response=40, assignee=None, status="waiting")
    Rating.create(ticket=a, score="good", rated_at=at(2))
    response = api.get("/reports/summary?from=2025-03-01&to=2025-03-03")
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert SECTION_11_KEYS <= set(data)
    assert data["created"] == 3 and data["solved"] == 2
    assert data["first_response_minutes"] == {"median": 20.0, "p90": 36.0}
    assert data["resolution_minutes"] == {"median": 90.0, "p90": 114.0}
    assert data["sla_attainment"] == 0.5
    assert data["csat"] == {"good": 1, "bad": 0, "score": 1.0}
    assert data["by_day"] == [{"date": "2025-03-01", "created": 2, "solved": 2},
                              {"date": "2025-03-02", "created": 1, "solved": 0},
                              {"date": "2025-03-03", "created": 0, "solved": 0}]
    # Beyond section 11: the range used, the filters, the backlog and the per-agent table.
    assert (data["from"], data["to"], data["category"], data["assignee_id"]) == ("2025-03-01", "2025-03-03", None,
                                                                                  None)
    assert data["backlog"] == {"open": 0, "in_progress": 0, "waiting": 1}
    assert [(row["agent"] and row["agent"]["name"], row["solved"], row["first_response_minutes"]["median"])
            for row in data["agents"]] == [("Agnes Agent", 1, 10.0), ("Otto Agent", 1, 20.0), (None, 0, 40.0)]
    assert data["agents"][0]["csat"] == {"good": 1, "bad": 0, "score": 1.0}


def test_summary_without_data_has_nulls_not_zeros(api):
    data = api.get("/reports/summary?from=2025-03-01&to=2025-03-01").get_json()["data"]
    assert data["first_response_minutes"] == {"median": None, "p90": None}
    assert data["resolution_minutes"] == {"median": None, "p90": None}
    assert data["sla_attainment"] is None
    assert data["csat"] == {"good": 0, "bad": 0, "score": None}
    assert data["by_day"] == [{"date": "2025-03-01", "created": 0, "solved": 0}]
    assert data["agents"] == []


def test_default_range_is_the_last_30_days_up_to_today(api):
    data = api.get("/reports/summary").get_json()["data"]
    today = utcnow().date()
    assert data["to"] == today.isoformat()
    assert data["from"] == (today - timedelta(days=29)).isoformat()
    assert len(data["by_day"]) == 30


def test_filters(api, people):
    ticket(people, at(1), category="billing")
    ticket(people, at(1), category="technical", assignee="other")
    ticket(people, at(1), category="billing", assignee="other", deleted_at=at(2))  # in the trash
    base = "/reports/summary?from=2025-03-01&to=2025-03-02"
    assert api.get(base).get_json()["data"]["created"] == 2
    billing = api.get(base + "&category=billing").get_json()["data"]
    assert (billing["created"], billing["category"]) == (1, "billing")
    other = api.get(base + f"&assignee_id={people['other'].id}").get_json()["data"]
    assert (other["created"], other["assignee_id"]) == (1, people["other"].id)


@pytest.mark.parametrize("query, location, words", [
    ("from=2025-02-30", "query.from", "YYYY-MM-DD"),
    ("to=31.03.2025", "query.to", "YYYY-MM-DD"),
    ("from=2025-03-10&to=2025-03-01", "query.to", "on or after the start date"),
    ("from=2024-01-01&to=2025-03-01", "query.from", "at most 366 days"),
    ("category=no-such-thing", "query.category", "no category"),
    ("assignee_id=987654", "query.assignee_id", "no agent"),
    ("assignee_id=0", "query.assignee_id", "greater than or equal to 1"),
    ("from=2025-03-01T00:00:00", "query.from", "at most 10 characters"),
])
def test_bad_queries_are_422_problems(api, query, location, words):
    response = api.get(f"/reports/summary?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert [e["location"] for e in problem["errors"]] == [location]
    assert words in problem["errors"][0]["message"]


def test_a_customer_is_no_assignee_to_filter_by(api, people):
    response = api.get(f"/reports/summary?assignee_id={people['customer'].id}")
    assert response.status_code == 422


def test_only_staff_get_reports(client, people):
    assert Api(client).get("/reports/summary").status_code == 401
    refused = Api(client, token_for(people["customer"])).get("/reports/summary")
    assert refused.status_code == 403 and refused.get_json()["code"] == "FORBIDDEN"
    admin = person("admin", "adele@example.com", "Adele Admin")
    assert Api(client, token_for(admin)).get("/reports/summary").status_code == 200


def test_the_openapi_document_lists_the_operation(client):
    document = client.get("/openapi.json").get_json()
    operation = document["paths"]["/reports/summary"]["get"]
    assert operation["tags"] == ["Reports"]
    assert [p["name"] for p in operation["parameters"]] == ["from", "to", "category", "assignee_id"]
    assert operation["parameters"][0]["schema"]["format"] == "date"
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert "percentile_cont" in operation["description"]
    summary = document["components"]["schemas"]["ReportSummary"]
    assert SECTION_11_KEYS <= set(summary["required"])
