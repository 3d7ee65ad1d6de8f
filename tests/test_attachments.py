"""Attachments: storing, attaching in every customer and guest form, the size limit, and serving files safely."""
import io
import os
import re
import struct
import zlib
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage

from portal.models import Attachment, Message, Ticket, User, utcnow
from portal.services import attachments, tickets
from portal.services.errors import Conflict, NotFound, ValidationError
from portal.services.permissions import KeyHolder

from .conftest import csrf_from


def png_bytes(width=2, height=2, rgb=(59, 91, 219)):
    """A real, tiny PNG a browser can draw."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


PNG = png_bytes()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def storage(data, name, content_type):
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


def stored_files(app):
    """The files in the upload folder, temporary ones excluded."""
    found = []
    for folder, _, names in os.walk(app.config["UPLOAD_FOLDER"]):
        found += [n for n in names if not n.startswith(".upload-")]
    return found


def html_of(response):
    return response.get_data(as_text=True)


def page_key(html, name="submission_key"):
    return re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)


# ---------------------------------------------------------------------------------------------------- service


def test_upload_stores_by_content_hash_outside_static(app, customer):
    first = attachments.upload(customer, io.BytesIO(PNG), "a.png", "image/png")
    second = attachments.upload(customer, io.BytesIO(PNG), "b.png", "image/png")
    assert first.sha256 == second.sha256 and first.size == len(PNG)
    assert stored_files(app) == [first.sha256]
    _, path = attachments.get_for_download(customer, first.id)
    assert path.startswith(app.config["UPLOAD_FOLDER"]) and "static" not in os.path.relpath(path, app.root_path)


@pytest.mark.parametrize("data, claimed, kept", [
    (PNG, "image/png", "image/png"),
    (SVG, "image/png", "application/octet-stream"),  # a claim the bytes do not back is dropped
    (b"GIF89a....", "image/gif", "image/gif"),
    (b"\xff\xd8\xff\xe0jpeg", "image/jpeg", "image/jpeg"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", "image/webp"),
    (SVG, "image/svg+xml", "image/svg+xml"),
    (b"hello", "", "application/octet-stream"),
    (b"hello", "text/plain; charset=utf-8", "text/plain"),
])
def test_content_type_is_checked_against_the_bytes(customer, data, claimed, kept):
    assert attachments.upload(customer, io.BytesIO(data), "f", claimed).content_type == kept


def test_file_names_are_cleaned(customer):
    attachment = attachments.upload(customer, io.BytesIO(b"x"), "..\\..//etc/pass\x00wd\x1f.txt", "text/plain")
    assert attachment.filename == "passwd.txt"


def test_size_limit_and_empty_files(app, customer):
    app.config["MAX_ATTACHMENT_MB"] = 0.001  # about 1 KB
    with pytest.raises(attachments.PayloadTooLarge) as info:
        attachments.upload(customer, io.BytesIO(b"x" * 2000), "big.log", "text/plain")
    assert "“big.log” is larger than 0.001 MB." == info.value.message
    with pytest.raises(ValidationError):
        attachments.upload(customer, io.BytesIO(b""), "empty.txt", "text/plain")
    assert Attachment.select().count() == 0 and stored_files(app) == []


def test_upload_many_keeps_nothing_when_one_file_fails(app, customer):
    app.config["MAX_ATTACHMENT_MB"] = 0.001
    files = [storage(b"small", "ok.txt", "text/plain"), storage(b"x" * 2000, "big.bin", "application/octet-stream")]
    with pytest.raises(attachments.PayloadTooLarge):
        attachments.upload_many(customer, files)
    assert Attachment.select().count() == 0 and stored_files(app) == []


def test_upload_many_limits_the_count(customer):
    files = [storage(b"%d" % n, f"{n}.txt", "text/plain") for n in range(attachments.MAX_FILES + 1)]
    with pytest.raises(ValidationError):
        attachments.upload_many(customer, files)
    assert attachments.upload_many(customer, [storage(b"", "", "")]) == []  # an empty file field is no file


def test_upload_needs_a_user(customer):
    from portal.services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        attachments.upload(None, io.BytesIO(b"x"), "x.txt")


def test_discard_and_sweep_remove_unattached_uploads(app, customer):
    kept = attachments.upload(customer, io.BytesIO(b"kept"), "kept.txt", "text/plain")
    dropped = attachments.upload(customer, io.BytesIO(b"dropped"), "dropped.txt", "text/plain")
    attachments.discard(customer, [dropped.id, 99999])
    assert [a.id for a in Attachment.select()] == [kept.id]
    Attachment.update(created_at=utcnow() - timedelta(days=2)).execute()
    assert attachments.sweep_stale() == 1
    assert Attachment.select().count() == 0 and stored_files(app) == []


def test_attached_uploads_cannot_be_deleted_or_reused(customer):
    upload = attachments.upload(customer, io.BytesIO(b"x"), "x.txt", "text/plain")
    ticket = tickets.create_ticket(customer, "With a file", "See attached.", attachment_ids=[upload.id])
    with pytest.raises(Conflict):
        attachments.delete(customer, upload.id)
    with pytest.raises(ValidationError):
        tickets.reply(customer, ticket.id, "Again", attachment_ids=[upload.id])


def test_contact_files_are_recorded_with_the_ticket_for_the_guest(app):
    ticket, key = tickets.submit_contact(
        "Gina Guest", "gina@example.com", "Broken", "See the screenshot.",
        files=[storage(PNG, "shot.png", "image/png"), storage(b"log", "app.log", "text/plain")],
    )
    guest = User.get(User.email == "gina@example.com")
    message = Message.get(Message.ticket == ticket.id)
    rows = list(Attachment.select().order_by(Attachment.id))
    assert [(a.filename, a.uploader_id, a.message_id) for a in rows] == [
        ("shot.png", guest.id, message.id), ("app.log", guest.id, message.id)
    ]
    holder = tickets.key_holder(key)
    assert attachments.get_for_download(holder, rows[0].id)[0].id == rows[0].id


def test_contact_with_a_bad_file_creates_nothing(app):
    app.config["MAX_ATTACHMENT_MB"] = 0.001
    with pytest.raises(ValidationError) as info:
        tickets.submit_contact("Gina Guest", "gina@example.com", "", "Body",
                               files=[storage(b"ok", "ok.txt", "text/plain"), storage(b"x" * 5000, "big.zip", "")])
    assert set(info.value.errors) == {"subject", "attachments"}  # every problem at once
    assert "big.zip" in info.value.errors["attachments"]
    assert User.select().count() == 0 and Ticket.select().count() == 0
    assert Attachment.select().count() == 0 and stored_files(app) == []


def test_contact_field_errors_leave_no_stored_files(app):
    with pytest.raises(ValidationError):
        tickets.submit_contact("G", "not-an-address", "Subject", "Body",
                               files=[storage(b"data", "a.txt", "text/plain")])
    assert stored_files(app) == []


def test_repeated_contact_submission_records_files_once(app):
    first, _ = tickets.submit_contact("Gina Guest", "gina@example.com", "Hi", "Body", submission_key="same",
                                      files=[storage(b"one", "one.txt", "text/plain")])
    again, key = tickets.submit_contact("Gina Guest", "gina@example.com", "Hi", "Body", submission_key="same",
                                        files=[storage(b"two", "two.txt", "text/plain")])
    assert first.id == again.id and key is None
    assert [a.filename for a in Attachment.select()] == ["one.txt"]
    assert len(stored_files(app)) == 1


def test_key_holders_never_reach_unattached_uploads(customer):
    # Anyone can open a contact ticket under a registered customer's address; the key must not reach their uploads.
    _, key = tickets.submit_contact("Cara", customer.email, "Hi", "Body")
    pending = attachments.upload(customer, io.BytesIO(b"private"), "private.txt", "text/plain")
    with pytest.raises(NotFound):
        attachments.get_for_download(tickets.key_holder(key), pending.id)
    assert attachments.get_for_download(customer, pending.id)[0].id == pending.id


def test_thread_lists_attachments_in_a_fixed_number_of_queries(customer, count_queries):
    ticket = tickets.create_ticket(customer, "Files", "First.")
    for n in range(5):
        ids = attachments.upload_many(customer, [storage(b"%d" % n, f"{n}.txt", "text/plain")])
        tickets.reply(customer, ticket.id, f"Reply {n}", attachment_ids=ids)
    with count_queries() as counter:
        messages = tickets.thread(customer, ticket)
    assert counter.count <= 2
    assert sum(len(m.attachment_list) for m in messages) == 5


# ------------------------------------------------------------------------------------------------------ forms


def test_message_forms_are_multipart(client, auth, customer):
    auth.login(customer.email)
    ticket = tickets.create_ticket(customer, "Subject", "Body")
    new = html_of(client.get("/tickets/new"))
    assert 'enctype="multipart/form-data"' in new and 'type="file"' in new and "multiple" in new
    assert 'data-max-bytes="10485760"' in new and "10 MB each" in new
    show = html_of(client.get(f"/tickets/{ticket.id}"))
    form = re.search(r'<form id="reply-form"[^>]*>', show).group(0)
    assert 'enctype="multipart/form-data"' in form and 'hx-encoding="multipart/form-data"' in form
    contact = html_of(client.get("/contact"))
    assert 'enctype="multipart/form-data"' in contact and 'name="attachments"' in contact


def test_customer_files_a_ticket_with_attachments(app, client, auth, customer):
    auth.login(customer.email)
    page = html_of(client.get("/tickets/new"))
    response = client.post("/tickets/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "submission_key": page_key(page), "subject": "Screenshot inside",
        "description": "Look.", "category": "", "priority": "normal",
        "attachments": [(io.BytesIO(PNG), "screen.png", "image/png"),
                        (io.BytesIO(b"%PDF-1.4"), "report.pdf", "application/pdf")],
    })
    assert response.status_code == 303
    ticket = Ticket.get(Ticket.subject == "Screenshot inside")
    rows = list(Attachment.select().order_by(Attachment.id))
    assert [a.filename for a in rows] == ["screen.png", "report.pdf"]
    assert all(a.uploader_id == customer.id and a.message.ticket_id == ticket.id for a in rows)
    html = html_of(client.get(response.headers["Location"]))
    assert f'<img src="/attachments/{rows[0].id}"' in html  # the picture is previewed
    assert f'src="/attachments/{rows[1].id}"' not in html  # the PDF is not
    assert f'href="/attachments/{rows[1].id}?download=1"' in html and "report.pdf" in html
    assert "8 bytes" in html


def test_too_large_file_is_refused_beside_the_field(app, client, auth, customer):
    app.config["MAX_ATTACHMENT_MB"] = 0.001
    auth.login(customer.email)
    page = html_of(client.get("/tickets/new"))
    response = client.post("/tickets/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "submission_key": page_key(page), "subject": "Big file", "description": "Here.",
        "category": "", "priority": "normal", "attachments": [(io.BytesIO(b"x" * 5000), "huge.iso", "")],
    })
    html = html_of(response)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="attachments-error">“huge.iso” is larger than 0.001 MB.</p>', html)
    assert 'value="Big file"' in html  # the rest of the input is kept
    assert Ticket.select().count() == 0 and Attachment.select().count() == 0 and stored_files(app) == []


def test_other_errors_drop_the_uploads_and_say_so(app, client, auth, customer):
    auth.login(customer.email)
    page = html_of(client.get("/tickets/new"))
    response = client.post("/tickets/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "submission_key": page_key(page), "subject": "x", "description": "Here.",
        "category": "", "priority": "normal", "attachments": [(io.BytesIO(b"data"), "notes.txt", "text/plain")],
    })
    assert response.status_code == 422
    assert "Choose your files again" in html_of(response)
    assert Attachment.select().count() == 0 and stored_files(app) == []


def test_customer_reply_with_a_file_through_htmx(client, auth, customer):
    auth.login(customer.email)
    ticket = tickets.create_ticket(customer, "Subject", "Body")
    token = csrf_from(html_of(client.get(f"/tickets/{ticket.id}")))
    response = client.post(f"/tickets/{ticket.id}/reply", headers={"HX-Request": "true"},
                           content_type="multipart/form-data",
                           data={"csrf_token": token, "body": "Here is the log.",
                                 "attachments": [(io.BytesIO(b"line 1"), "app.log", "text/plain")]})
    html = html_of(response)
    assert response.status_code == 200
    assert '<section id="conversation"' in html and "app.log" in html and "<html" not in html
    assert re.search(r'<textarea[^>]*id="body"[^>]*>\s*</textarea>', html)  # the form comes back empty
    assert Attachment.get().message.body == "Here is the log."


def test_reply_to_a_locked_ticket_keeps_no_upload(app, client, auth, customer, agent):
    auth.login(customer.email)
    ticket = tickets.create_ticket(customer, "Subject", "Body")
    token = csrf_from(html_of(client.get(f"/tickets/{ticket.id}")))
    tickets.update_ticket(agent, ticket.id, locked=True)
    response = client.post(f"/tickets/{ticket.id}/reply", content_type="multipart/form-data",
                           data={"csrf_token": token, "body": "Late.",
                                 "attachments": [(io.BytesIO(b"x"), "late.txt", "text/plain")]})
    assert response.status_code == 409
    assert Attachment.select().count() == 0 and stored_files(app) == []


def test_reply_to_a_foreign_ticket_stores_nothing(app, client, auth, customer, other_customer):
    ticket = tickets.create_ticket(other_customer, "Theirs", "Body")
    auth.login(customer.email)
    token = auth.csrf("/tickets/new")
    response = client.post(f"/tickets/{ticket.id}/reply", content_type="multipart/form-data",
                           data={"csrf_token": token, "body": "Hi",
                                 "attachments": [(io.BytesIO(b"x"), "x.txt", "text/plain")]})
    assert response.status_code == 404
    assert Attachment.select().count() == 0


def test_contact_form_with_attachments(client):
    page = html_of(client.get("/contact"))
    response = client.post("/contact", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "submission_key": page_key(page), "name": "Gus Guest",
        "email": "gus@example.com", "subject": "Crash", "body": "It crashed.", "category": "",
        "attachments": [(io.BytesIO(PNG), "crash.png", "image/png")],
    })
    assert response.status_code == 303
    link = re.search(r'value="https?://[^"]+(/t/[^"]+)"', html_of(client.get(response.headers["Location"]))).group(1)
    attachment = Attachment.get()
    assert attachment.uploader.email == "gus@example.com"
    html = html_of(client.get(link))
    assert f'<img src="{link}/attachments/{attachment.id}"' in html
    assert client.get(f"{link}/attachments/{attachment.id}").data == PNG


def test_contact_form_too_large_file(app, client):
    app.config["MAX_ATTACHMENT_MB"] = 0.001
    page = html_of(client.get("/contact"))
    response = client.post("/contact", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "submission_key": page_key(page), "name": "Gus Guest",
        "email": "gus@example.com", "subject": "Crash", "body": "It crashed.", "category": "",
        "attachments": [(io.BytesIO(b"x" * 4000), "dump.bin", "application/octet-stream")],
    })
    html = html_of(response)
    assert response.status_code == 422 and 'id="attachments-error"' in html and "dump.bin" in html
    assert User.select().count() == 0 and Ticket.select().count() == 0 and stored_files(app) == []


def test_guest_reply_with_a_file(client):
    ticket, key = tickets.submit_contact("Gus Guest", "gus@example.com", "Crash", "It crashed.")
    token = csrf_from(html_of(client.get(f"/t/{key}")))
    response = client.post(f"/t/{key}/reply", content_type="multipart/form-data",
                           data={"csrf_token": token, "body": "More detail.",
                                 "attachments": [(io.BytesIO(b"trace"), "trace.txt", "text/plain")]})
    assert response.status_code == 303
    attachment = Attachment.get()
    assert attachment.uploader_id == ticket.customer_id
    html = html_of(client.get(f"/t/{key}"))
    assert f'href="/t/{key}/attachments/{attachment.id}?download=1"' in html
    assert f'href="/attachments/{attachment.id}' not in html  # guests have no session to use that URL


# --------------------------------------------------------------------------------------------- serving safely


@pytest.fixture
def files_ticket(customer):
    """A customer's ticket whose first message carries one file of each risky kind."""
    uploads = {
        "png": attachments.upload(customer, io.BytesIO(PNG), "shot.png", "image/png"),
        "svg": attachments.upload(customer, io.BytesIO(SVG), "logo.svg", "image/svg+xml"),
        "fake_png": attachments.upload(customer, io.BytesIO(SVG), "fake.png", "image/png"),
        "html": attachments.upload(customer, io.BytesIO(b"<script>alert(1)</script>"), "page.html", "text/html"),
        "pdf": attachments.upload(customer, io.BytesIO(b"%PDF-1.4"), 'quote"s and ünïcode.pdf', "application/pdf"),
    }
    tickets.create_ticket(customer, "Files", "All kinds.", attachment_ids=[a.id for a in uploads.values()])
    return uploads


def test_only_checked_raster_images_are_inline(client, auth, customer, files_ticket):
    auth.login(customer.email)
    for name, attachment in files_ticket.items():
        response = client.get(f"/attachments/{attachment.id}")
        assert response.status_code == 200, name
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        disposition = response.headers["Content-Disposition"]
        if name == "png":
            assert disposition.startswith("inline") and response.headers["Content-Type"] == "image/png"
        else:
            assert disposition.startswith("attachment"), name
            assert response.headers["Content-Type"] in ("application/octet-stream", "application/pdf"), name


def test_download_links_force_a_download_even_for_images(client, auth, customer, files_ticket):
    auth.login(customer.email)
    response = client.get(f"/attachments/{files_ticket['png'].id}?download=1")
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_unusual_file_names_are_encoded_in_the_header(client, auth, customer, files_ticket):
    auth.login(customer.email)
    disposition = client.get(f"/attachments/{files_ticket['pdf'].id}").headers["Content-Disposition"]
    assert "filename*=UTF-8''quote%22s%20and%20%C3%BCn%C3%AFcode.pdf" in disposition
    assert "\n" not in disposition


def test_files_are_private_and_revalidated(client, auth, customer, files_ticket):
    auth.login(customer.email)
    response = client.get(f"/attachments/{files_ticket['png'].id}")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["ETag"]
    again = client.get(f"/attachments/{files_ticket['png'].id}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_only_checked_images_get_a_preview_in_the_thread(client, auth, customer, files_ticket):
    auth.login(customer.email)
    ticket = Ticket.get()
    html = html_of(client.get(f"/tickets/{ticket.id}"))
    previews = re.findall(r'<img src="/attachments/(\d+)"', html)
    assert previews == [str(files_ticket["png"].id)]


def test_missing_file_on_disk_is_a_404(app, client, auth, customer, files_ticket):
    auth.login(customer.email)
    _, path = attachments.get_for_download(customer, files_ticket["pdf"].id)
    os.unlink(path)
    assert client.get(f"/attachments/{files_ticket['pdf'].id}").status_code == 404


def test_key_holder_is_built_from_the_ticket(customer):
    ticket, key = tickets.submit_contact("Gus Guest", "gus@example.com", "Crash", "It crashed.")
    holder = tickets.key_holder(key)
    assert isinstance(holder, KeyHolder) and holder.ticket_id == ticket.id
