"""Sentence segmentation for Chinese and English, returning spans so offsets survive.

Chinese ends sentences at 。！？；… (closing quotes and brackets stay with the sentence); ASCII
`?`/`!`/`;` count only outside damaged spans, since a scraped `??` is a lost character, not a
question. English splits at . ! ? before an upper-case start, except after abbreviations and initials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ZH_END = "。！？!?；;…"
_CLOSERS = "”’」』）)】》〉\"'"
_EN_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "vol", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "dept",
    "gen", "gov", "sen", "rep", "jr", "sr", "u.s", "u.k", "approx", "est", "p", "pp", "al",
}
_EN_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_MAX_SENTENCE = 400  # characters; longer runs are split at commas so no model sees a wall of text


def is_zh(text: str) -> bool:
    """True when CJK ideographs are at least a fifth of the letters: route to the Chinese splitter."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    cjk = sum(1 for c in letters if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf")
    return cjk / len(letters) >= 0.2


def _trim(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def _split_long(text: str, s: int, e: int, breaks: str) -> list[tuple[int, int]]:
    """Split an over-long run at the last break character before the limit (or hard, as last resort)."""
    spans = []
    while e - s > _MAX_SENTENCE:
        window = text[s : s + _MAX_SENTENCE]
        cut = max(window.rfind(b) for b in breaks)
        cut = s + cut + 1 if cut > _MAX_SENTENCE // 4 else s + _MAX_SENTENCE
        spans.append((s, cut))
        s = cut
    spans.append((s, e))
    return spans


def split_zh(text: str, protected: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Sentence spans of Chinese `text`; `protected` spans (damage) never end a sentence."""
    blocked: set[int] = set()
    for s, e in protected:
        blocked.update(range(max(s - 1, 0), e + 1))
    spans, start, i, n = [], 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _ZH_END and i not in blocked:
            if ch in "!?;" and i + 1 < n and text[i + 1].isascii() and text[i + 1].isalnum():
                i += 1  # `1+1!2` or an ASCII `;` inside a code or list: not a sentence end
                continue
            j = i + 1
            while j < n and (text[j] in _ZH_END or text[j] in _CLOSERS or text[j] == "."):
                j += 1
            spans.append((start, j))
            start = i = j
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    out = []
    for s, e in _trim(text, spans):
        out.extend(_split_long(text, s, e, "，,、"))
    return _trim(text, out)


def split_en(text: str) -> list[tuple[int, int]]:
    """Sentence spans of English `text`."""
    spans, start = [], 0
    for m in _EN_BOUNDARY.finditer(text):
        end = m.end()
        before = text[start : m.start()].split()
        word = before[-1].lower().strip("(\"'“") if before else ""
        one_dot = m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1
        if one_dot and (word in _EN_ABBREV or (len(word) == 1 and word.isalpha())):
            continue  # `Dr. Wu`, `J. Smith`
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in _trim(text, spans):
        out.extend(_split_long(text, s, e, ",;"))
    return _trim(text, out)


def split_sentences(text: str, protected: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Sentence spans of `text`, choosing the splitter by script."""
    return split_zh(text, protected) if is_zh(text) else split_en(text)
