"""Article-aware translation: context, terminology, memory, chunking and checks around any `Translator`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from zhen.mt import checks
from zhen.mt.base import Request, Translator
from zhen.mt.glossary import Glossary, Term, base, missing_terms
from zhen.mt.memory import TranslationMemory, key
from zhen.mt.names import find_names
from zhen.mt.postprocess import clean_output
from zhen.text.cleanup import normalise
from zhen.text.document import Document
from zhen.text.segment import split_zh

MAX_CHUNK = 400  # characters per model call; longer lines are split and the outputs joined


@dataclass
class Draft:
    """A translated sentence with what the checks found."""

    id: int
    source: str
    draft: str
    kind: str = "body"
    flags: list[str] = field(default_factory=list)
    terms: list[dict[str, str]] = field(default_factory=list)
    cached: bool = False
    logprob: float | None = None  # mean token log-probability of the draft under the model, if known

    def to_dict(self) -> dict:
        return asdict(self)


Progress = Callable[[int], object]  # called with the number of sentences just done


@dataclass
class Output:
    """One model answer: cleaned text, its mean token log-probability (if known), from memory or not."""

    text: str
    logprob: float | None
    cached: bool = False


class Pipeline:
    """Translate sentences through memory → model → post-processing → checks."""

    def __init__(self, translator: Translator, memory: TranslationMemory | None = None,
                 glossary: Glossary | None = None, use_base_glossary: bool = True, chunk_size: int = 64) -> None:
        self.translator = translator
        self.memory = memory
        self.glossary = base().merged(glossary) if use_base_glossary else (glossary or Glossary())
        self.chunk_size = chunk_size

    def _requests(self, source: str, title: str | None, names: list[Term]) -> list[Request]:
        spans = [(0, len(source))] if len(source) <= MAX_CHUNK else split_zh(source) or [(0, len(source))]
        reqs = []
        for s, e in spans:
            piece = source[s:e]
            for i in range(0, len(piece), MAX_CHUNK):  # last resort: no punctuation at all
                part = piece[i : i + MAX_CHUNK]
                terms = self.glossary.find(part)
                known = {t.source for t in terms}
                terms += [n for n in names if n.source in part and not any(n.source in k for k in known)]
                reqs.append(Request(part, title, tuple(terms)))
        return reqs

    def translate(self, sources: Sequence[str], title: str | None = None,
                  progress: Progress | None = None) -> list[Draft]:
        """Drafts for normalised Chinese `sources`, same order."""
        drafts = [Draft(i, s, "") for i, s in enumerate(sources)]
        # Names are found across the whole text: a name seen once beside a title is known everywhere.
        names = find_names("\n".join(sources))
        pieces: list[tuple[int, Request]] = []
        for i, src in enumerate(sources):
            if not src.strip():
                drafts[i].flags.append("empty_source")
            elif not checks.has_cjk(src):  # one Chinese character is enough: it must not reach the English
                drafts[i].draft = src  # nothing to translate: numbers, English, codes pass through
                drafts[i].flags.append("no_chinese")
            else:
                context = title if title and title != src else None  # a title is not its own context
                pieces += [(i, r) for r in self._requests(src, context, names)]
        outputs = self.run([r for _, r in pieces], progress)
        by_sentence: dict[int, list[tuple[Request, Output]]] = {}
        for (i, req), out in zip(pieces, outputs):
            by_sentence.setdefault(i, []).append((req, out))
        for i, parts in by_sentence.items():
            d = drafts[i]
            d.draft = " ".join(o.text for _, o in parts).strip()
            d.cached = all(o.cached for _, o in parts)
            lps = [o.logprob for _, o in parts]
            known = [lp for lp in lps if lp is not None]
            d.logprob = sum(known) / len(known) if known and len(known) == len(lps) else None
            terms = [t for req, _ in parts for t in req.terms]
            d.terms = [{"source": t.source, "target": t.target} for t in terms]
            d.flags += checks.check(d.source, d.draft)
            d.flags += [f"term_missing:{t.source}" for t in missing_terms(terms, d.draft)]
        self._repair_numbers(drafts, title)
        return drafts

    def _repair_numbers(self, drafts: list[Draft], title: str | None) -> None:
        """Ask once more, naming the lost numbers, for drafts that dropped a number of their source; keep the
        new draft only if it loses fewer. Small models drop a year or a count now and then; a second,
        pointed request usually restores it, and it costs only the flagged sentences."""
        flagged = [d for d in drafts if any(f.startswith("numbers_missing") for f in d.flags)
                   and len(d.source) <= MAX_CHUNK]
        if not flagged:
            return
        reqs = [Request(d.source, title if title != d.source else None,
                        tuple(Term(t["source"], t["target"]) for t in d.terms), task="post-edit", draft=d.draft,
                        hint="Keep these numbers: " + ", ".join(checks.missing_numbers(d.source, d.draft)))
                for d in flagged]
        for d, out in zip(flagged, self.run(reqs)):
            before, after = checks.missing_numbers(d.source, d.draft), checks.missing_numbers(d.source, out.text)
            if out.text and len(after) < len(before) and not checks.has_cjk(out.text):
                d.draft, d.logprob, d.cached = out.text, out.logprob, d.cached and out.cached
                d.flags = [f for f in d.flags if not f.startswith("numbers_missing")] + ["numbers_repaired"]
                if after:
                    d.flags.append("numbers_missing:" + ",".join(after[:5]))

    def run(self, requests: list[Request], progress: Progress | None = None) -> list[Output]:
        """Outputs for requests, consulting and filling the translation memory."""
        sig = self.translator.signature()
        keys = [key(sig, r) for r in requests]
        hits = self.memory.get_many(keys) if self.memory is not None else {}
        results: list[Output | None] = [Output(*hits[k], cached=True) if k in hits else None for k in keys]
        todo = [i for i, r in enumerate(results) if r is None]
        if progress and len(todo) < len(requests):
            progress(len(requests) - len(todo))
        for start in range(0, len(todo), self.chunk_size):
            batch = todo[start : start + self.chunk_size]
            raw = self.translator.translate_scored([requests[i] for i in batch])
            rows = []
            for i, (text, lp) in zip(batch, raw):
                clean = clean_output(text, requests[i].source)
                results[i] = Output(clean, lp)
                if clean:
                    rows.append((keys[i], sig, requests[i].source, clean, lp))
            if self.memory is not None and rows:
                self.memory.put_many(rows)
            if progress:
                progress(len(batch))
        return [r if r is not None else Output("", None) for r in results]

    def translate_document(self, doc: Document, include_boilerplate: bool = False,
                           progress: Progress | None = None) -> list[Draft]:
        """Drafts for an article's translatable sentences, the title given as context to all of them."""
        sents = doc.translatable(include_boilerplate)
        title = doc.title()
        drafts = self.translate([s.normalised for s in sents], title=title, progress=progress)
        for d, s in zip(drafts, sents):
            d.id, d.kind = s.id, s.kind
            d.flags = list(dict.fromkeys(s.flags + d.flags))
        return drafts


def normalise_lines(lines: Sequence[str]) -> list[str]:
    """Presplit input: each line cleaned like an article sentence (pinyin notes, Traditional, widths)."""
    return [normalise(line).text for line in lines]
