"""Sign-in throttling per account and source: guessers slow down, the owner elsewhere and password resets do not."""
from datetime import timedelta, timezone

import time_machine

from portal.models import SignInFailure, utcnow
from portal.services import accounts

from .conftest import PASSWORD, csrf_from

ATTACKER = {"REMOTE_ADDR": "198.51.100.66"}
OWNER = {"REMOTE_ADDR": "192.0.2.10"}


def try_sign_in(client, email, password, source):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base=source)


def fail_five_times(app, email):
    thief = app.test_client()
    codes = [try_sign_in(thief, email, f"guess-{i}", ATTACKER).status_code for i in range(5)]
    assert codes == [422] * 5
    return thief


def test_after_five_failures_the_pair_waits_even_with_the_right_password(app, customer):
    with time_machine.travel(utcnow().replace(tzinfo=timezone.utc), tick=False):
        # The clock stands still: the fifth failure starts a wait of exactly the first delay, 15 s.
        thief = fail_five_times(app, customer.email)
        refused = try_sign_in(thief, customer.email, PASSWORD, ATTACKER)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "15"
    assert "Try again in 15 s" in refused.get_data(as_text=True)
    # Waiting does not count as another failure.
    assert SignInFailure.get().failures == 5

    SignInFailure.update(last_failure_at=utcnow() - timedelta(seconds=16)).execute()
    assert try_sign_in(thief, customer.email, PASSWORD, ATTACKER).status_code == 303
    # A success forgets the pair's failures.
    assert SignInFailure.select().count() == 0


def test_each_further_failure_doubles_the_wait_up_to_fifteen_minutes():
    delays = [accounts._failure_delay(n) for n in (4, 5, 6, 7, 8, 40)]
    assert delays == [0, 15, 30, 60, 120, 15 * 60]


def test_another_failure_after_the_wait_makes_the_next_wait_longer(app, customer):
    thief = fail_five_times(app, customer.email)
    SignInFailure.update(last_failure_at=utcnow() - timedelta(seconds=16)).execute()
    assert try_sign_in(thief, customer.email, "guess-again", ATTACKER).status_code == 422
    refused = try_sign_in(thief, customer.email, PASSWORD, ATTACKER)
    assert refused.status_code == 429 and 15 < int(refused.headers["Retry-After"]) <= 30


def test_a_stranger_cannot_lock_the_owner_out(app, client, customer):
    fail_five_times(app, customer.email)
    assert try_sign_in(client, customer.email, PASSWORD, OWNER).status_code == 303


def test_the_password_reset_always_works_and_clears_the_count(app, client, customer):
    fail_five_times(app, customer.email)
    token = csrf_from(client.get("/password/forgot").get_data(as_text=True))
    client.post("/password/forgot", data={"email": customer.email, "csrf_token": token}, environ_base=ATTACKER)
    _, reset = accounts.password_reset_token(customer.email)
    page = client.get(f"/password/reset/{reset}", environ_base=ATTACKER).get_data(as_text=True)
    done = client.post(f"/password/reset/{reset}", data={"password": "a-fresh-password", "csrf_token": csrf_from(page)},
                       environ_base=ATTACKER)
    assert done.status_code == 303
    assert SignInFailure.select().count() == 0


def test_unknown_addresses_are_throttled_the_same_way(app):
    thief = fail_five_times(app, "nobody@example.com")
    assert try_sign_in(thief, "nobody@example.com", "guess-6", ATTACKER).status_code == 429


def test_failures_are_forgotten_after_a_day(app, customer):
    fail_five_times(app, "someone@example.com")
    SignInFailure.update(last_failure_at=utcnow() - timedelta(hours=25)).execute()
    assert accounts.sign_in_wait("someone@example.com", ATTACKER["REMOTE_ADDR"]) == 0
    try_sign_in(app.test_client(), customer.email, "wrong", ATTACKER)
    assert [(r.email, r.failures) for r in SignInFailure.select()] == [(customer.email, 1)]
