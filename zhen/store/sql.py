"""What the store's modules write SQL against: a transaction (`Tx`) and the two databases behind it.

The store's SQL is written once, in SQLite's placeholders (`?`, `:name`), and is portable SQL except
where a module asks `tx.dialect`: full-text and trigram search, and the two ways of serialising writers.
SQLite serialises every write transaction (`BEGIN IMMEDIATE`), so `Tx.lock` and `Tx.skip_locked` are
no-ops there; PostgreSQL runs transactions side by side, so code that reads, decides and then writes
takes an advisory lock on what it decides about (`lock`), and a job claim skips a row another server is
claiming (`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

Args = Sequence[object] | Mapping[str, object]
Row = Mapping[str, Any]  # sqlite3.Row or psycopg's dict row: both are read by column name


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...  # noqa: ANN401 - a Row, or None

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Tx(Protocol):
    """One open transaction (`Connection.tx`), or the migration being applied."""

    dialect: str  # "sqlite" or "postgresql"

    def execute(self, sql: str, args: Args = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Args]) -> Cursor: ...

    def lock(self, name: str) -> None:
        """Hold `name` until the transaction ends: writers deciding about the same thing take turns."""

    @property
    def skip_locked(self) -> str:
        """What a `SELECT … ` that claims rows ends with: rows another transaction holds are skipped."""
        ...
