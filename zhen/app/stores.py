"""Use cases: bring a store up to date (`zhen db migrate`), and move it to another database (`zhen db
copy`), e.g. from the embedded SQLite file to PostgreSQL when servers spread over several machines."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from zhen.errors import InputError
from zhen.store import Store
from zhen.store.postgres import redacted


@dataclass(frozen=True)
class Migrated:
    store: str
    applied: list[str]  # by this run
    migrations: list[str]  # all the store has now

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Copied:
    source: str
    target: str
    rows: dict[str, int]  # per table, the same in both (checked)

    def to_dict(self) -> dict:
        return {**asdict(self), "total": sum(self.rows.values())}


def migrate_store(url: str) -> Migrated:
    """Apply the named migrations the store lacks (opening a store does it too; this says what ran)."""
    store = Store(url, migrate=False)
    try:
        applied = store.migrate()
        return Migrated(redacted(url), applied, store.migrations())
    finally:
        store.close()


def copy_store(source_url: str, target_url: str) -> Copied:
    """Every row of the source store into an empty target store, in one transaction there; then each
    table is counted on both sides, so a copy that lost anything is reported, not trusted. Both stores
    are first brought to the latest migration, as opening any store does."""
    if source_url == target_url:
        raise InputError("--from and --to name the same store")
    source, target = Store(source_url), Store(target_url)
    try:
        rows = target.copy_from(source)
        there, here = source.table_counts(), target.table_counts()
        if there != here or rows != there:
            raise InputError(f"copy incomplete: source {there}, target {here}")
        return Copied(redacted(source_url), redacted(target_url), here)
    finally:
        source.close()
        target.close()
