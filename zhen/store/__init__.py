"""The one durable store: a SQLite file in WAL mode, its schema kept by named migrations.

The API, batch runs and the CLI share it. Each resource has its module (documents and files, jobs,
keys and usage, the model-output cache, the human translation memory and glossaries, batch
bookkeeping) and `Store` is all of them over one
connection. No SQL is written anywhere else (an import-linter contract keeps `sqlite3` out of the
interfaces).
"""

from __future__ import annotations

from zhen.store.batch import BatchItems
from zhen.store.documents import Documents, LostJob, new_id
from zhen.store.glossaries import NamedGlossaries
from zhen.store.jobs import JOB_LEASE, Jobs, worker_id
from zhen.store.keys import Keys
from zhen.store.memory import CacheRow, OutputCache
from zhen.store.migrations import MIGRATIONS
from zhen.store.tm import EDITS, TranslationUnits, Unit

__all__ = ["EDITS", "JOB_LEASE", "MIGRATIONS", "CacheRow", "LostJob", "Store", "Unit", "new_id", "worker_id"]


class Store(BatchItems, TranslationUnits, NamedGlossaries, Documents, Jobs, Keys, OutputCache):
    """Every resource of the store over one connection (`zhen.store.connection.Connection`)."""
