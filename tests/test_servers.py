"""The real-server fixtures work: a message appended to dovecot reads back intact, and redis stores a key."""
import redis
from imapclient import IMAPClient

from .servers import imap_server, redis_url  # noqa: F401

MESSAGE = (
    b"From: Customer <customer@example.com>\r\n"
    b"To: Support <desk@example.com>\r\n"
    b"Subject: Printer on fire\r\n"
    b"Message-ID: <fire-1@example.com>\r\n"
    b"\r\n"
    b"It is still burning.\r\n"
)


def test_imap_append_reads_back(imap_server):  # noqa: F811
    imap_server.append(MESSAGE)
    client = IMAPClient(imap_server.host, port=imap_server.port, ssl=False)
    client.login(imap_server.user, imap_server.password)
    try:
        client.select_folder("INBOX")
        ids = client.search()
        assert len(ids) == 1
        assert client.fetch(ids, ["RFC822"])[ids[0]][b"RFC822"] == MESSAGE
    finally:
        client.logout()
    assert imap_server.url == f"imap://desk:desk-secret@127.0.0.1:{imap_server.port}/INBOX"


def test_redis_set_and_get(redis_url):  # noqa: F811
    client = redis.Redis.from_url(redis_url)
    client.set("greeting", "hello")
    assert client.get("greeting") == b"hello"
    client.close()
