"""The store's database, named by a path or URL: SQLite on one machine, PostgreSQL beyond it.

A path, or `sqlite:///relative` / `sqlite:////absolute`, is a SQLite file (`sqlite.py`); a
`postgresql://…` URL is a PostgreSQL database (`postgres.py`). Both get the same named migrations and
every resource module's SQL; every multi-row change is one `tx()`, so a crash leaves all of it or none.
Only the modules of this package write SQL.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from zhen.errors import InputError
from zhen.store.migrations import MIGRATIONS, applied_names, record
from zhen.store.sql import Args, Row, Tx

POSTGRES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class Database(Protocol):
    dialect: str

    @property
    def path(self) -> Path | None:
        """The SQLite file (None for a database server)."""
        ...

    def tx(self) -> AbstractContextManager[Tx]: ...

    def query(self, sql: str, args: Args = ()) -> list[Row]: ...

    def close(self) -> None: ...


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith(POSTGRES)


def sqlite_path(target: str | Path) -> Path:
    """The file a SQLite target names (a plain path, or SQLAlchemy's `sqlite:///` form)."""
    s = str(target)
    if s.startswith("sqlite:///"):
        return Path(s[len("sqlite:///"):]).expanduser()
    if "://" in s:
        raise InputError(f"unknown store URL {s.split('://')[0]}://…: give a SQLite path, sqlite:///PATH or "
                         "postgresql://USER@HOST/DB")
    return Path(s).expanduser()


def open_database(target: str | Path) -> Database:
    if is_postgres(target):
        from zhen.store.postgres import PostgresDatabase

        return PostgresDatabase(str(target).replace("postgresql+psycopg://", "postgresql://", 1))
    from zhen.store.sqlite import SqliteDatabase

    return SqliteDatabase(sqlite_path(target))


class Connection:
    """The database every resource module works on, migrated to the latest named migration on opening
    (unless `migrate` is False: `zhen db migrate`, which reports what it applies)."""

    def __init__(self, target: str | Path, migrate: bool = True) -> None:
        self._database = open_database(target)
        self.dialect = self._database.dialect
        self.path = self._database.path  # the SQLite file; None on PostgreSQL
        self.url = str(target) if is_postgres(target) else str(self.path)  # what another process opens
        if migrate:
            self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations this database lacks, each in its own transaction, recorded by name; returns
        the names applied now. Servers starting together take turns (the `migrations` lock), so each
        migration runs once."""
        with self.tx() as db:
            db.lock("zhen-migrations")
            if applied_names(db) >= {m.name for m in MIGRATIONS}:
                return []
        done: list[str] = []
        for position, m in enumerate(MIGRATIONS, 1):
            with self.tx() as db:
                db.lock("zhen-migrations")
                if m.name in applied_names(db):
                    continue
                m.apply(db)
                record(db, m.name, position, time.time())
            done.append(m.name)
        return done

    def migrations(self) -> list[str]:
        """The names applied to this database, in the order of `MIGRATIONS`."""
        order = {m.name: i for i, m in enumerate(MIGRATIONS)}
        with self.tx() as db:
            names = list(applied_names(db))
        return sorted(names, key=lambda n: (order.get(n, len(order)), n))

    def tx(self) -> AbstractContextManager[Tx]:
        """One write transaction: all or nothing."""
        return self._database.tx()

    def _query(self, sql: str, args: Args = ()) -> list[Row]:
        return self._database.query(sql, args)

    def close(self) -> None:
        self._database.close()

