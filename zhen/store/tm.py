"""The human translation memory: translators' edits, imported memories and aligned archives, and each
key's glossary. Apart from the model-output cache (`memory.py`), which only remembers what the model said.

Every unit has an owner (a key's id, or '' on a store without keys) and sits in a named memory; a key
sees its own units and those of memories shared with it, never another key's. Units are found by their
match key (`zhen.text.matchkey`) exactly, or by fuzzy match through a trigram index (SQLite's FTS5,
PostgreSQL's pg_trgm).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from zhen.store.documents import Documents
from zhen.text.matchkey import match_key

EDITS = "edits"  # the memory a key's saved edits go to
_VISIBLE = ("(u.owner = :owner OR EXISTS (SELECT 1 FROM tm_shares s WHERE s.owner = u.owner "
            "AND s.memory = u.memory AND s.key_id = :owner))")
_FUZZY_GRAMS = 48  # trigrams asked of the index for one sentence (spread over it)


@dataclass(frozen=True)
class Unit:
    """A source/target pair for the memory, with where it came from."""

    source: str
    target: str
    origin: str  # edit, tmx, xliff, tsv, csv, parallel, aligned
    author: str | None = None
    score: float | None = None  # an aligned bead's score


def _row(r: Mapping) -> dict:
    d = dict(r)
    if "numbers" in d:
        d["numbers"] = tuple(json.loads(d["numbers"]))
    return d


def _grams(text: str) -> list[str]:
    """The key's trigrams as an FTS5 query's terms, at most `_FUZZY_GRAMS` of them, spread over it."""
    grams = list(dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2)))
    if len(grams) > _FUZZY_GRAMS:
        step = len(grams) / _FUZZY_GRAMS
        grams = [grams[int(k * step)] for k in range(_FUZZY_GRAMS)]
    return ['"' + g.replace('"', '""') + '"' for g in grams]


class TranslationUnits(Documents):
    def tm_add(self, owner: str, memory: str, units: Iterable[Unit]) -> int:
        """Add units to `owner`'s memory `memory`; a pair it has already is only made the latest.
        Returns how many were added or renewed."""
        now = time.time()
        rows = []
        for u in units:
            # a NUL (from a TSV, say) means nothing in a unit, and PostgreSQL's text cannot hold one
            source, target = u.source.replace("\x00", "").strip(), u.target.replace("\x00", "").strip()
            if not source or not target:
                continue
            k = match_key(source)
            rows.append((owner, memory, source, target, k.text, json.dumps(k.numbers), u.origin, u.author, now,
                         u.score))
        with self.tx() as db:
            db.executemany(
                "INSERT INTO tm_units (owner, memory, source, target, match_key, numbers, origin, author, created, "
                "score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner, memory, match_key, target) "
                "DO UPDATE SET source = excluded.source, created = excluded.created, origin = excluded.origin, "
                "author = excluded.author, score = excluded.score", rows)
        return len(rows)

    def save_edit(self, doc_id: str, n: int, text: str, author: str | None, repetitions: bool = False,
                  status: str = "edited") -> list[int]:
        """A translator's edit of segment `n`, and the same edit of the document's other segments with the
        same source when `repetitions`, each given `status` (edited, or reviewed when the translator also
        confirms it); each becomes its segment's unit in the owner's `edits` memory (the latest edit of a
        segment wins). One transaction. Returns the segments edited (none: no segment n)."""
        now = time.time()
        with self.tx() as db:
            db.lock(f"document:{doc_id}")  # two edits of one segment at once: one after the other
            doc = db.execute("SELECT key_id FROM documents WHERE id = ?", (doc_id,)).fetchone()
            seg = db.execute("SELECT source FROM segments WHERE doc_id = ? AND n = ?", (doc_id, n)).fetchone()
            if doc is None or seg is None or not (seg["source"] or "").strip():
                return []
            key = match_key(seg["source"])
            edited = [n]
            if repetitions:
                others = db.execute("SELECT n, source FROM segments WHERE doc_id = ? AND n != ? ORDER BY n",
                                    (doc_id, n)).fetchall()
                edited += [r["n"] for r in others if r["source"] and match_key(r["source"]) == key]
            for m in edited:
                db.execute("INSERT INTO edits (doc_id, n, text, author, created) VALUES (?, ?, ?, ?, ?)",
                           (doc_id, m, text, author, now))
                db.execute("UPDATE segments SET status = ? WHERE doc_id = ? AND n = ?", (status, doc_id, m))
            db.execute("DELETE FROM tm_units WHERE doc_id = ? AND n = ?", (doc_id, n))
            db.execute("DELETE FROM tm_units WHERE owner = ? AND memory = ? AND match_key = ? AND target = ?",
                       (doc["key_id"] or "", EDITS, key.text, text.strip()))
            db.execute("INSERT INTO tm_units (owner, memory, source, target, match_key, numbers, origin, author, "
                       "created, doc_id, n) VALUES (?, ?, ?, ?, ?, ?, 'edit', ?, ?, ?, ?)",
                       (doc["key_id"] or "", EDITS, seg["source"].strip(), text.strip(), key.text,
                        json.dumps(key.numbers), author, now, doc_id, n))
        return edited

    def tm_exact(self, owner: str, keys: Sequence[str]) -> dict[str, dict]:
        """Match key → the latest unit `owner` may use with that key."""
        out: dict[str, dict] = {}
        wanted = list(dict.fromkeys(keys))
        for i in range(0, len(wanted), 400):
            chunk = wanted[i : i + 400]
            marks = ",".join(f":k{j}" for j in range(len(chunk)))
            args = {"owner": owner, **{f"k{j}": k for j, k in enumerate(chunk)}}
            rows = self._query(f"SELECT u.* FROM tm_units u WHERE u.match_key IN ({marks}) AND {_VISIBLE} "
                               "ORDER BY u.created, u.id", args)
            out.update((r["match_key"], _row(r)) for r in rows)  # the latest last, so it wins
        return out

    def tm_concordance(self, owner: str, text: str, limit: int = 50) -> list[dict]:
        """Units `owner` may use whose source or target contains `text` (case-insensitive), newest first:
        a translator's concordance search."""
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        op = "ILIKE" if self.dialect == "postgresql" else "LIKE"  # SQLite's LIKE ignores case already
        rows = self._query(f"SELECT u.* FROM tm_units u WHERE (u.source {op} :like ESCAPE '\\' OR u.target {op} :like "
                           f"ESCAPE '\\') AND {_VISIBLE} ORDER BY u.created DESC, u.id DESC LIMIT :limit",
                           {"like": like, "owner": owner, "limit": limit})
        return [_row(r) for r in rows]

    def tm_similar(self, owner: str, key: str, limit: int = 24) -> list[dict]:
        """Units `owner` may use whose match keys share the most trigrams with `key` (FTS5's bm25 rank;
        on PostgreSQL pg_trgm's trigram distance, from its GiST index), for the fuzzy matcher to score;
        keys under three characters have no trigrams and find none."""
        grams = _grams(key)
        if not grams:
            return []
        if self.dialect == "postgresql":
            rows = self._query(f"SELECT u.* FROM tm_units u WHERE similarity(u.match_key, :key) > 0 AND {_VISIBLE} "
                               "ORDER BY u.match_key <-> :key, u.id LIMIT :limit",
                               {"key": key, "owner": owner, "limit": limit})
            return [_row(r) for r in rows]
        rows = self._query("SELECT u.* FROM tm_units_fts f JOIN tm_units u ON u.id = f.rowid WHERE tm_units_fts "
                           f"MATCH :q AND {_VISIBLE} ORDER BY f.rank LIMIT :limit",
                           {"q": " OR ".join(grams), "owner": owner, "limit": limit})
        return [_row(r) for r in rows]

    def tm_any(self, owner: str) -> bool:
        """Whether `owner` may use any unit (none: matching is skipped). Asked before every translation, so it
        stops at the first unit found through the owner's index, or through a share, instead of counting."""
        return bool(self._query(
            "SELECT EXISTS (SELECT 1 FROM tm_units WHERE owner = :owner) OR EXISTS (SELECT 1 FROM tm_shares s "
            "JOIN tm_units u ON u.owner = s.owner AND u.memory = s.memory WHERE s.key_id = :owner) AS found",
            {"owner": owner})[0]["found"])

    def tm_units(self, owner: str, memory: str | None = None) -> list[dict]:
        """The units `owner` may use (of one memory), oldest first."""
        sql = f"SELECT u.* FROM tm_units u WHERE {_VISIBLE}" + (" AND u.memory = :memory" if memory else "")
        return [_row(r) for r in self._query(sql + " ORDER BY u.created, u.id", {"owner": owner, "memory": memory})]

    def tm_memories(self, owner: str) -> list[dict]:
        """The memories `owner` may use: name, whose, units, and whom it is shared with (its own)."""
        rows = self._query(f"SELECT u.owner, u.memory, COUNT(*) AS units, MAX(u.created) AS updated FROM tm_units u "
                           f"WHERE {_VISIBLE} GROUP BY u.owner, u.memory ORDER BY u.memory", {"owner": owner})
        shares = self._query("SELECT memory, key_id FROM tm_shares WHERE owner = ?", (owner,))
        shared: dict[str, list[str]] = {}
        for s in shares:
            shared.setdefault(s["memory"], []).append(s["key_id"])
        return [{"name": r["memory"], "owner": r["owner"], "units": r["units"], "updated": r["updated"],
                 "shared_with": shared.get(r["memory"], []) if r["owner"] == owner else []} for r in rows]

    def tm_share(self, owner: str, memory: str, key_id: str, share: bool = True) -> None:
        """Let `key_id` use `owner`'s memory `memory` (or stop it)."""
        with self.tx() as db:
            if share:
                db.execute("INSERT INTO tm_shares VALUES (?, ?, ?, ?) ON CONFLICT (owner, memory, key_id) "
                           "DO UPDATE SET created = excluded.created", (owner, memory, key_id, time.time()))
            else:
                db.execute("DELETE FROM tm_shares WHERE owner = ? AND memory = ? AND key_id = ?",
                           (owner, memory, key_id))

    def tm_delete(self, owner: str, memory: str) -> int:
        """Delete `owner`'s memory `memory` (its shares too); returns the units deleted."""
        with self.tx() as db:
            n = db.execute("DELETE FROM tm_units WHERE owner = ? AND memory = ?", (owner, memory)).rowcount
            db.execute("DELETE FROM tm_shares WHERE owner = ? AND memory = ?", (owner, memory))
        return n

    # -- each key's glossary -------------------------------------------------------------------------

    def glossary(self, owner: str) -> list[dict]:
        """`owner`'s terms with their provenance, in source order."""
        return [dict(r) for r in self._query("SELECT * FROM glossary_terms WHERE owner = ? ORDER BY source", (owner,))]

    def put_term(self, owner: str, source: str, target: str, *, kind: str = "term", origin: str = "api",
                 author: str | None = None, doc_id: str | None = None, n: int | None = None,
                 was: str | None = None) -> None:
        """Add or replace `owner`'s term for `source` (`was`: the rendering it replaces, when learned)."""
        with self.tx() as db:
            db.execute("INSERT INTO glossary_terms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner, source) "
                       "DO UPDATE SET target = excluded.target, kind = excluded.kind, origin = excluded.origin, "
                       "author = excluded.author, doc_id = excluded.doc_id, n = excluded.n, was = excluded.was, "
                       "created = excluded.created",
                       (owner, source, target, kind, origin, author, doc_id, n, was, time.time()))

    def delete_term(self, owner: str, source: str) -> bool:
        with self.tx() as db:
            return db.execute("DELETE FROM glossary_terms WHERE owner = ? AND source = ?",
                              (owner, source)).rowcount > 0
