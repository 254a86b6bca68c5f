"""Facts an English text states — numbers, dates, proper names — so an edit can be checked to keep them.

Polishing and rewriting are allowed to change every word except these; a candidate that loses one is
refused and the original sentence kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhen.mt.faithful.checks import MONTHS, numbers

_CAP = re.compile(r"\b([A-Z][a-z]+(?:[A-Z][a-z]+)*|[A-Z]{2,})\b")
# Capitalised words that are not names: sentence-initial function words, titles, days and months.
_COMMON = {
    "the", "a", "an", "in", "on", "at", "to", "for", "of", "and", "or", "but", "with", "by", "from", "as", "it",
    "this", "that", "these", "those", "we", "our", "he", "she", "they", "his", "her", "their", "its", "i", "you",
    "after", "before", "under", "since", "first", "second", "third", "fourth", "fourthly", "finally", "next",
    "there", "when", "while", "during", "through", "all", "both", "each", "one", "two", "three",
    "director", "president", "secretary", "member", "vice", "deputy", "executive", "chairman", "dean", "doctor",
    "professor", "party", "committee", "department", "office", "hospital", "university", "school", "medicine",
    "medical", "center", "centre", "province", "provincial", "city", "district", "health", "commission", "home",
    "news", "time", "hits", "mutual", "promoting", "achieving", "further", "however", "meanwhile", "also",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "then", "today",
    *(m.lower() for m in MONTHS),
}


@dataclass
class Facts:
    numbers: list[str]
    months: list[str]
    names: list[str]  # capitalised words that look like proper names (pinyin names, places, institutions)

    def missing_in(self, text: str) -> list[str]:
        """Facts of this set that `text` no longer states (names compared case-insensitively)."""
        low = text.lower()
        have = set(numbers(text))
        words = set(re.findall(r"[a-z0-9'’-]+", low))
        out = [n for n in self.numbers if n not in have and n.lstrip("0") not in have]
        out += [m for m in self.months if m.lower() not in low]
        out += [n for n in self.names if n.lower() not in words and n.lower() not in low]
        return out


def extract(text: str) -> Facts:
    """Numbers (digit groups), month names and proper-name words of an English text."""
    months = [m for m in MONTHS if re.search(rf"\b{m}\b", text)]
    names = []
    for m in _CAP.finditer(text):
        w = m.group(1)
        if w.lower() in _COMMON or w in MONTHS:
            continue
        before = text[: m.start()].rstrip(" \"'“‘(")
        initial = not before or before[-1] in ".!?:;"
        after = text[m.end():].lstrip()
        if initial and not _CAP.match(after):  # "Promoting ..." starts a sentence; "Zhejiang University" is a name
            continue
        if w not in names:
            names.append(w)
    return Facts(numbers(text), months, names)
