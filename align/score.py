"""Strict and lax precision/recall/F1 over beads, with Vecalign's definitions.

Precision is counted over predicted beads (insertions and deletions included); recall over gold beads
with deletions and insertions left out. A bead is a strict hit when it equals a gold bead, a lax hit
when it shares a source sentence with a gold bead that also shares a target sentence with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from zhen.align.beads import Bead, parse_beads

__all__ = ["gold_units", "merge_within_units", "parse_beads", "score"]


def _counts(gold: Iterable[Bead], test: Iterable[Bead]) -> tuple[int, int, int, int]:
    gold_set = {g.key() for g in gold if g.zh or g.en}
    links: dict[int, set[int]] = defaultdict(set)
    for src, tgt in gold_set:
        for s in src:
            links[s].update(tgt)
    tp_s = fp_s = tp_l = fp_l = 0
    for bead in {t.key() for t in test if t.zh or t.en}:
        if bead in gold_set:
            tp_s += 1
            tp_l += 1
            continue
        fp_s += 1
        targets = set().union(*(links[s] for s in bead[0])) if bead[0] else set()
        if targets & set(bead[1]):
            tp_l += 1
        else:
            fp_l += 1
    return tp_s, fp_s, tp_l, fp_l


def _both_sides(beads: Iterable[Bead]) -> list[Bead]:
    return [b for b in beads if b.zh and b.en]


def _div(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(gold_docs: Sequence[list[Bead]], test_docs: Sequence[list[Bead]]) -> dict[str, float]:
    """Scores summed over documents (pairs of gold and predicted bead lists)."""
    p = [0, 0, 0, 0]
    r = [0, 0, 0, 0]
    for gold, test in zip(gold_docs, test_docs, strict=True):
        p = [a + b for a, b in zip(p, _counts(gold, test))]
        r = [a + b for a, b in zip(r, _counts(_both_sides(test), _both_sides(gold)))]
    ps, pl = _div(p[0], p[0] + p[1]), _div(p[2], p[2] + p[3])
    rs, rl = _div(r[0], r[0] + r[1]), _div(r[2], r[2] + r[3])
    return {"precision_strict": ps, "recall_strict": rs, "f1_strict": _f1(ps, rs),
            "precision_lax": pl, "recall_lax": rl, "f1_lax": _f1(pl, rl)}


def gold_units(gold: Sequence[Bead]) -> tuple[dict[int, int], dict[int, int]]:
    """Each sentence's gold bead number, per side: the unit (a verse) for `merge_within_units`."""
    zh = {i: k for k, b in enumerate(gold) for i in b.zh}
    en = {j: k for k, b in enumerate(gold) for j in b.en}
    return zh, en


def merge_within_units(pred: Sequence[Bead], zh_unit: dict[int, int], en_unit: dict[int, int]) -> list[Bead]:
    """Consecutive predicted beads lying in one unit merged into one bead (Bertalign's Bible protocol).

    Verse-aligned gold (the Bible) has one bead per verse, while a sentence aligner rightly splits a verse
    of two sentences a side into two 1-1 beads; Bertalign merges such beads by verse id before scoring.
    A bead belongs to a unit when all its sentences do (an unmatched sentence takes its own side's unit);
    a bead across units is never merged.
    """

    def unit(bead: Bead) -> int | None:
        units = {zh_unit.get(i) for i in bead.zh} | {en_unit.get(j) for j in bead.en}
        return units.pop() if len(units) == 1 else None

    out: list[Bead] = []
    last: int | None = None
    for bead in pred:
        u = unit(bead)
        if u is not None and u == last:
            out[-1] = Bead(out[-1].zh + bead.zh, out[-1].en + bead.en)
        else:
            out.append(bead)
        last = u
    return out
