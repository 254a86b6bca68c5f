"""What the service's worker does with a request: translate, align or polish, into a storable document.

It holds the one model instance of the process and is only ever called from the worker thread; the
work itself is the application's use cases, the same the CLI and batch run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zhen import config
from zhen.align.embed import Embedder
from zhen.app import factory
from zhen.app.align_files import align_texts
from zhen.app.polish import polish_english, polish_with_zh
from zhen.errors import InputError
from zhen.mt.base import Translator
from zhen.mt.glossary import Glossary
from zhen.mt.memory import TranslationMemory
from zhen.mt.pipeline import Draft, Pipeline
from zhen.mt.qe import QualityEstimator
from zhen.store import Store
from zhen.text.document import parse_article

Emit = Callable[[dict], object]
Between = Callable[[], None]
STREAM_CHUNK = 8  # sentences per model call when streaming
JOB_CHUNK = 16  # sentences per model call in a job, between which interactive requests are answered


class Engine:
    def __init__(self, translator: Translator, memory: TranslationMemory | None, embedder: str | None = None,
                 settings: config.Settings | None = None) -> None:
        self.translator = translator
        self.settings = settings
        self.memory = memory
        self._embedder_spec = embedder
        self._embedder: Embedder | None = None  # loaded on first use, then shared by every request (and its cache)

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = factory.embedder(self._embedder_spec, self.settings)
        return self._embedder

    def model(self) -> str:
        return self.translator.signature()

    def _pipeline(self, glossary: dict[str, str] | None, quality: str | None = None, alternatives: int = 0) -> Pipeline:
        n = (self.settings or config.settings()).candidates(quality, alternatives)
        return Pipeline(self.translator, self.memory, Glossary(glossary) if glossary else None, candidates=n)

    def _segments(self, drafts: list[Draft], paragraphs: dict[int, int], qe_mode: str,
                  glossary: Glossary) -> list[dict]:
        estimator = QualityEstimator(self.translator if qe_mode == "full" else None, None, glossary)
        logprobs = [d.logprob for d in drafts] if qe_mode != "none" else None
        agreements = [d.agreement for d in drafts] if qe_mode != "none" else None
        ests = estimator.estimate([d.source for d in drafts], [d.draft for d in drafts], logprobs,
                                  agreements=agreements)
        segs = [{"n": d.id, "kind": d.kind, "paragraph": paragraphs.get(d.id), "source": d.source, "draft": d.draft,
                 "qe": e.score, "reasons": list(dict.fromkeys(d.flags + e.reasons))} for d, e in zip(drafts, ests)]
        for seg, d in zip(segs, drafts):
            if d.agreement is not None:  # best quality: how far the candidates agreed, and the others
                seg["agreement"], seg["alternatives"] = d.agreement, d.alternatives
        return segs

    def translate(self, p: dict[str, Any], emit: Emit | None = None, between: Between | None = None) -> dict:
        pipe = self._pipeline(p.get("glossary"), p.get("quality"), p.get("alternatives", 0))
        if p.get("text") is not None:
            doc = parse_article(p["text"])
            sents = doc.translatable(p.get("include_boilerplate", False))
            if not sents:
                raise InputError("nothing to translate: no title, body or caption text found")
            title, sources = doc.title(), [s.normalised for s in sents]
            ids = {k: s for k, s in enumerate(sents)}
        else:
            title, sources, ids = None, [s.strip() for s in p["sentences"]], {}
        segments: list[dict] = []
        step = STREAM_CHUNK if emit else JOB_CHUNK if between else max(1, len(sources))
        for start in range(0, len(sources), step):
            drafts = pipe.translate(sources[start : start + step], title=title)
            paragraphs = {}
            for d in drafts:
                d.id += start
                if d.id in ids:
                    s = ids[d.id]
                    d.id, d.kind, paragraphs[s.id] = s.id, s.kind, s.paragraph
                    d.flags = list(dict.fromkeys(s.flags + d.flags))
            chunk = self._segments(drafts, paragraphs, p.get("qe", "fast"), pipe.glossary)
            segments += chunk
            if emit:
                for seg in chunk:
                    emit({"segment": seg})
            if between and start + step < len(sources):
                between()
        return {"kind": "translation", "title": title, "text": p.get("text") or "\n".join(sources),
                "options": {k: p.get(k) for k in ("include_boilerplate", "qe", "quality", "alternatives") if k in p},
                "segments": segments}

    def align(self, p: dict[str, Any], emit: Emit | None = None, between: Between | None = None) -> dict:
        alignment = align_texts(p["zh"], p["en"], self.embedder(), bool(p.get("presplit")), ("zh", "en"))
        rows = alignment.rows()
        # Each bead with both sides is also a segment, so it can be reviewed, edited and exported.
        segs = [{"n": r["k"], "kind": "bead", "source": r["zh_text"], "draft": r["en_text"], "qe": r["score"],
                 "reasons": r["flags"]} for r in rows]
        return {"kind": "alignment", "title": None, "text": None, "model": alignment.embedder,
                "options": {"presplit": bool(p.get("presplit"))}, "alignments": rows, "segments": segs}

    def polish(self, p: dict[str, Any], emit: Emit | None = None, between: Between | None = None) -> dict:
        pipe = self._pipeline(None)
        if p.get("source"):
            res = polish_with_zh(p["source"], p["english"], pipe, self.embedder(), p.get("presplit", False))
        else:
            res = polish_english(p["english"], pipe, self.embedder(), p.get("presplit", False))
        segs = [{"n": s.id, "kind": s.action, "source": s.source or s.before, "draft": s.after, "action": s.action,
                 "qe": s.score_after, "score_before": s.score_before, "reasons": s.reasons} for s in res.sentences]
        return {"kind": "polish", "title": res.title, "text": res.text, "options": {"source": bool(p.get("source"))},
                "segments": segs}

    def run(self, kind: str, payload: dict, emit: Emit | None = None, between: Between | None = None) -> dict:
        """The document for one request or job; `between` is called between chunks of a long translation."""
        op = {"translate": self.translate, "align": self.align, "polish": self.polish}.get(kind)
        if op is None:
            raise InputError(f"unknown job kind {kind!r}")
        return op(payload, emit, between)


def engine_factory(settings: config.Settings, store: Store) -> Callable[[], Engine]:
    """How the worker builds its engine once it starts (the model loads in the worker thread); the
    translation memory is the app's store."""

    def make() -> Engine:
        translator = factory.translator(settings.model, backend=settings.backend, settings=settings)
        return Engine(translator, TranslationMemory(store), settings.embedder, settings)

    return make
