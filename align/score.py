"""Strict and lax precision/recall/F1 over beads, with Vecalign's definitions.

Precision is counted over predicted beads (insertions and deletions included); recall over gold beads
with deletions and insertions left out. A bead is a strict hit when it equals a gold bead, a lax hit
when it shares a source sentence with a gold bead that also shares a target sentence with it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

Bead = tuple[tuple[int, ...], tuple[int, ...]]
_LINE = re.compile(r"^\[([\d,\s]*)\]\s*:\s*\[([\d,\s]*)\]")


def parse_beads(text: str) -> list[Bead]:
    """`[zh ids]:[en ids]` per line (anything after the closing bracket, e.g. a score, is ignored)."""
    beads = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line.strip())
        if not m:
            raise ValueError(f"line {n}: not a bead: {line[:60]!r}")
        beads.append(tuple(tuple(int(x) for x in side.replace(" ", "").split(",") if x) for side in m.groups()))
    return beads


def _counts(gold: Iterable[Bead], test: Iterable[Bead]) -> tuple[int, int, int, int]:
    gold_set = {g for g in gold if g[0] or g[1]}
    links: dict[int, set[int]] = defaultdict(set)
    for src, tgt in gold_set:
        for s in src:
            links[s].update(tgt)
    tp_s = fp_s = tp_l = fp_l = 0
    for bead in {t for t in test if t[0] or t[1]}:
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
        both = lambda beads: [x for x in beads if x[0] and x[1]]  # noqa: E731
        r = [a + b for a, b in zip(r, _counts(both(test), both(gold)))]
    ps, pl = _div(p[0], p[0] + p[1]), _div(p[2], p[2] + p[3])
    rs, rl = _div(r[0], r[0] + r[1]), _div(r[2], r[2] + r[3])
    return {"precision_strict": ps, "recall_strict": rs, "f1_strict": _f1(ps, rs),
            "precision_lax": pl, "recall_lax": rl, "f1_lax": _f1(pl, rl)}
