"""A near match repaired without the model, where that is provably right.

When a new sentence differs from a memory sentence only in one term (a name, an institution, a glossary
entry) whose rendering is known on both sides, and the memory's translation shows the old rendering
exactly once, the translation with the new rendering put in its place is the translator's translation
of the new sentence. Anything else (two differences, an unknown term, an ambiguous target) is left to
the model, with the match as its example.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from zhen.mt.base import Term
from zhen.mt.tm.match import Match
from zhen.text.cleanup import normalise

TermsOf = Callable[[str], Sequence[Term]]  # the terms found in a sentence, with their renderings


def _covering(terms: Sequence[Term], text: str, start: int, end: int) -> tuple[Term, int, int] | None:
    """The one term whose occurrence in `text` covers [start, end)."""
    found = []
    for t in terms:
        for m in re.finditer(re.escape(t.source), text):
            if m.start() <= start and end <= m.end() and m.end() > m.start():
                found.append((t, m.start(), m.end()))
    return found[0] if len(found) == 1 else None


def repair_match(source: str, match: Match, terms_of: TermsOf) -> Match | None:
    """`match` made the translation of `source` by replacing its one differing term, or None."""
    old = normalise(match.source).text
    ops = [op for op in SequenceMatcher(None, old, source, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(ops) != 1:
        return None
    _, i1, i2, j1, j2 = ops[0]
    was = _covering(terms_of(old), old, i1, max(i2, i1 + 1))
    now = _covering(terms_of(source), source, j1, max(j2, j1 + 1))
    if was is None or now is None:
        return None
    (t_old, a, b), (t_new, c, d) = was, now
    if old[:a] != source[:c] or old[b:] != source[d:] or t_old.target == t_new.target:
        return None
    shown = [m for m in re.finditer(rf"(?<!\w){re.escape(t_old.target)}(?!\w)", match.target)]
    if len(shown) != 1:
        return None
    m = shown[0]
    target = match.target[: m.start()] + t_new.target + match.target[m.end() :]
    return Match(match.source, target, match.percent, match.origin, match.memory, "repaired", match.author,
                 match.created)
