"""The SQLite file: one connection in WAL mode behind a lock, write transactions, and migrations.

WAL lets readers work while one writer writes; every multi-row change is one `tx()`, so a crash
leaves all of it or none. Only the modules of this package write SQL.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from zhen.store.migrations import MIGRATIONS, applied_names


class Connection:
    """Thread-safe access to one SQLite file (one connection, serialised by a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations this file lacks, each in its own transaction, recorded by name; returns
        the names applied now."""
        done: list[str] = []
        with self._lock:
            with self.tx() as db:
                have = applied_names(db)
            for m in MIGRATIONS:
                if m.name in have:
                    continue
                with self.tx() as db:
                    m.apply(db)
                    db.execute("INSERT INTO _migrations VALUES (?, ?)", (m.name, time.time()))
                    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(m) + 1}")  # what older releases read
                done.append(m.name)
        return done

    def migrations(self) -> list[str]:
        """The names applied to this file, in the order they were applied."""
        return [r["name"] for r in self._query("SELECT name FROM _migrations ORDER BY rowid")]

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all or nothing."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, args: Sequence[object] | Mapping[str, object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()
