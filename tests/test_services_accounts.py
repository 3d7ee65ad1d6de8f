"""Accounts: registration, sign-in, users and API tokens."""
import pytest

from portal.models import ApiToken, User
from portal.services import accounts
from portal.services.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError

from .conftest import PASSWORD, make_user


def test_register_hashes_password_and_lowercases_email(app):
    user = accounts.register("Mia@Example.COM", "Mia Member", "a-long-password")
    assert user.email == "mia@example.com" and user.role == "customer"
    assert user.password_hash.startswith("$argon2") and "a-long-password" not in user.password_hash
    assert accounts.authenticate("MIA@example.com", "a-long-password").id == user.id


def test_register_refuses_taken_address(app):
    accounts.register("mia@example.com", "Mia Member", "a-long-password")
    with pytest.raises(ValidationError) as info:
        accounts.register("MIA@example.com", "Other Mia", "another-password")
    assert "email" in info.value.errors


def test_register_validates_fields(app):
    with pytest.raises(ValidationError) as info:
        accounts.register("not-an-address", "M", "short")
    assert set(info.value.errors) == {"email", "name", "password"}


def test_authenticate_gives_one_answer_for_unknown_and_wrong(app):
    user = make_user()
    with pytest.raises(AuthenticationFailed) as wrong:
        accounts.authenticate(user.email, "nope")
    with pytest.raises(AuthenticationFailed) as unknown:
        accounts.authenticate("ghost@example.com", "nope")
    assert wrong.value.message == unknown.value.message


def test_guest_without_password_cannot_sign_in(app):
    User.create(email="guest@example.com", name="Guest")
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("guest@example.com", "")


def test_deactivated_user_cannot_sign_in_and_tokens_stop(app):
    user = make_user()
    _, raw = accounts.create_token(user, "script")
    assert accounts.user_for_token(raw).id == user.id
    User.update(is_active=False).where(User.id == user.id).execute()
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(user.email, PASSWORD)
    assert accounts.user_for_token(raw) is None
    assert accounts.load_user(user.id) is None


def test_tokens_are_hashed_shown_once_and_revocable(app):
    user = make_user()
    token, raw = accounts.create_token(user, "CI export")
    stored = ApiToken.get_by_id(token.id)
    assert raw.startswith("sd_") and stored.token_hash != raw and raw not in stored.token_hash
    assert stored.last_used_at is None
    assert accounts.user_for_token(raw).id == user.id
    assert ApiToken.get_by_id(token.id).last_used_at is not None
    accounts.revoke_token(user, token.id)
    assert accounts.user_for_token(raw) is None
    assert accounts.user_for_token("sd_made-up") is None and accounts.user_for_token("") is None


def test_cannot_revoke_someone_elses_token(app):
    owner, other = make_user(), make_user()
    token, _ = accounts.create_token(owner, "mine")
    with pytest.raises(NotFound):
        accounts.revoke_token(other, token.id)


def test_only_admins_create_users(app):
    agent = make_user("agent")
    with pytest.raises(PermissionDenied):
        accounts.create_user("x@example.com", "Xavier", "agent", "long-password", actor=agent)
    admin = make_user("admin")
    assert accounts.create_user("x@example.com", "Xavier", "agent", "long-password", actor=admin).role == "agent"
    with pytest.raises(ValidationError):
        accounts.create_user("X@example.com", "Xavier", "agent", "long-password", actor=admin)
