"""Normalise scraped Chinese text for the models while remembering where every character came from.

The models want Simplified Chinese with half-width ASCII and no pinyin annotations; the translator
reviewing a draft wants the page as it was. `normalise` returns both, linked by an offset map, and
the spans it judged damaged (`??` losses, U+FFFD, mojibake) so they are flagged, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import opencc
from pypinyin import Style, pinyin

# A pinyin syllable in parentheses right after a character: `區(qū)`, `長(zhǎng)`, or after a lost `?`.
_ANNOTATION = re.compile(r"\(([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{1,7})\)")
_TONE_MARKS = set("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ")
# `??` runs, U+FFFD, and a lone `?` still carrying the annotation of the character it replaced.
_LOST = re.compile(r"\?{2,}|？{2,}|\ufffd+|\?(?=\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\))")
# Characters that only appear in Chinese text as debris of a wrong decode.
_MOJIBAKE_CHARS = re.compile(r"[\u3100-\u312f\u31a0-\u31bf\ue000-\uf8ff\u00c0-\u00ff\u0080-\u009f]")
_LATIN1_MOJIBAKE = re.compile(r"(?:[ÃÂâ][\u0080-\u00ff€™œ]){2,}")


@dataclass
class Normalised:
    """Normalised text plus, for each of its characters, the index of the original character."""

    text: str
    origin: list[int]
    damaged: list[tuple[int, int]] = field(default_factory=list)  # spans in the original text

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised span `[start, end)` back to a span of the original text."""
        if start >= end:
            pos = self.origin[start] if start < len(self.origin) else (self.origin[-1] + 1 if self.origin else 0)
            return pos, pos
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (the characters that must never reach English output)."""
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FA1F or 0xF900 <= o <= 0xFAFF


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


@lru_cache(maxsize=8192)
def _readings(ch: str) -> frozenset[str]:
    out: set[str] = set()
    for style in (Style.TONE, Style.NORMAL):
        for group in pinyin(ch, heteronym=True, style=style, errors="ignore"):
            out.update(s.lower() for s in group)
    simplified = _t2s().convert(ch)
    if simplified != ch:
        out |= _readings(simplified)
    return frozenset(out)


def _is_annotation(text: str, m: re.Match[str]) -> bool:
    """An annotation reads the character before it.

    Toneless syllables must be a reading of that character (so `(a)` in real prose survives); a
    tone-marked syllable glued to the previous character is an annotation even where that character
    was lost or garbled (`??坡?(lián)`, `ㄔO(shè)`).
    """
    if m.start() == 0:
        return False
    prev = text[m.start() - 1]
    syllable = m.group(1).lower()
    if is_cjk(prev) and syllable in _readings(prev):
        return True
    return not prev.isspace() and bool(_TONE_MARKS & set(syllable))


def find_damage(text: str) -> list[tuple[int, int]]:
    """Spans of `text` that were lost or garbled in scraping, merged and sorted."""
    spans = [(m.start(), m.end()) for m in _LOST.finditer(text)]
    spans += [(m.start(), m.end()) for m in _LATIN1_MOJIBAKE.finditer(text)]
    extended = []
    for s, e in spans:
        # A `??` loss usually drags a few garbled characters after it (`??铺厣`): take the debris run.
        while e < len(text) and e - s < 8 and _MOJIBAKE_CHARS.match(text[e]):
            e += 1
        # A lone `?` shortly after a loss is part of the same garbled run (`??聘尾】啤⑿难芸?、`).
        nxt = text.find("?", e, e + 12)
        if nxt != -1 and (nxt + 1 >= len(text) or text[nxt + 1] != "?"):
            e = nxt + 1
        extended.append((s, e))
    extended += [(m.start(), m.end()) for m in _MOJIBAKE_CHARS.finditer(text) if is_cjk_context(text, m.start())]
    extended.sort()
    merged: list[tuple[int, int]] = []
    for s, e in extended:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def is_cjk_context(text: str, i: int) -> bool:
    """A Latin-1 or bopomofo character between Chinese characters is debris, not a quoted word."""
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    return (bool(before) and is_cjk(before)) or (bool(after) and is_cjk(after))


def normalise(text: str) -> Normalised:
    """Remove pinyin annotations, convert to Simplified, half-width ASCII, collapse whitespace."""
    keep = [True] * len(text)
    for m in _ANNOTATION.finditer(text):
        if _is_annotation(text, m):
            for i in range(m.start(), m.end()):
                keep[i] = False
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if not keep[i]:
            continue
        if unicodedata.category(ch) == "Cc" and ch not in "\n\t":
            continue
        # NFKC maps full-width forms (ＡＢ１２，：) to ASCII; CJK ideographs are left alone.
        folded = unicodedata.normalize("NFKC", ch) if not is_cjk(ch) else ch
        for f in folded:
            chars.append(f)
            origin.append(i)
    joined = "".join(chars)
    converted = _t2s().convert(joined)
    if len(converted) != len(joined):  # phrase conversions that change length: fall back per character
        converted = "".join(_t2s().convert(c) for c in joined)
    # Collapse whitespace runs to one space; drop spaces between two CJK characters' punctuation-free joins.
    out_chars: list[str] = []
    out_origin: list[int] = []
    for ch, o in zip(converted, origin):
        if ch.isspace():
            if not out_chars or out_chars[-1] == " ":
                continue
            ch = " "
        out_chars.append(ch)
        out_origin.append(o)
    while out_chars and out_chars[-1] == " ":
        out_chars.pop()
        out_origin.pop()
    return Normalised("".join(out_chars), out_origin, find_damage(text))
