"""Webhooks: staff systems hear what happens on the desk through signed POSTs (SPEC §11). Admins only.

An event becomes one delivery row per webhook that listens to it; the row, not the job queue, is the truth (as for
mail): a job sends it, a sweep hands out again what a stopped worker missed. Each attempt POSTs the same body
`{"id", "type", "created_at", "data"}` with the Standard Webhooks headers; a 2xx within TIMEOUT seconds is success,
anything else is tried again with exponential backoff, MAX_ATTEMPTS times over about a day, so a receiver that is down
for hours misses nothing. When DISABLE_AFTER deliveries in a row have failed for good, the webhook is turned off and
says why.

Addresses are checked against private networks (SSRF) when an admin saves them and again at every attempt, which
connects to exactly the address it checked: DNS may answer differently the second time. Redirects are not followed.
"""
import base64
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from peewee import fn
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, HTTPError as TransportError, NewConnectionError

from ..db import write
from ..models import (
    WEBHOOK_EVENTS, Message, Webhook, WebhookDelivery, utcnow,
)
from . import tickets
from .errors import Conflict, NotFound, ValidationError
from .paging import keyset_page
from .permissions import require_admin

SECRET_PREFIX = "whsec_"
DELIVERY_STATUSES = ("pending", "delivered", "failed")
TIMEOUT = 10  # seconds for a whole attempt: connecting, sending and the answer's status line and headers
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)  # then 2 min, 8, 32, about 2 h, 8.5 h, 12 h: the last try ~23 h after the first
BACKOFF = 4
LONGEST_WAIT = timedelta(hours=12)
DISABLE_AFTER = 20  # deliveries in a row that failed for good
CLAIM = timedelta(minutes=2)  # an attempt in progress holds its row this long; a dead worker's row is free after
KEEP_LOG = timedelta(days=30)
MAX_URL = 2000
MAX_DESCRIPTION = 200
EXCERPT = 300  # characters of a refusing receiver's answer kept in the log
USER_AGENT = "SupportDesk-Webhooks/1.0"


# ------------------------------------------------------------------------------------------------- addresses (SSRF)


@dataclass
class Target:
    """Where a webhook URL points: what to resolve and connect to, and what to put on the request line."""

    scheme: str
    host: str  # as written (IDNA-encoded): the Host header, the TLS server name, the certificate's name
    port: int
    path: str  # path and query

    @property
    def host_header(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


class Refused(Exception):
    """A URL the desk will not send to, in words for an admin."""


def parse_url(url):
    """The Target of a webhook URL. :raises Refused: for anything but a plain http(s) address."""
    url = (url or "").strip()
    if not url:
        raise Refused("Enter the address that receives the events.")
    if len(url) > MAX_URL:
        raise Refused(f"The address can be at most {MAX_URL} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise Refused("The address cannot contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("This is not a valid address: check the host name and port.")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("Use an address that starts with https:// (or http://).")
    if parts.username is not None or parts.password is not None:
        raise Refused("Leave the user name and password out of the address: receivers check the signature instead.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("The address needs a host name, e.g. https://hooks.example.com/desk.")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise Refused("The host name is not valid.")
    if port == 0:
        raise Refused("The port is not valid.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _embedded_ipv4(ip):
    """IPv4 addresses carried inside an IPv6 one (mapped, 6to4, Teredo, NAT64): they say where a packet really goes."""
    if ip.version != 6:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in ipaddress.ip_network("64:ff9b::/96") or ip in ipaddress.ip_network("64:ff9b:1::/48"):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def kind_of(ip):
    """What kind of non-public address `ip` is ("loopback", "private", ...), or None for a public one."""
    for inner in _embedded_ipv4(ip):
        kind = kind_of(inner)
        if kind:
            return kind
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def _allow_private():
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def checked_addresses(target):
    """The IP addresses to connect to for `target`, each one checked.

    :raises Refused: when the host cannot be found, or (unless WEBHOOK_ALLOW_PRIVATE) any of its addresses is
    loopback, private, link-local, multicast, unspecified or reserved: a name with one bad address is refused whole.
    """
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"The host “{target.host}” could not be found: check the address.")
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise Refused(f"The host “{target.host}” could not be found: check the address.")
    if not _allow_private():
        for ip in addresses:
            kind = kind_of(ip)
            if kind:
                where = f"“{target.host}” resolves to {ip}" if target.host != str(ip) else f"{ip} is"
                raise Refused(f"{where}, a {kind} address: webhooks only go to public addresses "
                              "(WEBHOOK_ALLOW_PRIVATE=true allows private ones).")
    return addresses


def check_url(url):
    """The URL, trimmed, if the desk may send to it. :raises ValidationError: on `url`, in words."""
    try:
        checked_addresses(parse_url(url))
    except Refused as refusal:
        raise ValidationError({"url": str(refusal)})
    return url.strip()


# ------------------------------------------------------------------------------------------------------ signatures


def new_secret():
    """A fresh signing secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret, event_id, timestamp, body):
    """The `webhook-signature` value: v1, then the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the
    secret's decoded bytes."""
    key = base64.b64decode(secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret)
    digest = hmac.new(key, f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# ------------------------------------------------------------------------------------------------ managing webhooks


def _check_events(events, errors):
    if isinstance(events, str):
        events = [e for e in events.split(",") if e.strip()]
    chosen = {str(e).strip() for e in events or ()}
    unknown = sorted(chosen - set(WEBHOOK_EVENTS))
    if unknown:
        errors["events"] = f"Unknown event {', '.join(unknown)}: choose from {', '.join(WEBHOOK_EVENTS)}."
    elif not chosen:
        errors["events"] = "Choose at least one event."
    return [e for e in WEBHOOK_EVENTS if e in chosen]


def _check_description(description, errors):
    description = " ".join((description or "").split())
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"The description can be at most {MAX_DESCRIPTION} characters."
    return description


def _check_url(url, errors):
    try:
        return check_url(url)
    except ValidationError as error:
        errors.update(error.errors)
        return None


def create_webhook(actor, url, events, description="", active=True):
    """A new webhook and its signing secret, which is shown this once: (webhook, secret).

    :raises PermissionDenied: for anyone but an admin. :raises ValidationError: beside each field.
    """
    require_admin(actor)
    errors = {}
    url = _check_url(url, errors)
    events = _check_events(events, errors)
    description = _check_description(description, errors)
    if errors:
        raise ValidationError(errors)
    secret = new_secret()
    with write():
        webhook = Webhook.create(url=url, events=",".join(events), secret=secret, description=description,
                                 active=bool(active))
    return webhook, secret


def _webhook(webhook_id):
    try:
        webhook = Webhook.get_or_none(Webhook.id == int(webhook_id))
    except (TypeError, ValueError):
        webhook = None
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


def get_webhook(actor, webhook_id):
    """One webhook. :raises PermissionDenied: for anyone but an admin. :raises NotFound: for an unknown one."""
    require_admin(actor)
    return attach_last_delivery([_webhook(webhook_id)])[0]


def list_webhooks(actor, cursor=None, limit=25):
    """Webhooks, oldest first, each with its latest delivery. :raises PermissionDenied: for anyone but an admin."""
    require_admin(actor)
    page = keyset_page(Webhook.select(), Webhook.created_at, Webhook.id, "webhooks", cursor, limit, descending=False)
    attach_last_delivery(page.items)
    return page


def attach_last_delivery(webhooks):
    """Set `last_delivery` (the newest delivery, or None) on each webhook with one query for all of them."""
    by_id = {w.id: w for w in webhooks}
    for w in webhooks:
        w.last_delivery = None
    if by_id:
        newest = (WebhookDelivery.select(fn.MAX(WebhookDelivery.id))
                  .where(WebhookDelivery.webhook.in_(list(by_id))).group_by(WebhookDelivery.webhook))
        for row in WebhookDelivery.select().where(WebhookDelivery.id.in_(newest)):
            by_id[row.webhook_id].last_delivery = row
    return webhooks


UNSET = object()


def update_webhook(actor, webhook_id, url=UNSET, events=UNSET, description=UNSET, active=UNSET):
    """Change what was given; turning a webhook (back) on clears its failures and resumes its waiting deliveries.

    :raises PermissionDenied: for anyone but an admin. :raises NotFound: for an unknown one.
    :raises ValidationError: beside each field.
    """
    require_admin(actor)
    current = _webhook(webhook_id)
    errors, changes = {}, {}
    # An address saved before is checked again at every attempt; only a new one needs checking (and resolving) here.
    if url is not UNSET and (url or "").strip() != current.url:
        changes["url"] = _check_url(url, errors)
    if events is not UNSET:
        changes["events"] = ",".join(_check_events(events, errors))
    if description is not UNSET:
        changes["description"] = _check_description(description, errors)
    if errors:
        raise ValidationError(errors)
    resumed = []
    with write():
        webhook = _webhook(webhook_id)
        if active is not UNSET and bool(active) != webhook.active:
            changes["active"] = bool(active)
            if active:
                changes.update(consecutive_failures=0, disabled_reason="")
                resumed = _resume_waiting(webhook.id)
            else:
                changes["disabled_reason"] = ""
        if changes:
            Webhook.update(**changes).where(Webhook.id == webhook.id).execute()
    _queue(resumed)
    return get_webhook(actor, webhook_id)


def set_active(actor, webhook_id, active):
    """Turn a webhook off, or on again (which clears its failures and resumes its waiting deliveries)."""
    return update_webhook(actor, webhook_id, active=active)


def _resume_waiting(webhook_id):
    """Deliveries left waiting while the webhook was off: due now. Returns their ids."""
    ids = [row.id for row in WebhookDelivery.select(WebhookDelivery.id)
           .where(WebhookDelivery.webhook == webhook_id, WebhookDelivery.status == "pending")]
    if ids:
        WebhookDelivery.update(next_attempt_at=utcnow()).where(WebhookDelivery.id.in_(ids)).execute()
    return ids


def delete_webhook(actor, webhook_id):
    """Delete a webhook and its delivery log. :raises NotFound: for an unknown one."""
    require_admin(actor)
    with write():
        webhook = _webhook(webhook_id)
        WebhookDelivery.delete().where(WebhookDelivery.webhook == webhook.id).execute()
        webhook.delete_instance()
    return webhook


# ---------------------------------------------------------------------------------------------------- delivery log


def list_deliveries(actor, webhook_id, status=None, cursor=None, limit=25):
    """A webhook's deliveries, newest first, narrowed to one status.

    :raises PermissionDenied: for anyone but an admin. :raises NotFound: for an unknown webhook.
    """
    require_admin(actor)
    webhook = _webhook(webhook_id)
    query = WebhookDelivery.select().where(WebhookDelivery.webhook == webhook.id)
    if status:
        if status not in DELIVERY_STATUSES:
            raise ValidationError({"status": f"Choose one of: {', '.join(DELIVERY_STATUSES)}."})
        query = query.where(WebhookDelivery.status == status)
    return keyset_page(query, WebhookDelivery.created_at, WebhookDelivery.id, f"deliveries-{webhook.id}", cursor,
                       limit)


def status_counts(actor, webhook_id):
    """How many of a webhook's deliveries are pending, delivered and failed."""
    require_admin(actor)
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    rows = (WebhookDelivery.select(WebhookDelivery.status, fn.COUNT(WebhookDelivery.id).alias("n"))
            .where(WebhookDelivery.webhook == webhook_id).group_by(WebhookDelivery.status).tuples())
    for status, n in rows:
        counts[status] = n
    return counts


def retry_delivery(actor, webhook_id, delivery_id):
    """Send a delivery again now, with a fresh set of tries (pending ones are sent now instead of later).

    :raises PermissionDenied: for anyone but an admin. :raises NotFound: for an unknown webhook or delivery.
    :raises Conflict: while the webhook is turned off.
    """
    require_admin(actor)
    with write():
        webhook = _webhook(webhook_id)
        delivery = WebhookDelivery.get_or_none(WebhookDelivery.id == delivery_id,
                                               WebhookDelivery.webhook == webhook.id)
        if delivery is None:
            raise NotFound("No such delivery.")
        if not webhook.active:
            raise Conflict("This webhook is turned off: turn it on, then send the delivery again.")
        WebhookDelivery.update(status="pending", attempts=0, next_attempt_at=utcnow()).where(
            WebhookDelivery.id == delivery.id).execute()
    _queue([delivery.id])
    return WebhookDelivery.get_by_id(delivery.id)


# ------------------------------------------------------------------------------------------------------ publishing


def subscribers(event_type):
    """The active webhooks that listen to `event_type` (one small query; usually there are none)."""
    return [w for w in Webhook.select(Webhook.id, Webhook.events).where(Webhook.active == True)  # noqa: E712
            if event_type in w.event_list]


def _utc_iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def publish(event_type, data, listeners=None):
    """Record one event for every active webhook that listens to it and queue the deliveries; returns them.

    The body is fixed here, once: every attempt and every redelivery sends the same bytes under the same id.
    """
    listeners = subscribers(event_type) if listeners is None else listeners
    if not listeners:
        return []
    now = utcnow()
    event_id = "msg_" + secrets.token_urlsafe(18)
    body = json.dumps({"id": event_id, "type": event_type, "created_at": _utc_iso(now), "data": data},
                      separators=(",", ":"), ensure_ascii=False)
    with write():
        rows = [WebhookDelivery.create(webhook=w.id, event_id=event_id, event_type=event_type, payload=body,
                                       created_at=now, next_attempt_at=now) for w in listeners]
    _queue([row.id for row in rows])
    return rows


def _queue(delivery_ids):
    from .. import jobs  # the job queue imports the services its jobs call

    for delivery_id in delivery_ids:
        jobs.deliver_webhook(delivery_id)


def ticket_for_event(ticket_id):
    """A ticket as the API shows it to staff. :raises NotFound: when it is gone."""
    ticket = tickets.load_ticket(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def message_for_event(message_id):
    """A message with its author and attachments, as the API shows it to staff. :raises NotFound: when it is gone."""
    message = tickets.load_message(message_id)
    if message is None:
        raise NotFound("No such message.")
    return message


def first_message_id(ticket_id):
    """The id of a ticket's first public message (its description), or None."""
    row = (Message.select(Message.id).where(Message.ticket == ticket_id, Message.kind == "reply")
           .order_by(Message.created_at, Message.id).first())
    return row.id if row else None


# -------------------------------------------------------------------------------------------------------- delivery


class TimedOut(Exception):
    """The receiver did not answer within TIMEOUT seconds."""


class Unreachable(Exception):
    """No connection (or no TLS session) could be made with the receiver."""


def _connect_error(target, address, failure):
    cause = failure.__cause__ or failure.__context__ or failure
    if isinstance(failure, ssl.SSLError) or isinstance(cause, ssl.SSLError):
        tls = failure if isinstance(failure, ssl.SSLError) else cause
        reason = f"TLS failed: {getattr(tls, 'verify_message', None) or tls.reason or tls}"
    elif isinstance(cause, (socket.timeout, TimeoutError)) or (
            isinstance(failure, ConnectTimeoutError) and not isinstance(failure, NewConnectionError)):
        reason = f"no connection within {TIMEOUT} seconds"
    else:
        reason = getattr(cause, "strerror", None) or str(cause)
    where = target.host_header if target.host == str(address) else f"{target.host_header} ({address})"
    return f"Could not connect to {where}: {reason}."


def _connection(target, address, timeout):
    if target.scheme == "https":
        # Connect to the checked address; the TLS name and the certificate check use the URL's host name.
        return HTTPSConnection(str(address), target.port, timeout=timeout, server_hostname=target.host)
    return HTTPConnection(str(address), target.port, timeout=timeout)


def _exchange(connection, target, headers, body, deadline):
    """Send the request on an open connection and read the answer's status; a watchdog cuts it at the deadline."""
    cut = threading.Event()

    def stop():
        cut.set()
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass

    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers, preload_content=False)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT * 4, decode_content=False) if not 200 <= response.status < 300 else b""
        return response.status, excerpt.decode("utf-8", "replace"), response.headers.get("Location")
    except Exception:
        if cut.is_set():
            raise TimedOut(f"No answer within {TIMEOUT} seconds.")
        raise
    finally:
        watchdog.cancel()


def send(target, addresses, headers, body):
    """POST once to the first of the checked `addresses` that takes a connection, all within TIMEOUT seconds.

    Returns (status code, an excerpt of a refusing answer, the Location of a redirect); raises on a network error.
    """
    deadline = time.monotonic() + TIMEOUT
    error = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = _connection(target, address, remaining)
        try:
            try:
                connection.connect()
            except (OSError, TransportError) as failure:
                error = Unreachable(_connect_error(target, address, failure))
                continue
            return _exchange(connection, target, headers, body, deadline)
        finally:
            connection.close()
    raise error or TimedOut(f"No answer within {TIMEOUT} seconds.")


def _describe(error):
    if isinstance(error, (Refused, TimedOut, Unreachable)):
        return str(error)
    if isinstance(error, socket.timeout) or "timed out" in str(error).lower():
        return f"No answer within {TIMEOUT} seconds."
    return f"{type(error).__name__}: {error}"[:1000]


def _refusal(status, excerpt, location):
    if 300 <= status < 400:
        where = f" to {location[:300]}" if location else ""
        return f"HTTP {status}: the receiver redirects{where}; redirects are not followed, so enter the final address."
    text = " ".join(excerpt.split())[:EXCERPT]
    return f"HTTP {status}" + (f": {text}" if text else "")


def headers_for(webhook, delivery, target, body):
    """The headers of one attempt: Standard Webhooks id, timestamp (now) and signature, JSON, who sends."""
    timestamp = str(int(time.time()))
    return {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(webhook.secret, delivery.event_id, timestamp, body),
        "Connection": "close",
    }


def deliver(delivery_id):
    """Make one attempt at a delivery if it is due, its webhook is on and no other worker holds it.

    Safe to call twice: the row is claimed first; a delivered or failed row, or one of a webhook that is off, is left
    alone. Returns how long to wait before the next try after a failure, or None.
    """
    now = utcnow()
    active = Webhook.select(Webhook.id).where(Webhook.active == True)  # noqa: E712
    with write():
        claimed = (WebhookDelivery
                   .update(next_attempt_at=now + CLAIM, attempts=WebhookDelivery.attempts + 1)
                   .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                          WebhookDelivery.next_attempt_at <= now + timedelta(seconds=1),
                          WebhookDelivery.webhook.in_(active))
                   .execute())
    if not claimed:
        return None
    delivery = WebhookDelivery.select(WebhookDelivery, Webhook).join(Webhook).where(
        WebhookDelivery.id == delivery_id).first()
    if delivery is None:  # the webhook was deleted meanwhile
        return None
    webhook = delivery.webhook
    body = delivery.payload.encode("utf-8")
    started = time.monotonic()
    code, error = None, None
    try:
        target = parse_url(webhook.url)
        addresses = checked_addresses(target)  # again: DNS may answer differently than when the URL was saved
        headers = headers_for(webhook, delivery, target, body)
        code, excerpt, location = send(target, addresses, headers, body)
        if not 200 <= code < 300:
            error = _refusal(code, excerpt, location)
    except Exception as failure:  # refused, unreachable, timed out, TLS, a broken answer: the log says which
        error = _describe(failure)
    duration_ms = int((time.monotonic() - started) * 1000)
    if error is None:
        return _delivered(delivery, code, duration_ms)
    current_app.logger.info("webhook %d delivery %d failed (try %d): %s", webhook.id, delivery.id,
                            delivery.attempts, error)
    return _failed_attempt(delivery, code, duration_ms, error)


def _delivered(delivery, code, duration_ms):
    with write():
        WebhookDelivery.update(status="delivered", response_code=code, duration_ms=duration_ms, last_error="",
                               delivered_at=utcnow()).where(WebhookDelivery.id == delivery.id).execute()
        Webhook.update(consecutive_failures=0).where(Webhook.id == delivery.webhook_id,
                                                     Webhook.consecutive_failures != 0).execute()
    return None


def next_wait(attempts):
    """How long to wait after failed try number `attempts`: exponential, capped, with a little jitter so that many
    deliveries to a receiver that comes back do not all arrive in the same second."""
    wait = min(FIRST_RETRY * BACKOFF ** (attempts - 1), LONGEST_WAIT)
    return wait * (1 + random.random() / 10)


def _failed_attempt(delivery, code, duration_ms, error):
    now = utcnow()
    fields = dict(response_code=code, duration_ms=duration_ms, last_error=error)
    with write():
        if delivery.attempts < MAX_ATTEMPTS:
            delay = next_wait(delivery.attempts)
            WebhookDelivery.update(next_attempt_at=now + delay, **fields).where(
                WebhookDelivery.id == delivery.id).execute()
            return delay
        WebhookDelivery.update(status="failed", next_attempt_at=now, **fields).where(
            WebhookDelivery.id == delivery.id).execute()
        Webhook.update(consecutive_failures=Webhook.consecutive_failures + 1).where(
            Webhook.id == delivery.webhook_id).execute()
        reason = (f"Turned off on {now:%Y-%m-%d %H:%M} UTC: {DISABLE_AFTER} deliveries in a row failed, each after "
                  f"{MAX_ATTEMPTS} tries. The last error: {error}")[:2000]
        Webhook.update(active=False, disabled_reason=reason).where(
            Webhook.id == delivery.webhook_id, Webhook.active == True,  # noqa: E712
            Webhook.consecutive_failures >= DISABLE_AFTER).execute()
    return None


def due_deliveries(limit=100):
    """Ids of pending deliveries of active webhooks whose time has come: retries a stopped worker missed, claims of a
    dead one."""
    rows = (WebhookDelivery.select(WebhookDelivery.id).join(Webhook)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow(),
                   Webhook.active == True)  # noqa: E712
            .order_by(WebhookDelivery.next_attempt_at).limit(limit))
    return [row.id for row in rows]


def forget_old(older_than=KEEP_LOG):
    """Delete finished deliveries (delivered or failed) older than `older_than`; returns how many went."""
    with write():
        return (WebhookDelivery.delete()
                .where(WebhookDelivery.status != "pending", WebhookDelivery.created_at < utcnow() - older_than)
                .execute())
