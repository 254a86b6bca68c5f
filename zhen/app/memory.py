"""Use cases of the translation memory: a translator's edit saved (and learned from), memories imported
from files or from aligned archives, and exported as TMX. Every interface (the API, the review page,
`zhen tm`) calls these; the store keeps the units, per owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhen import formats
from zhen.align.embed import Embedder
from zhen.app.align_files import align_files, document_pairs
from zhen.errors import InputError, NotFound
from zhen.mt.base import Term
from zhen.mt.tm.learn import learn
from zhen.mt.tm.match import Matcher
from zhen.store import EDITS, Store, Unit
from zhen.text.decode import decode_bytes

# An aligned bead enters the memory only when the aligner is this sure of it (its calibrated score,
# 0-1). Measured with `python -m bench.adapt --only aligned` on align/mac-dev: see
# docs/benchmarks.md.
ALIGNED_THRESHOLD = 0.8


@dataclass
class ImportResult:
    memory: str
    units: int
    skipped: int
    format: str

    def to_dict(self) -> dict[str, Any]:
        return {"memory": self.memory, "units": self.units, "skipped": self.skipped, "format": self.format}


@dataclass
class EditResult:
    edited: list[int]  # the segments the edit was saved to (the one asked, and its repetitions)
    learned: list[dict[str, Any]] = field(default_factory=list)  # glossary terms the edit taught


def save_edit(store: Store, doc: dict, n: int, text: str, author: str | None, *, repetitions: bool = False,
              learn_terms: bool = True, status: str = "edited") -> EditResult:
    """A translator's edit of segment `n` of `doc` (as the store returns it): kept beside the draft, made
    the owner's memory unit for that sentence (the latest edit wins), copied to the segments with the
    same source when `repetitions`; a rendering of a name or term it changed joins the owner's glossary."""
    seg = next((s for s in doc["segments"] if s["n"] == n), None)
    edited = store.save_edit(doc["id"], n, text, author, repetitions, status) if seg is not None else []
    if not edited or seg is None:
        raise NotFound(f"document {doc['id']} has no segment {n} with a source")
    owner = doc.get("key_id") or ""
    learned = []
    if learn_terms and seg.get("draft"):
        terms = [Term(t["source"], t["target"], t.get("kind", "term")) for t in seg.get("terms", [])]
        for found in learn(seg["draft"], text, terms):
            store.put_term(owner, found.term.source, found.target, kind=found.term.kind, origin="edit", author=author,
                           doc_id=doc["id"], n=n, was=found.term.target)
            learned.append({"source": found.term.source, "target": found.target, "was": found.term.target,
                            "kind": found.term.kind})
    return EditResult(edited, learned)


def memory_matches(store: Store, owner: str, source: str, limit: int = 5, floor: float = 0.5) -> list[dict]:
    """The best units of `owner`'s memory for one sentence, with their percentages (an exact match first
    and alone): what a CAT tool's match pane shows for the segment being edited."""
    return [m.to_dict() for m in Matcher(store, owner).matches([source], floor, limit)[0]]


def set_status(store: Store, doc: dict, n: int, status: str) -> None:
    """A segment reviewed (its text confirmed as it is), rejected, or back to its draft status."""
    if not any(s["n"] == n for s in doc["segments"]) or not store.set_status(doc["id"], n, status):
        raise NotFound(f"document {doc['id']} has no segment {n}")


def import_pairs(store: Store, owner: str, name: str, pairs: Sequence[formats.Pair], fmt: str,
                 author: str | None = None) -> ImportResult:
    """Pairs into `owner`'s memory `name`."""
    memory = _memory_name(name)
    if not pairs:
        raise InputError(f"{name}: no translation pairs found (a TMX needs zh and en variants, XLIFF approved or "
                         "translated units, TSV/CSV a source and a target column)")
    units = [Unit(p.source, p.target, fmt, author) for p in pairs]
    added = store.tm_add(owner, memory, units)
    return ImportResult(memory, added, len(pairs) - added, fmt)


def import_file(store: Store, owner: str, filename: str, data: bytes, name: str | None = None,
                author: str | None = None) -> ImportResult:
    """A TMX, XLIFF (approved or translated units), TSV or CSV file into `owner`'s memory (default name:
    the file's stem)."""
    fmt, pairs = formats.read_pairs(filename, data)
    return import_pairs(store, owner, name or Path(filename).stem, pairs, fmt, author)


def import_parallel(store: Store, owner: str, zh: bytes, en: bytes, name: str) -> ImportResult:
    """Line-parallel files (line k of one translates line k of the other)."""
    pairs = formats.read_parallel(decode_bytes(zh, "Chinese side")[0], decode_bytes(en, "English side")[0])
    return import_pairs(store, owner, name, pairs, "parallel")


def import_aligned(store: Store, owner: str, zh: str, en: str, embedder: Embedder, name: str,
                   threshold: float = ALIGNED_THRESHOLD) -> ImportResult:
    """A bilingual archive (two folders of namesake files, two files, or a list of pairs: old Chinese
    pages and their English versions) aligned by zhen's aligner; only beads with sentences on both sides
    scored at least `threshold` are kept."""
    units, skipped = [], 0
    for _, zh_path, en_path in document_pairs(zh, en):
        for row in align_files(zh_path, en_path, embedder).rows():
            if not row["zh"] or not row["en"]:
                continue
            if (row["score"] or 0) < threshold:
                skipped += 1
                continue
            units.append(Unit(row["zh_text"], row["en_text"], "aligned", score=row["score"]))
    memory = _memory_name(name)
    return ImportResult(memory, store.tm_add(owner, memory, units), skipped, "aligned")


def export_memory(store: Store, owner: str, memory: str | None = None, fmt: str = "tmx") -> bytes:
    """`owner`'s units (of one memory) as TMX or TSV; the latest unit of each source and target once."""
    units = store.tm_units(owner, memory)
    pairs = [formats.Pair(u["source"], u["target"], note=f"{u['memory']}; {u['origin']}" +
                          (f"; {u['author']}" if u.get("author") else ""), approved=True) for u in units]
    if fmt == "tmx":
        return formats.tmx(pairs)
    if fmt == "tsv":
        return "".join(f"{formats.tsv_cell(p.source)}\t{formats.tsv_cell(p.target)}\n" for p in pairs).encode()
    raise InputError(f"unknown format {fmt!r}; choose tmx or tsv")


def _memory_name(name: str) -> str:
    name = " ".join(name.split())[:100]
    if not name:
        raise InputError("a memory needs a name")
    if name == EDITS:
        raise InputError(f"'{EDITS}' is the memory of saved edits; import under another name")
    return name
