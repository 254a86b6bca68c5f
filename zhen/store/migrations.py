"""The store's schema as named migrations, applied in order and recorded by name (as the `llm` CLI does).

A name, once released, never changes and its migration is never edited: a store records which names
it has, so a new migration is simply appended. Stores made before migrations had names kept only
`PRAGMA user_version` (the count applied); they are upgraded in place by recording the first that
many names as applied (`applied_names`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite3.Connection], None]


MIGRATIONS: list[Migration] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """Register `fn` as the next migration, under its function name."""
    MIGRATIONS.append(Migration(fn.__name__, fn))
    return fn


def _run(db: sqlite3.Connection, script: str) -> None:
    """Statements one by one (`executescript` would commit the migration's transaction half-way)."""
    for stmt in filter(str.strip, script.split(";")):
        db.execute(stmt)


@migration
def m001_documents_jobs_keys(db: sqlite3.Connection) -> None:
    _run(db, """
    CREATE TABLE documents (id TEXT PRIMARY KEY, kind TEXT NOT NULL, created REAL NOT NULL, title TEXT,
                            model TEXT, options TEXT NOT NULL DEFAULT '{}', text TEXT);
    CREATE TABLE segments (doc_id TEXT NOT NULL REFERENCES documents(id), n INTEGER NOT NULL, kind TEXT,
                           paragraph INTEGER, source TEXT, draft TEXT, action TEXT, qe REAL, score_before REAL,
                           reasons TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (doc_id, n));
    CREATE TABLE edits (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, n INTEGER NOT NULL,
                        text TEXT NOT NULL, author TEXT, created REAL NOT NULL);
    CREATE INDEX edits_by_segment ON edits (doc_id, n, id);
    CREATE TABLE alignments (doc_id TEXT NOT NULL REFERENCES documents(id), k INTEGER NOT NULL, zh TEXT NOT NULL,
                             en TEXT NOT NULL, zh_text TEXT, en_text TEXT, score REAL, flags TEXT NOT NULL DEFAULT '[]',
                             PRIMARY KEY (doc_id, k));
    CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
                       created REAL NOT NULL, updated REAL NOT NULL, doc_id TEXT, error TEXT,
                       attempts INTEGER NOT NULL DEFAULT 0, key_id TEXT);
    CREATE INDEX jobs_by_status ON jobs (status, created);
    CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, created REAL NOT NULL,
                           revoked REAL, requests_per_minute INTEGER NOT NULL, chars_per_day INTEGER NOT NULL);
    CREATE TABLE usage (key_id TEXT NOT NULL, day TEXT NOT NULL, requests INTEGER NOT NULL DEFAULT 0,
                        chars INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (key_id, day))
    """)


@migration
def m002_batch_items(db: sqlite3.Connection) -> None:
    """`zhen batch` bookkeeping: one row per article version and model/options."""
    _run(db, """
    CREATE TABLE batch_items (key TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, doc_id TEXT,
                              outputs TEXT NOT NULL DEFAULT '[]', error TEXT, sentences INTEGER, seconds REAL,
                              updated REAL NOT NULL)
    """)


@migration
def m003_model_output_cache(db: sqlite3.Connection) -> None:
    """The model-output cache (`tm`), which early versions created outside the migrations (with or
    without its logprob column): such a table keeps its rows and gains what is missing."""
    db.execute("CREATE TABLE IF NOT EXISTS tm (key TEXT PRIMARY KEY, signature TEXT, source TEXT, target TEXT, "
               "created REAL, logprob REAL)")
    if "logprob" not in {row[1] for row in db.execute("PRAGMA table_info(tm)")}:
        db.execute("ALTER TABLE tm ADD COLUMN logprob REAL")


@migration
def m004_owners_admins_requests_leases(db: sqlite3.Connection) -> None:
    """Documents owned by the key that made them, admin keys, request counts kept in the store (limits
    survive restarts and hold across servers), jobs claimed by one server at a time under a lease."""
    _run(db, """
    ALTER TABLE documents ADD COLUMN key_id TEXT;
    ALTER TABLE api_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE requests (key_id TEXT NOT NULL, t REAL NOT NULL);
    CREATE INDEX requests_by_key ON requests (key_id, t);
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    ALTER TABLE jobs ADD COLUMN lease_until REAL
    """)


@migration
def m005_translated_files(db: sqlite3.Connection) -> None:
    """Translated files waiting to be downloaded (LibreTranslate's /translate_file), owned like documents."""
    _run(db, """
    CREATE TABLE files (id TEXT PRIMARY KEY, doc_id TEXT, key_id TEXT, name TEXT NOT NULL,
                        media_type TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL)
    """)


@migration
def m006_candidates(db: sqlite3.Connection) -> None:
    """Best quality: how far a segment's candidates agreed and the other candidates, in segments and the cache."""
    _run(db, """
    ALTER TABLE segments ADD COLUMN agreement REAL;
    ALTER TABLE segments ADD COLUMN alternatives TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE tm ADD COLUMN extra TEXT
    """)


@migration
def m007_segment_flags(db: sqlite3.Connection) -> None:
    """Each segment's flags with the source span they point at (`zhen.app.results.Flag`)."""
    db.execute("ALTER TABLE segments ADD COLUMN flags TEXT NOT NULL DEFAULT '[]'")


@migration
def m008_translation_memory(db: sqlite3.Connection) -> None:
    """The human translation memory (translators' edits, imports, aligned archives), apart from the
    model-output cache: units owned by a key ('' on a store without keys), grouped in named memories
    that an admin may share, found by exact key or, through an FTS5 trigram index, by fuzzy match; each
    key's glossary, with where each term came from; and each segment's terms, which an edit is compared
    against to learn renderings."""
    _run(db, """
    CREATE TABLE tm_units (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, memory TEXT NOT NULL,
                           source TEXT NOT NULL, target TEXT NOT NULL, match_key TEXT NOT NULL,
                           numbers TEXT NOT NULL DEFAULT '[]', origin TEXT NOT NULL, author TEXT,
                           created REAL NOT NULL, doc_id TEXT, n INTEGER, score REAL,
                           UNIQUE (owner, memory, match_key, target));
    CREATE INDEX tm_units_by_key ON tm_units (match_key, owner);
    CREATE UNIQUE INDEX tm_units_by_segment ON tm_units (doc_id, n) WHERE doc_id IS NOT NULL;
    CREATE VIRTUAL TABLE tm_units_fts USING fts5(match_key, content='tm_units', content_rowid='id',
                                                 tokenize='trigram');
    CREATE TABLE tm_shares (owner TEXT NOT NULL, memory TEXT NOT NULL, key_id TEXT NOT NULL, created REAL NOT NULL,
                            PRIMARY KEY (owner, memory, key_id));
    CREATE TABLE glossary_terms (owner TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
                                 kind TEXT NOT NULL DEFAULT 'term', origin TEXT NOT NULL, author TEXT, doc_id TEXT,
                                 n INTEGER, was TEXT, created REAL NOT NULL, PRIMARY KEY (owner, source));
    ALTER TABLE segments ADD COLUMN terms TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE segments ADD COLUMN match TEXT
    """)
    # the index follows the table (statements with their own `;`, so not through `_run`)
    db.execute("CREATE TRIGGER tm_units_ai AFTER INSERT ON tm_units BEGIN "
               "INSERT INTO tm_units_fts (rowid, match_key) VALUES (new.id, new.match_key); END")
    db.execute("CREATE TRIGGER tm_units_ad AFTER DELETE ON tm_units BEGIN "
               "INSERT INTO tm_units_fts (tm_units_fts, rowid, match_key) VALUES ('delete', old.id, old.match_key); "
               "END")
    db.execute("CREATE TRIGGER tm_units_au AFTER UPDATE ON tm_units BEGIN "
               "INSERT INTO tm_units_fts (tm_units_fts, rowid, match_key) VALUES ('delete', old.id, old.match_key); "
               "INSERT INTO tm_units_fts (rowid, match_key) VALUES (new.id, new.match_key); END")


@migration
def m009_inline_tags_and_named_glossaries(db: sqlite3.Connection) -> None:
    """Each segment's inline tags (the source's and the draft's marks, for units a CAT tool sent with
    tags); each document's origin (the API or route that stored it, so a key can list what its CAT tool
    asked for); and named glossaries as DeepL's API keeps them (`/v2/glossaries`): owned by a key, applied
    to a request that names them."""
    _run(db, """
    ALTER TABLE segments ADD COLUMN tags TEXT;
    ALTER TABLE documents ADD COLUMN origin TEXT;
    CREATE INDEX documents_by_key ON documents (key_id, created);
    CREATE TABLE glossaries (id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, source_lang TEXT NOT NULL,
                             target_lang TEXT NOT NULL, created REAL NOT NULL);
    CREATE INDEX glossaries_by_owner ON glossaries (owner, created);
    CREATE TABLE glossary_entries (glossary_id TEXT NOT NULL REFERENCES glossaries (id) ON DELETE CASCADE,
                                   source TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (glossary_id, source))
    """)


@migration
def m010_segment_status(db: sqlite3.Connection) -> None:
    """Each segment's review status as the translator set it: edited, reviewed or rejected (none yet:
    a draft, or edited when it has edits from before statuses)."""
    _run(db, "ALTER TABLE segments ADD COLUMN status TEXT")


def applied_names(db: sqlite3.Connection) -> set[str]:
    """Names already applied; a store from before named migrations has its `user_version` first ones."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied REAL NOT NULL)")
    names = {r[0] for r in db.execute("SELECT name FROM _migrations")}
    if not names:
        legacy = db.execute("PRAGMA user_version").fetchone()[0]
        older = [m.name for m in MIGRATIONS[:legacy]]  # in order: the table's order is the order applied
        db.executemany("INSERT INTO _migrations VALUES (?, 0)", [(n,) for n in older])
        names = set(older)
    return names
