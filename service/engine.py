"""What the service's worker does with a request: translate, align or polish, into a storable document.

It holds the one model instance of the process and is only ever called from the worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mt.base import Translator
from mt.glossary import Glossary
from mt.memory import TranslationMemory
from mt.pipeline import Draft, Pipeline
from mt.qe import QualityEstimator
from zhen.errors import InputError
from zhen.text.document import parse_article

Emit = Callable[[dict], None]
STREAM_CHUNK = 8  # sentences per model call when streaming


class Engine:
    def __init__(self, translator: Translator, memory: TranslationMemory | None, embedder: str | None = None):
        self.translator = translator
        self.memory = memory
        self._embedder_name = embedder
        self._embedder = None  # loaded on first use, then shared by every request (and its cache with it)

    def embedder(self):  # noqa: ANN201 - align.embed.Embedder
        from align.embed import from_spec

        if self._embedder is None:
            self._embedder = from_spec(self._embedder_name)
        return self._embedder

    def model(self) -> str:
        return self.translator.signature()

    def _pipeline(self, glossary: dict[str, str] | None) -> Pipeline:
        return Pipeline(self.translator, self.memory, Glossary(glossary) if glossary else None)

    def _segments(self, drafts: list[Draft], paragraphs: dict[int, int], qe_mode: str,
                  glossary: Glossary) -> list[dict]:
        estimator = QualityEstimator(self.translator if qe_mode == "full" else None, None, glossary)
        logprobs = [d.logprob for d in drafts] if qe_mode != "none" else None
        ests = estimator.estimate([d.source for d in drafts], [d.draft for d in drafts], logprobs)
        return [{"n": d.id, "kind": d.kind, "paragraph": paragraphs.get(d.id), "source": d.source, "draft": d.draft,
                 "qe": e.score, "reasons": list(dict.fromkeys(d.flags + e.reasons))} for d, e in zip(drafts, ests)]

    def translate(self, p: dict[str, Any], emit: Emit | None = None) -> dict:
        pipe = self._pipeline(p.get("glossary"))
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
        step = STREAM_CHUNK if emit else max(1, len(sources))
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
        return {"kind": "translation", "title": title, "text": p.get("text") or "\n".join(sources),
                "options": {k: p.get(k) for k in ("include_boilerplate", "qe") if k in p}, "segments": segments}

    def align(self, p: dict[str, Any], emit: Emit | None = None) -> dict:
        from align.aligner import align
        from align.validate import check_sides

        if p.get("presplit"):
            zh = [x.strip() for x in p["zh"].splitlines() if x.strip()]
            en = [x.strip() for x in p["en"].splitlines() if x.strip()]
        else:
            zh = [s.normalised for s in parse_article(p["zh"]).translatable()]
            en = [s.normalised for s in parse_article(p["en"]).translatable()]
        if not zh or not en:
            raise InputError(f"nothing to align: the {'Chinese' if not zh else 'English'} text has no sentences")
        try:
            check_sides(zh, en, "zh", "en")
        except ValueError as err:
            raise InputError(str(err)) from None
        beads = align(zh, en, self.embedder())
        rows = [{"k": k, "zh": b.zh, "en": b.en, "zh_text": "".join(zh[i] for i in b.zh),
                 "en_text": " ".join(en[j] for j in b.en), "score": b.score, "flags": b.flags}
                for k, b in enumerate(beads)]
        # Each bead with both sides is also a segment, so it can be reviewed, edited and exported.
        segs = [{"n": r["k"], "kind": "bead", "source": r["zh_text"], "draft": r["en_text"], "qe": r["score"],
                 "reasons": r["flags"]} for r in rows]
        return {"kind": "alignment", "title": None, "text": None, "options": {"presplit": bool(p.get("presplit"))},
                "alignments": rows, "segments": segs}

    def polish(self, p: dict[str, Any], emit: Emit | None = None) -> dict:
        from zhen.polish import polish_english, polish_with_zh

        pipe = self._pipeline(None)
        if p.get("source"):
            res = polish_with_zh(p["source"], p["english"], pipe, p.get("presplit", False), embedder=self.embedder())
        else:
            res = polish_english(p["english"], pipe, p.get("presplit", False), self.embedder())
        segs = [{"n": s.id, "kind": s.action, "source": s.source or s.before, "draft": s.after, "action": s.action,
                 "qe": s.score_after, "score_before": s.score_before, "reasons": s.reasons} for s in res.sentences]
        return {"kind": "polish", "title": res.title, "text": res.text, "options": {"source": bool(p.get("source"))},
                "segments": segs}

    def run(self, kind: str, payload: dict, emit: Emit | None = None) -> dict:
        op = {"translate": self.translate, "align": self.align, "polish": self.polish}.get(kind)
        if op is None:
            raise InputError(f"unknown job kind {kind!r}")
        return op(payload, emit)
