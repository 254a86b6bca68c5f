"""The embedded store: one SQLite file in WAL mode, one connection behind a lock.

WAL lets readers work while one writer writes; `BEGIN IMMEDIATE` makes every write transaction take the
file's write lock at once, so writers on one machine (threads, or several `zhen serve` processes on the
same disk) take turns and a read-then-write never races. On a network filesystem none of this holds:
beyond one machine the store is PostgreSQL (`postgres.py`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zhen.store.sql import Args, Cursor, Row


class SqliteTx:
    """A `Tx` over the sqlite3 connection: SQL goes through as written."""

    dialect = "sqlite"
    skip_locked = ""  # BEGIN IMMEDIATE already holds the whole file

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, args: Args = ()) -> Cursor:
        return self._db.execute(sql, args)

    def executemany(self, sql: str, rows: Iterable[Args]) -> Cursor:
        return self._db.executemany(sql, rows)

    def lock(self, name: str) -> None:
        """Nothing to do: the transaction holds the file's write lock."""


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path: Path | None = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def tx(self) -> Iterator[SqliteTx]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self._db)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def query(self, sql: str, args: Args = ()) -> list[Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()
