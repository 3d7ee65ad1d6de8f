"""Accounts: registration, sign-in, users and API tokens."""
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from ..db import write
from ..models import ROLES, ApiToken, User, utcnow
from .errors import AuthenticationFailed, NotFound, ValidationError
from .permissions import require_admin, require_user

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a failed sign-in takes the same time either way.
_DUMMY_HASH = _hasher.hash("not-a-password-anyone-has")

TOKEN_PREFIX = "sd_"


def normalize_email(value, field="email", errors=None):
    """A valid address, lower-cased; records a message in `errors` (or raises) when it is not."""
    value = (value or "").strip()
    problem = None
    if not value:
        problem = "Enter your e-mail address."
    elif len(value) > 128:
        problem = "The e-mail address can be at most 128 characters."
    else:
        try:
            value = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            problem = "Enter a valid e-mail address, like name@example.com."
    if problem:
        if errors is None:
            raise ValidationError({field: problem})
        errors[field] = problem
        return None
    return value.lower()


def check_length(errors, field, value, low, high, label, required=True):
    value = (value or "").strip()
    if not value:
        if required:
            errors[field] = f"Enter {label}."
        return value
    if len(value) < low:
        errors[field] = f"{label[0].upper() + label[1:]} must be at least {low} characters."
    elif len(value) > high:
        errors[field] = f"{label[0].upper() + label[1:]} can be at most {high} characters."
    return value


def check_contact_fields(errors, phone, company):
    """A person's optional phone (5 to 20 characters) and company (at most 120); returns them cleaned, or None."""
    phone = (phone or "").strip()
    if phone and not (5 <= len(phone) <= 20):
        errors["phone"] = "A phone number has 5 to 20 characters."
    company = (company or "").strip()
    if len(company) > 120:
        errors["company"] = "The company name can be at most 120 characters."
    return phone or None, company or None


def check_password(errors, password):
    if not password or len(password) < 8:
        errors["password"] = "Choose a password of at least 8 characters."
    elif len(password) > 256:
        errors["password"] = "The password can be at most 256 characters."


def hash_password(password):
    return _hasher.hash(password)


def register(email, name, password):
    """A new customer account, signed in by the caller.

    An address that only ever used the contact form is claimed here; its earlier tickets stay hidden until the
    address is verified.
    """
    errors = {}
    email = normalize_email(email, errors=errors)
    name = check_length(errors, "name", name, 2, 120, "your name")
    check_password(errors, password)
    if errors:
        raise ValidationError(errors)
    with write():
        user = User.get_or_none(User.email == email)
        if user is not None and user.password_hash is not None:
            raise ValidationError({"email": "An account with this e-mail already exists. Sign in instead."})
        if user is None:
            user = User(email=email, role="customer")
        user.name = name
        user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        user.save()
    return user


def authenticate(email, password):
    """The active user with this e-mail and password.

    :raises AuthenticationFailed: with one message whether the address is unknown or the password wrong.
    """
    email = (email or "").strip().lower()
    user = User.get_or_none(User.email == email) if email else None
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
        ok = user is not None and user.password_hash is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or not user.is_active:
        raise AuthenticationFailed("That e-mail and password do not match an account.")
    with write():
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        user.save()
    return user


def load_user(user_id):
    """The active user for a session id, or None (a deactivated user is signed out on their next request)."""
    try:
        return User.get_or_none((User.id == int(user_id)) & (User.is_active == True))  # noqa: E712
    except (TypeError, ValueError):
        return None


def create_user(email, name, role="customer", password=None, phone=None, company=None, actor=None, verified=False):
    """A new user of any role. Admin-only unless called by the CLI (actor None)."""
    if actor is not None:
        require_admin(actor)
    errors = {}
    email = normalize_email(email, errors=errors)
    name = check_length(errors, "name", name, 2, 120, "a name")
    if role not in ROLES:
        errors["role"] = f"Choose one of: {', '.join(ROLES)}."
    if password is not None:
        check_password(errors, password)
    if errors:
        raise ValidationError(errors)
    with write():
        if User.select().where(User.email == email).exists():
            raise ValidationError({"email": "A user with this e-mail already exists."})
        return User.create(
            email=email,
            name=name,
            role=role,
            password_hash=hash_password(password) if password else None,
            phone=phone or None,
            company=company or None,
            email_verified=verified,
        )


def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(actor, name):
    """A new personal API token: returns (token row, the secret shown once)."""
    require_user(actor)
    errors = {}
    name = check_length(errors, "name", name, 1, 80, "a name for the token")
    if errors:
        raise ValidationError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write():
        token = ApiToken.create(user=actor, name=name, token_hash=_digest(raw), prefix=raw[:10])
    return token, raw


def list_tokens(actor):
    """The caller's tokens, newest first (never their secrets)."""
    require_user(actor)
    return list(ApiToken.select().where(ApiToken.user == actor).order_by(ApiToken.created_at.desc()))


def revoke_token(actor, token_id):
    """Revoke one of the caller's tokens. :raises NotFound: for someone else's token."""
    require_user(actor)
    with write():
        token = ApiToken.get_or_none((ApiToken.id == token_id) & (ApiToken.user == actor))
        if token is None:
            raise NotFound("No such token.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            token.save()
    return token


def user_for_token(raw):
    """The active user a bearer token belongs to, stamping its last use; None for unknown or revoked tokens."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.select(ApiToken, User)
        .join(User)
        .where(ApiToken.token_hash == _digest(raw), ApiToken.revoked_at.is_null(), User.is_active == True)  # noqa: E712
        .first()
    )
    if token is None:
        return None
    now = utcnow()
    # Stamp at most once a minute: a busy client should not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with write():
            ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    return token.user


def get_user_by_email(email):
    user = User.get_or_none(User.email == (email or "").strip().lower())
    if user is None:
        raise NotFound("No such user.")
    return user


# ------------------------------------------------------------------------------------------- e-mail and passwords

VERIFY_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 3600


def _serializer(salt):
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user):
    # A reset link dies once the password changes, so it works exactly once.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def verification_token(user):
    """A signed, expiring token that proves the holder reads mail at the user's address."""
    return _serializer("verify-email").dumps({"id": user.id, "email": user.email})


def verify_email(token):
    """Mark the address verified; tickets it opened through the contact form join the account.

    :raises ValidationError: for an expired, altered or outdated link.
    """
    from itsdangerous import BadSignature

    try:
        data = _serializer("verify-email").loads(token, max_age=VERIFY_MAX_AGE)
    except BadSignature:
        raise ValidationError({"token": "This link has expired or is not valid. Ask for a new one."})
    with write():
        user = User.get_or_none((User.id == data.get("id")) & (User.email == data.get("email")))
        if user is None:
            raise ValidationError({"token": "This link has expired or is not valid. Ask for a new one."})
        if not user.email_verified:
            user.email_verified = True
            user.save()
    return user


def password_reset_token(email):
    """(user, token) for an active account with a password, or None: the caller says the same thing either way."""
    email = (email or "").strip().lower()
    user = User.get_or_none((User.email == email) & (User.is_active == True))  # noqa: E712
    if user is None:
        return None
    token = _serializer("reset-password").dumps({"id": user.id, "fp": _password_fingerprint(user)})
    return user, token


def reset_password(token, password):
    """Set a new password from a reset link; the link also proves the address, so it is marked verified.

    :raises ValidationError: for a bad link or a weak password.
    """
    from itsdangerous import BadSignature

    invalid = ValidationError({"token": "This reset link has expired or was already used. Ask for a new one."})
    try:
        data = _serializer("reset-password").loads(token, max_age=RESET_MAX_AGE)
    except BadSignature:
        raise invalid
    errors = {}
    check_password(errors, password)
    if errors:
        raise ValidationError(errors)
    with write():
        user = User.get_or_none((User.id == data.get("id")) & (User.is_active == True))  # noqa: E712
        if user is None or _password_fingerprint(user) != data.get("fp"):
            raise invalid
        user.password_hash = hash_password(password)
        user.email_verified = True
        user.save()
    return user


def change_password(actor, current, new):
    """Change the signed-in user's password after checking the current one."""
    require_user(actor)
    errors = {}
    try:
        _hasher.verify(actor.password_hash or _DUMMY_HASH, current or "")
        if not actor.password_hash:
            raise VerificationError()
    except (VerificationError, InvalidHashError):
        errors["current_password"] = "That is not your current password."
    check_password(errors, new)
    if errors:
        raise ValidationError(errors)
    with write():
        actor.password_hash = hash_password(new)
        actor.save()
    return actor
