"""WTForms for the HTML faces. They carry input and the CSRF token; the rules themselves live in the services."""
import secrets

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .models import PRIORITIES


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
    password = PasswordField(
        "Password", description="At least 8 characters.",
        render_kw={"autocomplete": "new-password", "required": True, "minlength": 8},
    )


class ForgotPasswordForm(FlaskForm):
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
    submission_key = HiddenField(default=_new_key)


class ContactForm(FlaskForm):
    name = StringField("Your name", render_kw={"autocomplete": "name", "required": True, "maxlength": 120})
    email = EmailField("E-mail", render_kw={"autocomplete": "email", "required": True, "maxlength": 128})
    company = StringField("Company (optional)", render_kw={"autocomplete": "organization", "maxlength": 120})
    phone = StringField("Phone (optional)", render_kw={"autocomplete": "tel", "maxlength": 20})
    category = SelectField("Category", choices=[], validate_choice=False)
    subject = StringField("Subject", render_kw={"required": True, "maxlength": 250, "autocomplete": "off"})
    body = TextAreaField("Message", render_kw={"required": True, "rows": 8})
    submission_key = HiddenField(default=_new_key)


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", render_kw={"required": True, "rows": 5})


def category_choices(categories, blank="Choose a category"):
    return [SelectChoice("", blank)] + [SelectChoice(c.slug, c.name) for c in categories]


def show_errors(form, error):
    """Put a service ValidationError's messages beside the form's fields."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [message]
        else:
            form.form_errors.append(message)
