"""Attachment downloads for every face: signed-in people by id, guests under their ticket's secret link."""
import os
import unicodedata

from flask import Blueprint, abort, current_app, request, send_file, url_for
from flask_login import current_user

from ..extensions import limiter
from ..services import attachments, tickets

bp = Blueprint("attachments", __name__)

# A file opened on its own must not run anything, whatever it turns out to contain.
FILE_CSP = "default-src 'none'; img-src 'self'; sandbox"


def download_name(filename):
    """The file name for Content-Disposition, without bidi overrides, isolates, marks or other invisible controls.

    A right-to-left override would otherwise make "invoice\u202egpj.exe" show as "invoiceexe.jpg" in the save
    dialog.
    """
    kept = "".join(ch for ch in filename or "" if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    return kept.strip().strip(".") or "file"


def send_file_of(attachment, path):
    inline = attachments.is_inline(attachment) and not request.args.get("download")
    if not os.path.exists(path):
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type if attachments.is_inline(attachment) else _download_type(attachment),
        as_attachment=not inline,
        download_name=download_name(attachment.filename),
        conditional=True,
        etag=attachment.sha256,
        max_age=None,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _download_type(attachment):
    # Types a browser would render as a page (html, svg, xml) go out as opaque bytes: they only ever download.
    kind = attachment.content_type
    if "html" in kind or "xml" in kind or "javascript" in kind or kind.startswith("text/"):
        return "application/octet-stream"
    return kind


@bp.route("/attachments/<int:attachment_id>")
@limiter.limit("120 per minute")
def download(attachment_id):
    """A file from a ticket the signed-in person may see (or their own upload). :raises NotFound: otherwise."""
    actor = current_user if current_user.is_authenticated else None
    attachment, path = attachments.get_for_download(actor, attachment_id)
    return send_file_of(attachment, path)


@bp.route("/t/<key>/attachments/<int:attachment_id>")
@limiter.limit("120 per minute")
def guest_download(key, attachment_id):
    """A file from the public thread of the ticket whose secret link this is. :raises NotFound: otherwise."""
    holder = tickets.key_holder(key)
    attachment, path = attachments.get_for_download(holder, attachment_id)
    return send_file_of(attachment, path)


@bp.app_template_global()
def attachment_url(attachment, key=None, download=False):
    """Where a thread links an attachment: under the secret link for guests, by id for everyone else."""
    extra = {"download": 1} if download else {}
    if key:
        return url_for("attachments.guest_download", key=key, attachment_id=attachment.id, **extra)
    return url_for("attachments.download", attachment_id=attachment.id, **extra)


@bp.app_template_global()
def upload_limits():
    """What a file field tells people before they choose: how many files and how large each may be."""
    return {
        "max_files": attachments.MAX_FILES,
        "max_bytes": attachments.max_bytes(),
        "max_mb": f"{current_app.config['MAX_ATTACHMENT_MB']:g}",
    }


@bp.app_template_test("previewable")
def is_previewable(attachment):
    """Checked raster images, the only attachments a page shows inline."""
    return attachments.is_inline(attachment)
