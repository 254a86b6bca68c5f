"""API keys (hashes only) and what each has used: requests in the last minute, characters per UTC day.

Counts live here rather than in a server's memory, so limits survive restarts and hold across every
server on the store. Each check-and-charge is one transaction.
"""

from __future__ import annotations

import time

from zhen.store.connection import Connection


def today(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() if now is None else now))


class Keys(Connection):
    def add_key(self, key_id: str, name: str, secret_hash: str, rpm: int, chars_per_day: int, admin: bool) -> None:
        with self.tx() as db:
            db.execute("INSERT INTO api_keys (id, name, hash, created, revoked, requests_per_minute, chars_per_day, "
                       "admin) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                       (key_id, name, secret_hash, time.time(), rpm, chars_per_day, int(admin)))

    def key_row(self, key_id: str) -> dict | None:
        rows = self._query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return dict(rows[0]) if rows else None

    def list_keys(self) -> list[dict]:
        return [dict(r) for r in self._query(
            "SELECT id, name, created, revoked, requests_per_minute, chars_per_day, admin FROM api_keys "
            "ORDER BY created")]

    def revoke_key(self, key_id: str) -> bool:
        with self.tx() as db:
            cur = db.execute("UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL", (time.time(), key_id))
            return cur.rowcount > 0

    def count_request(self, key_id: str, per_minute: int) -> float | None:
        """Count one request in the key's sliding minute; when `per_minute` are there already, count
        nothing and return the seconds until the oldest leaves it."""
        now = time.time()
        with self.tx() as db:
            db.lock(f"key:{key_id}")  # servers counting for one key take turns
            db.execute("DELETE FROM requests WHERE key_id = ? AND t < ?", (key_id, now - 60))
            recent = db.execute("SELECT COUNT(*) AS n, MIN(t) AS first FROM requests WHERE key_id = ?",
                                (key_id,)).fetchone()
            if recent["n"] >= per_minute:
                return recent["first"] + 60 - now
            db.execute("INSERT INTO requests VALUES (?, ?)", (key_id, now))
            db.execute("INSERT INTO usage VALUES (?, ?, 1, 0) ON CONFLICT (key_id, day) DO UPDATE SET "
                       "requests = usage.requests + 1", (key_id, today(now)))
        return None

    def charge_chars(self, key_id: str, chars: int, per_day: int) -> int | None:
        """Spend `chars` of today's allowance; when that would pass `per_day`, spend nothing and return
        what was spent already."""
        day = today()
        with self.tx() as db:
            db.lock(f"key:{key_id}")
            row = db.execute("SELECT chars FROM usage WHERE key_id = ? AND day = ?", (key_id, day)).fetchone()
            spent = row["chars"] if row else 0
            if spent + chars > per_day:
                return spent
            db.execute("INSERT INTO usage VALUES (?, ?, 0, ?) ON CONFLICT (key_id, day) DO UPDATE SET "
                       "chars = usage.chars + excluded.chars", (key_id, day, chars))
        return None

    def refund_chars(self, key_id: str, chars: int) -> None:
        with self.tx() as db:
            db.execute("UPDATE usage SET chars = CASE WHEN chars > ? THEN chars - ? ELSE 0 END WHERE key_id = ? "
                       "AND day = ?", (chars, chars, key_id, today()))

    def chars_today(self, key_id: str) -> int:
        rows = self._query("SELECT chars FROM usage WHERE key_id = ? AND day = ?", (key_id, today()))
        return int(rows[0]["chars"]) if rows else 0
