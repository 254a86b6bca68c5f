"""Renderings learned from a translator's edit.

The draft used the article's terms (people, places, institutions, glossary entries) with the renderings
zhen chose. When the edit replaces exactly the words of one such rendering (`Wang Hongmei` becomes
`Wong Hung-mei`, `the People's Hospital` becomes `the First People's Hospital`), the translator has
said how that term is written: it becomes a term of their glossary, used in every later article.
A change that straddles a rendering and the words around it says nothing certain and is not learned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from zhen.mt.base import Term

_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Learned:
    term: Term  # the term as the draft rendered it
    target: str  # the translator's rendering


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _span(tokens: list[tuple[str, int, int]], phrase: str) -> tuple[int, int] | None:
    """The token range of the one case-insensitive occurrence of `phrase` (None: absent or repeated)."""
    words = [w.lower() for w, _, _ in _tokens(phrase)]
    low = [w.lower() for w, _, _ in tokens]
    hits = [i for i in range(len(low) - len(words) + 1) if words and low[i : i + len(words)] == words]
    return (hits[0], hits[0] + len(words)) if len(hits) == 1 else None


def learn(draft: str, edit: str, terms: Sequence[Term]) -> list[Learned]:
    """The renderings the edit changed, each replaced as a whole and by something non-empty."""
    dt, et = _tokens(draft), _tokens(edit)
    ops = SequenceMatcher(None, [w for w, _, _ in dt], [w for w, _, _ in et], autojunk=False).get_opcodes()
    out = []
    for term in terms:
        span = _span(dt, term.target)
        if span is None or _span(et, term.target) is not None:
            continue  # not in the draft once, or still in the edit
        a, b = span
        changed = [op for op in ops if op[0] != "equal" and op[1] < b and op[2] > a]
        if len(changed) != 1 or changed[0][0] != "replace":
            continue
        _, i1, i2, j1, j2 = changed[0]
        if i1 < a or i2 > b or not _kept(ops, a - 1) or not _kept(ops, b):
            continue  # the change reaches outside the rendering, or the words around it changed too
        j_start = j1 - (i1 - a) if i1 > a else j1
        j_end = j2 + (b - i2)
        if not 0 <= j_start < j_end <= len(et):
            continue
        target = edit[et[j_start][1] : et[j_end - 1][2]].strip()
        if target and target != term.target and not re.search(r"[\u4e00-\u9fff]|[,;:.!?]\s", target + " "):
            out.append(Learned(term, target))
    return out


def _kept(ops: Sequence[tuple[str, int, int, int, int]], i: int) -> bool:
    """True when draft token `i` is unchanged in the edit (or there is no such token: the sentence's edge)."""
    return next((op[0] == "equal" for op in ops if op[1] <= i < op[2]), True)
