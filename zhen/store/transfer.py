"""Moving a whole store to another database (`zhen db copy`): SQLite to PostgreSQL when an organisation
outgrows one machine, or back. Every table of `TABLES`, row for row, in one transaction on the target, so
a failed copy leaves the target as empty as it was; ids are kept, and PostgreSQL's identity counters are
moved past them so the next edit or unit gets a new one."""

from __future__ import annotations

from collections.abc import Iterator

from zhen.errors import InputError
from zhen.store.connection import Connection
from zhen.store.migrations import TABLES
from zhen.store.sql import Row

_BATCH = 500
_IDENTITY = ("edits", "tm_units")  # tables whose `id` the database numbers


class Transfer(Connection):
    def table_counts(self) -> dict[str, int]:
        """Rows in every table of the store."""
        return {t: int(self._query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]) for t in TABLES}

    def table_rows(self, table: str) -> Iterator[list[Row]]:
        """`table`'s rows, a batch at a time, in key order."""
        order = TABLES[table]
        offset = 0
        while True:
            rows = self._query(f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?", (_BATCH, offset))
            if not rows:
                return
            yield rows
            offset += len(rows)

    def copy_from(self, source: Transfer) -> dict[str, int]:
        """Copy every row of `source` into this store, which must hold none; returns the rows per table."""
        held = {t: n for t, n in self.table_counts().items() if n}
        if held:
            raise InputError("the target store is not empty (" + ", ".join(f"{t}: {n}" for t, n in held.items())
                             + "): copy into a new database")
        copied = dict.fromkeys(TABLES, 0)
        with self.tx() as db:
            for table in TABLES:
                for rows in source.table_rows(table):
                    cols = list(rows[0].keys())
                    db.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                   [tuple(r[c] for c in cols) for r in rows])
                    copied[table] += len(rows)
            if db.dialect == "postgresql":
                for table in _IDENTITY:
                    db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
        return copied
