"""The user's translation memory applied to a text before the model sees it.

Per sentence: an exact match is the draft (the translator's words, numbers substituted) and the model
is not asked; a near match whose one differing term has known renderings is repaired and not asked
either; other matches above the threshold are the model's worked examples, either each sentence's own
(`sentence`) or the article's best k in the shared prompt prefix (`article`, one prefix evaluated once
for the whole article). Every segment carries its best match, for the reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from zhen.mt.base import Term
from zhen.mt.glossary import Glossary
from zhen.mt.pipeline import Examples, Pipeline
from zhen.mt.tm.match import Match, Matcher
from zhen.mt.tm.repair import repair_match
from zhen.text.cleanup import normalise

SHOWN = 0.5  # matches below this similarity are not worth a reviewer's look


@dataclass(frozen=True)
class RecallPolicy:
    """How the memory is used (the settings' `tm_*`; `bench/adapt.py` measures them)."""

    examples: int = 3  # k: matches shown to the model
    threshold: float = 0.5  # least similarity of an example
    placement: Literal["sentence", "article"] = "sentence"
    repair: float = 0.7  # least similarity of a match repaired without the model (1: never)


@dataclass
class Recall:
    """What the memory gives a text: per sentence, its best match and the target when the model is not
    needed (exact or repaired), and the examples for the rest."""

    best: list[Match | None]
    done: list[str | None]
    examples: Examples = field(default_factory=Examples)

    @classmethod
    def none(cls, n: int) -> Recall:
        return cls([None] * n, [None] * n)


def recall(matcher: Matcher | None, sources: Sequence[str], policy: RecallPolicy, pipe: Pipeline,
           glossary: Glossary) -> Recall:
    """The memory's part in translating `sources` (normalised Chinese) with the text's `glossary`."""
    if matcher is None or not sources:
        return Recall.none(len(sources))
    found = matcher.matches(sources, floor=min(SHOWN, policy.threshold), limit=max(1, policy.examples))
    own_text = set(sources)

    def terms_of(text: str) -> list[Term]:
        text = normalise(text).text
        return (glossary if text in own_text else pipe.article_glossary([text]).merged(glossary)).find(text)

    best: list[Match | None] = []
    done: list[str | None] = []
    own: list[tuple[tuple[str, str], ...]] = []
    for source, ms in zip(sources, found):
        top = ms[0] if ms else None
        if top is not None and top.kind == "fuzzy" and top.percent >= policy.repair * 100:
            top = repair_match(source, top, terms_of) or top
        best.append(top if top is not None and top.percent >= SHOWN * 100 else None)
        done.append(top.target if top is not None and top.kind in ("exact", "repaired") else None)
        own.append(tuple((m.source, m.target) for m in ms if m.percent >= policy.threshold * 100)[: policy.examples]
                   if done[-1] is None and policy.examples else ())
    if policy.placement == "article":  # the article's k best pairs, each once, from the sentences the model gets
        pairs: dict[tuple[str, str], int] = {}
        for ms, d in zip(found, done):
            for m in ms:
                if d is None and m.percent >= policy.threshold * 100:
                    pairs[(m.source, m.target)] = m.percent
        ranked = sorted(pairs, key=lambda p: -pairs[p])
        return Recall(best, done, Examples((), tuple(ranked[: policy.examples])))
    return Recall(best, done, Examples(own, ()))
