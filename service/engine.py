"""What the service's worker does with a request: translate, align or polish, into a storable document.

It holds the one model instance of the process and is only ever called from the worker thread; the
work itself is the application's use cases, the same the CLI and batch run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zhen.app import factory
from zhen.app.align_files import align_texts
from zhen.app.polish import polish_english, polish_with_zh
from zhen.app.runtime import Runtime
from zhen.app.tagged import translate_tagged
from zhen.app.translate import translate_article, translate_sentence_lists, translate_sentences
from zhen.config import Settings
from zhen.errors import InputError
from zhen.service.schemas import TranslateRequest
from zhen.store import Store
from zhen.text.inline import Tagged

Emit = Callable[[dict], object]
Between = Callable[[], None]
STREAM_CHUNK = 8  # sentences per model call when streaming
JOB_CHUNK = 16  # sentences per model call in a job, between which interactive requests are answered


class Engine:
    """The process's runtime (one loaded model) and the operations the worker runs on it."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def model(self) -> str:
        return self.runtime.model()

    def upstreams(self) -> list[dict]:
        """The model servers the model work goes to, with their health (none: the model is in-process)."""
        return self.runtime.translator.upstreams()

    def translate(self, p: dict[str, Any], emit: Emit | None = None, between: Between | None = None,
                  owner: str | None = None) -> dict:
        if p.get("marks") is not None:  # a compatible API's units with inline tags (or of several sentences)
            units = [Tagged.from_json({"text": t, "marks": m}) for t, m in zip(p["sentences"], p["marks"])]
            req = _request(p)
            return translate_tagged(self.runtime, units, req.options(), req.title, owner=owner).to_dict()
        req = _request(p)
        on_segments = (lambda segs: [emit({"segment": s.to_dict()}) for s in segs]) if emit else None
        chunk = STREAM_CHUNK if emit else JOB_CHUNK if between else None
        if req.text is not None:
            result = translate_article(self.runtime, req.text, req.options(), owner=owner, on_segments=on_segments,
                                       between=between, chunk=chunk)
        else:
            result = translate_sentences(self.runtime, req.sentences or [], req.options(), req.title, owner=owner,
                                         on_segments=on_segments, between=between, chunk=chunk)
        return result.to_dict()

    def translate_group(self, payloads: list[dict], owners: list[str | None]) -> list[dict]:
        """Several waiting sentence-list requests with the same options in one model run; each gets the
        document it would get alone (its owner's memory and glossary)."""
        reqs = [_request(p) for p in payloads]
        results = translate_sentence_lists(self.runtime, [r.sentences or [] for r in reqs], reqs[0].options(), owners)
        return [r.to_dict() for r in results]

    def align(self, p: dict[str, Any], emit: Emit | None = None, between: Between | None = None,
              owner: str | None = None) -> dict:
        alignment = align_texts(p["zh"], p["en"], self.runtime.embedder(), bool(p.get("presplit")), ("zh", "en"))
        rows = alignment.rows()
        # Each bead with both sides is also a segment, so it can be reviewed, edited and exported.
        segs = [{"n": r["k"], "kind": "bead", "source": r["zh_text"], "draft": r["en_text"], "qe": r["score"],
                 "reasons": r["flags"]} for r in rows]
        return {"kind": "alignment", "title": None, "text": None, "model": alignment.embedder,
                "options": {"presplit": bool(p.get("presplit"))}, "alignments": rows, "segments": segs}

    def polish(self, p: dict[str, Any], emit: Emit | None = None, between: Between | None = None,
               owner: str | None = None) -> dict:
        pipe = self.runtime.pipeline()
        if p.get("source"):
            res = polish_with_zh(p["source"], p["english"], pipe, self.runtime.embedder(), p.get("presplit", False))
        else:
            res = polish_english(p["english"], pipe, self.runtime.embedder(), p.get("presplit", False))
        segs = [{"n": s.id, "kind": s.action, "source": s.source or s.before, "draft": s.after, "action": s.action,
                 "qe": s.score_after, "score_before": s.score_before, "reasons": s.reasons} for s in res.sentences]
        return {"kind": "polish", "title": res.title, "text": res.text, "options": {"source": bool(p.get("source"))},
                "segments": segs}

    def run(self, kind: str, payload: dict, emit: Emit | None = None, between: Between | None = None,
            owner: str | None = None) -> dict:
        """The document for one request or job of `owner` (a key's id: its memory and glossary are used);
        `between` is called between chunks of a long translation."""
        op = {"translate": self.translate, "align": self.align, "polish": self.polish}.get(kind)
        if op is None:
            raise InputError(f"unknown job kind {kind!r}")
        return op(payload, emit, between, owner)


def _request(payload: dict[str, Any]) -> TranslateRequest:
    """A queued translation's request, typed. It was validated where it came in (the route, or the job's
    creation), or built by a compatible route from a file or texts, whose units the API's own per-request
    limits do not bound; so it is read back, not validated again."""
    return TranslateRequest.model_construct(**{k: v for k, v in payload.items() if k in TranslateRequest.model_fields})


def engine_factory(settings: Settings, store: Store) -> Callable[[], Engine]:
    """How the worker builds its engine once it starts (the model loads in the worker thread); the
    model-output cache is the app's store."""

    def make() -> Engine:
        return Engine(factory.runtime(settings, memory=store))

    return make
