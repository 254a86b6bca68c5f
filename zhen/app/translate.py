"""Use case: translate an article (or a list of sentences) into a scored English draft.

This is the only place an article is translated: the CLI (every `--format`), the API (sync, stream,
jobs, the LibreTranslate and DeepL routes, files) and batch all call it and serialise the same
`TranslatedArticle`, so one article gets the same segments and the same scores from each of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from zhen.app.recall import Recall, recall
from zhen.app.runtime import Runtime
from zhen.cache import write_atomic
from zhen.errors import InputError
from zhen.mt.base import Term
from zhen.mt.glossary import Glossary
from zhen.mt.pipeline import Draft, Examples, Pipeline, Progress, normalise_lines
from zhen.mt.tm.match import Match
from zhen.text.decode import read_text
from zhen.text.document import parse_article
from zhen.text.inline import Tagged
from zhen.text.lines import presplit
from zhen.text.matchkey import repetitions

QE = Literal["fast", "full", "none"]
OnSegments = Callable[[list["Segment"]], object]  # called with each chunk's segments as they are done


@dataclass(frozen=True)
class TranslateOptions:
    """How to translate; the same fields as the API's request body."""

    include_boilerplate: bool = False
    qe: QE = "fast"  # fast: log-probabilities recorded while translating; full: forced decoding too; none
    quality: Literal["default", "best"] | None = None  # None: the runtime's default
    alternatives: int = 0  # other candidates wanted per sentence (implies best quality)
    glossary: Glossary | None = None  # the request's own terms, on top of the built-in glossary
    memory: bool = True  # use the caller's translation memory and learned glossary

    def to_dict(self) -> dict[str, Any]:
        """What a stored document records of its options (the glossary as its size)."""
        out: dict[str, Any] = {"include_boilerplate": self.include_boilerplate, "qe": self.qe,
                               "quality": self.quality, "alternatives": self.alternatives, "memory": self.memory}
        if self.glossary is not None:
            out["glossary_terms"] = len(self.glossary.terms)
        return out


@dataclass(frozen=True)
class Flag:
    """A check's finding: its code, what it names, and where that is in the source when it is found there."""

    code: str
    detail: str = ""
    span: tuple[int, int] | None = None

    @classmethod
    def parse(cls, flag: str, source: str) -> Flag:
        """`term_missing:辽宁省` → code, detail and the span of the first item of the detail in the source."""
        code, _, detail = flag.partition(":")
        first = detail.split(",")[0].strip()
        at = source.find(first) if first else -1
        return cls(code, detail, (at, at + len(first)) if at >= 0 else None)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, "span": list(self.span) if self.span else None}


@dataclass
class Segment:
    """One translated sentence with everything a reviewer needs."""

    n: int  # the sentence's number in its article (its line, for a sentence list)
    source: str
    draft: str
    kind: str = "body"
    paragraph: int | None = None
    qe: float | None = None
    reasons: list[str] = field(default_factory=list)  # the checks' flags, then QE's reasons, as codes
    flags: list[Flag] = field(default_factory=list)  # the checks' flags with their spans
    agreement: float | None = None  # best quality: mean chrF/100 of the draft against the other candidates
    alternatives: list[str] = field(default_factory=list)  # best quality: the other candidates, best first
    match: Match | None = None  # the best match in the caller's translation memory
    terms: list[Term] = field(default_factory=list)  # the renderings the draft was held to
    tags: tuple[Tagged, Tagged] | None = None  # inline tags: the source's marks and the draft's (tagged.py)

    def to_dict(self) -> dict[str, Any]:
        """The API's segment: the same fields a stored document's segment has (no edits yet)."""
        return {"n": self.n, "kind": self.kind, "paragraph": self.paragraph, "source": self.source,
                "draft": self.draft, "text": self.draft, "action": None, "qe": self.qe, "score_before": None,
                "reasons": self.reasons, "flags": [f.to_dict() for f in self.flags], "agreement": self.agreement,
                "alternatives": self.alternatives, "match": self.match.to_dict() if self.match else None,
                "terms": [{"source": t.source, "target": t.target, "kind": t.kind} for t in self.terms],
                "tags": {"source": self.tags[0].to_json()["marks"], "target": self.tags[1].to_json()["marks"]}
                if self.tags else None, "status": "draft", "edits": []}


@dataclass
class TranslatedArticle:
    """The result of translating one text: its segments, and the article they came from."""

    title: str | None
    model: str
    text: str  # the source text as given
    segments: list[Segment]
    options: TranslateOptions = field(default_factory=TranslateOptions)

    def english(self) -> str:
        """The draft as running text: sentences of a paragraph joined, paragraphs apart (a sentence list:
        one line each)."""
        blocks: list[list[str]] = []
        last: object = object()
        for s in self.segments:
            if s.paragraph is None or s.paragraph != last:
                blocks.append([])
            blocks[-1].append(s.draft)
            last = s.paragraph
        sep = "\n\n" if any(s.paragraph is not None for s in self.segments) else "\n"
        return sep.join(" ".join(b) for b in blocks)

    def to_dict(self) -> dict[str, Any]:
        """The API's document (`GET /v1/documents/ID` has the same fields, with its id and time)."""
        reps = repetitions([s.source for s in self.segments])
        segments = [{**s.to_dict(), "repetitions": r} for s, r in zip(self.segments, reps)]
        return {"id": None, "kind": "translation", "created": None, "origin": None, "title": self.title,
                "model": self.model,
                "options": self.options.to_dict(), "text": self.text, "segments": segments, "alignments": []}


@dataclass(frozen=True)
class _Unit:
    """A sentence to translate: where it sits in its text, and what cleaning found in it."""

    k: int  # its position among the text's units
    n: int
    source: str
    kind: str = "body"
    paragraph: int | None = None
    flags: tuple[str, ...] = ()
    given: str | None = None  # a sentence as the client sent it, shown as the segment's source


def translate_article(runtime: Runtime, text: str, options: TranslateOptions = TranslateOptions(), *,
                      owner: str | None = None, progress: Progress | None = None,
                      on_segments: OnSegments | None = None, between: Callable[[], object] | None = None,
                      chunk: int | None = None) -> TranslatedArticle:
    """An article page cleaned, segmented and translated with its title as context, with `owner`'s
    translation memory and glossary (a key's id; None: the local store's). `chunk` sentences go to the
    model at a time, `on_segments` hears each chunk's segments and `between` runs between chunks (a
    server answers waiting requests there); the article's terms and matches are found over all of it
    first, so the result does not depend on the chunking."""
    doc = parse_article(text)
    sents = doc.translatable(options.include_boilerplate)
    if not sents:
        raise InputError("nothing to translate: no title, body or caption text found")
    units = [_Unit(k, s.id, s.normalised, s.kind, s.paragraph, tuple(s.flags)) for k, s in enumerate(sents)]
    return _translate(runtime, units, doc.title(), text, options, owner, progress, on_segments, between, chunk)


def translate_sentences(runtime: Runtime, sentences: Sequence[str], options: TranslateOptions = TranslateOptions(),
                        title: str | None = None, *, owner: str | None = None, progress: Progress | None = None,
                        on_segments: OnSegments | None = None, between: Callable[[], object] | None = None,
                        chunk: int | None = None) -> TranslatedArticle:
    """Sentences translated as one text (each cleaned like an article sentence); `title` is context."""
    units = _sentence_units(sentences)
    return _translate(runtime, units, title, "\n".join(sentences), options, owner, progress, on_segments, between,
                      chunk)


def translate_sentence_lists(runtime: Runtime, lists: Sequence[Sequence[str]],
                             options: TranslateOptions = TranslateOptions(),
                             owners: Sequence[str | None] | None = None) -> list[TranslatedArticle]:
    """Several sentence lists in one model run (a server's waiting requests, micro-batched): each gets
    exactly what `translate_sentences` would give it alone, its terms found in its own text only and its
    matches in its own owner's memory (`owners`, parallel to `lists`)."""
    owners = list(owners) if owners is not None else [None] * len(lists)
    units = [_sentence_units(ss) for ss in lists]
    plans = [_plan(runtime, us, options, who) for us, who in zip(units, owners)]
    asked = [p.asked(us) for us, p in zip(units, plans)]
    drafts = plans[0].pipe.translate_texts([([u.source for u in a], None, p.glossary) for a, p in zip(asked, plans)],
                                           examples=[p.examples(a) for a, p in zip(asked, plans)])
    return [TranslatedArticle(None, runtime.model(), "\n".join(ss), p.segments(us, ds, options.qe), options)
            for ss, us, ds, p in zip(lists, units, drafts, plans)]


def _sentence_units(sentences: Sequence[str]) -> list[_Unit]:
    """A client's sentences: the model reads each cleaned like an article sentence (Traditional to
    Simplified, pinyin notes removed), the segment shows it as it was sent, so it matches the client's files."""
    given = [s.strip() for s in sentences]
    return [_Unit(k, k, clean, given=g) for k, (clean, g) in enumerate(zip(normalise_lines(given), given))]


@dataclass
class _Plan:
    """A text's set-up: the pipeline and terms (with the owner's glossary), what the memory gives each
    sentence, and QE."""

    pipe: Pipeline
    glossary: Glossary  # the text's terms, found over all of it
    recall: Recall
    estimator: Any  # QualityEstimator

    def asked(self, units: Sequence[_Unit]) -> list[_Unit]:
        """The units the memory did not translate (`units` are the plan's, in order, or a run of them)."""
        return [u for u in units if self.recall.done[u.k] is None]

    def examples(self, asked: Sequence[_Unit]) -> Examples:
        ex = self.recall.examples
        return Examples([ex.of(u.k)[0] for u in asked], ex.shared)

    def segments(self, units: Sequence[_Unit], drafts: Sequence[Draft], qe: QE) -> list[Segment]:
        """Segments for `units`: the model's drafts for those it was asked, the memory's for the rest."""
        made = iter(drafts)
        full = [next(made) if self.recall.done[u.k] is None else self._remembered(u) for u in units]
        segs = _segments(units, full, self.estimator, qe)
        for u, seg in zip(units, segs):
            seg.match = self.recall.best[u.k]
            if self.recall.done[u.k] is not None and seg.match is not None and seg.match.kind == "exact":
                seg.qe = 1.0  # the translator's own translation of this sentence
        return segs

    def _remembered(self, u: _Unit) -> Draft:
        match = self.recall.best[u.k]
        kind = match.kind if match is not None else "exact"
        return Draft(u.n, u.source, self.recall.done[u.k] or "", u.kind, [f"tm_{kind}"],
                     self.glossary.find(u.source), cached=True)


def _plan(runtime: Runtime, units: Sequence[_Unit], options: TranslateOptions, owner: str | None) -> _Plan:
    glossary = runtime.learned_glossary(owner, options.glossary) if options.memory else options.glossary
    pipe = runtime.pipeline(glossary, options.quality, options.alternatives)
    terms = pipe.article_glossary([u.source for u in units])
    matcher = runtime.matcher(owner) if options.memory else None
    found = recall(matcher, [u.source for u in units], runtime.recall, pipe, terms)
    return _Plan(pipe, terms, found, runtime.estimator(pipe.glossary, options.qe))


def _translate(runtime: Runtime, units: list[_Unit], title: str | None, text: str, options: TranslateOptions,
               owner: str | None, progress: Progress | None, on_segments: OnSegments | None,
               between: Callable[[], object] | None, chunk: int | None) -> TranslatedArticle:
    plan = _plan(runtime, units, options, owner)
    segments: list[Segment] = []
    step = chunk or max(1, len(units))
    for start in range(0, len(units), step):
        part = units[start : start + step]
        asked = plan.asked(part)
        drafts = plan.pipe.translate([u.source for u in asked], title, progress, glossary=plan.glossary,
                                     examples=plan.examples(asked)) if asked else []
        if progress and len(asked) < len(part):
            progress(len(part) - len(asked))
        done = plan.segments(part, drafts, options.qe)
        segments += done
        if on_segments:
            on_segments(done)
        if between and start + step < len(units):
            between()
    return TranslatedArticle(title, runtime.model(), text, segments, options)


def _segments(units: Sequence[_Unit], drafts: Sequence[Draft], estimator: Any,  # noqa: ANN401 - QualityEstimator
              qe: QE) -> list[Segment]:
    """Segments from drafts: the unit's place and cleaning flags, the checks' flags, QE's score and reasons."""
    fast = qe != "none"
    ests = estimator.estimate([d.source for d in drafts], [d.draft for d in drafts],
                              [d.logprob for d in drafts] if fast else None,
                              agreements=[d.agreement for d in drafts] if fast else None)
    out = []
    for u, d, e in zip(units, drafts, ests):
        flags = list(dict.fromkeys([*u.flags, *d.flags]))
        source = d.source if u.given is None else u.given
        out.append(Segment(u.n, source, d.draft, u.kind, u.paragraph, e.score, list(dict.fromkeys(flags + e.reasons)),
                           [Flag.parse(f, source) for f in flags], d.agreement, list(d.alternatives),
                           terms=list(d.terms)))
    return out


def translate_presplit(runtime: Runtime, in_path: str, out_path: str, progress: Progress | None = None) -> int:
    """One output line per input line, same order, written atomically (a blank line stays blank).
    Returns the number of lines."""
    lines = presplit(read_text(in_path))
    result = translate_sentences(runtime, lines.sentences, TranslateOptions(qe="none"), progress=progress)
    by_line = dict(zip(lines.numbers, (s.draft for s in result.segments)))
    out = [by_line.get(n, "") for n in range(len(lines.lines))]
    write_atomic(Path(out_path), "".join(d.replace("\n", " ") + "\n" for d in out).encode("utf-8"))
    return len(out)
