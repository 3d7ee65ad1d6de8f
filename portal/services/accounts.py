"""Accounts: registration, sign-in, users and API tokens."""
import hashlib
import math
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from ..db import write
from ..models import ROLES, THEMES, ApiToken, SignInFailure, User, utcnow
from .errors import AuthenticationFailed, NotFound, TooManyAttempts, ValidationError
from .organizations import join_by_domain
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
    """A new customer account, created at once (the CLI and tests); the sign-up page goes through request_sign_up.

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
        return _claim(user, email, name, hash_password(password), verified=False)


def _claim(user, email, name, password_hash, verified):
    # A guest row (contact form only, no password) becomes the account; otherwise a new customer.
    if user is None:
        user = User(email=email, role="customer")
    user.name = name
    user.password_hash = password_hash
    user.email_verified = user.email_verified or verified
    user.last_login_at = utcnow()
    user.save()
    join_by_domain(user)
    return user


class SignUp:
    """What a sign-up request leads to: a link that creates the account, or a notice to the address's owner."""

    def __init__(self, email, name, token=None, owner=None):
        self.email, self.name, self.token, self.owner = email, name, token, owner


def request_sign_up(email, name):
    """Start a sign-up without revealing whether the address has an account.

    Nothing is created yet: for a free address the result carries a link token; whoever opens it in that mailbox
    chooses the password there (so nobody can prepare an account at someone else's address with a password of their
    own). For an address that already has an account the result carries that owner, who is told someone tried. The
    caller mails one or the other and answers the same either way.
    :raises ValidationError: for an invalid address or name.
    """
    errors = {}
    email = normalize_email(email, errors=errors)
    name = check_length(errors, "name", name, 2, 120, "your name")
    if errors:
        raise ValidationError(errors)
    owner = User.get_or_none(User.email == email)
    if owner is not None and owner.password_hash is not None:
        return SignUp(email, name, owner=owner)
    return SignUp(email, name, token=_serializer("sign-up").dumps({"email": email, "name": name}))


def sign_up_request(token):
    """The address and name a sign-up link stands for, while it can still create an account.

    :raises ValidationError: for an expired or altered link, or one whose address got an account meanwhile.
    """
    from itsdangerous import BadSignature

    invalid = ValidationError({"token": "This link has expired or was already used. Sign in, or sign up again."})
    try:
        data = _serializer("sign-up").loads(token, max_age=VERIFY_MAX_AGE)
    except BadSignature:
        raise invalid
    user = User.get_or_none(User.email == data.get("email"))
    if user is not None and (user.password_hash is not None or not user.is_active):
        raise invalid
    return data


def complete_sign_up(token, password):
    """The account a sign-up link asked for, created now with the password chosen and its address confirmed.

    :raises ValidationError: for a bad link (`token`) or a password too weak (`password`).
    """
    data = sign_up_request(token)
    errors = {}
    check_password(errors, password)
    if errors:
        raise ValidationError(errors)
    password_hash = hash_password(password)
    with write():
        sign_up_request(token)  # again inside the transaction: a second tab may have used the link meanwhile
        user = User.get_or_none(User.email == data["email"])
        return _claim(user, data["email"], data["name"], password_hash, verified=True)


# Sign-in throttling, per account and source (IP) pair: a stranger's guesses slow down only their own source,
# so they cannot lock the owner out; a password reset always works and clears the count.
FREE_FAILURES = 5
FIRST_DELAY = 15  # seconds after the fifth failure, doubling with each further one
MAX_DELAY = 15 * 60
FAILURE_MEMORY = timedelta(hours=24)


def _failure_delay(failures):
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 16))


def sign_in_wait(email, source):
    """Seconds this source must wait before trying this address again (0: go ahead)."""
    row = SignInFailure.get_or_none((SignInFailure.email == email) & (SignInFailure.source == source))
    if row is None:
        return 0
    now = utcnow()
    if row.last_failure_at < now - FAILURE_MEMORY:
        return 0
    remaining = (row.last_failure_at + timedelta(seconds=_failure_delay(row.failures)) - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else 0


def _record_failure(email, source):
    now = utcnow()
    with write():
        # Rows nobody added to for a day are forgotten here rather than by a job: the table stays small.
        SignInFailure.delete().where(SignInFailure.last_failure_at < now - FAILURE_MEMORY).execute()
        updated = (
            SignInFailure.update(failures=SignInFailure.failures + 1, last_failure_at=now)
            .where((SignInFailure.email == email) & (SignInFailure.source == source))
            .execute()
        )
        if not updated:
            SignInFailure.create(email=email, source=source, failures=1, last_failure_at=now)


def _forget_failures(email, source=None):
    query = SignInFailure.delete().where(SignInFailure.email == email)
    if source is not None:
        query = query.where(SignInFailure.source == source)
    query.execute()


def authenticate(email, password, source=None):
    """The active user with this e-mail and password.

    `source` (the client's IP) turns on throttling: after FREE_FAILURES failures from one source for one address,
    that pair waits longer after each further failure; other sources are not affected.
    :raises AuthenticationFailed: with one message whether the address is unknown or the password wrong.
    :raises TooManyAttempts: while this source must wait for this address.
    """
    email = (email or "").strip().lower()[:254]
    source = (source or "")[:64] or None
    if source and email:
        wait = sign_in_wait(email, source)
        if wait:
            raise TooManyAttempts(wait, f"Too many attempts. Try again in {wait} s, or reset your password.")
    user = User.get_or_none(User.email == email) if email else None
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
        ok = user is not None and user.password_hash is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or not user.is_active:
        if source and email:
            _record_failure(email, source)
        raise AuthenticationFailed("That e-mail and password do not match an account.")
    with write():
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        user.save()
        if source:
            _forget_failures(email, source)
    return user


def load_user(session_id):
    """The active user for a session id "<id>:<generation>", or None.

    A session whose generation is older than the user's (they signed out, changed their password or signed out
    everywhere since) signs nobody in, and neither does a deactivated user's. A bare "<id>" from before sessions
    carried a generation counts as generation 0.
    """
    user_id, _, generation = str(session_id or "").partition(":")
    try:
        user_id, generation = int(user_id), int(generation or 0)
    except (TypeError, ValueError):
        return None
    return User.get_or_none(
        (User.id == user_id) & (User.is_active == True) & (User.session_generation == generation)  # noqa: E712
    )


def end_sessions(actor):
    """Sign the user out of every browser: each session cookie issued so far stops working."""
    require_user(actor)
    with write():
        User.update(session_generation=User.session_generation + 1).where(User.id == actor.id).execute()
    actor.session_generation = User.get_by_id(actor.id).session_generation
    return actor


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
        user = User.create(
            email=email,
            name=name,
            role=role,
            password_hash=hash_password(password) if password else None,
            phone=phone or None,
            company=company or None,
            email_verified=verified,
        )
        join_by_domain(user)
        return user


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
            join_by_domain(user)
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
        # A new password ends every session (the caller signs this browser in again) and clears the throttle.
        user.session_generation += 1
        user.save()
        join_by_domain(user)
        _forget_failures(user.email)
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
        # Every other session ends; the caller keeps this one by signing it in again with the new generation.
        actor.session_generation += 1
        actor.save()
    return actor


def set_theme(actor, theme):
    """Choose how my pages look: "light", "dark" or "system" (follow the device's setting).

    :raises ValidationError: for any other value.
    """
    require_user(actor)
    if theme not in THEMES:
        raise ValidationError({"theme": "Choose one of: " + ", ".join(THEMES) + "."})
    with write():
        User.update(theme=theme).where(User.id == actor.id).execute()
    actor.theme = theme
    return actor
