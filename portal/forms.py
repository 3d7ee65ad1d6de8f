"""WTForms for the HTML faces. They carry input and the CSRF token; the rules themselves live in the services."""
import secrets

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .models import PRIORITIES
from .services import attachments, ratings, spam
from .services.errors import ServiceError, ValidationError


def _new_key():
    return secrets.token_urlsafe(16)


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class LoginForm(FlaskForm):
    email = EmailField("E-mail", render_kw={"autocomplete": "email", "required": True, "maxlength": 128})
    password = PasswordField("Password", render_kw={"autocomplete": "current-password", "required": True})
    next = HiddenField()


class RegisterForm(FlaskForm):
    name = StringField("Your name", render_kw={"autocomplete": "name", "required": True, "maxlength": 120})
    email = EmailField("E-mail", render_kw={"autocomplete": "email", "required": True, "maxlength": 128})


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", render_kw={"autocomplete": "email", "required": True, "maxlength": 128})


class ResendLinksForm(FlaskForm):
    email = EmailField("E-mail", render_kw={"autocomplete": "email", "required": True, "maxlength": 128})


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", description="At least 8 characters.",
        render_kw={"autocomplete": "new-password", "required": True, "minlength": 8},
    )


class TicketForm(FlaskForm):
    subject = StringField("Subject", render_kw={"required": True, "maxlength": 250, "autocomplete": "off"})
    description = TextAreaField(
        "Describe the problem", description="What happened, what you expected, and any error messages. Markdown works.",
        render_kw={"required": True, "rows": 8},
    )
    # The services judge the values; the form only carries them.
    category = SelectField("Category", choices=[], validate_choice=False)
    priority = SelectField(
        "Priority", choices=[SelectChoice(p, p.capitalize()) for p in PRIORITIES], default="normal", validate_choice=False
    )
    attachments = MultipleFileField("Attachments (optional)")
    submission_key = HiddenField(default=_new_key)


class ContactForm(FlaskForm):
    name = StringField("Your name", render_kw={"autocomplete": "name", "required": True, "maxlength": 120})
    email = EmailField("E-mail", render_kw={"autocomplete": "email", "required": True, "maxlength": 128})
    company = StringField("Company (optional)", render_kw={"autocomplete": "organization", "maxlength": 120})
    phone = StringField("Phone (optional)", render_kw={"autocomplete": "tel", "maxlength": 20})
    category = SelectField("Category", choices=[], validate_choice=False)
    subject = StringField("Subject", render_kw={"required": True, "maxlength": 250, "autocomplete": "off"})
    body = TextAreaField("Message", render_kw={"required": True, "rows": 8})
    attachments = MultipleFileField("Attachments (optional)")
    submission_key = HiddenField(default=_new_key)
    # Spam defence (services/spam.py): a field people never see or fill, and when the form was shown, signed.
    website = StringField("Leave this field empty", render_kw={"tabindex": "-1", "autocomplete": "off"})
    started = HiddenField(default=spam.started_token)


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", render_kw={"required": True, "rows": 5})
    attachments = MultipleFileField("Attach files")


class RatingForm(FlaskForm):
    """ "How did we do?": the pressed button carries the score, the comment is optional."""

    score = HiddenField()
    comment = TextAreaField("Anything you would like to tell us? (optional)", render_kw={"rows": 2, "maxlength": 2000})


def submit_rating(form, actor, ticket_id):
    """Record a RatingForm as the actor's rating; returns None once saved, else the status to show the form with."""
    if not form.validate_on_submit():
        return 422
    try:
        ratings.rate(actor, ticket_id, form.score.data, form.comment.data or "")
    except ValidationError as error:
        show_errors(form, error)
        return 422
    except ServiceError as error:  # closed, or not resolved yet
        form.form_errors.append(error.message)
        return error.status
    return None


class ArticleForm(FlaskForm):
    title = StringField("Title", render_kw={"required": True, "maxlength": 200})
    slug = StringField(
        "Address", description="Lower-case words and dashes. Leave it empty to make one from the title.",
        render_kw={"maxlength": 120, "autocomplete": "off", "spellcheck": "false"},
    )
    collection_id = SelectField("Collection", choices=[], validate_choice=False)
    status = SelectField(
        "Status", choices=[SelectChoice("draft", "Draft (staff only)"), SelectChoice("published", "Published")],
        validate_choice=False,
    )
    body = TextAreaField(
        "Article", description="Markdown: **bold**, *italic*, lists, [links](https://example.com), `code`, tables.",
        render_kw={"required": True, "rows": 18},
    )


class CollectionForm(FlaskForm):
    name = StringField("Name", render_kw={"required": True, "maxlength": 120})
    slug = StringField("Address", description="Leave it empty to make one from the name.",
                       render_kw={"maxlength": 120, "autocomplete": "off", "spellcheck": "false"})
    description = TextAreaField("Description", render_kw={"rows": 2, "maxlength": 500})
    position = StringField("Position", description="Lower numbers come first.",
                           render_kw={"inputmode": "numeric", "maxlength": 6})


def category_choices(categories, blank="Choose a category"):
    return [SelectChoice("", blank)] + [SelectChoice(c.slug, c.name) for c in categories]


def upload_attachments(form, actor):
    """Store the files of a form's `attachments` field for `actor`; their ids, or None with the error beside it."""
    try:
        return attachments.upload_many(actor, form.attachments.data or [])
    except ServiceError as error:
        message = error.errors.get("file", error.message) if isinstance(error, ValidationError) else error.message
        form.attachments.errors = list(form.attachments.errors or []) + [message]
        return None


def discard_uploads(form, actor, attachment_ids):
    """Drop the uploads of a submission that failed, and say so beside the file field."""
    if attachment_ids:
        attachments.discard(actor, attachment_ids)
    note_files_dropped(form)


def note_files_dropped(form):
    """A browser cannot refill a file field after an error: ask for the files again, beside the field."""
    chosen = any(f and getattr(f, "filename", None) for f in (form.attachments.data or []))
    if chosen and not form.attachments.errors:
        form.attachments.errors = ["Choose your files again after fixing the other fields."]


def show_errors(form, error):
    """Put a service ValidationError's messages beside the form's fields."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [message]
        else:
            form.form_errors.append(message)
