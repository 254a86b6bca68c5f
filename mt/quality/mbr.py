"""Choosing among candidate translations: hard checks first, then minimum Bayes risk with chrF.

Why MBR: with no reference at hand, each candidate stands in for one, and the candidate with the
highest expected chrF against the others is the one the model's distribution most agrees on. With a pool
of a few samples from the default 1.5B model that choice is no better than the greedy output (README),
so the greedy output keeps its place unless consensus clearly prefers another. The expected agreement is
itself a reference-free quality signal: sentences whose candidates agree are usually the easy,
well-translated ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zhen.mt.quality.qe import consensus_feature

GREEDY_MARGIN = 0.05  # expected chrF/100 by which a sample must beat the greedy output to replace it


@dataclass(frozen=True)
class Choice:
    index: int  # of the chosen candidate
    agreement: float | None  # its mean chrF/100 against the other candidates; None with one candidate
    refused: int  # candidates set aside because they had more faults than the best
    ranking: tuple[int, ...]  # every candidate, best first: fewest faults, then highest agreement


def utilities(candidates: Sequence[str]) -> list[float | None]:
    """Each candidate's mean chrF/100 against all the others (None when there are no others)."""
    n = len(candidates)
    if n < 2:
        return [None] * n
    return [sum(consensus_feature(h, r) for j, r in enumerate(candidates) if j != i) / (n - 1)
            for i, h in enumerate(candidates)]


def choose(candidates: Sequence[str], faults: Sequence[int]) -> Choice:
    """The candidate with the fewest hard-check faults (Chinese left, numbers or names lost or invented);
    among those, the highest expected chrF against every candidate; ties go to the earliest (greedy).

    The greedy output (candidate 0) stays first unless a candidate with no more faults agrees with the
    others by GREEDY_MARGIN more: on FLORES the samples written alone score 3-4 chrF below it, and with
    two candidates chrF's recall weighting alone (not consensus) would pick the longer one."""
    util = utilities(candidates)
    ranking = tuple(sorted(range(len(candidates)), key=lambda i: (faults[i], -(util[i] or 0.0), i)))
    if ranking[0] != 0 and faults[0] == faults[ranking[0]] and \
            (util[ranking[0]] or 0.0) - (util[0] or 0.0) < GREEDY_MARGIN:
        ranking = (0,) + tuple(i for i in ranking if i != 0)
    best = ranking[0]
    return Choice(best, util[best], sum(f > faults[best] for f in faults), ranking)
