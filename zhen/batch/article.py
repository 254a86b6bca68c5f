"""One article through the whole product: clean, segment, translate, score, align. Runs in a worker
(a local process or a Ray actor) and returns plain data, so any engine can carry the result back."""

from __future__ import annotations

import time
from dataclasses import dataclass

from zhen.app import factory
from zhen.app.runtime import Runtime
from zhen.app.translate import TranslatedArticle, TranslateOptions, translate_article
from zhen.config import Settings
from zhen.errors import InputError
from zhen.store import Store
from zhen.text.decode import decode_bytes
from zhen.text.segment import is_zh, split_en

MAX_CHARS = 200_000  # a "gigantic" file (a whole site dump, a binary mislabelled .txt) is refused, not ground through


@dataclass
class Worker:
    """What a worker holds between articles: the runtime (model, cache, tagger)."""

    runtime: Runtime

    @classmethod
    def create(cls, settings: Settings, model: str | None = None, backend: str | None = None,
               memory_path: str | None = None) -> Worker:
        memory = Store(memory_path) if memory_path else False
        return cls(factory.runtime(settings, model=model, backend=backend, memory=memory))

    def signature(self) -> str:
        return self.runtime.model()


def process(worker: Worker, name: str, data: bytes, options: TranslateOptions) -> dict:
    """The article's result: the document every interface gives for it (`TranslatedArticle.to_dict`), with
    its alignment beads, English text, encoding and timing. Raises InputError (with the reason) for files
    that cannot be translated.

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
    try:
        result = translate_article(worker.runtime, text, options)
    except InputError as err:
        raise InputError(f"{name}: {err}") from None
    if not any(is_zh(s.source) for s in result.segments):  # sentences without Chinese cost no model call
        raise InputError(f"{name}: no Chinese text to translate")
    doc = result.to_dict()
    doc["alignments"] = beads(result)
    return {**doc, "name": name, "encoding": encoding, "english": result.english() + "\n",
            "seconds": round(time.perf_counter() - start, 3)}


def beads(result: TranslatedArticle) -> list[dict]:
    """Each source sentence with the English sentences of its draft, scored by the draft's QE."""
    out, n_en = [], 0
    for k, s in enumerate(result.segments):
        pieces = [p for p in (s.draft[a:b].strip() for a, b in split_en(s.draft)) if p]
        pieces = pieces or ([s.draft] if s.draft else [])
        out.append({"k": k, "zh": [k], "en": list(range(n_en, n_en + len(pieces))), "zh_text": s.source,
                    "en_text": " ".join(pieces), "score": s.qe, "flags": s.reasons})
        n_en += len(pieces)
    return out
