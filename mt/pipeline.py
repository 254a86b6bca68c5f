"""Article-aware translation: context, terminology, memory, chunking and checks around any `Translator`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

from zhen.mt.base import Example, Request, Term, Translator
from zhen.mt.faithful import checks, enforce, enumerations
from zhen.mt.faithful.entities import Tagger, document_glossary
from zhen.mt.faithful.numbers import normalise_numbers
from zhen.mt.glossary import Glossary, base, write_in
from zhen.mt.memory import TranslationMemory, key
from zhen.mt.postprocess import clean_output
from zhen.mt.quality import mbr
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


@dataclass(frozen=True)
class Examples:
    """Translations from the user's memory shown to the model for one text: each sentence's own fuzzy
    matches (`own`, parallel to its sentences; empty: none), and the article's (`shared`), which go into
    the prompt prefix every sentence of the text shares."""

    own: Sequence[tuple[Example, ...]] = ()
    shared: tuple[Example, ...] = ()

    def of(self, k: int) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
        return (self.own[k] if k < len(self.own) else ()), self.shared


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
                 tagger: Tagger | None = None, candidates: int = 1) -> None:
        self.translator = translator
        self.candidates = candidates  # per model request; above 1, the checks and MBR choose (quality "best")
        self.memory = memory
        self.glossary = base().merged(glossary) if use_base_glossary else (glossary or Glossary())
        self.chunk_size = chunk_size
        self.tagger = tagger  # finds the article's people, places and institutions (None: title patterns only)

    @staticmethod
    def _requests(source: str, title: str | None, glossary: Glossary,
                  pin: frozenset[str] = frozenset()) -> list[Request]:
        spans = [(0, len(source))] if len(source) <= MAX_CHUNK else split_zh(source) or [(0, len(source))]
        return [_request(source[s:e][i : i + MAX_CHUNK], title, glossary, pin)
                for s, e in spans for i in range(0, e - s, MAX_CHUNK)]  # last resort: no punctuation at all

    def article_glossary(self, sources: Sequence[str]) -> Glossary:
        """The terms for a whole text: its entities found and rendered across all of it (a name seen once
        beside a title is known everywhere, and written the same way everywhere), under the glossary,
        which wins over the rules."""
        return document_glossary([s for s in sources if checks.has_cjk(s)], self.tagger).merged(self.glossary)

    def translate(self, sources: Sequence[str], title: str | None = None, progress: Progress | None = None,
                  glossary: Glossary | None = None, examples: Examples | None = None) -> list[Draft]:
        """Drafts for normalised Chinese `sources`, same order. `glossary` is the text's terms when
        `sources` are part of a longer text (`article_glossary` of all of it); by default, theirs.
        `examples`: translations from the user's memory to show the model."""
        return self.translate_texts([(sources, title, glossary)], progress, [examples])[0]

    def translate_texts(self, texts: Sequence[tuple[Sequence[str], str | None, Glossary | None]],
                        progress: Progress | None = None,
                        examples: Sequence[Examples | None] | None = None) -> list[list[Draft]]:
        """Drafts for several texts, each (sources, title, glossary or None for its own `article_glossary`),
        in one run of the model: each text keeps its own terms and context, so it gets exactly the drafts
        it would get alone, and several small requests share the batched decoder. `examples`: each text's
        translations from its owner's memory (parallel to `texts`)."""
        sources = [s for srcs, _, _ in texts for s in srcs]
        titles: list[str | None] = []
        glossaries: list[Glossary] = []
        shown: list[tuple[tuple[Example, ...], tuple[Example, ...]]] = []
        for t, (srcs, title_, glossary_) in enumerate(texts):
            g = glossary_ if glossary_ is not None else self.article_glossary(srcs)
            titles += [title_] * len(srcs)
            glossaries += [g] * len(srcs)
            ex = examples[t] if examples and t < len(examples) else None
            shown += [ex.of(k) if ex else ((), ()) for k in range(len(srcs))]
        drafts = self._translate(sources, titles, glossaries, progress, shown)
        out, start = [], 0
        for srcs, _, _ in texts:
            mine = drafts[start : start + len(srcs)]
            for k, d in enumerate(mine):
                d.id = k
            out.append(mine)
            start += len(srcs)
        return out

    def _translate(self, sources: Sequence[str], titles: Sequence[str | None], glossaries: Sequence[Glossary],
                   progress: Progress | None,
                   shown: Sequence[tuple[tuple[Example, ...], tuple[Example, ...]]]) -> list[Draft]:
        drafts = [Draft(i, s, "") for i, s in enumerate(sources)]
        pieces: list[tuple[int, Request]] = []
        lists: dict[int, enumerations.Enumeration] = {}
        for i, src in enumerate(sources):
            title, glossary = titles[i], glossaries[i]
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
                pieces += [(i, replace(r, examples=shown[i][0], shared_examples=shown[i][1]))
                           for r in self._requests(src, context, glossary, pin)]
        # Each sentence is composed and checked as soon as its last piece is answered, and a failed one is
        # asked again at once, in the same batch where the backend allows it (`_reasks`).
        left = Counter(i for i, _ in pieces)
        answered: dict[int, list[tuple[int, Request, Output]]] = {}
        reasked: dict[int, slice] = {}  # sentence → where its re-asks are among the follow-ups
        n_asked = 0

        def on_output(k: int, out: Output) -> list[Request]:
            nonlocal n_asked
            i, req = pieces[k]
            answered.setdefault(i, []).append((k, req, out))
            left[i] -= 1
            if left[i]:
                return []
            self._compose(drafts[i], [(r, o) for _, r, o in sorted(answered[i], key=lambda x: x[0])], lists.get(i))
            asks = self._reasks(drafts[i], titles[i])
            reasked[i] = slice(n_asked, n_asked + len(asks))
            n_asked += len(asks)
            return asks

        _, answers = self.run_following([r for _, r in pieces], on_output, progress)
        for i, where in reasked.items():
            self._apply_reasks(drafts[i], answers[where])
        for d in drafts:  # the last resort for a date the model keeps losing: state it at the start
            if any(f.startswith("numbers_missing") for f in d.flags):
                _keep_if_better(d, enforce.restore_date(d.source, d.draft), "date_restored")
        return drafts

    @staticmethod
    def _compose(d: Draft, parts: list[tuple[Request, Output]], found: enumerations.Enumeration | None) -> None:
        """The sentence's draft from its pieces' answers (in order), repaired, with its checks' flags."""
        terms = [t for req, _ in parts for t in req.terms]
        if found is not None:
            terms += [m.name for m in found.members]
            text = _compose_list(found, [o.text for _, o in parts])
        else:
            text = " ".join(o.text for _, o in parts).strip()
        d.draft = enforce.repair(d.source, text, terms)
        d.cached = all(o.cached for _, o in parts)
        lps = [o.logprob for _, o in parts]
        known = [lp for lp in lps if lp is not None]
        d.logprob = sum(known) / len(known) if known and len(known) == len(lps) else None
        agreed = [o.agreement for _, o in parts]
        d.agreement = min(a for a in agreed if a is not None) if None not in agreed and agreed else None
        if len(parts) == 1 and found is None:  # a sentence in one piece: its other candidates, repaired too
            d.alternatives = list(dict.fromkeys(a for t in parts[0][1].alternatives
                                                if (a := enforce.repair(d.source, t, terms)) != d.draft))
        d.terms = terms
        d.flags += enforce.violations(d.source, d.draft, terms)

    @staticmethod
    def _wanted(d: Draft) -> list[str]:
        """The draft's failures worth asking again about: facts, and people not named as rendered."""
        people = {t.source for t in d.terms if t.kind == "person"}
        return [f for f in d.flags if f.startswith(_REASK) or f.partition(":")[2] in people]

    def _reasks(self, d: Draft, title: str | None) -> list[Request]:
        """For a draft with a failure (a lost or invented number, a person's name not as rendered), two
        pointed requests naming it: a correction of the draft, and a fresh translation with the same
        instruction, without the draft to copy or the title to lean on. A second, pointed request usually
        fixes what a small model got wrong, and it costs only the flagged sentences. Both are asked at
        once: the fresh answer is used only where the correction leaves the draft wrong (`_apply_reasks`),
        but waiting for the correction first would cost a second round."""
        wanted = self._wanted(d)
        if not wanted or len(d.source) > MAX_CHUNK:
            return []
        return [Request(normalise_numbers(write_in(d.source, d.terms)), context if context != d.source else None,
                        tuple(d.terms), task=task, draft=d.draft if task == "post-edit" else None,
                        hint=enforce.hint(wanted, d.terms))
                for task, context in (("post-edit", title), ("translate", None))]

    def _apply_reasks(self, d: Draft, answers: Sequence[Output]) -> None:
        """The correction, then (if the draft is still wrong) the fresh answer, each kept only if better."""
        for out in answers:
            if not self._wanted(d):  # mended by the correction: the fresh answer is not needed
                return
            # judged after every model-free repair, the last-resort date included: an answer that fixes a
            # name but drops the dateline's date should not lose to a draft that keeps the date only
            text = enforce.restore_date(d.source, enforce.repair(d.source, out.text, d.terms))
            if _keep_if_better(d, text, "repaired"):
                d.logprob, d.cached, d.agreement = out.logprob, d.cached and out.cached, out.agreement

    def run(self, requests: list[Request], progress: Progress | None = None) -> list[Output]:
        """Outputs for requests, consulting and filling the translation memory."""
        return self.run_following(requests, None, progress)[0]

    def run_following(self, requests: list[Request], follow: Callable[[int, Output], Sequence[Request]] | None,
                      progress: Progress | None = None) -> tuple[list[Output], list[Output]]:
        """`run`, asking `follow(i, output)` once per request as its output is known (memory hits first) for
        the requests that depend on it; returns the outputs, then the follow-ups' in the order asked. The
        follow-ups use the memory too, and the model starts them as soon as they are asked where it can."""
        sig = self.translator.signature() + (f"|mbr{self.candidates}" if self.candidates > 1 else "")
        keys = [key(sig, r) for r in requests]
        hits = self.memory.get_many(keys) if self.memory is not None else {}
        asked: list[Request] = []
        answers: list[Output | None] = []

        def ask(i: int, out: Output) -> list[int]:
            """Record request i's follow-ups; the positions of those the memory lacks, to be run."""
            new = list(follow(i, out)) if follow else []
            new_keys = [key(sig, r) for r in new]
            found = self.memory.get_many(new_keys) if self.memory is not None and new else {}
            run = []
            for r, k in zip(new, new_keys):
                asked.append(r)
                answers.append(_remembered(found[k]) if k in found else None)
                if k not in found:
                    run.append(len(asked) - 1)
            return run

        results: list[Output | None] = [None] * len(keys)
        later: list[int] = []  # follow-ups of memory hits: no model call to join, run at the end
        for i, k in enumerate(keys):
            if k in hits:
                results[i] = hit = _remembered(hits[k])
                later += ask(i, hit)
        todo = [i for i, r in enumerate(results) if r is None]
        if progress and len(todo) < len(requests):
            progress(len(requests) - len(todo))
        for start in range(0, len(todo), self.chunk_size):
            batch = todo[start : start + self.chunk_size]
            sent: list[int] = []

            def on_output(k: int, out: Output, batch: list[int] = batch, sent: list[int] = sent) -> list[Request]:
                run = ask(batch[k], out)
                sent.extend(run)
                return [asked[n] for n in run]

            outs, more = self._answers_following([requests[i] for i in batch], on_output if follow else None)
            rows = []
            for i, out in zip(batch, outs):
                results[i] = out
                rows += self._memory_row(keys[i], sig, requests[i], out)
            for n, out in zip(sent, more):
                answers[n] = out
                rows += self._memory_row(key(sig, asked[n]), sig, asked[n], out)
            if self.memory is not None and rows:
                self.memory.put_many(rows)
            if progress:
                progress(len(batch))
        for n, out in zip(later, self.run([asked[n] for n in later]) if later else []):
            answers[n] = out
        return ([r if r is not None else Output("", None) for r in results],
                [a if a is not None else Output("", None) for a in answers])

    def _memory_row(self, k: str, sig: str, req: Request, out: Output) -> list[tuple]:
        """The memory's row for an answer (none for an empty one)."""
        extra = {"agreement": out.agreement, "alternatives": out.alternatives} if self.candidates > 1 else {}
        return [(k, sig, req.source, out.text, out.logprob, extra)] if out.text else []

    def _answers_following(self, requests: list[Request], follow: Callable[[int, Output], Sequence[Request]] | None
                           ) -> tuple[list[Output], list[Output]]:
        """`_answers`, with the follow-ups `follow(i, output)` asks for answered too (in the order asked)."""
        if follow is None:
            return self._answers(requests), []
        if self.candidates > 1:  # candidates are chosen once all are in: the follow-ups are a second call
            outs = self._answers(requests)
            asked = [r for i, o in enumerate(outs) for r in follow(i, o)]
            return outs, self._answers(asked) if asked else []
        cleaned: dict[int, Output] = {}  # each output as `follow` saw it, cleaned once
        asked = []

        def on_raw(i: int, text: str, lp: float | None) -> Sequence[Request]:
            cleaned[i] = Output(clean_output(text, requests[i].source), lp)
            new = follow(i, cleaned[i])
            asked.extend(new)
            return new

        _, more = self.translator.translate_following(requests, on_raw)
        return ([cleaned[i] for i in range(len(requests))],
                [Output(clean_output(text, r.source), lp) for r, (text, lp) in zip(asked, more)])

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


def _remembered(hit: tuple) -> Output:
    """An output from the translation memory's (text, logprob, extra) row."""
    text, lp, extra = hit
    return Output(text, lp, True, extra.get("agreement"), extra.get("alternatives", []))


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
