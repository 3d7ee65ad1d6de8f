"""The IMAP mailbox (IMAP_URL, e.g. imaps://user:password@host/INBOX): fetch unseen mail, ingest it, mark it seen."""
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.imapclient import SEEN

from ..services import inbound

BATCH = 100  # per poll: a flooded mailbox is worked through over several minutes instead of one endless job


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    secure: bool
    user: str
    password: str
    folder: str


def mailbox_from_url(url):
    """The connection settings in an IMAP_URL. :raises ValueError: for another scheme or a missing user."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError("IMAP_URL must start with imap:// or imaps://")
    if not parts.username or not parts.hostname:
        raise ValueError("IMAP_URL needs a user and a host: imaps://user:password@host/INBOX")
    secure = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        secure=secure,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def poll(url):
    """Ingest every unseen message of the mailbox (up to BATCH); returns the log entries made.

    A message is marked seen only after its log entry is written, so a crash or a database outage leaves it
    unseen for the next poll, and the duplicate check makes that second look harmless.
    """
    box = mailbox_from_url(url)
    entries = []
    with IMAPClient(box.host, port=box.port, ssl=box.secure, timeout=30) as client:
        client.login(box.user, box.password)
        client.select_folder(box.folder)
        for uid in client.search(["UNSEEN"])[:BATCH]:
            fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
            if not fetched or b"BODY[]" not in fetched:
                continue
            entries.append(inbound.ingest(fetched[b"BODY[]"], "imap"))
            client.add_flags([uid], [SEEN])
    return entries
