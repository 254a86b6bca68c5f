"""Documents (a translation, alignment or polish result), their segments, alignments and translators' edits."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from zhen.store.connection import Connection
from zhen.store.sql import Tx
from zhen.text.matchkey import repetitions


class LostJob(Exception):
    """The job is no longer this server's (its lease expired and another server claimed it)."""


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def _json(value: Any) -> str:  # noqa: ANN401 - any JSON value
    return json.dumps(value, ensure_ascii=False)


class Documents(Connection):
    def save_document(self, kind: str, *, title: str | None, model: str | None, options: dict[str, Any],
                      text: str | None, segments: Sequence[dict] = (), alignments: Sequence[dict] = (),
                      job_id: str | None = None, owner: str | None = None, doc_id: str | None = None,
                      key_id: str | None = None, origin: str | None = None,
                      also: Callable[[Tx, str], None] | None = None) -> str:
        """Insert a document with its parts; with `job_id`, mark the job done in the same transaction (only
        if `owner` still holds it: LostJob otherwise, and nothing is stored). `also(connection, doc_id)` runs
        inside it too: this package's own bookkeeping that must commit with the document."""
        doc_id = doc_id or new_id()
        now = time.time()
        with self.tx() as db:
            db.execute("INSERT INTO documents (id, kind, created, title, model, options, text, key_id, origin) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (doc_id, kind, now, title, model, _json(options), text, key_id, origin))
            db.executemany(
                "INSERT INTO segments (doc_id, n, kind, paragraph, source, draft, action, qe, score_before, reasons, "
                "agreement, alternatives, flags, terms, match, tags) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(doc_id, s["n"], s.get("kind"), s.get("paragraph"), s.get("source"), s.get("draft"), s.get("action"),
                  s.get("qe"), s.get("score_before"), _json(s.get("reasons", [])), s.get("agreement"),
                  _json(s.get("alternatives", [])), _json(s.get("flags", [])), _json(s.get("terms", [])),
                  _json(s["match"]) if s.get("match") else None, _json(s["tags"]) if s.get("tags") else None)
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
        """The document as the API shows it: every segment with its edits and `text` (latest edit, else draft)."""
        rows = self._query("SELECT * FROM documents WHERE id = ?", (doc_id,))
        if not rows:
            return None
        d = dict(rows[0])
        d["options"] = json.loads(d["options"])
        edits: dict[int, list[dict]] = {}
        for e in self._query("SELECT n, text, author, created FROM edits WHERE doc_id = ? ORDER BY id", (doc_id,)):
            edits.setdefault(e["n"], []).append({"text": e["text"], "author": e["author"], "created": e["created"]})
        segs = []
        for s in self._query("SELECT * FROM segments WHERE doc_id = ? ORDER BY n", (doc_id,)):
            seg = dict(s)
            del seg["doc_id"]
            for k in ("reasons", "alternatives", "flags", "terms"):
                seg[k] = json.loads(seg[k])
            seg["match"] = json.loads(seg["match"]) if seg["match"] else None
            seg["tags"] = json.loads(seg["tags"]) if seg["tags"] else None
            seg["edits"] = edits.get(s["n"], [])
            seg["text"] = seg["edits"][-1]["text"] if seg["edits"] else seg["draft"]
            seg["status"] = seg["status"] or ("edited" if seg["edits"] else "draft")
            segs.append(seg)
        for seg, reps in zip(segs, repetitions([s["source"] or "" for s in segs])):
            seg["repetitions"] = reps
        d["segments"] = segs
        d["alignments"] = [
            {"k": a["k"], "zh": json.loads(a["zh"]), "en": json.loads(a["en"]), "zh_text": a["zh_text"],
             "en_text": a["en_text"], "score": a["score"], "flags": json.loads(a["flags"])}
            for a in self._query("SELECT * FROM alignments WHERE doc_id = ? ORDER BY k", (doc_id,))
        ]
        return d

    def documents(self, key_id: str | None, *, everyone: bool = False, origin: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        """A key's documents (`everyone`: all of them, for an admin or a server without keys), newest first,
        a page at a time, with their segment and edited-segment counts; and how many there are in all."""
        where, args = ["(? OR key_id IS ?)"], [everyone, key_id]
        if origin:
            where.append("origin = ?")
            args.append(origin)
        cond = " AND ".join(where)
        total = self._query(f"SELECT COUNT(*) AS n FROM documents WHERE {cond}", tuple(args))[0]["n"]
        rows = self._query(
            f"SELECT d.id, d.kind, d.created, d.title, d.model, d.origin, d.key_id, "
            f"(SELECT COUNT(*) FROM segments s WHERE s.doc_id = d.id) AS segments, "
            f"(SELECT COUNT(DISTINCT n) FROM edits e WHERE e.doc_id = d.id) AS edited "
            f"FROM documents d WHERE {cond} ORDER BY d.created DESC, d.id LIMIT ? OFFSET ?",
            (*args, limit, offset))
        return [dict(r) for r in rows], total

    def set_status(self, doc_id: str, n: int, status: str) -> bool:
        """A segment's review status (draft, edited, reviewed, rejected) without a new text."""
        with self.tx() as db:
            return db.execute("UPDATE segments SET status = ? WHERE doc_id = ? AND n = ?",
                              (status, doc_id, n)).rowcount > 0

    def save_file(self, name: str, media_type: str, data: bytes, doc_id: str | None, key_id: str | None) -> str:
        """A translated file kept for download; the link is the secret (128 random bits)."""
        file_id = uuid.uuid4().hex
        with self.tx() as db:
            db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (file_id, doc_id, key_id, name, media_type, data, time.time()))
        return file_id

    def file(self, file_id: str) -> dict | None:
        rows = self._query("SELECT * FROM files WHERE id = ?", (file_id,))
        return dict(rows[0]) if rows else None
