"""Uploaded files: stored once by content hash outside static/, served only to people who may see their ticket."""
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..db import write
from ..models import Attachment, Message, Ticket, utcnow
from .errors import Conflict, NotFound, ServiceError, ValidationError
from .permissions import KeyHolder, can_see_ticket, is_staff, require_user

# Shown inline in the browser; everything else (svg and html included) is a download.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
STALE_AFTER = timedelta(hours=24)
MAX_FILES = 10  # per message


class PayloadTooLarge(ServiceError):
    """The file is larger than the limit."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


def max_bytes():
    return int(current_app.config["MAX_ATTACHMENT_MB"] * 1024 * 1024)


def _folder():
    return current_app.config["UPLOAD_FOLDER"]


def _path_for(sha256):
    return os.path.join(_folder(), sha256[:2], sha256)


def clean_filename(name):
    """A file name safe to store and to send back: no folders, no control characters, at most 255 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    return (name or "file")[:255]


def _sniffed_type(head, claimed):
    """Trust a claimed image type only when the bytes agree; otherwise treat the file as opaque data."""
    claimed = (claimed or "").split(";")[0].strip().lower()
    if claimed in _SIGNATURES:
        return claimed if any(head.startswith(sig) for sig in _SIGNATURES[claimed]) else "application/octet-stream"
    if claimed == "image/webp":
        return claimed if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else "application/octet-stream"
    if not claimed or not re.fullmatch(r"[\w.+-]+/[\w.+-]+", claimed):
        return "application/octet-stream"
    return claimed


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store but not yet recorded as an attachment."""

    filename: str
    content_type: str
    size: int
    sha256: str


def store(stream, filename, content_type=None):
    """Write one file into the content-addressed store (no database row yet).

    :raises PayloadTooLarge: over the configured limit.
    :raises ValidationError: for an empty file.
    """
    limit = max_bytes()
    os.makedirs(_folder(), exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, temp_path = tempfile.mkstemp(dir=_folder(), prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"“{clean_filename(filename)}” is larger than {current_app.config['MAX_ATTACHMENT_MB']:g} MB."
                    )
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError({"file": f"“{clean_filename(filename)}” is empty."})
        sha = digest.hexdigest()
        final = _path_for(sha)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        if os.path.exists(final):
            os.unlink(temp_path)
        else:
            os.replace(temp_path, final)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    return StoredFile(clean_filename(filename), _sniffed_type(head, content_type), size, sha)


def store_many(files):
    """Write several uploads (werkzeug FileStorage objects) into the store; nothing stays if one fails.

    :raises PayloadTooLarge: when one file is over the limit.
    :raises ValidationError: for an empty file or too many files.
    """
    chosen = [f for f in (files or []) if f and f.filename]
    if len(chosen) > MAX_FILES:
        raise ValidationError({"file": f"Attach at most {MAX_FILES} files to one message."})
    stored = []
    try:
        for f in chosen:
            stored.append(store(f.stream, f.filename, f.mimetype))
    except ServiceError:
        forget(stored)
        raise
    return stored


def record(stored, uploader, message=None):
    """Attachment rows for stored files, owned by `uploader`; call inside the caller's write transaction."""
    return [
        Attachment.create(
            uploader=uploader,
            message=message,
            filename=f.filename,
            content_type=f.content_type,
            size=f.size,
            sha256=f.sha256,
        )
        for f in stored
    ]


def forget(stored):
    """Remove stored files that no attachment row uses (after the write that would have recorded them failed)."""
    for sha in {f.sha256 for f in stored}:
        _remove_file_if_unused(sha)


def upload(actor, stream, filename, content_type=None):
    """Store an uploaded file for the actor; it stays theirs until attached to a message.

    :raises PayloadTooLarge: over the configured limit.
    :raises ValidationError: for an empty file.
    """
    if not isinstance(actor, KeyHolder):
        require_user(actor)
    owner = actor.user if isinstance(actor, KeyHolder) else actor
    stored = store(stream, filename, content_type)
    try:
        with write():
            return record([stored], owner)[0]
    except BaseException:
        forget([stored])
        raise


def upload_many(actor, files):
    """Store several uploads (werkzeug FileStorage objects); returns their ids. Nothing is kept if one fails."""
    if not isinstance(actor, KeyHolder):
        require_user(actor)
    owner = actor.user if isinstance(actor, KeyHolder) else actor
    stored = store_many(files)
    if not stored:
        return []
    try:
        with write():
            return [a.id for a in record(stored, owner)]
    except BaseException:
        forget(stored)
        raise


def kept_uploads(actor, attachment_ids, rows=False):
    """The actor's own uploads among `attachment_ids` that no message holds yet (a held reply keeps its files this
    way); ids or, with `rows`, the attachments. Anything else is silently left out."""
    ids = []
    for value in attachment_ids or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    if not ids or actor is None:
        return []
    owner_id = actor.user.id if isinstance(actor, KeyHolder) else actor.id
    query = (Attachment.select().where(Attachment.id.in_(ids[:20]), Attachment.uploader == owner_id,
                                       Attachment.message.is_null()).order_by(Attachment.id))
    return list(query) if rows else [a.id for a in query]


def discard(actor, attachment_ids):
    """Delete the actor's unattached uploads from a submission that failed (ids already gone are ignored)."""
    for attachment_id in attachment_ids or []:
        try:
            delete(actor, attachment_id)
        except (NotFound, Conflict):
            pass


def get_for_download(actor, attachment_id):
    """The attachment and its file path, if the actor may see it.

    Unattached uploads belong to their uploader (a secret link reaches none: anyone can open a contact ticket in
    someone else's name); attached ones to whoever may read the message: internal notes only to staff.

    :raises NotFound: otherwise, never telling whether it exists.
    """
    attachment = Attachment.get_or_none(Attachment.id == attachment_id)
    if attachment is None or actor is None:
        raise NotFound("No such attachment.")
    if attachment.message_id is None:
        if isinstance(actor, KeyHolder) or attachment.uploader_id != actor.id:
            raise NotFound("No such attachment.")
    else:
        message = Message.get_by_id(attachment.message_id)
        ticket = Ticket.get_by_id(message.ticket_id)
        if not can_see_ticket(actor, ticket) or (not message.is_public and not is_staff(actor)):
            raise NotFound("No such attachment.")
    return attachment, _path_for(attachment.sha256)


def is_inline(attachment):
    """Raster images whose bytes were checked: the only files a browser may show in the page."""
    return attachment.content_type in INLINE_TYPES


def delete(actor, attachment_id):
    """Delete one of the actor's own uploads while it is not attached to a message.

    :raises NotFound: for someone else's upload (whether or not it exists).
    :raises Conflict: for the actor's own upload once a message carries it.
    """
    owner_id = actor.user.id if isinstance(actor, KeyHolder) else getattr(actor, "id", None)
    with write():
        attachment = Attachment.get_or_none((Attachment.id == attachment_id) & (Attachment.uploader == owner_id))
        if attachment is None:
            raise NotFound("No such attachment.")
        if attachment.message_id is not None:
            raise Conflict("This file is attached to a message and can't be deleted.")
        sha = attachment.sha256
        attachment.delete_instance()
    _remove_file_if_unused(sha)


def _remove_file_if_unused(sha):
    if not Attachment.select().where(Attachment.sha256 == sha).exists():
        try:
            os.unlink(_path_for(sha))
        except FileNotFoundError:
            pass


def sweep_stale(older_than=STALE_AFTER):
    """Delete uploads never attached to a message; returns how many went."""
    cutoff = utcnow() - older_than
    with write():
        stale = list(Attachment.select().where(Attachment.message.is_null(), Attachment.created_at < cutoff))
        Attachment.delete().where(Attachment.id.in_([a.id for a in stale])).execute()
    for sha in {a.sha256 for a in stale}:
        _remove_file_if_unused(sha)
    return len(stale)
