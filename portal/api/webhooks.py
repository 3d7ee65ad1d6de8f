"""Webhooks through the API: admins register receivers, read the delivery log and send deliveries again."""
from flask import url_for

from ..services import webhooks
from . import schemas as s
from . import serializers as out
from .core import list_meta, operation

TAG = "Webhooks"


@operation("GET", "/webhooks", tag=TAG, summary="List webhooks (admins)", query=s.PageQuery, response=s.WebhookList,
           errors=(403,))
def list_webhooks(actor, query):
    """Every webhook, oldest first. A webhook the desk turned off after repeated failures says why in
    `disabled_reason`."""
    page = webhooks.list_webhooks(actor, cursor=query.cursor or None, limit=query.limit)
    return s.WebhookList(data=[out.webhook(w) for w in page.items], meta=list_meta(page))


@operation("POST", "/webhooks", tag=TAG, summary="Add a webhook (admins)", body=s.WebhookCreate,
           response=s.WebhookCreatedResponse, status=201, errors=(403,))
def create_webhook(actor, body):
    """A receiver for the chosen events. The answer carries the signing `secret`, **shown this once**.

    Each event is a `POST` of `{"id", "type", "created_at", "data"}` with the Standard Webhooks headers
    `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
    `{id}.{timestamp}.{body}`, keyed with the base64-decoded part of the secret after `whsec_`). A 2xx answer within
    10 seconds is success; anything else is tried again with exponential backoff (8 tries over about a day).
    Addresses that resolve to loopback, private, link-local, multicast or reserved addresses are refused (422).
    """
    webhook, secret = webhooks.create_webhook(actor, body.url, body.events, body.description, body.active)
    return (s.WebhookCreatedResponse(data=out.webhook(webhook, secret)),
            {"Location": url_for("api.get_webhook", webhook_id=webhook.id)})


@operation("GET", "/webhooks/{webhook_id}", tag=TAG, summary="Get a webhook (admins)", response=s.WebhookResponse,
           errors=(403,))
def get_webhook(actor, webhook_id):
    """One webhook (without its secret, which is shown only at creation)."""
    return s.WebhookResponse(data=out.webhook(webhooks.get_webhook(actor, webhook_id)))


@operation("PATCH", "/webhooks/{webhook_id}", tag=TAG, summary="Change a webhook (admins)", body=s.WebhookUpdate,
           response=s.WebhookResponse, errors=(403,))
def update_webhook(actor, webhook_id, body):
    """Only the fields sent change. `active: true` turns a webhook back on: its failure count starts again from zero
    and the deliveries left waiting go out."""
    return s.WebhookResponse(data=out.webhook(webhooks.update_webhook(actor, webhook_id,
                                                                      **body.model_dump(exclude_unset=True))))


@operation("DELETE", "/webhooks/{webhook_id}", tag=TAG, summary="Delete a webhook (admins)", status=204,
           errors=(403,))
def delete_webhook(actor, webhook_id):
    """The webhook and its delivery log go; nothing more is sent to it."""
    webhooks.delete_webhook(actor, webhook_id)


@operation("GET", "/webhooks/{webhook_id}/deliveries", tag=TAG, summary="A webhook's delivery log (admins)",
           query=s.WebhookDeliveryListQuery, response=s.WebhookDeliveryList, errors=(403,))
def list_webhook_deliveries(actor, webhook_id, query):
    """Deliveries newest first, with the outcome of each one's latest try: status, response code, duration, attempt
    and error. Finished deliveries are kept for 30 days."""
    page = webhooks.list_deliveries(actor, webhook_id, query.status, cursor=query.cursor or None, limit=query.limit)
    return s.WebhookDeliveryList(data=[out.webhook_delivery(d) for d in page.items], meta=list_meta(page))


@operation("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", tag=TAG,
           summary="Send a delivery again (admins)", response=s.WebhookDeliveryResponse, status=202, errors=(403, 409))
def retry_webhook_delivery(actor, webhook_id, delivery_id):
    """Send the same event (same `webhook-id` and body, fresh timestamp and signature) now, with a fresh set of
    tries. The answer shows the delivery as it stands once the first try is queued; 409 while the webhook is off."""
    return s.WebhookDeliveryResponse(data=out.webhook_delivery(webhooks.retry_delivery(actor, webhook_id, delivery_id)))
