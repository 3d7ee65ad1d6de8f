"""`flask --app app ...` commands: init-db, demo-data, demo-logins, create-user, create-token."""
import json
import random
from datetime import timedelta

import click

from . import counts, notifications, search
from .db import add_missing_columns, db, refresh_statistics, write
from .models import ALL_MODELS, Category, Collection, FieldChange, Message, Rating, SlaPolicy, Tag, Ticket, User, utcnow
from .services import accounts, attachments, help_center, organizations, sla, tickets
from .services.errors import ServiceError

DEFAULT_CATEGORIES = [
    ("general", "General question", "Anything that fits nowhere else."),
    ("billing", "Billing", "Invoices, payments, refunds and plans."),
    ("technical", "Technical problem", "Something does not work as it should."),
    ("account", "Account and sign-in", "Passwords, access, profile and security."),
    ("bug", "Bug report", "You found a defect in the product."),
    ("feature_request", "Feature request", "An idea that would make the product better."),
]

DEMO_PASSWORD = "demo-password"
DEMO_ADMIN = "admin@example.com"
DEMO_AGENTS = [("ana@example.com", "Ana Agent"), ("ben@example.com", "Ben Agent"), ("chen@example.com", "Chen Agent")]
DEMO_CUSTOMER = "carol@example.com"


def init_db():
    """Create every table and index that is missing, and the default categories. Safe to run again."""
    with db.connection_context():
        add_missing_columns(ALL_MODELS)
        db.create_tables(ALL_MODELS, safe=True)
        search.create_tables()
        counts.install()
        with write():
            for position, (slug, name, description) in enumerate(DEFAULT_CATEGORIES):
                Category.get_or_create(slug=slug, defaults={"name": name, "description": description, "position": position})


def print_logins():
    click.echo("Demo log-ins (password for all: %s):" % DEMO_PASSWORD)
    click.echo(f"  admin     {DEMO_ADMIN}")
    for email, _ in DEMO_AGENTS:
        click.echo(f"  agent     {email}")
    click.echo(f"  customer  {DEMO_CUSTOMER}  (tickets with unread agent replies)")


SUBJECTS = [
    "Cannot sign in after resetting my password",
    "Invoice shows the wrong VAT number",
    "Export to CSV times out",
    "Feature idea: dark mode for the dashboard",
    "Charged twice this month",
    "App crashes when uploading a photo",
    "How do I add a second admin?",
    "Two-factor codes are not accepted",
    "Refund for unused seats",
    "Search does not find archived projects",
    "Webhook deliveries fail with 500",
    "Please change the e-mail on my account",
    "Slow page loads since yesterday",
    "Can we get an annual plan?",
    "Notification e-mails go to spam",
]
CUSTOMER_LINES = [
    "Hello, this started this morning. I tried twice and it still fails.",
    "Thanks for looking into it. Is there anything I can try in the meantime?",
    "It happens on both Firefox and Chrome.",
    "Any update on this? Our team is blocked.",
    "I attached nothing yet, but I can send screenshots if needed.",
]
AGENT_LINES = [
    "Thanks for reaching out! I can reproduce this and I'm checking with the team.",
    "Could you tell me the approximate time it happened and your browser version?",
    "We deployed a fix a few minutes ago. Could you try again and let me know?",
    "I've updated your account. You should see the change after signing in again.",
    "Good news: this is resolved on our side. Reply here if anything is still off.",
]
NOTE_LINES = [
    "Looks like the same root cause as the export incident last week.",
    "Customer is on the enterprise plan: handle with priority.",
    "Checked the logs: 3 failed attempts from their IP, nothing suspicious.",
]
FIRST_NAMES = ["Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj",
               "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Uma", "Victor", "Walter", "Xena", "Yusuf"]
COMPANIES = ["Acme Ltd", "Globex", "Initech", "Umbrella", "Hooli", None]


def load_demo_data(seed=7, ticket_count=200):
    """An admin, three agents, twenty customers and `ticket_count` tickets with threads, notes and events."""
    rng = random.Random(seed)
    with db.connection_context():
        if User.select().where(User.email == DEMO_ADMIN).exists():
            return False
        admin = accounts.create_user(DEMO_ADMIN, "Alex Admin", "admin", DEMO_PASSWORD, verified=True)
        staff = [admin] + [accounts.create_user(e, n, "agent", DEMO_PASSWORD, verified=True) for e, n in DEMO_AGENTS]
        # The customers at example.org join it as their verified accounts are made, and see each other's tickets.
        organizations.create_organization(admin, "Example Org", ["example.org"], shared_tickets=True)
        customers = []
        for i, first in enumerate(FIRST_NAMES):
            email = DEMO_CUSTOMER if i == 0 else f"{first.lower()}@example.org"
            customers.append(
                accounts.create_user(email, f"{first} Customer", "customer", DEMO_PASSWORD,
                                     company=rng.choice(COMPANIES), verified=True)
            )
        slugs = [c.slug for c in Category.select()]
        tag_colours = {"vip": "#c2410c", "refund": "#2b8a3e", "outage": "#c92a2a", "mobile": "#1971c2",
                       "api": "#6741d9", "onboarding": "#0c8599"}
        for name, colour in tag_colours.items():
            Tag.create(name=name, color=colour)
        tag_pool = list(tag_colours)
        statuses = ["open", "in_progress", "waiting", "resolved", "closed"]
        _demo_sla_policies()
        _demo_macros(admin, staff[1])
        _demo_saved_views(staff[1])
        _demo_intake_fields(admin)
        start = utcnow() - timedelta(days=60)
        for n in range(ticket_count):
            customer = customers[0] if n % 10 == 0 else rng.choice(customers)
            fresh = n >= ticket_count - 8  # filed in the last hours: their promises fall due soon
            subject, description, category = rng.choice(SUBJECTS), rng.choice(CUSTOMER_LINES), rng.choice(slugs)
            ticket = tickets.create_ticket(
                customer,
                subject=subject,
                description=description,
                category=category,
                fields={"order_number": f"A-{1000 + n}", "plan": ("Free", "Team", "Business")[n % 3]}
                if category == "billing" else None,
                priority="urgent" if fresh and n % 3 == 0 else rng.choice(["low", "normal", "normal", "normal", "high",
                                                                         "urgent"]),
            )
            agent = rng.choice(staff[1:])
            target = statuses[n % 5]
            if fresh:
                target = "open"
            elif n < ticket_count * 0.8 and target in ("open", "in_progress") and rng.random() < 0.85:
                target = rng.choice(["resolved", "closed"])  # a desk keeps up: most older tickets are done
            if rng.random() < 0.8:
                tickets.update_ticket(agent, ticket.id, assignee_id=agent.id,
                                      tags=rng.sample(tag_pool, rng.randint(0, 2)))
            if rng.random() < 0.4:
                tickets.reply(agent, ticket.id, rng.choice(NOTE_LINES), internal=True)
            if (target != "open" or customer.id == customers[0].id) and not fresh:
                tickets.reply(agent, ticket.id, rng.choice(AGENT_LINES))
                if rng.random() < 0.5 and target not in ("resolved", "closed"):
                    tickets.reply(customer, ticket.id, rng.choice(CUSTOMER_LINES))
                    tickets.reply(agent, ticket.id, rng.choice(AGENT_LINES))
            if target != "open":
                tickets.update_ticket(agent, ticket.id, status=target)
            if target == "closed" and rng.random() < 0.2:
                tickets.update_ticket(agent, ticket.id, locked=True)
            # Spread the demo over the last two months so lists and relative times look lived-in.
            created = start + timedelta(minutes=n * 430 + rng.randint(0, 200))
            if fresh:
                created = utcnow() - timedelta(minutes=rng.randint(15, 45) if n % 3 == 0 else rng.randint(60, 300))
            _age_ticket(ticket.id, created, rng, gap=(1, 4) if fresh else (5, 600))
        _demo_ratings(rng)
        _demo_help_center(admin)
        _demo_mail()
        _demo_webhooks(admin)
        return True


def _demo_webhooks(admin):
    """A webhook to a local receiver that has stopped answering: deliveries that went through, one that failed for
    good and one still being retried (rows only: nothing is sent)."""
    import secrets as token_source

    from .api import serializers
    from .models import Webhook, WebhookDelivery
    from .services import webhooks

    hook = Webhook.create(url="http://127.0.0.1:9/desk-events", events=",".join(webhooks.WEBHOOK_EVENTS),
                          secret=webhooks.new_secret(), description="CRM sync (demo)", consecutive_failures=1,
                          created_at=utcnow() - timedelta(days=3))
    now = utcnow()
    latest = [t.id for t in Ticket.select(Ticket.id).order_by(Ticket.id.desc()).limit(4)]
    outcomes = [  # event, age, status, tries, response, duration in ms, error
        ("ticket.created", timedelta(days=2), "delivered", 1, 200, 143, ""),
        ("message.created", timedelta(days=1, hours=3), "delivered", 2, 200, 88, ""),
        ("ticket.updated", timedelta(days=1), "failed", webhooks.MAX_ATTEMPTS, None, 3,
         "Could not connect to 127.0.0.1:9: Connection refused."),
        ("ticket.created", timedelta(minutes=20), "pending", 3, 503, 41, "HTTP 503: Service Unavailable"),
    ]
    for ticket_id, (event, age, status, tries, code, duration, error) in zip(latest, outcomes):
        event_id = "msg_" + token_source.token_urlsafe(18)
        ticket = serializers.ticket(webhooks.ticket_for_event(ticket_id)).model_dump(mode="json")
        body = {"id": event_id, "type": event, "created_at": (now - age).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": {"ticket": ticket}}
        WebhookDelivery.create(webhook=hook, event_id=event_id, event_type=event, status=status, attempts=tries,
                               payload=json.dumps(body, separators=(",", ":")), response_code=code,
                               duration_ms=duration, last_error=error, created_at=now - age,
                               next_attempt_at=now + timedelta(minutes=6) if status == "pending" else now - age,
                               delivered_at=now - age if status == "delivered" else None)


def _demo_macros(admin, agent):
    """Four shared macros for everyday answers and one personal macro of the first agent."""
    from .services import macros

    for name, body, internal, actions in [
        ("Refund issued", "Hi {{ customer.first_name }},\n\nWe have refunded the charge; it shows on your statement "
         "within 5 business days.\n\nBest,\n{{ agent.name }}", False, {"status": "resolved", "add_tags": ["refund"]}),
        ("Ask for details", "Hi {{ customer.first_name }},\n\nThanks for writing. Could you tell us when this happened "
         "and which browser you use? Screenshots help too.\n\n{{ agent.name }}", False, {"status": "waiting"}),
        ("Escalate to engineering", "Escalating #{{ ticket.id }} (“{{ ticket.subject }}”) to engineering: reproduced, "
         "needs a fix.", True, {"priority": "high", "status": "in_progress", "add_tags": ["outage"]}),
        ("VIP: take it now", "", False, {"priority": "urgent", "add_tags": ["vip"]}),
    ]:
        macros.create_macro(admin, name, body, internal, actions, shared=True)
    macros.create_macro(agent, "My sign-off", "Thanks {{ customer.first_name }}, happy to help. Have a good day!\n\n"
                        "{{ agent.name }}", actions={"assignee_id": agent.id})


def _demo_intake_fields(admin):
    """Billing asks for the order number and the plan, and keeps a team-only "Refund approved" box."""
    from .services import intake_fields

    intake_fields.create_field(admin, "billing", "order_number", "Order number", "text", required=True)
    intake_fields.create_field(admin, "billing", "plan", "Plan", "select", options="Free\nTeam\nBusiness")
    intake_fields.create_field(admin, "billing", "refund_approved", "Refund approved", "checkbox",
                               visible_to_customer=False)
    intake_fields.create_field(admin, "bug", "version", "App version", "text")


def _demo_saved_views(agent):
    """Two of the first agent's own queue views, so "My views" shows what it is for."""
    from .services import saved_views

    saved_views.create_view(agent, "Urgent, new", {"status": "open", "priority": "urgent"})
    saved_views.create_view(agent, "Billing, open", {"status": "open,in_progress", "category": "billing"})


def _demo_sla_policies():
    """Three service levels: urgent round the clock, the rest in office hours."""
    office = {"timezone": "Europe/London", "days": {d: ["08:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
    for position, (name, priorities, first, resolution, hours) in enumerate([
        ("Urgent, round the clock", "urgent", 60, 8 * 60, None),
        ("High priority", "high", 4 * 60, 2 * 10 * 60, office),
        ("Standard", "normal,low", 8 * 60, 5 * 10 * 60, office),
    ]):
        SlaPolicy.create(name=name, priorities=priorities, first_response_minutes=first, resolution_minutes=resolution,
                         business_hours=json.dumps(hours) if hours else None, position=position)


RATING_COMMENTS = {
    "good": ["Quick and friendly, thank you!", "Solved in one reply.", "", "", "Great help."],
    "bad": ["It took three days to hear back.", "The fix did not last.", ""],
}


def _demo_ratings(rng):
    """Most solved tickets answered "How did we do?", mostly happily."""
    with write():
        for ticket in Ticket.select().where(Ticket.status.in_(("resolved", "closed")), Ticket.resolved_at.is_null(False)):
            if rng.random() < 0.6:
                score = "good" if rng.random() < 0.82 else "bad"
                Rating.create(ticket=ticket, score=score, comment=rng.choice(RATING_COMMENTS[score]),
                              rated_at=ticket.resolved_at + timedelta(minutes=rng.randint(10, 600)))


DEMO_MAIL = [
    ("Priya Patel <priya@example.net>", "support@localhost, Sam Lee <sam@example.net>", "ops@example.net",
     "Order #5521 arrived damaged", "<demo-1@example.net>", None, {},
     "Hello,\n\nThe parcel for order 5521 arrived with a broken hinge. Photos are attached in the next mail.\n\n"
     "Thanks,\nPriya"),
    ("Priya Patel <priya@example.net>", "support@localhost", None, "Re: Order #5521 arrived damaged",
     "<demo-2@example.net>", "<demo-1@example.net>", {},
     "One more detail: the box itself was fine, only the hinge is broken.\n\n"
     "On Mon, Priya Patel wrote:\n> The parcel for order 5521 arrived with a broken hinge."),
    ("Priya Patel <priya@example.net>", "support@localhost", None, "Automatic reply: Order #5521",
     "<demo-3@example.net>", None, {"Auto-Submitted": "auto-replied"}, "I am out of the office until Monday."),
    ("Priya Patel <priya@example.net>", "support@localhost", None, "Re: Order #5521 arrived damaged",
     "<demo-2@example.net>", "<demo-1@example.net>", {}, "One more detail (sent twice by the mail server)."),
]


def _demo_mail():
    """A customer who writes by e-mail: a new ticket with CC addresses, a threaded answer, an auto-reply, a repeat."""
    from email.message import EmailMessage

    from .services import inbound

    for sender, to, cc, subject, message_id, in_reply_to, headers, body in DEMO_MAIL:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"], message["Message-ID"] = sender, to, subject, message_id
        if cc:
            message["Cc"] = cc
        if in_reply_to:
            message["In-Reply-To"] = message["References"] = in_reply_to
        for name, value in headers.items():
            message[name] = value
        message.set_content(body)
        inbound.ingest(message.as_bytes(), "imap")


def _age_ticket(ticket_id, created, rng, gap=(5, 600)):
    with write():
        messages = list(Message.select().where(Message.ticket == ticket_id).order_by(Message.id))
        at = created
        stamps = {}
        stamps_by_message = []
        for m in messages:
            Message.update(created_at=at).where(Message.id == m.id).execute()
            stamps_by_message.append(at)
            stamps.setdefault("first", at)
            if m.kind == "reply" and m.author_id and m.author.is_staff:
                stamps.setdefault("first_agent", at)
                stamps["agent"] = at
            elif m.kind == "reply":
                stamps["customer"] = at
            stamps["last"] = at
            at += timedelta(minutes=rng.randint(*gap))
        ticket = Ticket.get_by_id(ticket_id)
        ticket.created_at = stamps.get("first", created)
        ticket.updated_at = stamps.get("last", created)
        ticket.first_response_at = stamps.get("first_agent")
        ticket.last_agent_message_at = stamps.get("agent")
        ticket.last_customer_message_at = stamps.get("customer")
        ticket.customer_last_read_at = stamps.get("customer", ticket.created_at)
        if ticket.resolved_at:
            ticket.resolved_at = ticket.updated_at
        if ticket.closed_at:
            ticket.closed_at = ticket.updated_at
        sla.recompute(ticket)
        ticket.save()
        # Each field change was written beside its event line: give both the same time.
        events = [at for m, at in zip(messages, stamps_by_message) if m.kind == "event"]
        changes = list(FieldChange.select().where(FieldChange.ticket == ticket_id).order_by(FieldChange.id))
        for change, at in zip(changes, events):
            FieldChange.update(at=at).where(FieldChange.id == change.id).execute()


def _demo_help_center(author):
    if Collection.select().exists():
        return
    help_center.load_demo_articles(author)


def init_app(app):
    @app.cli.command("init-db")
    def init_db_command():
        """Create the database tables (idempotent)."""
        init_db()
        with db.connection_context():
            refresh_statistics()
        click.echo(f"Database ready: {app.config['DATABASE_URL'].split('://')[0]}")

    @app.cli.command("demo-data")
    def demo_data_command():
        """Load demo users, tickets and help articles, then print the log-ins."""
        init_db()
        with notifications.muted():
            loaded = load_demo_data()
        with db.connection_context():
            refresh_statistics()
        if loaded:
            click.echo("Demo data loaded: 1 admin, 3 agents, 20 customers, 200 tickets.")
        else:
            click.echo("Demo data was already loaded.")
        print_logins()

    @app.cli.command("demo-logins")
    def demo_logins_command():
        """Print the demo log-ins."""
        print_logins()

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(["customer", "agent", "admin"]), default="customer")
    @click.option("--password", required=True)
    def create_user_command(email, name, role, password):
        """Create a user who can sign in."""
        try:
            with db.connection_context():
                user = accounts.create_user(email, name, role, password, verified=True)
        except ServiceError as error:
            raise click.ClickException(error.message)
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Jobs run side by side (threads).")
    def worker_command(workers):
        """Run the background worker: queued jobs (mail delivery) and the periodic tasks (mailbox, sweeping)."""
        from . import jobs

        try:
            jobs.run_worker(workers)
        except RuntimeError as error:
            raise click.ClickException(str(error))

    @app.cli.command("mail-ingest")
    @click.argument("source", type=click.File("rb"), default="-")
    def mail_ingest_command(source):
        """Take one raw e-mail from FILE (or standard input, for a mail server's pipe) and print what became of it."""
        from .services import inbound

        with db.connection_context():
            entry = inbound.ingest(source.read(), "pipe")
        ticket = f" ticket #{entry.ticket_id}" if entry.ticket_id else ""
        click.echo(f"{entry.outcome}{ticket}: {entry.reason}")
        if entry.outcome == "error":
            raise SystemExit(75)  # EX_TEMPFAIL: a mail server keeps the message and tries again later

    @app.cli.command("mail-poll")
    def mail_poll_command():
        """Fetch unseen mail from IMAP_URL once, now (the worker does it every minute)."""
        from .mail import imap

        url = app.config.get("IMAP_URL")
        if not url:
            raise click.ClickException("Set IMAP_URL, e.g. imaps://user:password@mail.example.com/INBOX")
        with db.connection_context():
            entries = imap.poll(url)
        for entry in entries:
            click.echo(f"{entry.outcome}: {entry.subject} ({entry.reason})")
        click.echo(f"{len(entries)} message{'s' if len(entries) != 1 else ''} taken in.")

    @app.cli.command("sweep-uploads")
    @click.option("--hours", default=24, show_default=True, help="Age of unattached uploads to delete.")
    def sweep_uploads_command(hours):
        """Delete uploads that were never attached to a message (the worker also does it daily)."""
        with db.connection_context():
            removed = attachments.sweep_stale(timedelta(hours=hours))
        click.echo(f"Removed {removed} unattached upload{'s' if removed != 1 else ''}.")

    @app.cli.command("reindex")
    def reindex_command():
        """Rebuild the full-text search index, the queue counts and the planner statistics from the data."""
        with db.connection_context():
            search.rebuild()
            counts.rebuild()
            refresh_statistics()
        click.echo("Search index, queue counts and planner statistics rebuilt.")

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", required=True, help="What the token is for, e.g. 'CI export'.")
    def create_token_command(email, name):
        """Create an API token for a user and print it once."""
        try:
            with db.connection_context():
                user = accounts.get_user_by_email(email)
                _, raw = accounts.create_token(user, name)
        except ServiceError as error:
            raise click.ClickException(error.message)
        click.echo(raw)
