"""The store beyond one machine: a PostgreSQL database, through psycopg 3.

Every server on every machine opens the same database; PostgreSQL does the locking that SQLite can only
do on one machine's disk. The store's SQL is written in SQLite's placeholders and portable SQL, and is
carried over here by one rule (`pyformat`): `?` and `:name` become psycopg's `%s` and `%(name)s`, a
literal `%` is doubled, and SQLite's null-safe `IS ?` becomes `IS NOT DISTINCT FROM %s`. Where the two
databases really differ (trigram search, claiming rows) the modules ask `tx.dialect`.

One connection per process, behind a lock, as with SQLite: a server runs one model, so its store work is
small next to the model's, and servers scale by number (`bench/scale.py`). A connection that broke (the
database restarted) is opened again on the next use.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zhen.errors import InputError, Unavailable
from zhen.store.sql import Args, Cursor, Row

_TOKEN = re.compile(r"'(?:[^']|'')*'|\bIS\s+\?|\?|(?<![:\w]):([A-Za-z_]\w*)|%", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """The store's SQL (SQLite placeholders) as psycopg takes it; quoted literals keep their `?` and `:`."""

    def sub(m: re.Match[str]) -> str:
        t = m.group(0)
        if t.startswith("'"):
            return t.replace("%", "%%")  # psycopg reads placeholders inside literals too
        if t == "%":
            return "%%"
        if t == "?":
            return "%s"
        if m.group(1):
            return f"%({m.group(1)})s"
        return "IS NOT DISTINCT FROM %s"

    return _TOKEN.sub(sub, sql)


def redacted(url: str) -> str:
    """The URL without its password, for messages and /healthz."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresTx:
    """A `Tx` over one psycopg connection inside `conn.transaction()`."""

    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, conn: Any) -> None:  # noqa: ANN401 - psycopg.Connection (an optional dependency)
        self._conn = conn

    def execute(self, sql: str, args: Args = ()) -> Cursor:
        return self._conn.execute(pyformat(sql), args)

    def executemany(self, sql: str, rows: Iterable[Args]) -> Cursor:
        cur = self._conn.cursor()
        batch = list(rows)
        if batch:
            cur.executemany(pyformat(sql), batch)
        return cur

    def lock(self, name: str) -> None:
        """A transaction-scoped advisory lock on `name` (64-bit hash): released at COMMIT or ROLLBACK."""
        self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))


class PostgresDatabase:
    dialect = "postgresql"
    path: Path | None = None

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise InputError("the store is a PostgreSQL URL but psycopg is not installed: "
                             "pip install 'zhen[postgres]'") from None
        self._psycopg = psycopg
        self.url = url
        self._lock = threading.RLock()
        self._conn: Any = None
        self._connection()

    def _connection(self) -> Any:  # noqa: ANN401 - psycopg.Connection
        if self._conn is None or self._conn.closed or self._conn.broken:
            from psycopg.rows import dict_row

            try:
                self._conn = self._psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=10)
            except self._psycopg.OperationalError as err:
                raise Unavailable(f"cannot open the store {redacted(self.url)}: {str(err).strip()[:300]}",
                                  retry_after=10) from None
        return self._conn

    @contextmanager
    def tx(self) -> Iterator[PostgresTx]:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                yield PostgresTx(conn)

    def query(self, sql: str, args: Args = ()) -> list[Row]:
        with self._lock:
            try:
                return self._connection().execute(pyformat(sql), args).fetchall()
            except self._psycopg.OperationalError:
                if not self._conn.broken:
                    raise
                return self._connection().execute(pyformat(sql), args).fetchall()  # once more, on a new connection

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
