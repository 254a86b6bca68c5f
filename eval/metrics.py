"""Corpus and sentence metrics through sacrebleu, each score carrying its signature.

We never re-implement a metric: the numbers must equal what the `sacrebleu` command prints for the
same files, and the signature tells a reader exactly which tokenisation and settings produced them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric

# name → factory; "chrf++" is chrF with word bigrams (word_order=2), as `sacrebleu -m chrf --chrf-word-order 2`.
METRICS: dict[str, Callable[[], Metric]] = {
    "bleu": BLEU,
    "chrf": CHRF,
    "chrf++": lambda: CHRF(word_order=2),
    "ter": TER,
}
HIGHER_IS_BETTER = {"bleu": True, "chrf": True, "chrf++": True, "ter": False}


@dataclass
class CorpusScore:
    metric: str
    score: float
    signature: str
    text: str  # sacrebleu's own one-line rendering, e.g. "BLEU = 21.80 55.1/28.3/..."

    def to_dict(self) -> dict:
        return asdict(self)


def make(name: str) -> Metric:
    try:
        return METRICS[name]()
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; choose from {', '.join(METRICS)}") from None


def corpus_scores(hyps: Sequence[str], refs: Sequence[str],
                  names: Sequence[str] = tuple(METRICS)) -> dict[str, CorpusScore]:
    """Every named metric over the whole test set, with signature."""
    out = {}
    for name in names:
        m = make(name)
        s = m.corpus_score(list(hyps), [list(refs)])
        out[name] = CorpusScore(name, s.score, str(m.get_signature()), str(s))
    return out


def sentence_scores(hyps: Sequence[str], refs: Sequence[str], name: str = "chrf") -> list[float]:
    """Per-sentence scores (sacrebleu's sentence_score; BLEU is smoothed with 'exp' as sacrebleu does)."""
    m = make(name) if name != "bleu" else BLEU(effective_order=True)
    return [m.sentence_score(h, [r]).score for h, r in zip(hyps, refs)]
