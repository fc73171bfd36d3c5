"""Password hashing (argon2id) and the one-way hashing of tokens, codes and captcha answers."""

import hashlib
import hmac
import re
import secrets
import string

import anyio
from nacl import pwhash
from nacl.exceptions import CryptoError

from app.config import get_settings

_limiter: anyio.CapacityLimiter | None = None

# A PHC string's algorithm and cost: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
_COST = re.compile(r"^\$(argon2id|argon2i)\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def cost(password_hash: str) -> tuple[str, int, int, int] | None:
    """(algorithm, memory KiB, passes, lanes) of a stored hash; None for anything else."""
    found = _COST.match(password_hash)
    return (found[1], int(found[2]), int(found[3]), int(found[4])) if found else None


def wanted_cost() -> tuple[str, int, int, int]:
    """argon2id at the configured cost, one lane: OWASP's minimum (19 MiB, 2 passes) unless set otherwise.
    Hashes made at another cost (the former 64 MiB × 3 × 4) still verify and are re-made at login."""
    settings = get_settings()
    return "argon2id", settings.password_hash_memory_kib, settings.password_hash_time_cost, 1


def _bound() -> anyio.CapacityLimiter:
    """The process's one limit on hashes running at once: each takes its memory cost for its whole run,
    so a deadline spike of logins queues here instead of growing the worker by 19 MiB per login."""
    global _limiter
    size = get_settings().password_hash_concurrency
    if _limiter is None or _limiter.total_tokens != size:
        _limiter = anyio.CapacityLimiter(size)
    return _limiter


def _hash(password: str) -> str:
    """libsodium's argon2id (its AVX2/AVX-512 code: half the CPU of the reference implementation per login,
    docs/BENCHMARKS.md, Login); the string is the PHC format any argon2 library reads."""
    _, memory_kib, passes, _ = wanted_cost()
    return pwhash.argon2id.str(password.encode(), opslimit=passes, memlimit=memory_kib * 1024).decode()


def _verify(password_hash: str, password: str) -> bool:
    """Any argon2id or argon2i hash, whatever its cost or lanes (those of the former cost included)."""
    try:
        return pwhash.verify(password_hash.encode(), password.encode())
    except (CryptoError, ValueError):
        return False


async def _bounded(function, *args):
    """argon2 is deliberately slow (~10–25 ms of CPU): in a worker thread (libsodium releases the GIL), off the
    event loop, a few at a time."""
    return await anyio.to_thread.run_sync(function, *args, limiter=_bound())


async def hash_password(password: str) -> str:
    return await _bounded(_hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    return await _bounded(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return cost(password_hash) != wanted_cost()


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
