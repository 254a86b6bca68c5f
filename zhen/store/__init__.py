"""The one durable store: a SQLite file in WAL mode on one machine, a PostgreSQL database beyond it,
its schema kept by the same named migrations on both.

The API, batch runs and the CLI share it. Each resource has its module (documents and files, jobs,
keys and usage, the model-output cache, the human translation memory and glossaries, batch
bookkeeping, moving a store) and `Store` is all of them over one connection (`connection.py`, which
opens `sqlite.py` or `postgres.py` by the URL). No SQL is written anywhere else (an import-linter
contract keeps `sqlite3` and `psycopg` out of the interfaces).
"""

from __future__ import annotations

from zhen.store.batch import BatchItems
from zhen.store.documents import Documents, LostJob, new_id
from zhen.store.glossaries import NamedGlossaries
from zhen.store.jobs import JOB_LEASE, Jobs, worker_id
from zhen.store.keys import Keys
from zhen.store.memory import CacheRow, OutputCache
from zhen.store.migrations import MIGRATIONS, TABLES
from zhen.store.tm import EDITS, TranslationUnits, Unit
from zhen.store.transfer import Transfer

__all__ = ["EDITS", "JOB_LEASE", "MIGRATIONS", "TABLES", "CacheRow", "LostJob", "Store", "Unit", "new_id", "worker_id"]


class Store(BatchItems, TranslationUnits, NamedGlossaries, Documents, Jobs, Keys, OutputCache, Transfer):
    """Every resource of the store over one connection (`zhen.store.connection.Connection`)."""
