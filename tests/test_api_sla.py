"""Service levels through the API: the `sla` object of Ticket JSON, the `sla` filter and the due-time order."""
from datetime import datetime, timedelta, timezone

import time_machine

from portal.models import SlaPolicy
from portal.services import tickets

from .test_api_auth import Api, person, token_for

START = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def test_ticket_json_carries_the_service_level_for_staff_only(client):
    customer = person("customer", "jo@example.com", "Jo")
    agent = person("agent", "al@example.com", "Al")
    urgent = SlaPolicy.create(name="Urgent", priorities="urgent", first_response_minutes=30, resolution_minutes=240)
    staff, own = Api(client, token_for(agent)), Api(client, token_for(customer))
    with time_machine.travel(START, tick=False) as clock:
        late = tickets.create_ticket(customer, "Down", "All down.", priority="urgent")
        clock.shift(timedelta(minutes=20))
        soon = tickets.create_ticket(customer, "Slow", "Slow.", priority="urgent")
        plain = tickets.create_ticket(customer, "Question", "How?")
        clock.shift(timedelta(minutes=15))  # late is 5 min overdue, soon is due in 15 min

        body = staff.get(f"/tickets/{late.id}").get_json()["data"]
        assert body["sla"] == {
            "policy_id": urgent.id,
            "first_response_due_at": "2026-12-01T10:30:00Z",
            "resolution_due_at": "2026-12-01T14:00:00Z",
            "due_at": "2026-12-01T10:30:00Z",
            "breached": True,
            "paused": False,
        }
        assert staff.get(f"/tickets/{plain.id}").get_json()["data"]["sla"] is None
        assert own.get(f"/tickets/{late.id}").get_json()["data"]["sla"] is None  # the team's business

        def ids(query):
            response = staff.get("/tickets?" + query)
            assert response.status_code == 200, response.get_json()
            return [t["id"] for t in response.get_json()["data"]]

        assert ids("sla=breached") == [late.id]
        assert ids("sla=due_soon") == [soon.id]
        assert ids("order_by=due_at&order_dir=asc") == [late.id, soon.id, plain.id]
        wrong = staff.get("/tickets?sla=late")
        assert wrong.status_code == 422 and wrong.headers["Content-Type"] == "application/problem+json"
