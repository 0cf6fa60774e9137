"""bcrypt hashes for Dex's static users that are the same on every run.

A bcrypt hash with a random salt changes every time it is computed, so every
`pulumi up` would show a change and restart Dex. The salt is derived instead: an HMAC
of the user's email under a random key that lives (secret) in the Pulumi state. Same
password and user -> same hash; the salt reveals nothing about the password (it is not
derived from it, which would let anyone test guesses at HMAC speed instead of bcrypt's).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

import bcrypt

MIN_COST = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; bcrypt 5 refuses longer input
_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCRYPT = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TO_BCRYPT = bytes.maketrans(_STD, _BCRYPT)
BCRYPT_HASH = re.compile(r"^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$")


def derived_salt(salt_key: bytes, email: str, cost: int) -> bytes:
    """A bcrypt salt (`$2b$12$` + 22 characters) from an HMAC of the email."""
    if cost < MIN_COST:
        raise ValueError(f"bcrypt cost {cost} is below {MIN_COST}")
    digest = hmac.new(salt_key, b"clusterforge-dex-static-password\0" + email.lower().encode(), hashlib.sha256)
    encoded = base64.b64encode(digest.digest()[:16]).rstrip(b"=").translate(_TO_BCRYPT)
    return b"$2b$%02d$" % cost + encoded


def password_hash(password: str, salt_key: bytes, email: str, cost: int) -> str:
    data = password.encode()
    if not data:
        raise ValueError("the password is empty")
    if len(data) > MAX_PASSWORD_BYTES:
        raise ValueError(f"the password is {len(data)} bytes; bcrypt uses at most {MAX_PASSWORD_BYTES}")
    return bcrypt.hashpw(data, derived_salt(salt_key, email, cost)).decode()


def hash_cost(text: str) -> int | None:
    """The cost of a bcrypt hash, or None when `text` is not one."""
    match = BCRYPT_HASH.match(text)
    return int(match.group(1)) if match else None
