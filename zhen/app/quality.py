"""Use case: reference-free quality estimates of given translations, with the translation model (forced
decoding) and, on request, the sentence embedder or a second model's consensus."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zhen.align.embed import Embedder
from zhen.mt.base import Translator
from zhen.mt.glossary import Glossary, base
from zhen.mt.pipeline import Pipeline, normalise_lines
from zhen.mt.quality.qe import Estimate, QualityEstimator, Similarity


def embedding_similarity(embedder: Embedder) -> Similarity:
    """Cosine similarity of each (source, candidate) pair in the aligner's embedding space (the
    embedder's cache is shared with whoever else uses it)."""

    def similarity(sources: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        a, b = embedder.embed(list(sources)), embedder.embed(list(candidates))
        return np.einsum("ij,ij->i", a, b)

    return similarity


def make_estimator(translator: Translator | None, glossary: Glossary | None = None,
                   embedder: Embedder | None = None, alternative: Translator | None = None) -> QualityEstimator:
    """Model log-probabilities (if the backend can score), length, checks; embedding similarity only on
    request: fitted on FLORES it added nothing over log-probabilities (see `mt/data/qe_weights.json`).
    With `alternative` (a second, different model) the consensus feature is added: that model's draft
    through the same pipeline, compared with each candidate."""
    sim = embedding_similarity(embedder) if embedder is not None else None
    alt = None
    if alternative is not None:
        pipe = Pipeline(alternative)

        def alt(sources: Sequence[str]) -> list[str]:
            return [d.draft for d in pipe.translate(list(sources))]

    return QualityEstimator(translator, sim, base().merged(glossary) if glossary else base(), alternative=alt)


def estimate_lines(translator: Translator, sources: Sequence[str], candidates: Sequence[str],
                   second: Translator | None = None, alternatives: Sequence[str] | None = None) -> list[Estimate]:
    """QE of line-parallel sources and candidates (`zhen qe`); sources are cleaned as article sentences are.
    `second` (another model) or `alternatives` (another system's lines) add the consensus feature."""
    qe = make_estimator(translator, alternative=second)
    others = list(alternatives) if alternatives else None
    return qe.estimate(normalise_lines(sources), list(candidates), alternatives=others)
