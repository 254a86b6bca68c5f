"""Translation memory: an SQLite cache keyed by model signature, prompt inputs and normalised source.

Re-running an article, or a sentence that recurs across articles (datelines, slogans, standard
titles), costs a lookup instead of a model call. WAL mode lets the API and batch jobs read while
one of them writes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

from mt.base import Request


def key(signature: str, req: Request) -> str:
    """Everything that can change the output goes into the key."""
    terms = ";".join(f"{t.source}={t.target}" for t in req.terms)
    parts = [signature, req.title or "", terms, req.source]
    if req.task != "translate" or req.hint:  # plain translation keys stay as they were
        parts += [req.task, req.draft or "", req.hint or ""]
    raw = "\x1f".join(parts)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TranslationMemory:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS tm (key TEXT PRIMARY KEY, signature TEXT, source TEXT, target TEXT,"
            " created REAL)"
        )
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(tm)")}
        if "logprob" not in columns:  # added later: older memories gain the column, their rows stay valid
            self.db.execute("ALTER TABLE tm ADD COLUMN logprob REAL")
        self.db.commit()

    def get_many(self, keys: list[str]) -> dict[str, tuple[str, float | None]]:
        """key → (target, mean token log-probability or None) for the keys present."""
        out: dict[str, tuple[str, float | None]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT key, target, logprob FROM tm WHERE key IN ({','.join('?' * len(chunk))})"
                out.update((k, (t, lp)) for k, t, lp in self.db.execute(q, chunk).fetchall())
        return out

    def put_many(self, rows: list[tuple[str, str, str, str, float | None]]) -> None:
        """Store (key, signature, source, target, logprob) rows."""
        now = time.time()
        with self._lock, self.db:
            self.db.executemany("INSERT OR REPLACE INTO tm (key, signature, source, target, created, logprob) "
                                "VALUES (?, ?, ?, ?, ?, ?)", [(*r[:4], now, r[4]) for r in rows])

    def __len__(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM tm").fetchone()[0]

    def close(self) -> None:
        self.db.close()
