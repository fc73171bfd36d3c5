"""Password hashing (argon2) and the one-way hashing of tokens, codes and captcha answers."""

import hashlib
import hmac
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool

from app.config import get_settings

_hasher: PasswordHasher | None = None


def hasher() -> PasswordHasher:
    """argon2id with the configured cost (tests lower it; production keeps the library's defaults)."""
    global _hasher
    if _hasher is None:
        settings = get_settings()
        _hasher = PasswordHasher(time_cost=settings.password_hash_time_cost,
                                 memory_cost=settings.password_hash_memory_kib)
    return _hasher


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    """argon2 is deliberately slow (~50 ms): it runs in a worker thread, off the event loop."""
    return await run_in_threadpool(hasher().hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    return await run_in_threadpool(_verify, password_hash, password)


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
