"""API keys (stored hashed) and per-key limits: requests per minute and characters per day.

A key is `zk_<id>_<secret>`; only sha256(secret) is stored, so a stolen database yields no usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from zhen.errors import Forbidden, InputError, QuotaExceeded, RateLimited, Unauthorized
from zhen.store import Store, new_id

DEFAULT_RPM = 60
DEFAULT_CHARS_PER_DAY = 200_000


@dataclass
class Key:
    id: str
    name: str
    requests_per_minute: int
    chars_per_day: int
    admin: bool = False  # sees and edits every key's documents and jobs

    def may_see(self, owner: str | None) -> bool:
        return self.admin or owner == self.id


def owner(key: Key | None) -> str:
    """Whose memory, glossaries and documents a request works on: the key's, '' on a server without keys."""
    return key.id if key else ""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(store: Store, name: str, rpm: int = DEFAULT_RPM, chars_per_day: int = DEFAULT_CHARS_PER_DAY,
               admin: bool = False) -> str:
    """Create a key and return it in full (the only time it is shown)."""
    if rpm < 1 or chars_per_day < 1:
        raise InputError("a key needs at least 1 request per minute and 1 character per day")
    key_id, secret = new_id(), secrets.token_urlsafe(24)
    store.add_key(key_id, name, _hash(secret), rpm, chars_per_day, admin)
    return f"zk_{key_id}_{secret}"


class Limiter:
    """Checks a presented key and charges it a request and some characters (Unauthorized, Forbidden or
    RateLimited when it may not)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def authenticate(self, presented: str | None) -> Key:
        if not presented:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "zk":
            raise Unauthorized("malformed API key")
        r = self.store.key_row(parts[1])
        if r is None or not hmac.compare_digest(r["hash"], _hash(parts[2])):
            raise Unauthorized("unknown API key")
        if r["revoked"] is not None:
            raise Forbidden("this API key has been revoked")
        return Key(r["id"], r["name"], r["requests_per_minute"], r["chars_per_day"], bool(r["admin"]))

    def count_request(self, key: Key) -> None:
        """One more request in the key's sliding minute, or 429 with when to retry. The minute is kept in the
        store, so it survives restarts and every server on the store counts the same requests."""
        if key.requests_per_minute < 1:
            raise Forbidden("this API key allows no requests (0 per minute); create one with --rpm 1 or more")
        wait = self.store.count_request(key.id, key.requests_per_minute)
        if wait is not None:
            raise RateLimited(f"request limit reached ({key.requests_per_minute} per minute)",
                              retry_after=int(wait) + 1)

    def charge_chars(self, key: Key, chars: int) -> None:
        """Spend `chars` of the key's daily character allowance, or 429 until tomorrow (UTC)."""
        spent = self.store.charge_chars(key.id, chars, key.chars_per_day)
        if spent is not None:
            now = int(time.time())
            raise QuotaExceeded(f"character limit reached ({spent} of {key.chars_per_day} today; this request "
                                f"needs {chars})", retry_after=(now // 86400 + 1) * 86400 - now)

    def refund_chars(self, key: Key, chars: int) -> None:
        """Give back what a request that failed on its input was charged."""
        self.store.refund_chars(key.id, chars)
