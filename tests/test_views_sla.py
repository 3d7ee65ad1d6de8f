"""Service levels on the agent's pages: due badges in the queue, the Overdue and Due soon views, the side panel."""
from datetime import datetime, timedelta, timezone

import time_machine

from portal.models import SlaPolicy
from portal.services import tickets

START = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def test_the_queue_shows_due_badges_and_the_overdue_view(client, auth, customer, agent):
    SlaPolicy.create(name="Standard", first_response_minutes=60, resolution_minutes=480)
    with time_machine.travel(START, tick=False) as clock:
        late = tickets.create_ticket(customer, "Nothing loads", "Down.")
        clock.shift(timedelta(minutes=45))
        soon = tickets.create_ticket(customer, "Typo on invoice", "Small one.")
        clock.shift(timedelta(minutes=30))  # late: 15 min overdue; soon: due in 30 min
        auth.login(agent.email)

        html = client.get("/agent").get_data(as_text=True)
        assert '<span class="due due-overdue" title="First response due 01 Dec 2026, 11:00 UTC">Overdue 15 min</span>' in html
        assert "Due in 30 min" in html
        assert 'Overdue</span> <span class="qv-count">1</span>' in html
        assert 'Due soon</span> <span class="qv-count">1</span>' in html

        overdue = client.get("/agent?view=overdue").get_data(as_text=True)
        assert f"#{late.id}</span>" in overdue and f"#{soon.id}</span>" not in overdue
        assert '<option value="due" selected>' in overdue and '<option value="asc" selected>' in overdue

        panel = client.get(f"/agent/tickets/{late.id}").get_data(as_text=True)
        assert "First response" in panel and "Overdue 15 min" in panel
