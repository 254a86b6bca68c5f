"""Use case: translate units that carry inline tags (a CAT tool's segment, an HTML paragraph, a
Weblate string with placeholders), whole sentence by whole sentence, and put every tag back.

Each unit is cut into sentences with its tags as marks (`zhen.text.inline`); the sentences go through
the translate use case like any others (memory, terms, QE); then each tag is placed in the translation.
A paired tag is placed on evidence where there is some: the rendering the draft was held to (a name,
a term), the same number or Latin text, or the tagged words translated alone and found in the draft.
Any other mark goes to the nearest word boundary and the segment is flagged `tag_placed_approx`. A tag
is never dropped. Each unit comes back as one segment, so the client's segments stay its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from zhen.app.runtime import Runtime
from zhen.app.translate import Flag, Segment, TranslatedArticle, TranslateOptions, translate_sentences
from zhen.mt.faithful.numbers import normalise_numbers
from zhen.mt.pipeline import Progress
from zhen.text.cleanup import has_cjk
from zhen.text.inline import Part, Tagged, boundary, cut, join, place
from zhen.text.segment import split_sentences

APPROX = "tag_placed_approx"
MIN_SIMILARITY = 60.0  # rapidfuzz partial ratio for the tagged words' own translation found in the draft
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)
_WIDE = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


def translate_tagged(runtime: Runtime, units: Sequence[Tagged], options: TranslateOptions = TranslateOptions(),  # noqa: B008
                     title: str | None = None, *, owner: str | None = None,
                     progress: Progress | None = None) -> TranslatedArticle:
    """Each unit translated sentence by sentence, one segment per unit, its tags placed in the draft
    (`Segment.tags`: the source's and the draft's marks)."""
    parts = [cut(u, _spans(u.text)) for u in units]
    sentences = [s for p in parts for s in p.sentences]
    result = translate_sentences(runtime, [s.text for s in sentences], options, title, owner=owner,
                                 progress=progress)
    done = iter(result.segments)
    segs = [[next(done) for _ in p.sentences] for p in parts]
    anchors = _anchors(runtime, [s for p in parts for s in p.sentences], [s for ss in segs for s in ss],
                       options, title, owner)
    out: list[Segment] = []
    k = 0
    for n, (unit, part, mine) in enumerate(zip(units, parts, segs)):
        placed = [place(s, seg.draft, anchors[k + j], _edges(s.text, seg)) for j, (s, seg) in
                  enumerate(zip(part.sentences, mine))]
        k += len(mine)
        out.append(_merge(n, unit, part, mine, placed))
    return TranslatedArticle(title, result.model, "\n".join(u.text for u in units), out, options)


def _spans(text: str) -> list[tuple[int, int]]:
    """The unit's sentences; a unit the splitter finds none in (yet not blank) is one sentence, so no text
    is ever left out."""
    spans = split_sentences(text)
    return spans or ([(0, len(text))] if text.strip() else [])


def _anchors(runtime: Runtime, sentences: Sequence[Tagged], segs: Sequence[Segment], options: TranslateOptions,
             title: str | None, owner: str | None) -> list[dict[int, tuple[int, int]]]:
    """For each sentence, the span of its draft that each inner paired tag wraps, where it can be found."""
    found: list[dict[int, tuple[int, int]]] = [{} for _ in sentences]
    ask: dict[str, list[tuple[int, int]]] = {}  # tagged words to translate alone -> (sentence, tag)
    for i, (s, seg) in enumerate(zip(sentences, segs)):
        for tag, (a, b) in s.paired().items():
            if (a, b) == (0, len(s.text)) or a == b:
                continue
            words = s.text[a:b].strip()
            span = _known(words, s.text[b : b + 1], seg)
            if span is not None:
                found[i][tag] = span
            elif has_cjk(words):
                ask.setdefault(words, []).append((i, tag))
    if ask:
        alone = translate_sentences(runtime, list(ask), dataclasses.replace(options, qe="none", alternatives=0),
                                    title, owner=owner)
        for seg, users in zip(alone.segments, ask.values()):
            for i, tag in users:
                span = _find(seg.draft, segs[i].draft)
                if span is not None:
                    found[i][tag] = span
    return found


def _edges(text: str, seg: Segment) -> dict[int, int]:
    """Source offsets whose place in the draft is certain: the ends of each held term and of each number
    found once on both sides, and the commas when both sides have as many."""
    out: dict[int, int] = {}
    pairs = [(t.source, t.target) for t in seg.terms]
    for src, tgt in pairs:
        a, hit = text.translate(_WIDE).find(src.translate(_WIDE)), _locate(tgt, seg.draft)
        if a >= 0 and hit is not None and text.count(src) == 1 and seg.draft.lower().count(tgt.lower()) == 1:
            out[a], out[a + len(src)] = hit
    wide = text.translate(_WIDE)
    for m in re.finditer(r"\d+(?:[.,]\d+)*%?", wide):
        forms = [m.group(), *_number_forms(m.group(), wide[m.end() : m.end() + 1])]
        hits = [h for f in forms if (h := _word(f, seg.draft)) is not None]
        if len(set(hits)) == 1 and wide.count(m.group()) == 1:
            out[m.start()], out[m.end()] = hits[0]
    zh = [i + 1 for i, ch in enumerate(text) if ch in "，,；;"]
    en = [i + 1 for i, ch in enumerate(seg.draft) if ch in ",;"]
    if zh and len(zh) == len(en):
        out.update({a: b for a, b in zip(zh, en) if a not in out})
    return out


def _known(words: str, after: str, seg: Segment) -> tuple[int, int] | None:
    """Where the draft renders `words` by what is certain: the terms it was held to, or the same
    digits or Latin text, or a number's other forms (`after`: the character that follows it)."""
    held = [t for t in seg.terms if t.source and t.source in words]
    rest = words
    for t in held:
        rest = rest.replace(t.source, "")
    if held and not has_cjk(rest):
        hits = [_locate(t.target, seg.draft) for t in held]
        if all(h is not None for h in hits):
            spans = [h for h in hits if h is not None]
            return min(a for a, _ in spans), max(b for _, b in spans)
    if not has_cjk(words):
        literal = words.translate(_WIDE).strip(" ，。,.")
        for form in [literal, *_number_forms(words, after)]:
            hit = _word(form, seg.draft)
            if hit is not None:
                return hit
        return _locate(literal, seg.draft)
    return None


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve")


def _number_forms(words: str, after: str) -> list[str]:
    """How an English draft may write a number: 8 before 月 as August, 5 as five, 1万 as 10,000."""
    digits = words.translate(_WIDE).strip()
    out = [normalise_numbers(digits + after).removesuffix(after).strip()] if after in "万亿" and after else []
    if digits.isdigit():
        n = int(digits)
        if after == "月" and 1 <= n <= 12:
            out.append(MONTHS[n - 1])
        if n < len(NUMBER_WORDS) and after not in ("万", "亿"):
            out.append(NUMBER_WORDS[n])
    return [f for f in out if f]


def _word(needle: str, draft: str) -> tuple[int, int] | None:
    """`needle` in the draft as a whole word (a 5 is not the 5 of 500)."""
    if not needle:
        return None
    hit = re.search(rf"(?<![\w.,]){re.escape(needle)}(?![\w]|[.,]\d)", draft, re.I)
    return (hit.start(), hit.end()) if hit else None


def _locate(needle: str, draft: str) -> tuple[int, int] | None:
    if not needle:
        return None
    at = draft.lower().find(needle.lower())
    return (at, at + len(needle)) if at >= 0 else None


def _find(alone: str, draft: str) -> tuple[int, int] | None:
    """The tagged words' own translation found in the sentence's draft (best partial match, widened to
    whole words), or None when nothing there is similar enough."""
    needle = _ARTICLE.sub("", alone.strip().rstrip(".!?;:,")).strip()
    if not needle:
        return None
    exact = _locate(needle, draft)
    if exact is not None:
        return exact
    hit = fuzz.partial_ratio_alignment(needle.lower(), draft.lower())
    if hit is None or hit.score < MIN_SIMILARITY or hit.dest_end <= hit.dest_start:
        return None
    a, b = boundary(draft, hit.dest_start, "open"), boundary(draft, hit.dest_end, "close")
    return (a, b) if a < b else None


def _merge(n: int, unit: Tagged, part: Part, segs: Sequence[Segment],
           placed: Sequence[tuple[Tagged, bool]]) -> Segment:
    """One unit's sentences as its one segment: drafts joined with the marks between them, the lowest
    QE, every flag (its span shifted to the unit's text)."""
    target = join(part, [t for t, _ in placed])
    offsets, at = [], 0
    for s in part.sentences:
        at = unit.text.find(s.text, at)
        offsets.append(max(at, 0))
    flags = [dataclasses.replace(f, span=(f.span[0] + o, f.span[1] + o) if f.span else None)
             for seg, o in zip(segs, offsets) for f in seg.flags]
    reasons = list(dict.fromkeys(r for seg in segs for r in seg.reasons))
    if unit.marks and not all(exact for _, exact in placed):
        reasons.append(APPROX)
        flags.append(Flag(APPROX, "a tag was put at the nearest word boundary; check where it belongs"))
    qes = [s.qe for s in segs if s.qe is not None]
    one = segs[0] if len(segs) == 1 else None
    return Segment(n, unit.text, target.text, qe=min(qes) if qes else None, reasons=reasons, flags=flags,
                   agreement=one.agreement if one else None, alternatives=one.alternatives if one and
                   not unit.marks else [], match=one.match if one else None,
                   terms=[t for s in segs for t in s.terms],
                   tags=(unit, target) if unit.marks else None)
