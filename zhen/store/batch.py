"""`zhen batch` bookkeeping: one row per article version (its bytes, model and options), committed with
the article's document, so a killed run redoes exactly the articles it had not committed."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from zhen.store.documents import Documents
from zhen.store.sql import Tx


class BatchItems(Documents):
    def batch_items(self) -> dict[str, dict]:
        """key → the article's row (name, status, outputs, error)."""
        rows = self._query("SELECT key, name, status, outputs, error FROM batch_items")
        return {r["key"]: {**dict(r), "outputs": json.loads(r["outputs"])} for r in rows}

    def batch_failed(self, key: str, name: str, error: str) -> None:
        with self.tx() as db:
            _item(db, key, name, "failed", None, (), error, None, None)

    def batch_done(self, key: str, name: str, outputs: Sequence[str], seconds: float, *, title: str | None,
                   model: str | None, options: dict[str, Any], text: str, segments: Sequence[dict],
                   alignments: Sequence[dict] = ()) -> str:
        """The article's document and its `done` row, in one transaction; returns the document's id."""
        return self.save_document(
            "translation", title=title, model=model, options=options, text=text, segments=segments,
            alignments=alignments,
            also=lambda db, doc_id: _item(db, key, name, "done", doc_id, outputs, None, len(segments), seconds))


def _item(db: Tx, key: str, name: str, status: str, doc_id: str | None, outputs: Sequence[str],
          error: str | None, sentences: int | None, seconds: float | None) -> None:
    db.execute("INSERT INTO batch_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
               "name = excluded.name, status = excluded.status, doc_id = excluded.doc_id, outputs = excluded.outputs, "
               "error = excluded.error, sentences = excluded.sentences, seconds = excluded.seconds, "
               "updated = excluded.updated",
               (key, name, status, doc_id, json.dumps(list(outputs)), error, sentences, seconds, time.time()))
