"""Named glossaries, as DeepL's API keeps them (`/v2/glossaries`): a key's own sets of terms, applied to
a request that names one. They sit beside the key's learned glossary (`glossary_terms` in `tm.py`),
which applies to every request of the key."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from zhen.store.connection import Connection


class NamedGlossaries(Connection):
    def create_glossary(self, owner: str, name: str, source_lang: str, target_lang: str,
                        entries: Sequence[tuple[str, str]]) -> dict:
        """A new glossary of `owner`'s (a later entry for the same source wins)."""
        gid = str(uuid.uuid4())
        with self.tx() as db:
            db.execute("INSERT INTO glossaries VALUES (?, ?, ?, ?, ?, ?)",
                       (gid, owner, name, source_lang, target_lang, time.time()))
            db.executemany("INSERT INTO glossary_entries VALUES (?, ?, ?) ON CONFLICT (glossary_id, source) "
                           "DO UPDATE SET target = excluded.target",
                           [(gid, s, t) for s, t in entries])
        found = self.named_glossary(owner, gid)
        assert found is not None
        return found

    def named_glossaries(self, owner: str) -> list[dict]:
        """`owner`'s glossaries, oldest first, each with its entry count."""
        return [dict(r) for r in self._query(
            "SELECT g.*, (SELECT COUNT(*) FROM glossary_entries e WHERE e.glossary_id = g.id) AS entry_count "
            "FROM glossaries g WHERE owner = ? ORDER BY created", (owner,))]

    def named_glossary(self, owner: str, gid: str) -> dict | None:
        """One of `owner`'s glossaries (None for another key's: its existence is not revealed)."""
        return next((g for g in self.named_glossaries(owner) if g["id"] == gid), None)

    def glossary_entries(self, owner: str, gid: str) -> list[tuple[str, str]] | None:
        if self.named_glossary(owner, gid) is None:
            return None
        return [(r["source"], r["target"]) for r in self._query(
            "SELECT source, target FROM glossary_entries WHERE glossary_id = ? ORDER BY source", (gid,))]

    def delete_glossary(self, owner: str, gid: str) -> bool:
        with self.tx() as db:
            return db.execute("DELETE FROM glossaries WHERE id = ? AND owner = ?", (gid, owner)).rowcount > 0
