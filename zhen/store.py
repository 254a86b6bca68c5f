"""The one durable store: a SQLite file in WAL mode, its schema versioned by migrations.

The API, batch runs and the CLI share it: documents, jobs, keys and usage, batch bookkeeping and
the translation memory. WAL lets readers work while one writer writes; every multi-row change (a
finished job and its document, an edit) is one transaction, so a crash leaves all of it or none.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Migration = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = [
    # 1: documents and their parts, jobs, keys and usage
    """
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
                        chars INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (key_id, day));
    """,
    # 2: batch translation bookkeeping (`zhen batch`): one row per article version and model/options
    """
    CREATE TABLE batch_items (key TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, doc_id TEXT,
                              outputs TEXT NOT NULL DEFAULT '[]', error TEXT, sentences INTEGER, seconds REAL,
                              updated REAL NOT NULL);
    """,
    # 3: the translation memory, which earlier versions created outside the migrations (with or without
    # its logprob column): keep such a table and its rows, add what is missing.
    lambda db: _translation_memory(db),
    # 4: documents owned by the key that made them, admin keys, request counts kept in the store (so limits
    # survive restarts and hold across servers), and jobs claimed by one server at a time under a lease
    """
    ALTER TABLE documents ADD COLUMN key_id TEXT;
    ALTER TABLE api_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE requests (key_id TEXT NOT NULL, t REAL NOT NULL);
    CREATE INDEX requests_by_key ON requests (key_id, t);
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    ALTER TABLE jobs ADD COLUMN lease_until REAL;
    """,
    # 5: translated files waiting to be downloaded (LibreTranslate's /translate_file), owned like documents
    """
    CREATE TABLE files (id TEXT PRIMARY KEY, doc_id TEXT, key_id TEXT, name TEXT NOT NULL,
                        media_type TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL);
    """,
    # 6: best quality: how far a segment's candidates agreed, and the other candidates, best first; the
    # translation memory keeps them too (JSON in `extra`), so a remembered answer comes back whole
    """
    ALTER TABLE segments ADD COLUMN agreement REAL;
    ALTER TABLE segments ADD COLUMN alternatives TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE tm ADD COLUMN extra TEXT;
    """,
]
JOB_LEASE = 30.0  # seconds a claimed job stays its server's without a heartbeat


class LostJob(Exception):
    """The job is no longer this server's (its lease expired and another server claimed it)."""


def _translation_memory(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS tm (key TEXT PRIMARY KEY, signature TEXT, source TEXT, target TEXT, "
               "created REAL, logprob REAL)")
    if "logprob" not in {row[1] for row in db.execute("PRAGMA table_info(tm)")}:
        db.execute("ALTER TABLE tm ADD COLUMN logprob REAL")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def worker_id() -> str:
    """Who claims jobs: `host:pid:nonce`, so a server on the same host can tell a dead owner at once."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_gone(owner: str | None) -> bool:
    """True when `owner` was a process on this host that no longer runs (killed, crashed)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its lease can say
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Store:
    """Thread-safe access to the SQLite file (one connection, serialised by a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    def migrate(self) -> int:
        """Apply migrations newer than the file's `user_version`; returns the version reached."""
        with self._lock:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for v, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    if callable(sql):
                        sql(self.db)
                    else:
                        for stmt in filter(str.strip, sql.split(";")):
                            self.db.execute(stmt)
                    self.db.execute(f"PRAGMA user_version = {v}")
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
            return len(MIGRATIONS)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all or nothing."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # documents ---------------------------------------------------------------------------------
    def save_document(self, kind: str, *, title: str | None, model: str | None, options: dict[str, Any],
                      text: str | None, segments: Sequence[dict] = (), alignments: Sequence[dict] = (),
                      job_id: str | None = None, owner: str | None = None, doc_id: str | None = None,
                      key_id: str | None = None, also: Callable[[sqlite3.Connection, str], None] | None = None) -> str:
        """Insert a document with its parts; with `job_id`, mark the job done in the same transaction (only
        if `owner` still holds it: LostJob otherwise, and nothing is stored), and run `also(connection,
        doc_id)` inside it too (so a caller's bookkeeping commits with the document)."""
        doc_id = doc_id or new_id()
        now = time.time()
        with self.tx() as db:
            db.execute("INSERT INTO documents (id, kind, created, title, model, options, text, key_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (doc_id, kind, now, title, model, json.dumps(options, ensure_ascii=False), text, key_id))
            db.executemany(
                "INSERT INTO segments (doc_id, n, kind, paragraph, source, draft, action, qe, score_before, reasons, "
                "agreement, alternatives) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(doc_id, s["n"], s.get("kind"), s.get("paragraph"), s.get("source"), s.get("draft"), s.get("action"),
                  s.get("qe"), s.get("score_before"), json.dumps(s.get("reasons", []), ensure_ascii=False),
                  s.get("agreement"), json.dumps(s.get("alternatives", []), ensure_ascii=False))
                 for s in segments])
            db.executemany(
                "INSERT INTO alignments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(doc_id, a["k"], json.dumps(a["zh"]), json.dumps(a["en"]), a.get("zh_text"), a.get("en_text"),
                  a.get("score"), json.dumps(a.get("flags", []))) for a in alignments])
            if job_id:
                cur = db.execute("UPDATE jobs SET status = 'done', doc_id = ?, updated = ?, error = NULL, "
                                 "lease_until = NULL WHERE id = ? AND status = 'running' AND owner IS ?",
                                 (doc_id, now, job_id, owner))
                if cur.rowcount != 1:
                    raise LostJob(f"job {job_id} is no longer held by {owner}")
            if also:
                also(db, doc_id)
        return doc_id

    def document(self, doc_id: str) -> dict | None:
        rows = self.query("SELECT * FROM documents WHERE id = ?", (doc_id,))
        if not rows:
            return None
        d = dict(rows[0])
        d["options"] = json.loads(d["options"])
        edits: dict[int, list[dict]] = {}
        for e in self.query("SELECT n, text, author, created FROM edits WHERE doc_id = ? ORDER BY id", (doc_id,)):
            edits.setdefault(e["n"], []).append({"text": e["text"], "author": e["author"], "created": e["created"]})
        segs = []
        for s in self.query("SELECT * FROM segments WHERE doc_id = ? ORDER BY n", (doc_id,)):
            seg = dict(s)
            del seg["doc_id"]
            seg["reasons"] = json.loads(seg["reasons"])
            seg["alternatives"] = json.loads(seg["alternatives"])
            seg["edits"] = edits.get(s["n"], [])
            seg["text"] = seg["edits"][-1]["text"] if seg["edits"] else seg["draft"]  # what a reader should see
            segs.append(seg)
        d["segments"] = segs
        d["alignments"] = [
            {"k": a["k"], "zh": json.loads(a["zh"]), "en": json.loads(a["en"]), "zh_text": a["zh_text"],
             "en_text": a["en_text"], "score": a["score"], "flags": json.loads(a["flags"])}
            for a in self.query("SELECT * FROM alignments WHERE doc_id = ? ORDER BY k", (doc_id,))
        ]
        return d

    def add_edit(self, doc_id: str, n: int, text: str, author: str | None) -> bool:
        """Keep a translator's edit beside the machine draft; False if there is no such segment."""
        with self.tx() as db:
            if not db.execute("SELECT 1 FROM segments WHERE doc_id = ? AND n = ?", (doc_id, n)).fetchone():
                return False
            db.execute("INSERT INTO edits (doc_id, n, text, author, created) VALUES (?, ?, ?, ?, ?)",
                       (doc_id, n, text, author, time.time()))
        return True

    # translated files ----------------------------------------------------------------------------
    def save_file(self, name: str, media_type: str, data: bytes, doc_id: str | None, key_id: str | None) -> str:
        file_id = uuid.uuid4().hex  # the download link is the secret: 128 random bits
        with self.tx() as db:
            db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (file_id, doc_id, key_id, name, media_type, data, time.time()))
        return file_id

    def file(self, file_id: str) -> dict | None:
        rows = self.query("SELECT * FROM files WHERE id = ?", (file_id,))
        return dict(rows[0]) if rows else None

    # translation memory ------------------------------------------------------------------------
    def tm_get_many(self, keys: Sequence[str]) -> dict[str, tuple[str, float | None, dict[str, Any]]]:
        """key → (target, mean token log-probability or None, extras) for the keys present."""
        out: dict[str, tuple[str, float | None, dict[str, Any]]] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            rows = self.query("SELECT key, target, logprob, extra FROM tm "
                              f"WHERE key IN ({','.join('?' * len(chunk))})", tuple(chunk))
            out.update((r["key"], (r["target"], r["logprob"], json.loads(r["extra"] or "{}"))) for r in rows)
        return out

    def tm_put_many(self, rows: Sequence[tuple[str, str, str, str, float | None, dict[str, Any]]]) -> None:
        """Store (key, signature, source, target, logprob, extras) rows; extras are JSON (best quality's)."""
        now = time.time()
        with self.tx() as db:
            db.executemany("INSERT OR REPLACE INTO tm (key, signature, source, target, created, logprob, extra) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(*r[:4], now, r[4], json.dumps(r[5], ensure_ascii=False) if r[5] else None)
                            for r in rows])

    def tm_size(self) -> int:
        return int(self.query("SELECT COUNT(*) AS n FROM tm")[0]["n"])

    # jobs --------------------------------------------------------------------------------------
    def create_job(self, kind: str, payload: dict, key_id: str | None) -> str:
        job_id, now = new_id(), time.time()
        with self.tx() as db:
            db.execute("INSERT INTO jobs (id, kind, payload, status, created, updated, key_id) "
                       "VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                       (job_id, kind, json.dumps(payload, ensure_ascii=False), now, now, key_id))
        return job_id

    def job(self, job_id: str) -> dict | None:
        rows = self.query("SELECT id, kind, status, created, updated, doc_id, error, attempts, key_id FROM jobs "
                          "WHERE id = ?", (job_id,))
        return dict(rows[0]) if rows else None

    def job_payload(self, job_id: str) -> dict:
        return json.loads(self.query("SELECT payload FROM jobs WHERE id = ?", (job_id,))[0]["payload"])

    def claim_job(self, job_id: str, owner: str, lease: float = JOB_LEASE) -> bool:
        """Make the job `owner`'s, atomically: True for exactly one of any number of servers asking. A job
        can be claimed when queued, or running under a lease that expired or an owner on this host that died."""
        now = time.time()
        with self.tx() as db:  # BEGIN IMMEDIATE: one claimant at a time across processes
            row = db.execute("SELECT status, owner, lease_until FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row["status"] not in ("queued", "running"):
                return False
            if row["status"] == "running" and row["owner"] != owner and not (
                    (row["lease_until"] or 0) < now or _owner_gone(row["owner"])):
                return False
            db.execute("UPDATE jobs SET status = 'running', owner = ?, lease_until = ?, updated = ?, "
                       "attempts = attempts + 1 WHERE id = ?", (owner, now + lease, now, job_id))
        return True

    def renew_lease(self, job_id: str, owner: str, lease: float = JOB_LEASE) -> bool:
        """Extend the lease of a job `owner` is running; False if it is no longer `owner`'s."""
        with self.tx() as db:
            cur = db.execute("UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND status = 'running'",
                             (time.time() + lease, job_id, owner))
        return cur.rowcount == 1

    def fail_job(self, job_id: str, owner: str, error: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE jobs SET status = 'failed', error = ?, updated = ?, lease_until = NULL "
                       "WHERE id = ? AND owner = ?", (error, time.time(), job_id, owner))

    def claimable_jobs(self) -> list[str]:
        """Jobs some server should run: queued, or running under an expired lease or a dead owner."""
        now = time.time()
        rows = self.query("SELECT id, status, owner, lease_until FROM jobs WHERE status IN ('queued', 'running') "
                          "ORDER BY created")
        return [r["id"] for r in rows if r["status"] == "queued" or (r["lease_until"] or 0) < now
                or _owner_gone(r["owner"])]
