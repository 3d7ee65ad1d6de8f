"""Every request and response shape of the JSON API, declared once.

The same classes validate what clients send and generate the OpenAPI document at /openapi.json, so the two cannot
drift. Request bodies are strict (a string is not a number) and refuse unknown fields; query strings are parsed
leniently because everything in a URL is text. A field declared `T = None` may be left out but not sent as null;
`T | None = None` may be null too.
"""
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, create_model

from ..models import (
    ARTICLE_STATUSES, CHANNELS, FIELD_TYPES, INBOUND_OUTCOMES, INBOUND_SOURCES, MESSAGE_KINDS, PRIORITIES, RATING_SCORES,
    ROLES, STATUSES,
)
from ..models import WEBHOOK_EVENTS
from ..models import PRIVACY_ACTIONS
from ..models import THEMES
from ..services.business_hours import DAYS, MAX_MINUTES
from ..services.paging import MAX_ID
from ..services.webhooks import DELIVERY_STATUSES, MAX_DESCRIPTION, MAX_URL

# ------------------------------------------------------------------------------------------------------ building blocks


def _utc_iso(value):
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


Time = Annotated[
    datetime,
    PlainSerializer(_utc_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2025-01-15T10:30:00Z"]}),
]
def _integral(value):
    # JSON Schema counts 3.0 as an integer; strict pydantic would not, and the document must not promise more.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_integral)]
Status = Literal[STATUSES]
Priority = Literal[PRIORITIES]
Role = Literal[ROLES]
ArticleStatus = Literal[ARTICLE_STATUSES]
ErrorCode = Literal[
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "BAD_REQUEST",
    "VALIDATION_ERROR",
    "CONFLICT",
    "PAYLOAD_TOO_LARGE",
    "TOO_MANY_REQUESTS",
    "INTERNAL_SERVER_ERROR",
    "ASSISTANT_UNAVAILABLE",
]


def _one_of_list(values):
    """A regular expression for a comma-separated list of `values`."""
    choice = "|".join(values)
    return rf"^({choice})(,({choice}))*$"


class Output(BaseModel):
    """A response shape: every field is always present (null when empty)."""


class Input(BaseModel):
    """A JSON request body."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query-string parameters."""

    model_config = ConfigDict(extra="ignore")


# ------------------------------------------------------------------------------------------------------------ errors


class FieldError(Output):
    location: str = Field(description="Where the problem is: body.<field>, query.<name> or path.<name>.",
                          examples=["body.subject"])
    message: str = Field(examples=["Enter a subject."])


class Problem(BaseModel):
    """An RFC 9457 problem document, sent as application/problem+json."""

    type: str = Field(description="A URI naming the kind of problem; it leads to its explanation.")
    title: str = Field(description="A short summary of the kind of problem.", examples=["Validation failed"])
    status: int = Field(ge=100, le=599, description="The HTTP status code.", examples=[422])
    detail: str = Field(description="What went wrong with this request, for a person.")
    code: ErrorCode = Field(description="A stable code for programs.")
    errors: list[FieldError] = Field(None, description="For validation errors: one entry per invalid field.")
    messages: list["Message"] = Field(
        None, description="For a reply held because the thread moved on (`after_message_id`): the public messages "
                          "written since, oldest first. Read them, then send again with the newest id if still right.")


# ----------------------------------------------------------------------------------------------------------- outputs


class ListMeta(Output):
    limit: int = Field(description="The page size used.", examples=[25])
    total: int = Field(description="How many items match, across all pages.", examples=[150])
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


class Person(Output):
    id: int
    name: str
    email: str


class Author(Output):
    id: int | None = Field(description="null for the assistant, which is not a person.")
    name: str
    role: Role | Literal["assistant"] = Field(description="`assistant` for the desk's assistant (see `/assist`).")


FieldValue = bool | int | float | str
Answers = Annotated[
    dict[Annotated[str, Field(max_length=64)], FieldValue | None],
    Field(max_length=50, description="Answers to the category's questions (see GET /categories), {key: value}: "
                                     "text, a number, one of a select's options, true/false, or a date as "
                                     "YYYY-MM-DD. Problems come back located as body.fields.<key>.",
          examples=[{"order_number": "A-1042", "plan": "Team"}]),
]


class CategoryField(Output):
    """A question asked when a ticket of the category is filed; its answer goes in the ticket's `fields`."""

    key: str = Field(examples=["order_number"])
    label: str = Field(examples=["Order number"])
    type: Literal[FIELD_TYPES]
    options: list[str] = Field(description="The choices of a `select`; empty for the other types.")
    required: bool = Field(description="Filing a ticket needs an answer (a ticked box for a checkbox).")
    visible_to_customer: bool = Field(description="false: for the team only; customers never see or set it.")
    position: int = Field(description="Lower comes first.")


class Category(Output):
    slug: str = Field(examples=["billing"])
    name: str = Field(examples=["Billing"])
    description: str
    active: bool = Field(True, description="false: new tickets can no longer choose it (admins see it in answers "
                                           "to their changes).")
    fields: list[CategoryField] = Field([], description="Its questions, in order: the ones the caller may see.")


class TicketSla(Output):
    policy_id: int = Field(description="The SLA policy that applies (chosen when the ticket was filed or its "
                           "priority or category last changed).")
    first_response_due_at: Time | None
    resolution_due_at: Time | None
    due_at: Time | None = Field(description="The next promised time still pending; null while the clock is paused "
                                "(waiting, resolved, closed) or nothing is pending.")
    breached: bool = Field(description="A promised time was missed.")
    paused: bool = Field(description="The clock is paused while the ticket waits on the customer.")


class Rating(Output):
    score: Literal[RATING_SCORES]
    comment: str
    rated_at: Time


class TicketAssistant(Output):
    state: Literal["active", "handed_over"] = Field(description="active: the assistant answers the customer; "
                                                   "handed_over: a person has taken over.")
    answers: int = Field(description="How many answers the assistant gave on this ticket.")
    quota: int = Field(description="How many it may give on one ticket.")


class OrganizationRef(Output):
    id: int
    name: str


class Ticket(Output):
    id: int = Field(examples=[1042])
    subject: str
    status: Status
    priority: Priority
    category: str | None = Field(description="The category's slug.", examples=["billing"])
    customer: Person = Field(description="The requester.")
    assignee: Person | None
    tags: list[str]
    cc: list[str] = Field(description="Addresses that receive the public replies besides the customer.")
    channel: Literal[CHANNELS]
    locked: bool = Field(description="Force-closed: the customer can no longer reply or reopen.")
    message_count: int = Field(description="Public replies in the thread.")
    unread: bool = Field(description="The customer has an agent reply they have not read yet.")
    created_at: Time
    updated_at: Time
    first_response_at: Time | None
    resolved_at: Time | None
    closed_at: Time | None
    sla: TicketSla | None = Field(description="Service level: null when no SLA policy applies.")
    rating: Rating | None = Field(description="The customer's answer to \"How did we do?\", once given.")
    merged_into_id: int | None = Field(
        description="Set once this ticket was merged: the ticket that took its thread. A customer sees it only when "
                    "that ticket is theirs too.")
    assistant: TicketAssistant | None = Field(None, description="Set when the customer asked the assistant first.")
    fields: dict[str, FieldValue] = Field({}, description="Answers to the category's questions, {key: value}; "
                                          "customers get only the ones they may see.")
    organization: OrganizationRef | None = Field(
        None, description="The customer's organization when the ticket was filed (or when they joined it); with "
                          "`shared_tickets`, its members see and answer the ticket too.")


class Attachment(Output):
    id: int
    filename: str
    content_type: str
    size: int = Field(description="In bytes.")
    sha256: str
    url: str = Field(description="Where to download the file (with the same bearer token).")
    created_at: Time


class Message(Output):
    id: int
    ticket_id: int
    kind: Literal[MESSAGE_KINDS] = Field(description="reply: public; note: internal, staff only; event: a system line.")
    internal: bool = Field(description="True for internal notes, which customers never see.")
    body: str = Field(description="Markdown (plain text for events).")
    body_html: str = Field(description="The body rendered to sanitized HTML (empty for events).")
    author: Author | None
    attachments: list[Attachment]
    created_at: Time


class TicketDetail(Ticket):
    messages: list[Message] = Field(description="The thread, oldest first; customers never get internal notes.")


class HistoryEntry(Output):
    id: int
    field: str = Field(examples=["status"])
    old_value: str | None
    new_value: str | None
    actor: Author | None
    at: Time


class ContactReceipt(Output):
    ticket_id: int
    status: Status
    access_url: str | None = Field(
        description="The secret link to the ticket's page, shown once; "
                    "null when an Idempotency-Key replays a submission."
    )


class User(Output):
    id: int
    name: str
    email: str
    role: Role
    phone: str | None
    company: str | None
    is_active: bool
    email_verified: bool
    created_at: Time
    last_login_at: Time | None
    organization_id: int | None = Field(None, description="The customer's organization, if any.")


class Customer(Output):
    id: int
    name: str
    email: str
    phone: str | None
    company: str | None
    ticket_count: int = Field(description="Tickets of this customer, not counting the trash.")
    created_at: Time
    organization_id: int | None = Field(None, description="The customer's organization, if any.")


class Tag(Output):
    id: int
    name: str
    color: str = Field(examples=["#3b5bdb"])


class Article(Output):
    id: int
    title: str
    slug: str
    status: ArticleStatus
    collection_id: int | None
    body: str = Field(description="Markdown.")
    body_html: str = Field(description="The body rendered to sanitized HTML.")
    author: Author | None
    created_at: Time
    updated_at: Time
    published_at: Time | None


class Collection(Output):
    id: int
    name: str
    slug: str
    description: str
    article_count: int = Field(description="Articles in it that the caller may read.")


class InboundEmail(Output):
    id: int
    received_at: Time
    source: Literal[INBOUND_SOURCES] = Field(description="How it arrived: the IMAP mailbox, a mail server's pipe "
                                                         "(mail-ingest) or this API.")
    from_: str = Field(alias="from", serialization_alias="from", description="The sender's address.")
    subject: str
    message_id: str = Field(description="Its Message-ID, without angle brackets (made up from its content when the "
                                        "message had none).")
    outcome: Literal[INBOUND_OUTCOMES] = Field(description="new_ticket, threaded (added to a ticket), duplicate, "
                                                           "ignored (auto-reply or bounce), rejected or error.")
    reason: str = Field(description="Why, in words.")
    ticket_id: int | None

    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)


class LinksResent(Output):
    detail: str = Field(description="The same text whether or not the address is known.")


def _envelope(name, model):
    return create_model(name, __base__=Output, data=(model, ...))


def _list_envelope(name, model):
    return create_model(name, __base__=Output, data=(list[model], ...), meta=(ListMeta, ...))


UserResponse = _envelope("UserResponse", User)
UserList = _list_envelope("UserList", User)
CategoryList = _list_envelope("CategoryList", Category)
ContactResponse = _envelope("ContactResponse", ContactReceipt)
TicketResponse = _envelope("TicketResponse", Ticket)
TicketDetailResponse = _envelope("TicketDetailResponse", TicketDetail)
TicketList = _list_envelope("TicketList", Ticket)
MessageResponse = _envelope("MessageResponse", Message)
MessageList = _list_envelope("MessageList", Message)
HistoryList = _list_envelope("HistoryList", HistoryEntry)
AttachmentResponse = _envelope("AttachmentResponse", Attachment)
CustomerResponse = _envelope("CustomerResponse", Customer)
CustomerList = _list_envelope("CustomerList", Customer)
TagResponse = _envelope("TagResponse", Tag)
TagList = _list_envelope("TagList", Tag)
ArticleResponse = _envelope("ArticleResponse", Article)
ArticleList = _list_envelope("ArticleList", Article)
CollectionList = _list_envelope("CollectionList", Collection)
InboundEmailResponse = _envelope("InboundEmailResponse", InboundEmail)
InboundEmailList = _list_envelope("InboundEmailList", InboundEmail)
LinksResentResponse = _envelope("LinksResentResponse", LinksResent)
RatingResponse = _envelope("RatingResponse", Rating)


# ------------------------------------------------------------------------------------------------------------ queries


class PageQuery(Query):
    limit: int = Field(25, ge=1, le=100, description="Items per page.")
    cursor: str = Field(None, max_length=500, description="The `next_cursor` of the previous page.")


class InboundListQuery(PageQuery):
    outcome: Literal[INBOUND_OUTCOMES] = Field(None, description="Only messages that ended so.")


class TicketListQuery(PageQuery):
    status: str = Field(None, pattern=_one_of_list(STATUSES), description="Comma-separated statuses, any of.",
                        examples=["open,in_progress"])
    priority: str = Field(None, pattern=_one_of_list(PRIORITIES), description="Comma-separated priorities, any of.")
    category: str = Field(None, max_length=500, description="Comma-separated category slugs, any of.")
    assignee_id: Literal["me"] | Id = Field(None, description="An agent's id, or `me` (agents only).")
    customer_id: Id = Field(None, description="Only this customer's tickets (agents only).")
    organization_id: Id = Field(None, description="Only this organization's tickets (agents: any; customers: their "
                                                  "own organization's, as far as they may see them).")
    unassigned: bool = Field(None, description="true: only tickets nobody is assigned to (agents only).")
    tags: str = Field(None, max_length=500, description="Comma-separated tag names, all of (agents only).")
    search: str = Field(None, max_length=200, description="Words in the subject or the messages.")
    sla: Literal["breached", "due_soon", "overdue"] = Field(
        None, description="breached: a promised time was missed (now or earlier); overdue: one is past due right now; "
                          "due_soon: one falls due within the hour (agents).")
    order_by: Literal["created_at", "updated_at", "priority", "due_at"] = Field(
        "updated_at", description="due_at: the next promised time; tickets with nothing due come last.")
    order_dir: Literal["asc", "desc"] = "desc"


class CustomerListQuery(PageQuery):
    search: str = Field(None, max_length=120, description="Text in the name, e-mail or company.")


class UserListQuery(PageQuery):
    search: str = Field(None, max_length=120, description="Text in the name, e-mail or company.")
    role: Literal[("staff",) + ROLES] = Field(None, description="staff means agents and admins.")
    is_active: bool = None


class TagListQuery(PageQuery):
    limit: int = Field(100, ge=1, le=100, description="Items per page.")
    search: str = Field(None, max_length=64, description="Text in the tag name.")


class ArticleListQuery(PageQuery):
    search: str = Field(None, max_length=200, description="Words in the title or body; best match first.")
    collection_id: Id = None
    status: ArticleStatus = Field(None, description="Drafts are visible to staff only.")


# ------------------------------------------------------------------------------------------------------ request bodies

Body = Annotated[str, Field(min_length=1, max_length=50_000, description="Markdown.")]
Subject = Annotated[str, Field(min_length=2, max_length=250)]
Slug = Annotated[str, Field(max_length=64, examples=["billing"])]
TagName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^,]*$")]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#3b5bdb"])]
Email = Annotated[str, Field(min_length=3, max_length=128, examples=["jane@example.com"])]
Name = Annotated[str, Field(min_length=2, max_length=120)]
Phone = Annotated[str, Field(max_length=20)]
Company = Annotated[str, Field(max_length=120)]
AttachmentIds = Annotated[list[Id], Field(max_length=10, description="Ids from POST /attachments, not yet used.")]


class ContactRequest(Input):
    name: Name
    email: Email
    company: Company = None
    phone: Phone = None
    category: Slug
    subject: Subject
    body: Body
    fields: Answers = None


class ResendLinksRequest(Input):
    email: Email


class TicketCreate(Input):
    subject: Subject
    description: Body = Field(description="Becomes the ticket's first public message (Markdown).")
    category: Slug | None = None
    priority: Priority = "normal"
    attachment_ids: AttachmentIds = []
    customer_email: Email = Field(None, description="Agents: file on behalf of this customer (created when new).")
    customer_name: Name = Field(None, description="Agents: the name for a customer created by customer_email.")
    tags: list[TagName] = Field([], max_length=20, description="Agents only.")
    assignee_id: Id | None = Field(None, description="Agents only.")
    fields: Answers = None


class TicketUpdate(Input):
    status: Status = None
    priority: Priority = None
    category: Slug | None = Field(None, description="A category slug; null clears it.")
    assignee_id: Id | None = Field(None, description="An agent's id; null unassigns.")
    tags: list[TagName] = Field(None, max_length=20, description="Replaces the ticket's tags.")
    subject: Subject = None
    locked: bool = Field(None, description="Locking also closes the ticket.")
    cc: list[Email] = Field(None, max_length=20, description="Replaces the CC list: addresses that receive the "
                            "public replies (never notes) besides the customer.")
    fields: Answers = Field(None, description="Changes the answers sent (null or \"\" clears one); the others stay.")


class RatingCreate(Input):
    score: Literal[RATING_SCORES]
    comment: str = Field(None, max_length=2000, description="Optional words for the team; omitted: kept as it was.")


class MessageCreate(Input):
    body: Body
    internal: bool = Field(False, description="Agents: an internal note the customer never sees.")
    status: Status = Field(None, description="Agents: set the ticket's status in the same step.")
    attachment_ids: AttachmentIds = []
    after_message_id: Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_integral)] | None = Field(
        None,
        description="The newest message id the writer had read. If anyone else has written a public reply since, a "
                    "public reply is not posted: 409 CONFLICT lists the newer messages (`messages`). Notes are never "
                    "held.")


class CustomerCreate(Input):
    email: Email
    name: Name
    phone: Phone = None
    company: Company = None


class CustomerUpdate(Input):
    name: Name = None
    phone: Phone | None = None
    company: Company | None = None
    organization_id: Id | None = Field(None, description="Move the customer into this organization (null: out of "
                                                         "theirs); their tickets move with them.")


class UserCreate(Input):
    email: Email
    name: Name
    role: Role
    password: str = Field(min_length=8, max_length=256)
    phone: Phone = None
    company: Company = None


class UserUpdate(Input):
    name: Name = None
    email: Email = None
    role: Role = None
    is_active: bool = Field(None, description="false signs the user out and stops their API tokens.")
    phone: Phone | None = None
    company: Company | None = None
    password: str = Field(None, min_length=8, max_length=256)


class TagCreate(Input):
    name: TagName
    color: Color = "#64748b"


class TagUpdate(Input):
    name: TagName = None
    color: Color = None


ArticleSlug = Annotated[str, Field(max_length=120, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class ArticleCreate(Input):
    title: Annotated[str, Field(min_length=2, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=100_000, description="Markdown.")]
    status: ArticleStatus = "draft"
    collection_id: Id | None = None
    slug: ArticleSlug = Field(None, description="Made from the title when left out.")


class ArticleUpdate(Input):
    title: Annotated[str, Field(min_length=2, max_length=200)] = None
    body: Annotated[str, Field(min_length=1, max_length=100_000, description="Markdown.")] = None
    status: ArticleStatus = None
    collection_id: Id | None = None
    slug: ArticleSlug = None


class AttachmentUpload(BaseModel):
    """A multipart/form-data upload."""

    file: Annotated[object, WithJsonSchema({"type": "string", "format": "binary"})] = Field(
        description="The file; its name and type come from the part's headers."
    )


# ----------------------------------------------------------------------------------------------------- SLA policies

Day = Literal[DAYS]
Clock = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", examples=["09:00"])]
OpeningHours = Annotated[list[Clock], Field(min_length=2, max_length=2, description="Opening and closing time, "
                                            "local, HH:MM (24:00 is midnight at the end of the day).",
                                            examples=[["09:00", "17:00"]])]
Minutes = Annotated[int, Field(ge=1, le=MAX_MINUTES), BeforeValidator(_integral)]
Position = Annotated[int, Field(ge=0), BeforeValidator(_integral)]
PolicyName = Annotated[str, Field(min_length=1, max_length=120, examples=["Urgent tickets"])]


class BusinessHours(Input):
    """The working week a policy's targets count in; days left out are days off."""

    timezone: str = Field(min_length=1, max_length=64, description="An IANA time zone name.",
                          examples=["Europe/Berlin"])
    days: dict[Day, OpeningHours] = Field(min_length=1, description="Opening hours per weekday: mon ... sun.",
                                          examples=[{"mon": ["09:00", "17:00"], "tue": ["09:00", "17:00"]}])


class SlaPolicy(Output):
    id: int
    name: str
    priorities: list[Priority] = Field(description="The priorities it takes; empty: any.")
    categories: list[str] = Field(description="The category slugs it takes; empty: any.")
    first_response_minutes: int | None = Field(description="Minutes (of working time, with business hours) to the "
                                               "first public answer; null: no promise.")
    resolution_minutes: int | None = Field(description="Minutes to resolution; null: no promise.")
    business_hours: BusinessHours | None = Field(description="null: the clock runs 24/7.")
    position: int = Field(description="Its place in the match order, from 0; the first matching policy applies.")


SlaPolicyResponse = _envelope("SlaPolicyResponse", SlaPolicy)
SlaPolicyList = _list_envelope("SlaPolicyList", SlaPolicy)


class SlaPolicyCreate(Input):
    name: PolicyName
    priorities: list[Priority] = Field([], max_length=len(PRIORITIES), description="Each once; empty: any.")
    categories: list[Slug] = Field([], max_length=200, description="Existing category slugs, each once; empty: any.")
    first_response_minutes: Minutes | None = Field(None, description="At least one of the two targets is needed.")
    resolution_minutes: Minutes | None = Field(None, description="No shorter than the first-response target.")
    business_hours: BusinessHours | None = Field(None, description="null or left out: 24/7.")
    position: Position = Field(None, description="0 is matched first; the policies from there on move down one. "
                                                 "Left out (or past the end): last.")


class SlaPolicyUpdate(Input):
    name: PolicyName = None
    priorities: list[Priority] = Field(None, max_length=len(PRIORITIES), description="Replaces the list.")
    categories: list[Slug] = Field(None, max_length=200, description="Replaces the list.")
    first_response_minutes: Minutes | None = Field(None, description="null clears it (one target must remain).")
    resolution_minutes: Minutes | None = Field(None, description="null clears it (one target must remain).")
    business_hours: BusinessHours | None = Field(None, description="null: 24/7.")
    position: Position = Field(None, description="Moves the policy in the match order; the others make room.")


# --------------------------------------------------------------------------------------------------------- webhooks

WebhookEvent = Literal[WEBHOOK_EVENTS]
WebhookUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL, examples=["https://hooks.example.com/desk"],
                                  description="An http(s) address that resolves to public IP addresses only "
                                              "(unless the desk runs with WEBHOOK_ALLOW_PRIVATE=true).")]
WebhookEvents = Annotated[list[WebhookEvent], Field(min_length=1, max_length=len(WEBHOOK_EVENTS),
                                                    description="The events it receives.",
                                                    examples=[["ticket.created", "message.created"]])]


class Webhook(Output):
    id: int
    url: str
    events: list[WebhookEvent]
    active: bool = Field(description="false: nothing is sent (turned off by an admin, or after repeated failures).")
    description: str
    consecutive_failures: int = Field(description="Deliveries in a row that failed for good; at "
                                                  "20 the webhook is turned off.")
    disabled_reason: str | None = Field(description="Why the desk turned it off; null unless it did.")
    created_at: Time


class WebhookWithSecret(Webhook):
    secret: str = Field(description="The signing secret (`whsec_` + base64), shown this once: keep it to verify "
                                    "the `webhook-signature` header.", examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])


class WebhookDelivery(Output):
    id: int
    webhook_id: int
    event_id: str = Field(description="The `webhook-id` header and the body's `id`: the same on every attempt.")
    event_type: WebhookEvent
    status: Literal[DELIVERY_STATUSES] = Field(description="pending (waiting for its next try), delivered, or failed "
                                                           "(every try failed).")
    attempt: int = Field(description="How many tries so far.")
    response_code: int | None = Field(description="The HTTP status of the latest try; null when there was no answer.")
    duration_ms: int | None = Field(description="How long the latest try took, in milliseconds.")
    error: str | None = Field(description="Why the latest try failed; null when it did not.")
    next_attempt_at: Time | None = Field(description="When it is tried next; null unless pending.")
    delivered_at: Time | None
    created_at: Time


WebhookResponse = _envelope("WebhookResponse", Webhook)
WebhookCreatedResponse = _envelope("WebhookCreatedResponse", WebhookWithSecret)
WebhookList = _list_envelope("WebhookList", Webhook)
WebhookDeliveryResponse = _envelope("WebhookDeliveryResponse", WebhookDelivery)
WebhookDeliveryList = _list_envelope("WebhookDeliveryList", WebhookDelivery)


class WebhookDeliveryListQuery(PageQuery):
    status: Literal[DELIVERY_STATUSES] = Field(None, description="Only deliveries in this state.")


class WebhookCreate(Input):
    url: WebhookUrl
    events: WebhookEvents
    description: str = Field("", max_length=MAX_DESCRIPTION, description="What it is for.")
    active: bool = True


class WebhookUpdate(Input):
    url: WebhookUrl = None
    events: WebhookEvents = None
    description: str = Field(None, max_length=MAX_DESCRIPTION)
    active: bool = Field(None, description="true turns it (back) on: its failure count starts again from zero and "
                                           "deliveries left waiting go out.")


# ----------------------------------------------------------------------------------------------------------- reports

# Checked by the service (a real day between 1970 and 2999), so the message says what a date looks like.
ReportDate = Annotated[str, Field(min_length=10, max_length=10),
                       WithJsonSchema({"type": "string", "format": "date", "minLength": 10, "maxLength": 10,
                                       "examples": ["2025-01-31"]})]


class ReportQuery(Query):
    from_: ReportDate = Field(None, alias="from", description="The first day (UTC), included. Default: 29 days "
                                                             "before `to`.")
    to: ReportDate = Field(None, description="The last day (UTC), included. Default: today. At most 366 days "
                                             "from `from`.")
    category: str = Field(None, max_length=64, description="Only tickets of this category (its slug).")
    assignee_id: Id = Field(None, description="Only tickets assigned to this agent.")


class ReportDurations(Output):
    median: float | None = Field(description="Minutes, to a tenth; null when there was nothing to measure.",
                                 examples=[42.5])
    p90: float | None = Field(description="Minutes, to a tenth: 90% took at most this long.", examples=[310.0])


class ReportCsat(Output):
    good: int = Field(description="Good ratings given in the range.")
    bad: int = Field(description="Bad ratings given in the range.")
    score: float | None = Field(ge=0, le=1, description="good / (good + bad); null without ratings.", examples=[0.8])


class ReportDay(Output):
    date: str = Field(description="A UTC day, YYYY-MM-DD.", examples=["2025-01-31"])
    created: int
    solved: int


class ReportBacklog(Output):
    open: int
    in_progress: int
    waiting: int


class ReportAgentDurations(Output):
    median: float | None = Field(description="Minutes, to a tenth; null when there was nothing to measure.")


class ReportAgent(Output):
    agent: Person | None = Field(description="The current assignee; null for tickets nobody is assigned to.")
    solved: int = Field(description="Tickets solved in the range.")
    first_response_minutes: ReportAgentDurations = Field(description="Of the tickets created in the range.")
    csat: ReportCsat


class ReportSummary(Output):
    from_: str = Field(alias="from", serialization_alias="from", description="The first day of the range.",
                       examples=["2025-01-01"])
    to: str = Field(description="The last day of the range (included).", examples=["2025-01-30"])
    category: str | None = Field(description="The category filter's slug, or null.")
    assignee_id: int | None = Field(description="The assignee filter, or null.")
    created: int = Field(description="Tickets created in the range.")
    solved: int = Field(description="Tickets resolved in the range (by their latest resolution), or closed in it "
                                    "without ever being resolved.")
    first_response_minutes: ReportDurations = Field(description="first_response_at - created_at, for the tickets "
                                                                "created in the range that have a first response.")
    resolution_minutes: ReportDurations = Field(description="When it counted as solved - created_at, for the "
                                                            "tickets solved in the range.")
    sla_attainment: float | None = Field(ge=0, le=1, description="Of the tickets created in the range with an SLA "
                                         "policy, the share neither breached nor overdue now; null when none had a "
                                         "policy.", examples=[0.93])
    csat: ReportCsat
    by_day: list[ReportDay] = Field(description="Every day of the range, oldest first, zeros included.")
    backlog: ReportBacklog = Field(description="Tickets matching the filters that are open, in progress or waiting, "
                                               "right now.")
    agents: list[ReportAgent] = Field(description="Per current assignee, most solved first; unassigned last.")

    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)


ReportSummaryResponse = _envelope("ReportSummaryResponse", ReportSummary)


# ------------------------------------------------------------------------------------------------------ saved views

ViewName = Annotated[str, Field(min_length=1, max_length=80, examples=["Urgent billing, mine"])]


class SavedViewFilters(Input):
    """The query parameters of GET /tickets that a view keeps; leave out what should not narrow it."""

    status: str = Field(None, pattern=_one_of_list(STATUSES), description="Comma-separated statuses, any of.",
                        examples=["open,in_progress"])
    priority: str = Field(None, pattern=_one_of_list(PRIORITIES), description="Comma-separated priorities, any of.")
    category: str = Field(None, max_length=500, description="Comma-separated existing category slugs, any of.")
    assignee_id: Literal["me"] | Id = Field(None, description="An agent's id, or `me` (the view's owner).")
    unassigned: bool = Field(None, description="true: only tickets nobody is assigned to.")
    organization_id: Id = Field(None, description="Only the tickets of this organization.")
    tags: str = Field(None, max_length=500, description="Comma-separated tag names, all of.")
    search: str = Field(None, max_length=200, description="Words in the subject or the messages.")
    sla: Literal["breached", "due_soon", "overdue"] = Field(
        None, description="breached: a promised time was missed; due_soon: one falls due within the hour; overdue: "
                          "one has passed and is still pending (the queue's Overdue view).")
    order_by: Literal["created_at", "updated_at", "priority", "due_at"] = None
    order_dir: Literal["asc", "desc"] = None


class SavedViewCreate(Input):
    name: ViewName = Field(description="Unique among your views (ignoring case).")
    filters: SavedViewFilters = Field(default_factory=SavedViewFilters)


class SavedViewUpdate(Input):
    name: ViewName = None
    filters: SavedViewFilters = Field(None, description="Replaces every filter of the view.")


class SavedView(Output):
    id: int
    name: str
    filters: dict[str, str | int | bool] = Field(
        description="Only the filters set, in canonical form: pass them to GET /tickets as query parameters.",
        examples=[{"status": "open,in_progress", "assignee_id": "me", "order_by": "due_at", "order_dir": "asc"}])
    count: int = Field(description="How many tickets the view matches right now.")


SavedViewResponse = _envelope("SavedViewResponse", SavedView)
SavedViewList = _list_envelope("SavedViewList", SavedView)


# ------------------------------------------------------------------------------------------------------------- merge


class TicketMerge(Input):
    into_id: Id = Field(description="The ticket that takes this one's thread; this one is closed, locked and points "
                                    "at it (`merged_into_id`).")


# ----------------------------------------------------------------------------------------------------------- macros

MacroName = Annotated[str, Field(min_length=1, max_length=120, examples=["Refund issued"])]
MacroBody = Annotated[str, Field(max_length=50_000, description=(
    "Markdown. Placeholders, filled in when the macro is used: {{ customer.name }}, {{ customer.first_name }}, "
    "{{ ticket.id }}, {{ ticket.subject }}, {{ agent.name }}. Any other template syntax is refused: nothing in a "
    "macro runs."), examples=["Hi {{ customer.first_name }}, your refund is on its way."])]


class MacroActions(Output):
    status: Status | None = Field(description="The status the ticket gets; null: unchanged.")
    priority: Priority | None = Field(description="The priority the ticket gets; null: unchanged.")
    assignee_id: int | None = Field(description="The agent the ticket is assigned to; null: unchanged.")
    add_tags: list[str] = Field(description="Tags added to the ticket's own (none removed).")


class Macro(Output):
    id: int
    name: str
    body: str = Field(description="Markdown with placeholders; empty: the macro only changes fields.")
    internal: bool = Field(description="true: the body is posted as an internal note, not a reply.")
    shared: bool = Field(description="true: made by an admin for the whole team; false: the caller's own.")
    actions: MacroActions
    created_at: Time
    updated_at: Time


MacroResponse = _envelope("MacroResponse", Macro)
MacroList = _list_envelope("MacroList", Macro)


class MacroActionsInput(Input):
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: Id | None = Field(None, description="An active agent's id.")
    add_tags: list[TagName] = Field([], max_length=10)


class MacroCreate(Input):
    name: MacroName
    body: MacroBody = ""
    internal: bool = False
    actions: MacroActionsInput = Field(None, description="The field changes it makes; left out: none.")
    shared: bool = Field(False, description="Admins: a macro for the whole team. Agents get 403.")


class MacroUpdate(Input):
    name: MacroName = None
    body: MacroBody = None
    internal: bool = None
    actions: MacroActionsInput = Field(None, description="Replaces the macro's field changes whole.")


class MacroApply(Input):
    macro_id: Id
    after_message_id: Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_integral)] | None = Field(
        None, description="The newest message id the agent had read: if someone else has written a public "
                                "reply since, nothing happens and 409 CONFLICT lists the newer messages.")


# ------------------------------------------------------------------------------------------------------- assistant


class AssistDraft(Output):
    body: str = Field(description="A draft of the next public reply, in Markdown; nothing is sent.")


class SuggestedTicket(Output):
    id: int
    subject: str
    status: Status
    solved_at: Time | None = Field(description="When it was resolved, or closed.")


class SuggestedArticle(Output):
    id: int
    title: str
    slug: str
    url: str = Field(description="The article in the help center.")


class Suggestions(Output):
    tickets: list[SuggestedTicket] = Field(description="Solved tickets sharing words with this one's subject, best "
                                                       "match first.")
    articles: list[SuggestedArticle] = Field(description="Published articles matching the subject, best first.")


AssistDraftResponse = _envelope("AssistDraftResponse", AssistDraft)
SuggestionsResponse = _envelope("SuggestionsResponse", Suggestions)


# ---------------------------------------------------------------------------------------------------- organizations

OrganizationName = Annotated[str, Field(min_length=1, max_length=120, examples=["Acme Corporation"])]
Domains = Annotated[list[Annotated[str, Field(max_length=253)]], Field(
    max_length=50, description="Address domains, without @: a customer whose verified address is at one of them "
                               "joins the organization. Each domain belongs to one organization at most.",
    examples=[["acme.com"]])]


class Organization(Output):
    id: int
    name: str
    domains: list[str]
    shared_tickets: bool = Field(description="Members see and answer every ticket of the organization.")
    member_count: int = Field(description="Customers in the organization.")


class OrganizationListQuery(PageQuery):
    search: str = Field(None, max_length=120, description="Text in the name or the domains.")


class OrganizationCreate(Input):
    name: OrganizationName
    domains: Domains = []
    shared_tickets: bool = False


class OrganizationUpdate(Input):
    name: OrganizationName = None
    domains: Domains = None
    shared_tickets: bool = None


OrganizationResponse = _envelope("OrganizationResponse", Organization)
OrganizationList = _list_envelope("OrganizationList", Organization)


# --------------------------------------------------------------------------------------------------------- privacy


class PrivacyLogEntry(Output):
    id: int
    action: Literal[PRIVACY_ACTIONS] = Field(description="export, anonymize, or purge (of the trash).")
    actor_id: int | None = Field(description="The admin who did it; null for the worker's trash purge, or when the "
                                             "admin's account is gone.")
    actor: str = Field(description="Who did it, as it read at the time.")
    subject: str = Field(description="Whom or what it was about, e.g. `customer #12` (never a name or address).")
    detail: str
    at: Time


PrivacyLogList = _list_envelope("PrivacyLogList", PrivacyLogEntry)


# ------------------------------------------------------------------------------------- categories and intake fields

FieldKey = Annotated[str, Field(min_length=1, max_length=25, pattern=r"^[a-z][a-z0-9_]*$", examples=["order_number"])]
FieldLabel = Annotated[str, Field(min_length=1, max_length=120, examples=["Order number"])]
FieldOptions = Annotated[list[Annotated[str, Field(min_length=1, max_length=120)]],
                         Field(max_length=50, description="The choices of a `select`, in order.")]
CategoryDescription = Annotated[str, Field(max_length=500)]


class CategoryCreate(Input):
    name: Name
    slug: Annotated[str, Field(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")] = Field(
        None, description="Lower-case letters, digits, - and _; made from the name when left out. It never changes.")
    description: CategoryDescription = ""


class CategoryUpdate(Input):
    name: Name = None
    description: CategoryDescription = None
    active: bool = Field(None, description="false: new tickets can no longer choose it; its tickets keep it.")


class CategoryFieldCreate(Input):
    key: FieldKey = Field(description="Unique in the category; it never changes. Lower-case letters, digits, _.")
    label: FieldLabel
    type: Literal[FIELD_TYPES] = "text"
    options: FieldOptions = []
    required: bool = False
    visible_to_customer: bool = True
    position: Position = Field(None, description="Lower comes first; left out: last.")


class CategoryFieldUpdate(Input):
    label: FieldLabel = None
    type: Literal[FIELD_TYPES] = None
    options: FieldOptions = None
    required: bool = None
    visible_to_customer: bool = None
    position: Position = None


CategoryResponse = _envelope("CategoryResponse", Category)
CategoryFieldResponse = _envelope("CategoryFieldResponse", CategoryField)
CategoryFieldList = _list_envelope("CategoryFieldList", CategoryField)


# ----------------------------------------------------------------------------------------------- me: the theme

class Me(User):
    theme: Literal[THEMES] = Field(description="How the portals look for this user: system follows the device.")


class MeUpdate(Input):
    theme: Literal[THEMES] = Field(description="light, dark, or system to follow the device's setting.")


MeResponse = _envelope("MeResponse", Me)
