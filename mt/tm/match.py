"""Matches from the user's translation memory, as CAT tools give them.

An exact match (same match key: whitespace, widths, Traditional characters, punctuation variants and
number values aside) returns the human translation, its numbers substituted, without a model call. A
fuzzy match has the usual CAT percentage, an edit-distance ratio over the characters of the two keys
(rapidfuzz's normalised Levenshtein similarity), over candidates the store's trigram index proposes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz.distance import Levenshtein

from zhen.text.matchkey import MatchKey, match_key, substitute_numbers

CANDIDATES = 24  # units the trigram index proposes per sentence, scored here


class MemoryStore(Protocol):
    """What matching reads from the store (`zhen.store.tm.TranslationUnits`)."""

    def tm_exact(self, owner: str, keys: Sequence[str]) -> dict[str, dict]: ...
    def tm_similar(self, owner: str, key: str, limit: int = ...) -> list[dict]: ...
    def tm_any(self, owner: str) -> bool: ...


@dataclass(frozen=True)
class Match:
    """A unit of the memory matched to a new source: its pair, how close it is, and where it came from."""

    source: str
    target: str  # for an exact match, with the new source's numbers substituted
    percent: int  # 100: exact (after normalisation); below: the fuzzy similarity
    origin: str  # edit, tmx, xliff, tsv, csv, parallel, aligned
    memory: str
    kind: str = "fuzzy"  # exact, fuzzy, or repaired (a fuzzy match whose differing term was replaced)
    author: str | None = None
    created: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "percent": self.percent, "kind": self.kind,
                "origin": self.origin, "memory": self.memory, "author": self.author, "created": self.created}


def similarity(a: str, b: str) -> float:
    """The CAT fuzzy score of two match keys, 0–1."""
    return Levenshtein.normalized_similarity(a, b)


def _match(unit: dict, percent: int, kind: str, target: str | None = None) -> Match:
    return Match(unit["source"], target if target is not None else unit["target"], percent, unit["origin"],
                 unit["memory"], kind, unit.get("author"), unit.get("created"))


class Matcher:
    """One owner's view of the memory: the matches for a text's sentences."""

    def __init__(self, store: MemoryStore, owner: str = "") -> None:
        self.store = store
        self.owner = owner

    def empty(self) -> bool:
        return not self.store.tm_any(self.owner)

    def matches(self, sources: Sequence[str], floor: float = 0.5, limit: int = 4) -> list[list[Match]]:
        """Per source, its best matches (at most `limit`, at least `floor` similar), best first: an exact
        match whose numbers could be substituted comes first and alone."""
        if not sources or self.empty():
            return [[] for _ in sources]
        keys = [match_key(s) for s in sources]
        exact = self.store.tm_exact(self.owner, [k.text for k in keys])
        out = []
        for key in keys:
            unit = exact.get(key.text)
            target = substitute_numbers(unit["target"], unit["numbers"], key.numbers) if unit else None
            if unit and target is not None:
                out.append([_match(unit, 100, "exact", target)])
                continue
            out.append(self._fuzzy(key, floor, limit))
        return out

    def _fuzzy(self, key: MatchKey, floor: float, limit: int) -> list[Match]:
        scored: dict[tuple[str, str], Match] = {}
        for unit in self.store.tm_similar(self.owner, key.text, CANDIDATES):
            sim = similarity(key.text, unit["match_key"])
            if unit["match_key"] == key.text:  # same words, numbers that could not be substituted
                sim = min(sim, 0.99)
            if sim < floor:
                continue
            m = _match(unit, min(99, int(sim * 100)), "fuzzy")
            pair = (m.source, m.target)
            if pair not in scored or (scored[pair].created or 0) < (m.created or 0):
                scored[pair] = m  # the same pair in two memories: once, the latest
        return sorted(scored.values(), key=lambda m: (-m.percent, -(m.created or 0)))[:limit]
