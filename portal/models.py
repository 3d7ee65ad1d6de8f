"""The whole data model: peewee models only, no rules."""
from datetime import datetime, timezone

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from .db import db


def utcnow():
    """Naive UTC timestamps everywhere, so SQLite and PostgreSQL compare them the same way."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


ROLES = ("customer", "agent", "admin")
STAFF_ROLES = ("agent", "admin")
STATUSES = ("open", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES = ("open", "in_progress", "waiting")
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
CHANNELS = ("portal", "contact_form", "api", "email")
MESSAGE_KINDS = ("reply", "note", "event")
ARTICLE_STATUSES = ("draft", "published")
THEMES = ("system", "light", "dark")
FIELD_TYPES = ("text", "number", "select", "checkbox", "date")


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Organization(BaseModel):
    """A customer's company: members whose verified address matches one of `domains` join it on their own, and with
    `shared_tickets` every member sees and answers every ticket of the organization."""

    name = CharField(max_length=120)
    domains = TextField(default="")  # comma-separated, lower-cased, without "@"
    shared_tickets = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    @property
    def domain_list(self):
        return [domain for domain in self.domains.split(",") if domain]


class User(BaseModel):
    """Customers, agents and admins share one table; `role` tells them apart."""

    email = CharField(max_length=128, unique=True)  # stored lower-cased
    name = CharField(max_length=120)
    role = CharField(max_length=16, default="customer", index=True)
    password_hash = CharField(max_length=255, null=True)  # null for guests who only used the contact form
    phone = CharField(max_length=20, null=True)
    company = CharField(max_length=120, null=True)
    is_active = BooleanField(default=True)
    email_verified = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    organization = ForeignKeyField(Organization, null=True, backref="members", on_delete="SET NULL")
    # Bumped by signing out, a password change and "sign out everywhere": a session cookie carrying an older
    # generation no longer signs anyone in.
    session_generation = IntegerField(default=0)
    theme = CharField(max_length=8, default="system")
    anonymized_at = DateTimeField(null=True)

    @property
    def is_staff(self):
        return self.role in STAFF_ROLES

    @property
    def is_admin(self):
        return self.role == "admin"

    # flask-login protocol
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        # The session remembers the generation it was issued for; see accounts.load_user.
        return f"{self.id}:{self.session_generation}"


class Category(BaseModel):
    slug = CharField(max_length=64, unique=True)
    name = CharField(max_length=120)
    description = TextField(default="")
    is_active = BooleanField(default=True)
    position = IntegerField(default=0)


class CategoryField(BaseModel):
    """A question the intake forms ask for tickets of one category (e.g. "Order number")."""

    category = ForeignKeyField(Category, backref="fields", on_delete="CASCADE")
    key = CharField(max_length=40)  # machine name, [a-z0-9_]
    label = CharField(max_length=120)
    type = CharField(max_length=10, default="text")
    options = TextField(default="")  # select: one choice per line
    required = BooleanField(default=False)
    visible_to_customer = BooleanField(default=True)
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("category", "key"), True),)

    @property
    def option_list(self):
        return [option for option in self.options.splitlines() if option.strip()]


class Tag(BaseModel):
    name = CharField(max_length=64, unique=True)
    color = CharField(max_length=7, default="#64748b")


class SlaPolicy(BaseModel):
    """A promise of how fast tickets of some priorities and categories get a first answer and a resolution."""

    name = CharField(max_length=120)
    priorities = TextField(default="")  # comma-separated priority names; empty: any
    categories = TextField(default="")  # comma-separated category slugs; empty: any
    first_response_minutes = IntegerField(null=True)
    resolution_minutes = IntegerField(null=True)
    business_hours = TextField(null=True)  # JSON {"timezone": ..., "days": {"mon": ["09:00", "17:00"], ...}}; null: 24/7
    position = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)


class Ticket(BaseModel):
    subject = CharField(max_length=250)
    status = CharField(max_length=16, default="open")
    priority = CharField(max_length=16, default="normal")
    priority_rank = IntegerField(default=1)  # sortable mirror of priority
    category = ForeignKeyField(Category, null=True, backref="tickets", on_delete="SET NULL")
    customer = ForeignKeyField(User, backref="tickets", on_delete="CASCADE")
    assignee = ForeignKeyField(User, null=True, backref="assigned_tickets", on_delete="SET NULL")
    channel = CharField(max_length=16, default="portal")
    locked = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    first_response_at = DateTimeField(null=True)
    resolved_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    customer_last_read_at = DateTimeField(null=True)
    last_customer_message_at = DateTimeField(null=True)
    last_agent_message_at = DateTimeField(null=True)
    message_count = IntegerField(default=0)  # public replies only: what the customer sees
    deleted_at = DateTimeField(null=True)
    access_key_hash = CharField(max_length=64, null=True, unique=True)
    submission_key = CharField(max_length=64, null=True, unique=True)  # makes a double-submitted form idempotent
    # Service level (see services/sla.py): the policy that applied when priority or category last changed, the two
    # promised times, and `due_at`, the next of them still pending while the clock runs (null while it is paused or
    # nothing is pending), which the queue sorts and filters by.
    sla_policy = ForeignKeyField(SlaPolicy, null=True, on_delete="SET NULL")
    first_response_due_at = DateTimeField(null=True)
    resolution_due_at = DateTimeField(null=True)
    due_at = DateTimeField(null=True)
    sla_paused_at = DateTimeField(null=True)  # when the clock stopped (waiting, resolved, closed)
    sla_paused_minutes = IntegerField(default=0)  # working minutes spent paused: added to both targets
    sla_breached_at = DateTimeField(null=True)  # when a promised time was first missed
    sla_alerts = IntegerField(default=0)  # breaches already announced: 1 first response, 2 resolution
    # Merging (services/merge.py): a merged ticket is closed and locked, and points at the ticket that took its thread.
    merged_into = ForeignKeyField("self", null=True, backref="merged_tickets", on_delete="SET NULL")
    # The assistant (services/assistant.py): "active" while it answers the customer, "handed_over" once a person
    # takes over; null for every ordinary ticket. `assistant_answers` counts its replies against the quota.
    assistant_state = CharField(max_length=16, null=True)
    assistant_answers = IntegerField(default=0)
    # The customer's organization when the ticket was opened (or when they joined one): what shared_tickets reads.
    organization = ForeignKeyField(Organization, null=True, backref="tickets", on_delete="SET NULL")
    field_values = TextField(default="{}")  # JSON {key: value} of the category's intake fields

    class Meta:
        indexes = (
            (("customer", "updated_at"), False),
            (("status", "updated_at"), False),
            (("assignee", "status", "updated_at"), False),
            (("category", "status", "updated_at"), False),
            (("deleted_at", "updated_at"), False),
            (("due_at",), False),
            (("organization", "updated_at"), False),
            # Reports read the tickets created in a range, and those solved in one (resolved, or closed without a
            # resolution), from these two indexes alone, never from the table.
            (("created_at", "deleted_at", "assignee", "category", "first_response_at", "sla_policy", "sla_breached_at",
              "due_at"), False),
            (("resolved_at", "closed_at", "deleted_at", "assignee", "category", "created_at"), False),
        )

    @property
    def number(self):
        return f"#{self.id}"

    @property
    def unread(self):
        """The customer has an agent reply they have not opened yet."""
        if self.last_agent_message_at is None:
            return False
        return self.customer_last_read_at is None or self.last_agent_message_at > self.customer_last_read_at

    @property
    def waiting_on_us(self):
        """The customer spoke last."""
        if self.last_customer_message_at is None:
            return False
        return self.last_agent_message_at is None or self.last_customer_message_at > self.last_agent_message_at


class TicketTag(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="ticket_tags", on_delete="CASCADE")
    tag = ForeignKeyField(Tag, backref="ticket_tags", on_delete="CASCADE")

    class Meta:
        indexes = ((("ticket", "tag"), True), (("tag", "ticket"), False))


class Message(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="messages", on_delete="CASCADE")
    kind = CharField(max_length=8, default="reply")
    author = ForeignKeyField(User, null=True, backref="messages", on_delete="SET NULL")
    body = TextField(default="")
    body_html = TextField(default="")
    # Replies and status events are public; notes and other events are for staff only.
    is_public = BooleanField(default=True)
    by_assistant = BooleanField(default=False)  # written by the assistant, not by a person
    created_at = DateTimeField(default=utcnow)

    class Meta:
        # The second serves staff pages of long threads: the first message and the latest 50 straight from it.
        indexes = ((("ticket", "is_public", "created_at"), False), (("ticket", "created_at", "id"), False))

    @property
    def internal(self):
        return self.kind == "note"


class FieldChange(BaseModel):
    """One entry of a ticket's history: a field went from old_value to new_value."""

    ticket = ForeignKeyField(Ticket, backref="history", on_delete="CASCADE")
    field = CharField(max_length=32)
    old_value = TextField(null=True)
    new_value = TextField(null=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("ticket", "at"), False),)


class Attachment(BaseModel):
    message = ForeignKeyField(Message, null=True, backref="attachments", on_delete="CASCADE")
    uploader = ForeignKeyField(User, null=True, backref="uploads", on_delete="SET NULL")
    filename = CharField(max_length=255)
    content_type = CharField(max_length=128)
    size = IntegerField()
    sha256 = CharField(max_length=64, index=True)
    created_at = DateTimeField(default=utcnow)


class ApiToken(BaseModel):
    user = ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    name = CharField(max_length=80)
    token_hash = CharField(max_length=64, unique=True)
    prefix = CharField(max_length=12)  # shown in lists so a person can tell tokens apart
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class Collection(BaseModel):
    name = CharField(max_length=120)
    slug = CharField(max_length=120, unique=True)
    description = TextField(default="")
    position = IntegerField(default=0)


class Article(BaseModel):
    collection = ForeignKeyField(Collection, null=True, backref="articles", on_delete="SET NULL")
    title = CharField(max_length=200)
    slug = CharField(max_length=200, unique=True)
    body = TextField(default="")
    body_html = TextField(default="")
    status = CharField(max_length=16, default="draft", index=True)
    author = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    published_at = DateTimeField(null=True)


class QueueCount(BaseModel):
    """How many tickets share a status, category and assignee: the queue's live counts without counting a million
    rows. Kept by database triggers on SQLite (see portal/counts.py); 0 stands for "none" in the key columns."""

    status = CharField(max_length=16)
    category_key = IntegerField(default=0)
    assignee_key = IntegerField(default=0)
    deleted = BooleanField(default=False)
    n = IntegerField(default=0)

    class Meta:
        indexes = ((("status", "category_key", "assignee_key", "deleted"), True),)


class TicketCC(BaseModel):
    """An address that receives a ticket's public replies besides its customer."""

    ticket = ForeignKeyField(Ticket, backref="cc_entries", on_delete="CASCADE")
    email = CharField(max_length=254)  # stored lower-cased
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("ticket", "email"), True),)


INBOUND_OUTCOMES = ("new_ticket", "threaded", "duplicate", "ignored", "rejected", "error")
INBOUND_SOURCES = ("imap", "pipe", "api")


class MailReference(BaseModel):
    """A Message-ID the desk sent or received about a ticket: what In-Reply-To and References of a reply point at."""

    ticket = ForeignKeyField(Ticket, backref="mail_references", on_delete="CASCADE")
    message_id = CharField(max_length=255, index=True)  # without angle brackets
    direction = CharField(max_length=3)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("ticket", "created_at"), False),)


class InboundEmail(BaseModel):
    """One message that reached the desk by e-mail, and what became of it."""

    received_at = DateTimeField(default=utcnow)
    source = CharField(max_length=8)
    from_address = CharField(max_length=254, default="")
    subject = CharField(max_length=250, default="")
    message_id = CharField(max_length=255, index=True)
    outcome = CharField(max_length=16)
    reason = TextField(default="")
    ticket = ForeignKeyField(Ticket, null=True, backref="inbound_emails", on_delete="SET NULL")
    size = IntegerField(default=0)
    raw_sha256 = CharField(max_length=64)  # the raw message is kept in the instance folder for a retry

    class Meta:
        indexes = ((("outcome", "received_at"), False), (("received_at",), False))


class OutgoingMail(BaseModel):
    """A composed message waiting for, or done with, delivery. The row, not the job queue, is the truth: a worker
    that dies mid-send leaves it pending, and the next sweep hands it out again."""

    sender = CharField(max_length=254)
    recipients = TextField()  # comma-separated
    subject = CharField(max_length=250, default="")
    raw = BlobField()
    created_at = DateTimeField(default=utcnow)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)  # while pending: when it is due (or when a claim expires)
    sent_at = DateTimeField(null=True)
    failed_at = DateTimeField(null=True)  # retries spent
    last_error = TextField(default="")

    class Meta:
        indexes = ((("sent_at", "failed_at", "next_attempt_at"), False), (("failed_at",), False))


class JobFailure(BaseModel):
    """A background job that is failing: shown to admins so nothing fails in silence. A periodic job keeps one row
    (how often, the last error) until it succeeds again."""

    task = CharField(max_length=80)
    detail = TextField(default="")
    error = TextField(default="")
    count = IntegerField(default=1)
    at = DateTimeField(default=utcnow)


RATING_SCORES = ("good", "bad")


class Rating(BaseModel):
    """The customer's answer to "How did we do?" for one ticket."""

    ticket = ForeignKeyField(Ticket, unique=True, backref="ratings", on_delete="CASCADE")
    score = CharField(max_length=4)
    comment = TextField(default="")
    rated_at = DateTimeField(default=utcnow, index=True)


WEBHOOK_EVENTS = ("ticket.created", "ticket.updated", "message.created", "ticket.rated")


class Webhook(BaseModel):
    """A staff system that hears what happens on the desk: signed POSTs to `url` for the chosen events."""

    url = CharField(max_length=2000)
    events = TextField(default="")  # comma-separated event types
    secret = CharField(max_length=100)  # "whsec_" + base64; kept to sign deliveries, shown once
    active = BooleanField(default=True)
    description = CharField(max_length=200, default="")
    consecutive_failures = IntegerField(default=0)
    disabled_reason = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def event_list(self):
        return [event for event in self.events.split(",") if event]


class WebhookDelivery(BaseModel):
    """One event sent (or being sent) to one webhook, with the outcome of its latest attempt."""

    webhook = ForeignKeyField(Webhook, backref="deliveries", on_delete="CASCADE")
    event_id = CharField(max_length=64)  # the webhook-id header: the same on every attempt
    event_type = CharField(max_length=32)
    payload = TextField()
    status = CharField(max_length=16, default="pending")  # pending, delivered, failed
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    response_code = IntegerField(null=True)
    duration_ms = IntegerField(null=True)
    last_error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    delivered_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("webhook", "created_at"), False), (("status", "next_attempt_at"), False))


class Macro(BaseModel):
    """A canned answer with field changes: shared when `owner` is null (admins make those), else personal."""

    owner = ForeignKeyField(User, null=True, backref="macros", on_delete="CASCADE")
    name = CharField(max_length=120)
    body = TextField(default="")  # Markdown with {{ customer.name }}-style placeholders
    internal = BooleanField(default=False)  # posts an internal note instead of a reply
    actions = TextField(default="{}")  # JSON {status?, priority?, assignee_id?, add_tags?}
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class SavedView(BaseModel):
    """An agent's own named set of queue filters, shown in the side bar with a live count."""

    owner = ForeignKeyField(User, backref="saved_views", on_delete="CASCADE")
    name = CharField(max_length=80)
    filters = TextField(default="{}")  # JSON: the query parameters of GET /tickets
    position = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("owner", "position"), False),)


class Presence(BaseModel):
    """Who has a ticket open right now, and whether they are writing (when Redis is not configured)."""

    ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    state = CharField(max_length=16, default="viewing")  # viewing or replying
    seen_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("ticket", "user"), True),)


class Setting(BaseModel):
    """One desk-wide setting an admin changes from the pages (e.g. the assistant's instructions)."""

    key = CharField(max_length=64, unique=True)
    value = TextField(default="")


PRIVACY_ACTIONS = ("export", "anonymize", "purge")


class PrivacyLog(BaseModel):
    """One privacy action (an export, an anonymisation, a purge of trashed tickets), kept for admins."""

    action = CharField(max_length=16)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    actor_label = CharField(max_length=160, default="")  # who did it, kept readable when the actor is gone
    subject_label = CharField(max_length=200, default="")  # whom or what it was about (no personal data after anonymising)
    detail = TextField(default="")
    at = DateTimeField(default=utcnow, index=True)


class SuspendedSubmission(BaseModel):
    """A public contact-form (or POST /contact) submission held for an admin because it looked like spam."""

    payload = TextField()  # JSON of what submit_contact would have received
    email = CharField(max_length=254, default="")
    subject = CharField(max_length=250, default="")
    reasons = TextField(default="")  # comma-separated: honeypot, too_fast, links, blocked_domain
    ip = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow, index=True)


class SignInFailure(BaseModel):
    """Recent failed sign-ins for one account from one source: what slows the next attempt down."""

    email = CharField(max_length=254)
    source = CharField(max_length=64)
    failures = IntegerField(default=0)
    last_failure_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("email", "source"), True),)


class IdempotencyRecord(BaseModel):
    """The body fingerprint behind an Idempotency-Key, so the same key with a different body is refused."""

    key = CharField(max_length=200)
    user = ForeignKeyField(User, null=True, on_delete="CASCADE", backref="+")
    body_sha256 = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("user", "key"), True),)


ALL_MODELS = [
    Organization,
    User,
    Category,
    CategoryField,
    Tag,
    SlaPolicy,
    Ticket,
    TicketTag,
    Message,
    FieldChange,
    Attachment,
    ApiToken,
    Collection,
    Article,
    QueueCount,
    TicketCC,
    MailReference,
    InboundEmail,
    OutgoingMail,
    JobFailure,
    Rating,
    Webhook,
    WebhookDelivery,
    Macro,
    SavedView,
    Presence,
    Setting,
    PrivacyLog,
    SuspendedSubmission,
    SignInFailure,
    IdempotencyRecord,
]
