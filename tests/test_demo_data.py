"""The demo a new install shows: service levels at work, some tickets overdue, ratings to report on."""
from portal import notifications
from portal.cli import load_demo_data
from portal.models import Rating, SlaPolicy, Ticket
from portal.services import sla


def test_demo_data_has_service_levels_overdue_tickets_and_ratings(app):
    with notifications.muted():
        assert load_demo_data(ticket_count=60) is True
    assert SlaPolicy.select().count() == 3
    assert Ticket.select().where(Ticket.sla_policy.is_null(False)).count() == Ticket.select().count()
    overdue, due_soon = sla.due_counts()
    assert overdue > 0 and due_soon > 0
    scores = {r.score for r in Rating.select()}
    assert scores == {"good", "bad"}
    # Breaches of the past count as announced: a worker starting on the demo mails nobody.
    assert sla.sweep_breaches() == 0
    with notifications.muted():
        assert load_demo_data() is False  # loaded once
