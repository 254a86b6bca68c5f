"""One article through the whole product: clean, segment, translate, score, align. Runs in a worker
(a local process or a Ray actor) and returns plain data, so any engine can carry the result back."""

from __future__ import annotations

import time
from dataclasses import dataclass

from zhen.app import factory
from zhen.errors import InputError
from zhen.mt.pipeline import Pipeline
from zhen.mt.qe import QualityEstimator
from zhen.store import Store
from zhen.text.decode import decode_bytes
from zhen.text.document import parse_article
from zhen.text.segment import is_zh, split_en

MAX_CHARS = 200_000  # a "gigantic" file (a whole site dump, a binary mislabelled .txt) is refused, not ground through


@dataclass
class Worker:
    """What a worker holds between articles: the model pipeline and QE."""

    pipe: Pipeline
    qe: QualityEstimator

    @classmethod
    def create(cls, model: str | None = None, backend: str | None = None, memory_path: str | None = None) -> Worker:
        translator = factory.translator(model, backend=backend)
        memory = Store(memory_path) if memory_path else False
        return cls(factory.pipeline(translator, memory=memory), QualityEstimator())

    def signature(self) -> str:
        return self.pipe.translator.signature()


def process(worker: Worker, name: str, data: bytes, include_boilerplate: bool = False) -> dict:
    """The article's result: structure, drafts with QE, alignment beads, English text. Raises InputError
    (with the reason) for files that cannot be translated.

    The alignment is known by construction (each source sentence ↔ the English sentences of its draft),
    so beads are 1-1 or 1-n and carry the draft's QE score; running the embedding aligner here would
    only re-discover them at several times the cost of the translation's QE.
    """
    start = time.perf_counter()
    if len(data) > MAX_CHARS * 4:
        raise InputError(f"{name}: too large ({len(data):,} bytes; the limit is about {MAX_CHARS:,} characters)")
    text, encoding = decode_bytes(data, name)
    if len(text) > MAX_CHARS:
        raise InputError(f"{name}: too large ({len(text):,} characters; the limit is {MAX_CHARS:,})")
    doc = parse_article(text)
    sents = doc.translatable(include_boilerplate)
    if not any(is_zh(s.normalised) for s in sents):
        raise InputError(f"{name}: no Chinese text to translate")
    drafts = worker.pipe.translate_document(doc, include_boilerplate)
    ests = worker.qe.estimate([d.source for d in drafts], [d.draft for d in drafts], [d.logprob for d in drafts],
                              agreements=[d.agreement for d in drafts])
    beads, n_en = [], 0
    for i, (d, e) in enumerate(zip(drafts, ests)):
        pieces = [p for p in (d.draft[a:b].strip() for a, b in split_en(d.draft)) if p]
        pieces = pieces or ([d.draft] if d.draft else [])
        beads.append({"zh": [i], "en": list(range(n_en, n_en + len(pieces))), "zh_text": d.source,
                      "en_text": " ".join(pieces), "score": e.score, "flags": e.reasons})
        n_en += len(pieces)
    paragraphs: dict[int, list[str]] = {}
    for d in drafts:
        paragraphs.setdefault(doc.sentences[d.id].paragraph, []).append(d.draft)
    return {
        "name": name, "encoding": encoding, "title": doc.title(), "model": worker.signature(),
        "sentences": [{"id": d.id, "kind": d.kind, "paragraph": doc.sentences[d.id].paragraph, "source": d.source,
                       "draft": d.draft, "qe": e.score, "reasons": list(dict.fromkeys(d.flags + e.reasons))}
                      for d, e in zip(drafts, ests)],
        "alignment": beads,
        "english": "\n\n".join(" ".join(p) for p in paragraphs.values()) + "\n",
        "seconds": round(time.perf_counter() - start, 3),
    }
