"""The key a translation memory matches on, as CAT tools match: a sentence and its punctuation variant,
its Traditional form, its full-width form or a copy with other numbers are one entry.

`match_key` folds what does not change a translation (whitespace, width, Traditional characters, pinyin
notes, punctuation variants, letter case) and replaces each number by `#`, keeping the numbers aside so
that a translation can have them substituted (`substitute_numbers`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from zhen.text.cleanup import normalise

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PUNCT = str.maketrans({"，": ",", "。": ".", "、": ",", "；": ";", "：": ":", "？": "?", "！": "!", "（": "(",
                        "）": ")", "“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"', "‘": "'", "’": "'",
                        "《": '"', "》": '"', "〈": '"', "〉": '"', "【": "[", "】": "]", "—": "-", "–": "-",
                        "－": "-", "…": ".", "·": ".", "・": ".", "．": "."})
_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[.;:,]+$")  # a question stays a question


@dataclass(frozen=True)
class MatchKey:
    """The folded text with numbers as `#`, and the numbers in order."""

    text: str
    numbers: tuple[str, ...]


def match_key(text: str) -> MatchKey:
    folded = unicodedata.normalize("NFKC", normalise(text).text).translate(_PUNCT).lower()
    folded = _TRAILING.sub("", _SPACE.sub("", folded.replace("...", ".")))
    numbers = tuple(m.group() for m in NUMBER.finditer(folded))
    return MatchKey(NUMBER.sub("#", folded), numbers)


def repetitions(sources: Sequence[str]) -> list[int]:
    """For each source, how many others in the list have its match key (0 for a blank one): a CAT tool's
    repetitions, which one edit can fill together."""
    keys = [match_key(s).text if s.strip() else None for s in sources]
    same = Counter(k for k in keys if k is not None)
    return [same[k] - 1 if k is not None else 0 for k in keys]


def _value(number: str) -> str:
    """`1,000` and `1000` are one value; `3.50` and `3.5` too."""
    plain = number.replace(",", "")
    return plain.rstrip("0").rstrip(".") if "." in plain else plain.lstrip("0") or "0"


def substitute_numbers(target: str, old: tuple[str, ...], new: tuple[str, ...]) -> str | None:
    """`target` (the translation of a source with the numbers `old`) for a source with the numbers `new`;
    None where that cannot be done for certain: a changed number that the target does not show as often
    as the source has it (a month written as a word), or one value that would have to become two."""
    if len(old) != len(new):
        return None
    mapping: dict[str, str] = {}
    for o, n in zip(old, new):
        if _value(mapping.setdefault(_value(o), n)) != _value(n):
            return None
    change = {o: n for o, n in mapping.items() if o != _value(n)}
    if not change:
        return target
    found = [(m, _value(m.group())) for m in NUMBER.finditer(target)]
    for value in change:  # each changed number shown as often as the source has it
        if sum(v == value for _, v in found) != sum(_value(o) == value for o in old):
            return None
    out, last = [], 0
    for m, v in found:
        if v in change:
            out += [target[last : m.start()], _format_like(change[v], m.group())]
            last = m.end()
    return "".join(out) + target[last:]


def _format_like(number: str, shown: str) -> str:
    """The new number written as the target wrote the old one (with or without thousands commas)."""
    plain = number.replace(",", "")
    if "," in shown and "." not in plain and plain.isdigit():
        return f"{int(plain):,}"
    return plain
