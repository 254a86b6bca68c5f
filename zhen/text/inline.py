"""Text with inline tags (a CAT tool's `<g>`/`<x/>`, HTML's `<b>`, Weblate's `[X7X]`) as plain text plus
*marks*: where each tag opens, closes or stands. The model reads the plain sentence whole; the marks are
put back into its translation afterwards (`place`), so a tag never splits a sentence in two.

A mark says only where and which tag (`tag` indexes the reader's own table of elements or strings); the
readers (`zhen.app.files`, the compatible APIs) keep what each tag was and rebuild it from the marks.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from lxml import etree

Kind = Literal["open", "close", "point"]
KINDS: tuple[Kind, ...] = ("open", "close", "point")
Piece = str | tuple[Kind, int]  # text, or a mark's kind and tag
MAX_MARKS = 1_000  # marks in one unit; more is refused where the unit is read


@dataclass(frozen=True)
class Mark:
    """A tag at character offset `at` of the plain text: it opens, closes or stands alone there."""

    at: int
    kind: Kind
    tag: int


@dataclass(frozen=True)
class Tagged:
    """Plain text and its marks, in document order (an open before its close)."""

    text: str
    marks: tuple[Mark, ...] = ()

    @classmethod
    def build(cls, pieces: Iterable[Piece]) -> Tagged:
        """From text and marks in document order."""
        text: list[str] = []
        marks: list[Mark] = []
        at = 0
        for p in pieces:
            if isinstance(p, str):
                text.append(p)
                at += len(p)
            else:
                marks.append(Mark(at, p[0], p[1]))
        return cls("".join(text), tuple(marks))

    def pieces(self) -> Iterator[Piece]:
        """Text and marks in document order (the inverse of `build`)."""
        last = 0
        for m in self.marks:
            if m.at > last:
                yield self.text[last : m.at]
                last = m.at
            yield (m.kind, m.tag)
        if last < len(self.text):
            yield self.text[last:]

    def strip(self) -> Tagged:
        """Leading and trailing whitespace removed from the text, inner runs made single spaces; marks
        move with the characters they sit between."""
        out: list[Piece] = []
        for p in self.pieces():
            out.append(re.sub(r"\s+", " ", p) if isinstance(p, str) else p)
        # trim the ends across marks
        texts = [i for i, p in enumerate(out) if isinstance(p, str)]
        if texts:
            out[texts[0]] = str(out[texts[0]]).lstrip()
            out[texts[-1]] = str(out[texts[-1]]).rstrip()
        return Tagged.build(out)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "marks": [[m.at, m.kind, m.tag] for m in self.marks]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tagged:
        """A unit as stored or queued; ValueError when its marks are not in order or not well formed."""
        text = str(data.get("text", ""))
        marks = tuple(Mark(int(at), kind, int(tag)) for at, kind, tag in data.get("marks", []))
        if any(m.kind not in KINDS or not 0 <= m.at <= len(text) for m in marks) or \
                any(a.at > b.at for a, b in zip(marks, marks[1:])) or not well_formed(marks):
            raise ValueError("inline marks out of order or not well formed")
        return cls(text, marks)

    def paired(self) -> dict[int, tuple[int, int]]:
        """Each tag opened and closed here: its span of the text."""
        opens = {m.tag: m.at for m in self.marks if m.kind == "open"}
        return {m.tag: (opens[m.tag], m.at) for m in self.marks if m.kind == "close" and m.tag in opens}


def well_formed(marks: Sequence[Mark]) -> bool:
    """Opens and closes nest. A close whose open is not here must come when nothing opened here is still
    open, and an open whose close is not here must not be closed over (both sit in a larger unit)."""
    closes = {m.tag for m in marks if m.kind == "close"}
    opens = {m.tag for m in marks if m.kind == "open"}
    stack: list[int] = []
    for m in marks:
        if m.kind == "open":
            stack.append(m.tag)
        elif m.kind == "close":
            if m.tag in opens:
                if not stack or stack[-1] != m.tag:
                    return False
                stack.pop()
            elif any(t in closes for t in stack):
                return False
    return all(t not in closes for t in stack)


# --- sentences -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A unit cut at sentence boundaries: the marks between sentences (`before` each sentence, and
    `after` the last) and each sentence with the marks inside it."""

    sentences: tuple[Tagged, ...]
    before: tuple[tuple[Mark, ...], ...]
    after: tuple[Mark, ...]


def cut(unit: Tagged, spans: Sequence[tuple[int, int]]) -> Part:
    """`unit` cut into its sentences (`spans` of its text, in order). A mark strictly inside a sentence
    belongs to it; one on a sentence's edge belongs to it when its partner is in the same sentence (a
    tag around the whole sentence or its first words); every other mark sits between sentences."""
    marks = unit.marks
    partner: dict[int, int] = {}
    opened: dict[int, int] = {}
    for i, m in enumerate(marks):
        if m.kind == "open":
            opened[m.tag] = i
        elif m.kind == "close" and m.tag in opened:
            partner[i], partner[opened[m.tag]] = opened[m.tag], i

    def sentence_of(i: int) -> int | None:
        at = marks[i].at
        for k, (s, e) in enumerate(spans):
            if s < at < e:
                return k
            if i in partner and s <= at <= e:
                other = marks[partner[i]].at
                if s <= other <= e and other != at:
                    return k
        return None

    where = [sentence_of(i) for i in range(len(marks))]
    free = [i for i, k in enumerate(where) if k is None]
    before: list[tuple[Mark, ...]] = []
    sentences = []
    for k, (s, e) in enumerate(spans):
        gap = [i for i in free if marks[i].at <= s]
        free = [i for i in free if i not in gap]
        before.append(tuple(marks[i] for i in gap))
        inside = tuple(Mark(m.at - s, m.kind, m.tag) for m, w in zip(marks, where) if w == k)
        sentences.append(Tagged(unit.text[s:e], inside))
    return Part(tuple(sentences), tuple(before), tuple(marks[i] for i in free))


def join(part: Part, targets: Sequence[Tagged]) -> Tagged:
    """The unit's translation: the sentences' translations (parallel to `part.sentences`) with the
    marks between them. In a gap, closes and stand-alone tags stay with the sentence before, opens go
    with the sentence after, and a space parts the two."""
    pieces: list[Piece] = []
    for k, target in enumerate(targets):
        gap = part.before[k]
        split = next((i for i, m in enumerate(gap) if m.kind == "open"), len(gap)) if k else 0
        pieces.extend((m.kind, m.tag) for m in gap[:split])
        if k:
            pieces.append(" ")
        pieces.extend((m.kind, m.tag) for m in gap[split:])
        pieces.extend(target.pieces())
    pieces.extend((m.kind, m.tag) for m in part.after)
    return Tagged.build(pieces)


# --- placement in a translation -------------------------------------------------------------------------


def boundary(text: str, at: int, kind: Kind) -> int:
    """The word boundary nearest `at` (words being runs without spaces, their punctuation included): an
    open goes before a word, a close or a point after one."""
    n = len(text)
    at = max(0, min(n, at))
    cands = [i for i in range(n + 1) if i in (0, n) or text[i - 1].isspace() != text[i].isspace()]
    best = min(cands, key=lambda i: (abs(i - at), i))
    if kind == "open":
        while best < n and text[best].isspace():
            best += 1
    else:
        while best > 0 and text[best - 1].isspace():
            best -= 1
    return best


def _nest(spans: Mapping[int, tuple[int, int]], anchors: Mapping[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Anchors widened so that a tag around another in the source is around it in the draft too."""
    out = dict(anchors)
    for outer, (a, b) in sorted(spans.items(), key=lambda kv: kv[1][1] - kv[1][0]):
        if outer not in out:
            continue
        for inner, (c, d) in spans.items():
            if inner != outer and inner in out and a <= c and d <= b:
                out[outer] = (min(out[outer][0], out[inner][0]), max(out[outer][1], out[inner][1]))
    return out


def place(source: Tagged, draft: str, anchors: Mapping[int, tuple[int, int]],
          edges: Mapping[int, int] | None = None) -> tuple[Tagged, bool]:
    """The sentence's marks put into its translation `draft`.

    A paired tag whose English is known (`anchors`: tag → span of `draft`, found by the caller from the
    terms, numbers or the tagged words translated alone) wraps that span; a tag around the whole sentence
    wraps the whole translation; a mark on the sentence's edge stays on the edge, and one beside an
    anchored tag, or at a source offset whose place in the draft is known (`edges`: the ends of a held
    term or number, a comma of as many), goes there. Any other mark goes to the nearest word boundary at its relative
    position, and the result says so (False: not every mark was placed on evidence). The order is always
    well formed: where the positions found would cross, the marks keep their source order."""
    n, m = len(source.text), len(draft)
    spans = source.paired()
    anchors = _nest(spans, anchors)
    edges = dict(edges or {})  # source offset -> target offset
    for tag, (a, b) in spans.items():
        if tag in anchors:
            edges[a] = anchors[tag][0]
            edges[b] = anchors[tag][1]
    exact = True
    placed: list[tuple[int, int, Mark]] = []
    for order, mk in enumerate(source.marks):
        span = spans.get(mk.tag)
        if mk.kind in ("open", "close") and mk.tag in anchors:
            pos = anchors[mk.tag][0 if mk.kind == "open" else 1]
        elif span == (0, n) or mk.at in (0, n):
            pos = 0 if mk.at == 0 else m
        elif mk.at in edges:
            pos = edges[mk.at]
        else:
            pos = boundary(draft, round(mk.at / max(1, n) * m), mk.kind)
            exact = False
        placed.append((pos, order, mk))
    rank = {"close": 0, "point": 1, "open": 2}
    # at one position closes come first, then points, then opens; an order this breaks falls back below
    ordered = sorted(placed, key=lambda p: (p[0], rank[p[2].kind], p[1]))
    marks = [Mark(p, mk.kind, mk.tag) for p, _, mk in ordered]
    dangling = [o for _, o, mk in ordered if mk.kind != "point" and mk.tag not in spans]
    if not well_formed(marks) or dangling != sorted(dangling):
        # (marks whose partner is in another sentence must keep their source order, or tags would cross)
        marks, last = [], 0
        for p, _, mk in placed:  # source order, positions made non-decreasing
            last = max(last, p)
            marks.append(Mark(last, mk.kind, mk.tag))
        exact = False
    return Tagged(draft, tuple(marks)), exact


# --- markup ----------------------------------------------------------------------------------------

Role = Literal["pair", "point"]
# a stand-alone element that begins or ends a span with a partner (XLIFF's bx/ex, bpt/ept): its side and key
Bracket: TypeAlias = "Callable[[etree._Element], tuple[Literal['begin', 'end'], str] | None]"  # noqa: SLF001
Tag: TypeAlias = "etree._Element | tuple[etree._Element, etree._Element]"  # noqa: SLF001 - an element or a couple


def from_element(el: etree._Element, role: Callable[[etree._Element], Role],
                 bracket: Bracket | None = None) -> tuple[Tagged, list[Tag]]:
    """An element's content as a unit: its text, and each child as a paired mark around its own content
    (`role` "pair") or a stand-alone one kept whole, content and all ("point"). A begin and an end element
    that `bracket` couples, siblings of one parent, are the open and close of one mark, so they keep their
    order. Returns the unit and the tag table: a bare copy of each paired child, a whole copy of each
    point (tails dropped), a (begin, end) couple of copies for each bracket."""
    pieces: list[Piece] = []
    tags: list[Tag] = []

    def whole(child: etree._Element) -> etree._Element:
        c = _copy(child)
        c.tail = None
        return c

    def walk(node: etree._Element) -> None:
        if node.text:
            pieces.append(node.text)
        children = list(node)
        ends: dict[int, int] = {}  # child index of an end -> its tag
        for i, child in enumerate(children):
            side = bracket(child) if bracket and isinstance(child.tag, str) else None
            if i in ends:
                pieces.append(("close", ends[i]))
            elif side and side[0] == "begin" and (j := next((k for k, c in enumerate(children[i + 1 :], i + 1)
                                                             if isinstance(c.tag, str) and bracket is not None
                                                             and bracket(c) == ("end", side[1])), None)):
                tags.append((whole(child), whole(children[j])))
                ends[j] = len(tags) - 1
                pieces.append(("open", len(tags) - 1))
            elif isinstance(child.tag, str) and role(child) == "pair":
                tags.append(child.makeelement(child.tag, dict(child.attrib)))
                tag = len(tags) - 1
                pieces.append(("open", tag))
                walk(child)
                pieces.append(("close", tag))
            else:
                tags.append(whole(child))
                pieces.append(("point", len(tags) - 1))
            if child.tail:
                pieces.append(child.tail)

    walk(el)
    return Tagged.build(pieces), tags


def fill_element(el: etree._Element, unit: Tagged, tags: Sequence[Tag]) -> None:
    """Replace an element's content with `unit`, rebuilding each mark's tag from the table."""
    for child in list(el):
        el.remove(child)
    el.text = None
    stack = [el]
    last: etree._Element | None = None  # the element whose tail the next text extends

    def add_text(s: str) -> None:
        if last is None:
            stack[-1].text = (stack[-1].text or "") + s
        else:
            last.tail = (last.tail or "") + s

    for p in unit.pieces():
        if isinstance(p, str):
            add_text(p)
            continue
        kind, tag = p
        template = tags[tag]
        if isinstance(template, tuple):  # a begin/end couple: both stand alone, in order
            last = _copy(template[0 if kind == "open" else 1])
            stack[-1].append(last)
        elif kind == "open":
            new = _copy(template)
            stack[-1].append(new)
            stack.append(new)
            last = None
        elif kind == "close":
            if len(stack) > 1:
                last = stack.pop()
        else:
            last = _copy(template)
            stack[-1].append(last)


def _copy(el: etree._Element) -> etree._Element:
    return copy.deepcopy(el)


PLACEHOLDER = re.compile(r"\[X\d+X\]")  # Weblate's placeholder in plain text (LibreTranslate and others)


def from_placeholders(text: str) -> tuple[Tagged, list[str]]:
    """Plain text whose placeholders (Weblate's `[X7X]`) are stand-alone marks; the table holds them."""
    pieces: list[Piece] = []
    table: list[str] = []
    last = 0
    for hit in PLACEHOLDER.finditer(text):
        pieces.append(text[last : hit.start()])
        table.append(hit.group())
        pieces.append(("point", len(table) - 1))
        last = hit.end()
    pieces.append(text[last:])
    return Tagged.build(pieces), table


def to_placeholders(unit: Tagged, table: Sequence[str]) -> str:
    return "".join(p if isinstance(p, str) else table[p[1]] for p in unit.pieces())
