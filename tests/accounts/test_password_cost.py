"""Password hashing tuned for a deadline's peak: OWASP's minimum cost for new hashes, the former cost
upgraded at login, and a bound on hashes running at once."""

import asyncio
import threading
import time

import argon2
import pytest
from argon2 import PasswordHasher

from app.accounts import secrets
from app.accounts.models import User
from app.config import get_settings
from tests.factories import PASSWORD, create_person

OWASP = ("argon2id", 19456, 2, 1)      # algorithm, memory KiB, passes, lanes
# The reference implementation (argon2-cffi), which made the hashes before libsodium did: at the former cost
# and at today's.
FORMER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
REFERENCE = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@pytest.fixture
def configured(monkeypatch):
    """The settings as production reads them (the tests' lowered argon2 cost removed), plus overrides."""
    def configure(**env: str):
        monkeypatch.delenv("ZC_PASSWORD_HASH_TIME_COST", raising=False)
        monkeypatch.delenv("ZC_PASSWORD_HASH_MEMORY_KIB", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_new_hash_is_argon2id_at_the_owasp_minimum(configured):
    configured()
    made = secrets._hash(PASSWORD)
    assert made.startswith("$argon2id$") and secrets.cost(made) == OWASP
    assert secrets._verify(made, PASSWORD) and not secrets._verify(made, PASSWORD + "x")
    assert not secrets.needs_rehash(made) and secrets.needs_rehash(FORMER.hash(PASSWORD))


def test_hashes_are_read_alike_by_libsodium_and_the_reference_implementation(configured):
    """Stored hashes outlive the library: one made here verifies with argon2-cffi, and the ones argon2-cffi
    made (every hash stored before) verify here and are kept when at today's cost."""
    configured()
    assert REFERENCE.verify(secrets._hash(PASSWORD), PASSWORD)
    earlier = REFERENCE.hash(PASSWORD)
    assert secrets._verify(earlier, PASSWORD) and not secrets._verify(earlier, "x" + PASSWORD)
    assert not secrets.needs_rehash(earlier)
    assert secrets._verify(FORMER.hash(PASSWORD), PASSWORD)
    argon2i = PasswordHasher(type=argon2.Type.I, time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
    assert secrets._verify(argon2i, PASSWORD) and secrets.needs_rehash(argon2i)
    for broken in ("", "$argon2id$v=19$m=19456,t=2,p=1$", "plain", earlier[:-4]):
        assert not secrets._verify(broken, PASSWORD)


async def test_a_former_hash_logs_in_and_is_upgraded_once(client, configured):
    configured()
    user = await create_person()
    former = FORMER.hash(PASSWORD)
    await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": {"password_hash": former}})

    r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    upgraded = (await User.get(user.id)).password_hash
    assert secrets.cost(former) == ("argon2id", 65536, 3, 4) and secrets.cost(upgraded) == OWASP
    assert secrets._verify(upgraded, PASSWORD)

    r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
    assert r.status_code == 200 and (await User.get(user.id)).password_hash == upgraded   # not re-made again


async def test_concurrent_logins_never_run_more_hashes_than_the_bound(client, configured, monkeypatch):
    """Ten logins at once, two of them on former hashes (a verify and a re-hash each): every argon2 call
    is counted while it runs, and held 30 ms so that the calls really overlap."""
    configured(ZC_PASSWORD_HASH_CONCURRENCY="3", ZC_PASSWORD_HASH_MEMORY_KIB="8192", ZC_PASSWORD_HASH_TIME_COST="1")
    users = [await create_person() for _ in range(10)]
    for user in users[:2]:
        await User.get_pymongo_collection().update_one({"_id": user.id},
                                                       {"$set": {"password_hash": FORMER.hash(PASSWORD)}})
    running, peak, calls, lock = 0, 0, 0, threading.Lock()

    def counted(function):
        def run(*args):
            nonlocal running, peak, calls
            with lock:
                running, calls = running + 1, calls + 1
                peak = max(peak, running)
            try:
                time.sleep(0.03)
                return function(*args)
            finally:
                with lock:
                    running -= 1
        return run

    monkeypatch.setattr(secrets, "_hash", counted(secrets._hash))
    monkeypatch.setattr(secrets, "_verify", counted(secrets._verify))
    answers = await asyncio.gather(*(client.post("/api/auth/login", json={"login": u.login, "password": PASSWORD})
                                     for u in users))
    assert [r.status_code for r in answers] == [200] * 10
    assert calls == 12 and peak == 3                # the two upgrades re-hashed; never four at once


async def test_hashes_beyond_the_bound_wait_their_turn_first_come_first_served(configured, monkeypatch):
    """A spike's logins queue at the bound in the order they came (anyio's limiter hands a freed token to the
    longest waiter, and a newcomer does not overtake the queue), so no login waits for ever behind later ones."""
    configured(ZC_PASSWORD_HASH_CONCURRENCY="2")
    began: list[int] = []

    def held(password_hash, password):
        began.append(int(password))
        time.sleep(0.02)
        return True

    monkeypatch.setattr(secrets, "_verify", held)

    async def login(n: int):
        await asyncio.sleep(n * 0.001)           # arriving one after the other
        return await secrets.verify_password("hash", str(n))

    assert await asyncio.gather(*(login(n) for n in range(12))) == [True] * 12
    # two run at once, so two let in together may start their threads in either order; never a later one before
    assert sorted(began) == list(range(12)) and all(abs(n - i) <= 1 for i, n in enumerate(began)), began
