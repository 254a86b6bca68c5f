"""Article-aware translation: context, terminology, memory, chunking and checks around any `Translator`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

from zhen.mt import checks, enforce, enumerations, mbr, ner
from zhen.mt.base import Request, Translator
from zhen.mt.entities import Tagger, document_glossary
from zhen.mt.glossary import Glossary, Term, base, write_in
from zhen.mt.memory import TranslationMemory, key
from zhen.mt.numbers import normalise_numbers
from zhen.mt.postprocess import clean_output
from zhen.text.cleanup import normalise
from zhen.text.document import Document
from zhen.text.segment import split_zh

MAX_CHUNK = 400  # characters per model call; longer lines are split and the outputs joined
# Failures worth a second, pointed request: facts, not style. A place or institution the model wrote
# in other words is only flagged.
_REASK = ("numbers_missing", "numbers_invented", "runaway")


@dataclass
class Draft:
    """A translated sentence with what the checks found."""

    id: int
    source: str
    draft: str
    kind: str = "body"
    flags: list[str] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    cached: bool = False
    logprob: float | None = None  # mean token log-probability of the draft under the model, if known
    agreement: float | None = None  # best quality: mean chrF/100 of the draft against the other candidates
    alternatives: list[str] = field(default_factory=list)  # best quality: the other candidates, best first

    def to_dict(self) -> dict:
        return asdict(self)


Progress = Callable[[int], object]  # called with the number of sentences just done


@dataclass
class Output:
    """One model answer: cleaned text, its mean token log-probability (if known), from memory or not."""

    text: str
    logprob: float | None
    cached: bool = False
    agreement: float | None = None
    alternatives: list[str] = field(default_factory=list)


class Pipeline:
    """Translate sentences through memory → model → post-processing → checks."""

    def __init__(self, translator: Translator, memory: TranslationMemory | None = None,
                 glossary: Glossary | None = None, use_base_glossary: bool = True, chunk_size: int = 64,
                 tagger: Tagger | None | str = "default", candidates: int = 1) -> None:
        self.translator = translator
        self.candidates = candidates  # per model request; above 1, the checks and MBR choose (quality "best")
        self.memory = memory
        self.glossary = base().merged(glossary) if use_base_glossary else (glossary or Glossary())
        self.chunk_size = chunk_size
        self.tagger: Tagger | None = ner.default_tagger() if isinstance(tagger, str) else tagger

    @staticmethod
    def _requests(source: str, title: str | None, glossary: Glossary,
                  pin: frozenset[str] = frozenset()) -> list[Request]:
        spans = [(0, len(source))] if len(source) <= MAX_CHUNK else split_zh(source) or [(0, len(source))]
        return [_request(source[s:e][i : i + MAX_CHUNK], title, glossary, pin)
                for s, e in spans for i in range(0, e - s, MAX_CHUNK)]  # last resort: no punctuation at all

    def translate(self, sources: Sequence[str], title: str | None = None,
                  progress: Progress | None = None) -> list[Draft]:
        """Drafts for normalised Chinese `sources`, same order."""
        drafts = [Draft(i, s, "") for i, s in enumerate(sources)]
        # Entities are found and rendered across the whole text: a name seen once beside a title is known
        # everywhere, and written the same way everywhere. The glossary wins over the rules.
        glossary = document_glossary([s for s in sources if checks.has_cjk(s)], self.tagger).merged(self.glossary)
        pieces: list[tuple[int, Request]] = []
        lists: dict[int, enumerations.Enumeration] = {}
        for i, src in enumerate(sources):
            if not src.strip():
                drafts[i].flags.append("empty_source")
            elif not checks.has_cjk(src):  # one Chinese character is enough: it must not reach the English
                drafts[i].draft = src  # nothing to translate: numbers, English, codes pass through
                drafts[i].flags.append("no_chinese")
            else:
                context = title if title and title != src else None  # a title is not its own context
                terms = glossary.find(src)
                found = (enumerations.find(src, [t for t in terms if t.kind == "person"])
                         if len(src) <= MAX_CHUNK else None)
                if found:  # a list of officials: the sentence around it, then each member's title alone
                    lists[i] = found
                    phrases = [found.frame()] + [m.title for m in found.members if m.title]
                    pieces += [(i, _request(p, context, glossary)) for p in phrases]
                    continue
                # a list of institutions: each written into the source in its English, so none is merged
                items = enumerations.find_items(src, terms)
                pin = frozenset(m.name.source for m in items.members) if items else frozenset()
                pieces += [(i, r) for r in self._requests(src, context, glossary, pin)]
        outputs = self.run([r for _, r in pieces], progress)
        by_sentence: dict[int, list[tuple[Request, Output]]] = {}
        for (i, req), out in zip(pieces, outputs):
            by_sentence.setdefault(i, []).append((req, out))
        for i, parts in by_sentence.items():
            d = drafts[i]
            terms = [t for req, _ in parts for t in req.terms]
            if i in lists:
                terms += [m.name for m in lists[i].members]
                text = _compose_list(lists[i], [o.text for _, o in parts])
            else:
                text = " ".join(o.text for _, o in parts).strip()
            d.draft = enforce.repair(d.source, text, terms)
            d.cached = all(o.cached for _, o in parts)
            lps = [o.logprob for _, o in parts]
            known = [lp for lp in lps if lp is not None]
            d.logprob = sum(known) / len(known) if known and len(known) == len(lps) else None
            agreed = [o.agreement for _, o in parts]
            d.agreement = min(a for a in agreed if a is not None) if None not in agreed and agreed else None
            if len(parts) == 1 and i not in lists:  # a sentence in one piece: its other candidates, repaired too
                d.alternatives = list(dict.fromkeys(a for t in parts[0][1].alternatives
                                                    if (a := enforce.repair(d.source, t, terms)) != d.draft))
            d.terms = terms
            d.flags += enforce.violations(d.source, d.draft, terms)
        self._repair(drafts, title)
        for d in drafts:  # the last resort for a date the model keeps losing: state it at the start
            if any(f.startswith("numbers_missing") for f in d.flags):
                _keep_if_better(d, enforce.restore_date(d.source, d.draft), "date_restored")
        return drafts

    def _repair(self, drafts: list[Draft], title: str | None) -> None:
        """Ask once more, naming each failure (a lost or invented number, a person's name not as rendered),
        for the drafts that have one; keep the new draft only if it has fewer. A second, pointed request
        usually fixes what a small model got wrong, and it costs only the flagged sentences."""
        def wanted(d: Draft) -> list[str]:
            people = {t.source for t in d.terms if t.kind == "person"}
            return [f for f in d.flags if f.startswith(_REASK) or f.partition(":")[2] in people]

        # Two forms: a correction of the draft, and a fresh translation with the same instruction, without
        # the draft to copy or the title to lean on. The fresh answer is used only for a draft the
        # correction leaves wrong (handed back unchanged, or mended only in part), but both are asked in
        # one call: the few re-asked sentences decode one token per step, a step costs about the same
        # for two sequences as for one, and a second round would wait for the first.
        flagged = [d for d in drafts if wanted(d) and len(d.source) <= MAX_CHUNK]
        if not flagged:
            return
        reqs = [Request(normalise_numbers(write_in(d.source, d.terms)), context if context != d.source else None,
                        tuple(d.terms), task=task, draft=d.draft if task == "post-edit" else None,
                        hint=enforce.hint(wanted(d), d.terms))
                for task, context in (("post-edit", title), ("translate", None)) for d in flagged]
        outs = self.run(reqs)
        for answers in (outs[: len(flagged)], outs[len(flagged) :]):
            for d, out in zip(flagged, answers):
                if not wanted(d):  # mended by the correction: the fresh answer is not needed
                    continue
                # judged after every model-free repair, the last-resort date included: an answer that fixes
                # a name but drops the dateline's date should not lose to a draft that keeps the date only
                text = enforce.restore_date(d.source, enforce.repair(d.source, out.text, d.terms))
                if _keep_if_better(d, text, "repaired"):
                    d.logprob, d.cached, d.agreement = out.logprob, d.cached and out.cached, out.agreement

    def run(self, requests: list[Request], progress: Progress | None = None) -> list[Output]:
        """Outputs for requests, consulting and filling the translation memory."""
        sig = self.translator.signature() + (f"|mbr{self.candidates}" if self.candidates > 1 else "")
        keys = [key(sig, r) for r in requests]
        hits = self.memory.get_many(keys) if self.memory is not None else {}
        results: list[Output | None] = [None] * len(keys)
        for i, k in enumerate(keys):
            if k in hits:
                text, lp, extra = hits[k]
                results[i] = Output(text, lp, True, extra.get("agreement"), extra.get("alternatives", []))
        todo = [i for i, r in enumerate(results) if r is None]
        if progress and len(todo) < len(requests):
            progress(len(requests) - len(todo))
        for start in range(0, len(todo), self.chunk_size):
            batch = todo[start : start + self.chunk_size]
            rows = []
            for i, out in zip(batch, self._answers([requests[i] for i in batch])):
                results[i] = out
                extra = {"agreement": out.agreement, "alternatives": out.alternatives} if self.candidates > 1 else {}
                if out.text:
                    rows.append((keys[i], sig, requests[i].source, out.text, out.logprob, extra))
            if self.memory is not None and rows:
                self.memory.put_many(rows)
            if progress:
                progress(len(batch))
        return [r if r is not None else Output("", None) for r in results]

    def _answers(self, requests: list[Request]) -> list[Output]:
        """The model's cleaned answer to each request: its greedy output, or with several candidates the
        one the checks and minimum Bayes risk choose."""
        if self.candidates <= 1:
            return [Output(clean_output(text, r.source), lp)
                    for r, (text, lp) in zip(requests, self.translator.translate_scored(requests))]
        out = []
        for r, cands in zip(requests, self.translator.translate_candidates(requests, self.candidates)):
            texts = [clean_output(text, r.source) for text, _ in cands]
            faults = [_count(enforce.violations(r.source, enforce.repair(r.source, t, r.terms), r.terms))
                      for t in texts]
            choice = mbr.choose(texts, faults)
            out.append(Output(texts[choice.index], cands[choice.index][1], agreement=choice.agreement,
                              alternatives=[texts[k] for k in choice.ranking[1:] if texts[k]]))
        return out

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


def _request(source: str, context: str | None, glossary: Glossary, pin: frozenset[str] = frozenset()) -> Request:
    """The model's request for a piece of source: its terms, pinned ones (and those in `pin`) written in,
    numbers normalised."""
    terms = tuple(replace(t, pinned=True) if t.source in pin else t for t in glossary.find(source))
    return Request(normalise_numbers(write_in(source, terms)), context, terms)


def _compose_list(found: enumerations.Enumeration, outputs: list[str]) -> str:
    """The frame's English (outputs[0]) with the members, each its name and its title's English."""
    titles = iter(outputs[1:])
    members = [enumerations.member_english(m, next(titles) if m.title else "") for m in found.members]
    return enumerations.compose(outputs[0], members)


_VIOLATIONS = {"empty", "cjk_in_output", "numbers_missing", "numbers_invented", "runaway", "term_missing"}


def _count(flags: Sequence[str]) -> int:
    """How many facts the flags say are wrong (`numbers_missing:1,2` counts two)."""
    return sum(len(f.partition(":")[2].split(",")) if ":" in f else 1
               for f in flags if f.partition(":")[0] in _VIOLATIONS)


def _keep_if_better(d: Draft, text: str, flag: str) -> bool:
    """Replace the draft by `text` when `text` has fewer violations (and no Chinese); the flags follow."""
    after = enforce.violations(d.source, text, d.terms)
    if not text or text == d.draft or checks.has_cjk(text) or _count(after) >= _count(d.flags):
        return False
    d.draft = text
    d.flags = list(dict.fromkeys([f for f in d.flags if f.partition(":")[0] not in _VIOLATIONS] + [flag] + after))
    return True


def normalise_lines(lines: Sequence[str]) -> list[str]:
    """Presplit input: each line cleaned like an article sentence (pinyin notes, Traditional, widths)."""
    return [normalise(line).text for line in lines]
