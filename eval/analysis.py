"""What an evaluator asks after the corpus scores, as compare-mt answers it: how sure each score is, on
which sentences one system beats another, and where (sentence length, word frequency, n-grams).

Scores and intervals come from sacrebleu (its bootstrap resampling, seeded by SACREBLEU_SEED); the
breakdowns count words the way compare-mt does, on whitespace tokens lower-cased, with word frequency
taken from the reference side of the test set.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from typing import Any

from zhen.eval.metrics import make, sentence_scores

LENGTH_BUCKETS = ((0, 10), (10, 20), (20, 30), (30, 40), (40, 50), (50, None))  # reference words
FREQUENCY_BUCKETS = ((0, 1), (1, 2), (2, 3), (3, 5), (5, 10), (10, 100), (100, None))  # reference-side counts


def _words(text: str) -> list[str]:
    return text.lower().split()


def _label(lo: int, hi: int | None) -> str:
    if hi is None:
        return f">={lo}"
    return str(lo) if hi == lo + 1 else f"{lo}-{hi - 1}"


def confidence(hyps: Sequence[str], refs: Sequence[str], metric: str, n_bootstrap: int = 1000) -> dict[str, float]:
    """The corpus score with sacrebleu's bootstrap mean and 95% confidence half-width."""
    score = make(metric).corpus_score(list(hyps), [list(refs)], n_bootstrap=n_bootstrap)
    return {"score": float(score.score), "mean": float(score._mean), "ci": float(score._ci)}  # noqa: SLF001


def by_length(systems: dict[str, Sequence[str]], refs: Sequence[str]) -> list[dict[str, Any]]:
    """chrF of each system on the sentences of each reference-length bucket."""
    out = []
    lengths = [len(_words(r)) for r in refs]
    for lo, hi in LENGTH_BUCKETS:
        idx = [i for i, n in enumerate(lengths) if n >= lo and (hi is None or n < hi)]
        if not idx:
            continue
        row: dict[str, Any] = {"bucket": _label(lo, hi), "sentences": len(idx)}
        for name, hyps in systems.items():
            row[name] = round(make("chrf").corpus_score([hyps[i] for i in idx], [[refs[i] for i in idx]]).score, 2)
        out.append(row)
    return out


def by_frequency(systems: dict[str, Sequence[str]], refs: Sequence[str]) -> list[dict[str, Any]]:
    """Each system's word F-measure by how often the word occurs in the references (compare-mt's word
    accuracy by frequency bucket): rare words are where systems differ most."""
    freq = Counter(w for r in refs for w in _words(r))

    def bucket(w: str) -> int:
        n = freq.get(w, 0)
        return next(k for k, (lo, hi) in enumerate(FREQUENCY_BUCKETS) if n >= lo and (hi is None or n < hi))

    ref_total: Counter[int] = Counter(bucket(w) for r in refs for w in _words(r))
    rows = [{"bucket": _label(lo, hi), "reference_words": ref_total.get(k, 0)}
            for k, (lo, hi) in enumerate(FREQUENCY_BUCKETS)]
    for name, hyps in systems.items():
        matched: Counter[int] = Counter()
        hyp_total: Counter[int] = Counter()
        for h, r in zip(hyps, refs):
            hc, rc = Counter(_words(h)), Counter(_words(r))
            for w, c in hc.items():
                hyp_total[bucket(w)] += c
                matched[bucket(w)] += min(c, rc.get(w, 0))
        for k, row in enumerate(rows):
            p = matched[k] / hyp_total[k] if hyp_total[k] else 0.0
            rec = matched[k] / ref_total[k] if ref_total[k] else 0.0
            row[name] = round(2 * p * rec / (p + rec), 4) if p + rec else 0.0
    return [r for r in rows if r["reference_words"]]


def ngram_differences(a: Sequence[str], b: Sequence[str], refs: Sequence[str], n: int = 2,
                      top: int = 15) -> dict[str, list[dict[str, Any]]]:
    """Reference n-grams (1 to `n` words) one system gets and the other misses, most telling first: for
    each, how often each system matched it."""
    got_a: Counter[str] = Counter()
    got_b: Counter[str] = Counter()
    for ha, hb, r in zip(a, b, refs):
        for k in range(1, n + 1):
            rc = _ngrams(_words(r), k)
            ca, cb = _ngrams(_words(ha), k), _ngrams(_words(hb), k)
            for g, c in rc.items():
                got_a[g] += min(c, ca.get(g, 0))
                got_b[g] += min(c, cb.get(g, 0))
    grams = set(got_a) | set(got_b)

    def ranked(first: Counter[str], second: Counter[str]) -> list[dict[str, Any]]:
        better = [g for g in grams if first[g] > second[g]]
        # compare-mt's smoothed ratio, so a gram matched 5 to 0 outranks one matched 1 to 0
        better.sort(key=lambda g: (-(first[g] + 1) / (second[g] + 1), g))
        return [{"ngram": g, "a": got_a[g], "b": got_b[g]} for g in better[:top]]

    return {"a_better": ranked(got_a, got_b), "b_better": ranked(got_b, got_a)}


def _ngrams(words: list[str], k: int) -> Counter[str]:
    return Counter(" ".join(words[i : i + k]) for i in range(len(words) - k + 1))


def marked(hyp: str, ref: str) -> list[list[Any]]:
    """The hypothesis as [word, in the reference?] pairs: the words difflib cannot align with the
    reference are the differences a reader looks at."""
    h, r = hyp.split(), ref.split()
    ok = [False] * len(h)
    for block in difflib.SequenceMatcher(a=[w.lower() for w in h], b=[w.lower() for w in r], autojunk=False) \
            .get_matching_blocks():
        for i in range(block.a, block.a + block.size):
            ok[i] = True
    return [[w, o] for w, o in zip(h, ok)]


def sentences(systems: dict[str, Sequence[str]], refs: Sequence[str],
              srcs: Sequence[str] | None) -> list[dict[str, Any]]:
    """Every sentence with each system's hypothesis, its sentence chrF and its words marked against the
    reference: the data of the searchable table and of the two-system comparison."""
    chrf = {name: sentence_scores(hyps, refs, "chrf") for name, hyps in systems.items()}
    return [{"line": i + 1, "source": srcs[i] if srcs else None, "reference": ref,
             "systems": {name: {"text": hyps[i], "chrf": round(chrf[name][i], 2), "marked": marked(hyps[i], ref)}
                         for name, hyps in systems.items()}}
            for i, ref in enumerate(refs)]
