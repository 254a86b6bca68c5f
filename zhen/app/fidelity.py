"""Faithfulness measures: people named right, numbers lost, numbers invented.

chrF barely moves when a draft names the wrong person or invents a year, and those are the errors
translators miss. These measures count them directly:

- `reference_names`: Chinese person names of a source that its reference writes in pinyin; found
  without any tagger (every surname-initial 2–3 character span whose name reading the reference
  contains), so the measure does not share the product's recogniser.
- `name_found`: a name is found in a hypothesis case-, hyphen- and spacing-insensitively.
- `lost_numbers` / `invented_numbers`: source numbers absent from the hypothesis, and hypothesis
  numbers in neither the source nor (when given) the reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zhen.mt.faithful import checks, enforce, numbers
from zhen.mt.faithful.names import COMPOUND_SURNAMES, SURNAMES, to_pinyin


def loose(text: str) -> str:
    """Lower case, hyphens and pinyin's apostrophes dropped, spacing collapsed: `Chao-yang` and `chaoyang`
    compare equal, and so do `Xiao'an` and `Xiaoan` (an apostrophe before a vowel only: `Jinping's` keeps
    its possessive)."""
    return re.sub(r"\s+", " ", re.sub(r"(?<=\w)(?:[-‐]|['’](?=[aoe]))(?=\w)", "", text.lower())).strip()


def name_found(name: str, text: str) -> bool:
    """`name` (pinyin, "Hong Chaoyang") written in `text` as whole words."""
    return re.search(rf"(?<![a-z]){re.escape(loose(name))}(?![a-z])", loose(text)) is not None


def reference_names(source: str, reference: str) -> list[str]:
    """Pinyin of the Chinese person names in `source` that `reference` writes in pinyin."""
    found: list[str] = []
    for i in range(len(source)):
        sur = source[i : i + 2] if source[i : i + 2] in COMPOUND_SURNAMES else source[i]
        if sur not in SURNAMES and sur not in COMPOUND_SURNAMES:
            continue
        for n in (len(sur) + 2, len(sur) + 1):
            cand = source[i : i + n]
            if len(cand) == n and all("\u4e00" <= c <= "\u9fff" for c in cand):
                py = to_pinyin(cand)
                if " " in py and name_found(py, reference) and py not in found:
                    found.append(py)
                    break
    return found


def lost_numbers(source: str, hypothesis: str) -> list[str]:
    """Numbers of the source the hypothesis does not state in any accepted form."""
    return enforce.lost_numbers(source, hypothesis)


def invented_numbers(source: str, hypothesis: str, reference: str | None = None) -> list[str]:
    """Numbers of the hypothesis that neither the source supports nor the reference states."""
    ref = set(checks.numbers(reference)) if reference else set()
    return [n for n in numbers.invented_numbers(source, hypothesis) if n not in ref]


def entity_share(people: Sequence[tuple[str, Sequence[str]]], text: str) -> tuple[int, list[str]]:
    """How many of (chinese, accepted English forms) are written in `text`, and the Chinese of those missed."""
    missed = [zh for zh, forms in people if not any(name_found(f, text) for f in forms)]
    return len(people) - len(missed), missed
