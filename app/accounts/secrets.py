"""Password hashing (argon2) and the one-way hashing of tokens, codes and captcha answers."""

import hashlib
import hmac
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


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
