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
    raw = "\x1f".join([signature, req.title or "", terms, req.source])
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
        self.db.commit()

    def get_many(self, keys: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT key, target FROM tm WHERE key IN ({','.join('?' * len(chunk))})"
                out.update(self.db.execute(q, chunk).fetchall())
        return out

    def put_many(self, rows: list[tuple[str, str, str, str]]) -> None:
        """Store (key, signature, source, target) rows."""
        now = time.time()
        with self._lock, self.db:
            self.db.executemany("INSERT OR REPLACE INTO tm VALUES (?, ?, ?, ?, ?)", [(*r, now) for r in rows])

    def __len__(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM tm").fetchone()[0]

    def close(self) -> None:
        self.db.close()
