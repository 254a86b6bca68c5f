"""Deterministic repairs of poor English, applied before any model rewrite and never changing a fact.

What scraped machine-translated hospital news gets wrong mechanically: proper names in lower case
("zhejiang university"), spaces inside quotes (`" Zhejiang Hospital "officially`), spaces before
punctuation, and known mistranslations (`mt/data/en_fixes.csv`, e.g. "YiJiaoYan" for 医教研).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from pypinyin.constants import PINYIN_DICT
from pypinyin.contrib.tone_convert import to_normal

from zhen.mt.glossary import base


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless Mandarin syllable known to pypinyin."""
    return frozenset(to_normal(p).replace("ü", "v") for v in PINYIN_DICT.values() for p in v.split(","))


def is_pinyin_word(word: str, min_syllables: int = 2) -> bool:
    """`zhejiang`, `Sandun`: a word that splits into at least `min_syllables` pinyin syllables."""
    w = word.lower()
    syl = pinyin_syllables()
    best = [0] + [-1] * len(w)  # best[i]: most syllables covering w[:i] exactly, -1 = no segmentation
    for i in range(1, len(w) + 1):
        for j in range(max(0, i - 6), i):
            if best[j] >= 0 and w[j:i] in syl:
                best[i] = max(best[i], best[j] + 1)
    return best[len(w)] >= min_syllables


@lru_cache(maxsize=1)
def known_fixes() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(wrong phrase, its case-insensitive whole-word pattern, replacement) from `mt/data/en_fixes.csv`."""
    text = resources.files("zhen.mt").joinpath("data/en_fixes.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple((r["wrong"], re.compile(rf"\b{re.escape(r['wrong'])}\b", re.I), r["right"]) for r in rows)


@lru_cache(maxsize=1)
def canonical_names() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Glossary English names (institutions, places), longest first, matched case-insensitively."""
    names = sorted({t for t in base().terms.values() if any(c.isupper() for c in t)}, key=len, reverse=True)
    return tuple((re.compile(rf"\b{re.escape(n)}\b", re.I), n) for n in names)


RARE_IN_ENGLISH = 1000  # pyspellchecker frequency below which a pinyin-shaped word is taken for a name


@lru_cache(maxsize=1)
def _english_frequency():  # noqa: ANN202 - spellchecker's WordFrequency
    from spellchecker import SpellChecker

    return SpellChecker().word_frequency


def document_names(texts: Iterable[str]) -> set[str]:
    """Pinyin names a document itself writes capitalised mid-sentence: their lower-case uses are errors.

    A word counts when it splits into pinyin syllables and is rare as an English word ("zhejiang",
    "xudong", "chen"), so "medicine" in "School of Medicine" never capitalises the common noun.
    """
    freq = _english_frequency()
    found = set()
    for t in texts:
        for m in re.finditer(r"(?<=[a-z,;] )([A-Z][a-z]+)\b", t):
            w = m.group(1).lower()
            if is_pinyin_word(w) and freq[w] < RARE_IN_ENGLISH:
                found.add(w)
    return found


def _quotes(text: str) -> str:
    if text.count('"') % 2:
        return text
    parts = text.split('"')
    out = parts[0]
    for k in range(1, len(parts), 2):
        inner, after = parts[k].strip(), parts[k + 1]
        left = out.rstrip()
        out = (left + " " if left and left[-1] not in "([" else left) + f'"{inner}"'
        out += after if not after or after[0] in " ,.;:!?)]" else " " + after
    return out


def repair(text: str, names: set[str] | frozenset[str] = frozenset()) -> str:
    """The sentence with mechanical errors fixed; `names` are lower-case pinyin names to capitalise."""
    out = re.sub(r"\s+", " ", text).strip()
    out = _quotes(out)
    out = re.sub(r"\s+([,.;:!?)])", r"\1", out)
    out = re.sub(r"([,;])(?=[A-Za-z])", r"\1 ", out)
    for _, pat, right in known_fixes():
        out = pat.sub(right, out)
    for pat, name in canonical_names():
        out = pat.sub(name, out)
    if names:
        out = re.sub(r"\b[a-z]+\b", lambda m: m.group().capitalize() if m.group() in names else m.group(), out)
    if out and out[0].islower():
        out = out[0].upper() + out[1:]
    return out
