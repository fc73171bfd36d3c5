"""Password hashing (argon2) and the one-way hashing of tokens, codes and captcha answers."""

import hashlib
import hmac
import secrets
import string
from functools import lru_cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings

_limiter: anyio.CapacityLimiter | None = None


@lru_cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher() -> PasswordHasher:
    """argon2id at the configured cost: OWASP's minimum (19 MiB, 2 passes, 1 lane) unless set otherwise.
    Hashes made at another cost (the former 64 MiB × 3 × 4) still verify and are re-made at login."""
    settings = get_settings()
    return _hasher(settings.password_hash_time_cost, settings.password_hash_memory_kib,
                   settings.password_hash_parallelism)


def _bound() -> anyio.CapacityLimiter:
    """The process's one limit on hashes running at once: each takes its memory cost for its whole run,
    so a deadline spike of logins queues here instead of growing the worker by 19 MiB per login."""
    global _limiter
    size = get_settings().password_hash_concurrency
    if _limiter is None or _limiter.total_tokens != size:
        _limiter = anyio.CapacityLimiter(size)
    return _limiter


def _hash(password: str) -> str:
    return hasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _bounded(function, *args):
    """argon2 is deliberately slow (~50 ms): in a worker thread, off the event loop, a few at a time."""
    return await anyio.to_thread.run_sync(function, *args, limiter=_bound())


async def hash_password(password: str) -> str:
    return await _bounded(_hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    return await _bounded(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def digest(value: str) -> str:
    """Keyed hash for tokens and short codes, so a database copy does not reveal them."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(digits))


def new_initial_password() -> str:
    """Meets the password policy: letters, digits and a special character, 12 long."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
    body = [secrets.choice(alphabet) for _ in range(8)] + [secrets.choice("23456789") for _ in range(3)]
    secrets.SystemRandom().shuffle(body)
    return "".join(body) + secrets.choice("!@#$%&*")
