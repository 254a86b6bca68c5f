"""What the use cases run on: the loaded translator, the model-output cache, the users' translation
memories and glossaries, the entity tagger, the embedder and the quality and memory settings, as plain
values the factory filled in from the settings.

One `Runtime` per process (the server's worker, a batch worker, one CLI command); every interface
hands it to the same use cases, so an article gets the same pipeline and the same QE everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from zhen.align.embed import Embedder
from zhen.app.recall import RecallPolicy
from zhen.config import candidates
from zhen.mt.base import Translator
from zhen.mt.faithful.entities import Tagger
from zhen.mt.glossary import Glossary
from zhen.mt.memory import TranslationMemory
from zhen.mt.pipeline import Pipeline
from zhen.mt.quality.qe import QualityEstimator
from zhen.mt.tm.match import Matcher
from zhen.store import Store


@dataclass
class Runtime:
    translator: Translator
    memory: TranslationMemory | None = None
    tagger: Tagger | None = None
    load_embedder: Callable[[], Embedder] | None = None  # the embedder loads on first use, then stays
    best_candidates: int = 4  # candidates per sentence in best quality
    quality: str = "default"  # the quality asked when a request does not say
    store: Store | None = None  # the users' translation memories and glossaries (None: none are used)
    recall: RecallPolicy = field(default_factory=RecallPolicy)
    _embedder: Embedder | None = field(default=None, repr=False)

    def candidates(self, quality: str | None = None, alternatives: int = 0) -> int:
        """Candidates per sentence for a request (`zhen.config.candidates`, the runtime's default quality)."""
        return candidates(quality or self.quality, alternatives, self.best_candidates)

    def pipeline(self, glossary: Glossary | None = None, quality: str | None = None,
                 alternatives: int = 0) -> Pipeline:
        return Pipeline(self.translator, self.memory, glossary, tagger=self.tagger,
                        candidates=self.candidates(quality, alternatives))

    def estimator(self, glossary: Glossary | None, mode: str) -> QualityEstimator:
        """QE as every interface computes it: `full` adds forced decoding where no log-probability was
        recorded while translating (it gives those drafts their least likely tokens too); the glossary's
        terms are checked in every mode."""
        return QualityEstimator(self.translator if mode == "full" else None, None, glossary)

    def matcher(self, owner: str | None) -> Matcher | None:
        """`owner`'s view of the translation memory (None: this runtime keeps none)."""
        return Matcher(self.store, owner or "") if self.store is not None else None

    def learned_glossary(self, owner: str | None, request: Glossary | None = None) -> Glossary | None:
        """`owner`'s glossary (terms they set or that their edits taught), under the request's own terms.
        Its terms are pinned: a translator's rendering is written into the source the model reads."""
        rows = self.store.glossary(owner or "") if self.store is not None else []
        if not rows:
            return request
        g = Glossary()
        for r in rows:
            g.add(r["source"], r["target"], r["kind"], pinned=True, was=(r["was"],) if r["was"] else ())
        return g.merged(request)

    def embedder(self) -> Embedder:
        if self._embedder is None:
            if self.load_embedder is None:
                raise RuntimeError("this runtime has no embedder")
            self._embedder = self.load_embedder()
        return self._embedder

    def model(self) -> str:
        return self.translator.signature()

    def close(self) -> None:
        self.translator.close()
        if self.memory is not None:
            self.memory.close()
