"""Uploads: send a file first, then name its id in a new ticket or message."""
from flask import url_for

from ..web import attachments as attachment_views
from ..services import attachments
from . import schemas as s
from . import serializers as out
from .core import operation

TAG = "Attachments"


@operation("POST", "/attachments", tag=TAG, summary="Upload a file", multipart=s.AttachmentUpload,
           response=s.AttachmentResponse, status=201)
def upload_attachment(actor, form):
    """Store a file (multipart part `file`); it stays yours until a ticket or message names it in attachment_ids.

    Files over the size limit answer 413; uploads never attached are swept after a day.
    """
    part = form["file"]
    attachment = attachments.upload(actor, part.stream, part.filename, part.mimetype)
    return (s.AttachmentResponse(data=out.attachment(attachment)),
            {"Location": url_for("api.download_attachment", attachment_id=attachment.id)})


@operation("GET", "/attachments/{attachment_id}", tag=TAG, summary="Download a file", download=True)
def download_attachment(actor, attachment_id):
    """The file, if you may see its ticket (or it is your own unattached upload).

    Checked png, jpeg, gif and webp images come inline; everything else, svg and html included, as a download.
    """
    attachment, path = attachments.get_for_download(actor, attachment_id)
    # One way to send a stored file safely, shared with the HTML faces (headers, sandbox CSP, inline rules).
    return attachment_views.send_file_of(attachment, path)


@operation("DELETE", "/attachments/{attachment_id}", tag=TAG, summary="Delete an unattached upload", status=204,
           errors=(409,))
def delete_attachment(actor, attachment_id):
    """Delete one of your own uploads while no message uses it; once attached, your file answers 409.

    Someone else's upload answers 404, whether or not it exists.
    """
    attachments.delete(actor, attachment_id)
