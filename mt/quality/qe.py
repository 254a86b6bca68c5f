"""Reference-free quality estimation for (Chinese source, English candidate) pairs.

No trained QE model (CometKiwi and the like) can be obtained here, so the estimate combines what we
have: how likely the translation model finds the candidate given the source (mean token log-probability
under forced decoding, and the mean of its few least likely tokens: where the doubt sits), how much of
the source's vocabulary the candidate renders (CC-CEDICT's glosses of its words: an omission a fluent,
confident draft hides from the model's probabilities shows there), how close
source and candidate are in a multilingual embedding space, how far the length is from the usual
English/Chinese ratio (signed: short drafts tend to omit) and, where a second, different MT system is at
hand, how much the candidate agrees with that system's translation (sentence chrF between the two:
sentences two systems translate alike are usually the easy, well-translated ones) and, in best quality,
how much the chosen candidate agrees with the model's other candidates (`mbr`: the same idea within one
system, no second model needed). A linear model fitted on shared data (FLORES devtest; `python -m
bench.fit_qe`) maps these to an estimate of sentence chrF/100, clipped to 0–1. Hard checks then cap the
score and say why: Chinese left, numbers missing, glossary terms missing, runaway repetition, empty
output, implausible length.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources

import numpy as np
from sacrebleu.metrics import CHRF

from zhen.dictionary import cedict
from zhen.mt.base import Request, Translator
from zhen.mt.faithful import enforce
from zhen.mt.glossary import Glossary

Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]  # cosine of each (source, candidate) pair
Alternative = Callable[[Sequence[str]], list[str]]  # another system's English for each source
FEATURES = ("logprob", "lowest", "similarity", "consensus", "agreement", "coverage", "length")
CAPS = {"empty": 0.0, "cjk_in_output": 0.3, "runaway": 0.2, "numbers_missing": 0.5, "numbers_invented": 0.5,
        "term_missing": 0.7, "length_ratio": 0.5}
REQUESTED = ("consensus", "agreement")  # features only a caller's choice provides (`combine` keeps them)
LOWEST_TOKENS = 3  # the least likely tokens whose mean is the `lowest` feature


@dataclass
class Estimate:
    """A 0–1 score (≈ expected sentence chrF/100) and the reasons that lowered it."""

    score: float
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def default_weights() -> dict:
    return json.loads(resources.files("zhen.mt").joinpath("data/qe_weights.json").read_text(encoding="utf-8"))


@functools.cache
def _chrf() -> CHRF:
    """Built once rather than per sentence."""
    return CHRF()


def consensus_feature(candidate: str, alternative: str) -> float:
    """Sentence chrF/100 of the candidate against another system's translation of the same source."""
    return _chrf().sentence_score(candidate, [alternative]).score / 100 if alternative.strip() else 0.0


def length_feature(source: str, candidate: str, ratio: float) -> float:
    """log(English chars / (Chinese chars × usual ratio)): 0 for a typical length, negative for a short one.

    Signed, because the two directions mean different things: a draft short for its source has usually
    left something out, which sentence chrF (recall-weighted) punishes, while a somewhat long one has
    usually spelt something out. Fitted as |log|, the feature took a negative weight on FLORES and ranked
    news drafts backwards (WMT19 drafts run long: the median is +0.2). Implausible lengths either way
    are a reason of their own (`length_ratio`), which caps the score."""
    return math.log((len(candidate) + 1) / (len(source) * ratio + 1))


def lowest_feature(token_logprobs: Sequence[float]) -> float:
    """Mean log-probability of the candidate's LOWEST_TOKENS least likely tokens.

    Beside the mean it says where the model's doubt sits. Fitted on FLORES, its weight is negative once
    the mean is known: doubt concentrated in a few tokens (a name, a number, a rare term the model must
    carry over) goes with better translations than the same doubt spread over every word, which is what
    a loose or garbled rendering looks like. Held out, it lifted QE most on medical text (TICO-19)."""
    return float(np.mean(sorted(token_logprobs)[:LOWEST_TOKENS])) if token_logprobs else -10.0


def coverage_feature(source: str, candidate: str) -> float:
    """Share of the source's dictionary words of two or more characters (`cedict.dictionary_words`) of
    which the candidate has a gloss's stem: 1.0 when the source has none.

    It sees what the model's probabilities cannot: a clause left out leaves a fluent draft the model
    finds likely, but its words' glosses are missing. Single characters are left out, being mostly
    function words (了, 的, 在) whose glosses a translation seldom contains. Glosses miss free renderings,
    so the share is no verdict on one word, only evidence over a sentence. Held out, it raised QE's
    ranking on news and medical text alike (docs/benchmarks.md)."""
    words = [gloss for word, gloss in cedict.dictionary_words(source) if len(word) >= 2]
    if not words:
        return 1.0
    stems = set(cedict.content_stems(candidate))
    return sum(1 for gloss in words if stems.intersection(gloss)) / len(words)


class QualityEstimator:
    """Scores candidates with whatever signals are available; weights are chosen per available set."""

    def __init__(self, translator: Translator | None = None, similarity: Similarity | None = None,
                 glossary: Glossary | None = None, weights: dict | None = None,
                 alternative: Alternative | None = None) -> None:
        self.translator = translator
        self.similarity = similarity
        self.alternative = alternative
        self.glossary = glossary
        self.weights = weights or default_weights()

    def features(self, sources: Sequence[str], candidates: Sequence[str],
                 logprobs: Sequence[float | None] | None = None,
                 alternatives: Sequence[str] | None = None,
                 agreements: Sequence[float | None] | None = None) -> list[dict[str, float]]:
        """Raw feature values per pair. `logprobs` (mean per token, None where unknown) may come from
        generation for free. For the others, with a translator set, forced decoding gives the per-token
        values: the mean and the `lowest` feature. A draft with generation's mean gets no `lowest`: its
        mean, read under the prompt that produced it, ranks WMT19 drafts as well alone (0.58) as forced
        decoding's two together (0.58), and paired with forced decoding's `lowest` it ranks them worse (0.46).
        `alternatives` (another system's translations, same order) give the consensus feature; without
        them the `alternative` system, if set, translates the sources. `agreements` (best quality's, None
        where unknown) give the agreement feature."""
        n = len(sources)
        feats: list[dict[str, float]] = [{} for _ in range(n)]
        ratio = self.weights["length_ratio"]
        for f, s, c in zip(feats, sources, candidates):
            f["length"] = length_feature(s, c, ratio)
        live = [i for i in range(n) if candidates[i].strip()]
        for i in live:
            feats[i]["coverage"] = coverage_feature(sources[i], candidates[i])
        known = {i: lp for i in live if logprobs is not None and (lp := logprobs[i]) is not None}
        missing = [i for i in live if i not in known]
        if missing and self.translator is not None:
            try:
                lps = self.translator.score([Request(sources[i]) for i in missing], [candidates[i] for i in missing])
            except NotImplementedError:
                lps = []
            for i, tokens in zip(missing, lps):
                known[i] = sum(tokens) / len(tokens) if tokens else -10.0
                feats[i]["lowest"] = lowest_feature(tokens)
        for i, lp in known.items():
            feats[i]["logprob"] = lp
        if alternatives is None and self.alternative is not None and live:
            alt = dict(zip(live, self.alternative([sources[i] for i in live])))
            alternatives = [alt.get(i, "") for i in range(n)]
        if alternatives is not None:
            for i in live:
                feats[i]["consensus"] = consensus_feature(candidates[i], alternatives[i])
        for i in live:
            if agreements is not None and (a := agreements[i]) is not None:
                feats[i]["agreement"] = a
        if self.similarity is not None and live:
            sims = self.similarity([sources[i] for i in live], [candidates[i] for i in live])
            for i, sim in zip(live, sims):
                feats[i]["similarity"] = float(sim)
        return feats

    def combine(self, f: dict[str, float]) -> float:
        """The fitted linear model for the features present: the one using the most of them (a feature
        no model was fitted with is left out rather than dropping to length alone). The signals a caller
        supplies on purpose (REQUESTED: another system's translations, best quality's agreement) come
        first: a model of more free features fitted without them would drop what was asked for."""
        present = [k for k in FEATURES if k in f]
        fitted = self.weights["models"]
        usable = [name for name in fitted if all(k in present for k in name.split("+"))]

        def rank(name: str) -> tuple[int, int]:
            parts = name.split("+")
            return sum(k in parts for k in REQUESTED), len(parts)

        model = fitted[max(usable, key=rank)] if usable else fitted["length"]
        z = model["bias"] + sum(model["coef"][k] * (f[k] - model["mean"][k]) / model["std"][k] for k in model["coef"])
        return float(min(1.0, max(0.0, z)))

    def estimate(self, sources: Sequence[str], candidates: Sequence[str],
                 logprobs: Sequence[float | None] | None = None,
                 alternatives: Sequence[str] | None = None,
                 agreements: Sequence[float | None] | None = None) -> list[Estimate]:
        """One Estimate per (source, candidate) pair, same order."""
        return self.judge(sources, candidates, self.features(sources, candidates, logprobs, alternatives, agreements))

    def judge(self, sources: Sequence[str], candidates: Sequence[str],
              feats: Sequence[dict[str, float]]) -> list[Estimate]:
        """Estimates from features already computed (`features`): the fitted model, capped by the checks.
        Apart from `estimate` so that a benchmark can judge the same features under several models."""
        out = []
        for s, c, f in zip(sources, candidates, feats):
            reasons = enforce.violations(s, c, self.glossary.find(s) if self.glossary is not None else [])
            if abs(f["length"]) > 1.0:  # under 0.37× or over 2.7× the usual length
                reasons.append("length_ratio")
            score = 0.0 if not c.strip() else self.combine(f)
            for r in reasons:
                score = min(score, CAPS.get(r.split(":")[0], 1.0))
            out.append(Estimate(round(score, 4), reasons, {k: round(v, 4) for k, v in f.items()}))
        return out
