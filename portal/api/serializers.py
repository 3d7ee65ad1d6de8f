"""Database rows to API shapes. Only attributes the services already loaded are read: no query happens here."""
from flask import url_for

from ..services import assistant, ratings, sla
from ..services.macros import actions_of, is_shared
from ..services.sla_policies import categories_of, hours_of, priorities_of
from . import schemas as s


def person(user):
    return s.Person(id=user.id, name=user.name, email=user.email)


def author(user):
    return s.Author(id=user.id, name=user.name, role=user.role) if user is not None else None


def category(row):
    return s.Category(slug=row.slug, name=row.name, description=row.description or "", active=row.is_active,
                      fields=[category_field(f) for f in getattr(row, "field_list", [])])


def ticket(row):
    return s.Ticket(**_ticket_fields(row))


def _ticket_fields(row):
    return dict(
        id=row.id,
        subject=row.subject,
        status=row.status,
        priority=row.priority,
        category=row.category.slug if row.category_id else None,
        customer=person(row.customer),
        assignee=person(row.assignee) if row.assignee_id else None,
        tags=[tag.name for tag in getattr(row, "tag_list", [])],
        cc=getattr(row, "cc_list", []),
        channel=row.channel,
        locked=row.locked,
        message_count=row.message_count,
        unread=row.unread,
        created_at=row.created_at,
        updated_at=row.updated_at,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        sla=_sla(row),
        rating=rating(ratings.rating_of(row)),
        merged_into_id=None if getattr(row, "merged_into_hidden", False) else row.merged_into_id,
        assistant=ticket_assistant(row),
        fields=getattr(row, "shown_fields", {}),  # set by the services for the caller (intake_fields.attach_values)
        organization=s.OrganizationRef(id=row.organization.id, name=row.organization.name)
        if row.organization_id else None,
    )


def _sla(row):
    state = None if getattr(row, "sla_hidden", False) else sla.state(row)
    return s.TicketSla(**state) if state else None


def rating(row):
    return s.Rating(score=row.score, comment=row.comment or "", rated_at=row.rated_at) if row is not None else None


def ticket_detail(row, messages):
    return s.TicketDetail(**_ticket_fields(row), messages=[message(m) for m in messages])


def attachment(row):
    return s.Attachment(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        url=url_for("api.download_attachment", attachment_id=row.id),
        created_at=row.created_at,
    )


def message(row):
    return s.Message(
        id=row.id,
        ticket_id=row.ticket_id,
        kind=row.kind,
        internal=row.internal,
        body=row.body,
        body_html=row.body_html or "",
        author=ASSISTANT if row.by_assistant else (author(row.author) if row.author_id else None),
        attachments=[attachment(a) for a in getattr(row, "attachment_list", [])],
        created_at=row.created_at,
    )


def history_entry(row):
    return s.HistoryEntry(
        id=row.id,
        field=row.field,
        old_value=row.old_value,
        new_value=row.new_value,
        actor=author(row.actor) if row.actor_id else None,
        at=row.at,
    )


def user(row):
    return s.User(
        id=row.id,
        name=row.name,
        email=row.email,
        role=row.role,
        phone=row.phone,
        company=row.company,
        is_active=row.is_active,
        email_verified=row.email_verified,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        organization_id=row.organization_id,
    )


def customer(row):
    return s.Customer(
        id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        company=row.company,
        ticket_count=getattr(row, "ticket_count", 0) or 0,
        created_at=row.created_at,
        organization_id=row.organization_id,
    )


def tag(row):
    return s.Tag(id=row.id, name=row.name, color=row.color)


def article(row):
    return s.Article(
        id=row.id,
        title=row.title,
        slug=row.slug,
        status=row.status,
        collection_id=row.collection_id,
        body=row.body,
        body_html=row.body_html or "",
        author=author(row.author) if row.author_id else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
    )


def collection(row):
    return s.Collection(
        id=row.id,
        name=row.name,
        slug=row.slug,
        description=row.description or "",
        article_count=getattr(row, "article_count", 0) or 0,
    )


def inbound_email(row):
    return s.InboundEmail(
        id=row.id,
        received_at=row.received_at,
        source=row.source,
        from_=row.from_address,
        subject=row.subject,
        message_id=row.message_id,
        outcome=row.outcome,
        reason=row.reason,
        ticket_id=row.ticket_id,
    )


def sla_policy(row):
    hours = hours_of(row)
    return s.SlaPolicy(
        id=row.id,
        name=row.name,
        priorities=priorities_of(row),
        categories=categories_of(row),
        first_response_minutes=row.first_response_minutes,
        resolution_minutes=row.resolution_minutes,
        business_hours=s.BusinessHours.model_validate(hours) if hours else None,
        position=row.position,
    )


def webhook(row, secret=None):
    fields = dict(
        id=row.id,
        url=row.url,
        events=row.event_list,
        active=row.active,
        description=row.description or "",
        consecutive_failures=row.consecutive_failures,
        disabled_reason=row.disabled_reason or None,
        created_at=row.created_at,
    )
    return s.WebhookWithSecret(**fields, secret=secret) if secret else s.Webhook(**fields)


def webhook_delivery(row):
    return s.WebhookDelivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,
        attempt=row.attempts,
        response_code=row.response_code,
        duration_ms=row.duration_ms,
        error=row.last_error or None,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )


# ------------------------------------------------------------------------------------------------------ saved views


def saved_view(view):
    return s.SavedView(id=view.id, name=view.name, filters=view.filters, count=view.count)


# ----------------------------------------------------------------------------------------------------------- macros


def macro(row):
    actions = actions_of(row)
    return s.Macro(
        id=row.id,
        name=row.name,
        body=row.body or "",
        internal=row.internal,
        shared=is_shared(row),
        actions=s.MacroActions(status=actions.get("status"), priority=actions.get("priority"),
                               assignee_id=actions.get("assignee_id"), add_tags=actions.get("add_tags", [])),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# -------------------------------------------------------------------------------------------------------- assistant

ASSISTANT = s.Author(id=None, name="Assistant", role="assistant")


def ticket_assistant(row):
    if not row.assistant_state:
        return None
    return s.TicketAssistant(state=row.assistant_state, answers=row.assistant_answers, quota=assistant.quota())


def suggestions(found):
    return s.Suggestions(
        tickets=[s.SuggestedTicket(id=t.id, subject=t.subject, status=t.status,
                                   solved_at=t.resolved_at or t.closed_at) for t in found.tickets],
        articles=[s.SuggestedArticle(id=a.id, title=a.title, slug=a.slug,
                                     url=url_for("help.article", slug=a.slug, _external=True))
                  for a in found.articles],
    )


# ---------------------------------------------------------------------------------------------------- organizations


def organization(row):
    return s.Organization(id=row.id, name=row.name, domains=row.domain_list, shared_tickets=row.shared_tickets,
                          member_count=getattr(row, "member_count", 0) or 0)


# --------------------------------------------------------------------------------------------------------- privacy


def privacy_log_entry(row):
    return s.PrivacyLogEntry(id=row.id, action=row.action, actor_id=row.actor_id, actor=row.actor_label,
                             subject=row.subject_label, detail=row.detail, at=row.at)


# ------------------------------------------------------------------------------------------------ intake fields


def category_field(row):
    return s.CategoryField(key=row.key, label=row.label, type=row.type, options=row.option_list,
                           required=row.required, visible_to_customer=row.visible_to_customer, position=row.position)


# ----------------------------------------------------------------------------------------------- me: the theme

def me(row):
    return s.Me(**user(row).model_dump(), theme=row.theme)
