"""Polishing a poor English translation, with its Chinese source or without it.

With a source, every sentence pair gets three candidates — the existing English, a fresh translation
and a post-edit of the existing English by the model — and QE picks, preferring the translator's own
text unless a candidate is clearly better, and refusing any candidate that lost a number of the source.
Without a source, deterministic repairs come first, then a model rewrite that is kept only if every
number, date and proper name survives and the meaning stays close (embedding similarity).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from zhen.mt.base import Request
from zhen.mt.faithful import checks
from zhen.mt.faithful.repair import document_names, repair
from zhen.mt.pipeline import Pipeline
from zhen.mt.quality.facts import extract
from zhen.mt.quality.qe import QualityEstimator

KEEP_MARGIN = 0.05  # a new candidate must beat the existing English by this much QE to replace it
MERGE_WINDOW = 0.15  # post-edit only where old and new are this close (elsewhere the choice is clear)
SIM_MIN = 0.88  # e5 cosine between a sentence and its rewrite below which the meaning has drifted


@dataclass
class PolishedSentence:
    """What happened to one sentence, and why."""

    id: int
    before: str
    after: str
    action: str  # kept | replaced | merged | added | repaired | rewritten | unaligned
    reasons: list[str] = field(default_factory=list)
    source: str | None = None
    score_before: float | None = None
    score_after: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _facts_ok(source: str, text: str) -> bool:
    return bool(text.strip()) and not checks.missing_numbers(source, text) and not checks.has_cjk(text)


def polish_with_source(pairs: Sequence[tuple[str, str]], pipe: Pipeline, qe: QualityEstimator,
                       title: str | None = None) -> list[PolishedSentence]:
    """Polish aligned (Chinese, English) pairs; an empty side means the bead had no sentence there."""
    out: list[PolishedSentence] = []
    idx = [i for i, (zh, _) in enumerate(pairs) if zh.strip()]
    drafts = pipe.translate([pairs[i][0] for i in idx], title=title)
    new = {i: d.draft for i, d in zip(idx, drafts)}
    olds = [i for i in idx if pairs[i][1].strip()]
    q_old = dict(zip(olds, qe.estimate([pairs[i][0] for i in olds], [pairs[i][1] for i in olds])))
    lp_new = [d.logprob for d in drafts]
    q_new = dict(zip(idx, qe.estimate([pairs[i][0] for i in idx], [new[i] for i in idx], lp_new)))
    close = [i for i in olds if abs(q_new[i].score - q_old[i].score) < MERGE_WINDOW]
    merged_raw = pipe.run([Request(pairs[i][0], title, task="post-edit", draft=pairs[i][1]) for i in close])
    merged = {i: o.text for i, o in zip(close, merged_raw)}
    q_merged = dict(zip(close, qe.estimate([pairs[i][0] for i in close], [merged[i] for i in close],
                                           [o.logprob for o in merged_raw])))
    for i, (zh, en) in enumerate(pairs):
        if not zh.strip():
            out.append(PolishedSentence(i, en, en, "unaligned", ["no Chinese source aligned to this sentence"]))
            continue
        if not en.strip():
            q = q_new[i]
            out.append(PolishedSentence(i, "", new[i], "added", ["missing from the English: translated"] + q.reasons,
                                        zh, None, q.score))
            continue
        cands = {"kept": (en, q_old[i]), "replaced": (new[i], q_new[i])}
        if i in merged:
            cands["merged"] = (merged[i], q_merged[i])
        ok = {k: v for k, v in cands.items() if _facts_ok(zh, v[0])}
        pool = ok or cands
        best = max(pool, key=lambda k: pool[k][1].score)
        if "kept" in pool and pool["kept"][1].score >= pool[best][1].score - KEEP_MARGIN:
            best = "kept"
        text, q = pool[best]
        reasons = [f"qe {q_old[i].score:.2f} → {q.score:.2f}"]
        reasons += [f"{k} refused: a number of the source is missing" for k in cands if k not in ok]
        if not ok:
            reasons.append("facts_missing in every candidate")
        out.append(PolishedSentence(i, en, text, best, reasons + q.reasons, zh, q_old[i].score, q.score))
    return out


def fluency(pipe: Pipeline, texts: Sequence[str]) -> list[float | None]:
    """exp(mean token log-probability) of each text as the English an editor of hospital news is handed
    to rewrite: 0–1, higher is more fluent; None where the backend cannot score. The English a rewrite
    request carried was scored as its prompt was evaluated; only new text (the rewrites) costs a pass."""
    unique = list(dict.fromkeys(t for t in texts if t.strip()))  # a kept sentence is scored once, not twice
    try:
        lps = pipe.translator.score_inputs([Request(t, task="rewrite") for t in unique])
    except NotImplementedError:
        return [None] * len(texts)
    score = {t: round(math.exp(sum(lp) / len(lp)), 4) if lp else None for t, lp in zip(unique, lps)}
    return [score.get(t) for t in texts]


def polish_without_source(sentences: Sequence[str], pipe: Pipeline,
                          similarity: Callable[[Sequence[str], Sequence[str]], np.ndarray] | None,
                          rewrite: Sequence[bool] | None = None) -> list[PolishedSentence]:
    """Repair, then rewrite where `rewrite[i]` (default: all), keeping a rewrite only if it passes the guards."""
    names = document_names(sentences)
    repaired = [repair(s, names) for s in sentences]
    todo = [i for i, s in enumerate(repaired) if s.strip() and (rewrite is None or rewrite[i])]
    raw = pipe.run([Request(repaired[i], task="rewrite") for i in todo])
    rewritten = {i: o.text for i, o in zip(todo, raw)}
    sim: dict[int, float] = {}
    if similarity and todo:
        sims = similarity([repaired[i] for i in todo], [rewritten[i] for i in todo])
        sim = {i: float(s) for i, s in zip(todo, sims)}
    out = []
    for i, (orig, rep) in enumerate(zip(sentences, repaired)):
        if rep != orig.strip():
            action, text, reasons = "repaired", rep, ["deterministic repairs"]
        else:
            action, text, reasons = "kept", rep, []
        if i in rewritten:
            cand = rewritten[i]
            lost = extract(rep).missing_in(cand)
            ratio = (len(cand) + 1) / (len(rep) + 1)
            if lost:
                reasons.append("rewrite refused: lost " + ", ".join(lost[:5]))
            elif i in sim and sim[i] < SIM_MIN:
                reasons.append(f"rewrite refused: meaning drifted (similarity {sim[i]:.2f} < {SIM_MIN})")
            elif not 0.6 <= ratio <= 1.6 or checks.is_runaway(cand, rep):
                reasons.append(f"rewrite refused: length changed {ratio:.2f}×")
            elif cand.strip() == rep:
                reasons.append("rewrite identical")
            else:
                action, text = "rewritten", cand
                reasons.append(f"rewritten (similarity {sim.get(i, float('nan')):.2f}), all facts kept")
        out.append(PolishedSentence(i, orig, text, action, reasons))
    scores = fluency(pipe, [p.before for p in out] + [p.after for p in out])
    for p, b, a in zip(out, scores[: len(out)], scores[len(out):]):
        p.score_before, p.score_after = b, a
    return out
