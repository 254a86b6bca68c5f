"""Alignment test documents built from line-parallel data, with known gold beads.

Lines of the same source article (FLORES metadata URL) form a document. Walking it in order, with a
seeded generator: a Chinese pair of neighbours may be merged into one sentence (gold 1-2), an English
pair likewise (gold 2-1), a Chinese or English line may be dropped (gold 0-1 / 1-0). Everything else is 1-1.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from zhen.align.beads import Bead


@dataclass
class SyntheticDoc:
    zh: list[str]
    en: list[str]
    gold: list[Bead]


def make_doc(zh_lines: list[str], en_lines: list[str], rng: random.Random, p_merge: float = 0.1,
             p_drop: float = 0.05) -> SyntheticDoc:
    zh: list[str] = []
    en: list[str] = []
    gold: list[Bead] = []
    k = 0
    while k < len(zh_lines):
        r = rng.random()
        if r < p_merge and k + 1 < len(zh_lines):  # Chinese merged: one zh sentence ↔ two en
            zh.append(zh_lines[k] + zh_lines[k + 1])
            en += [en_lines[k], en_lines[k + 1]]
            gold.append(Bead((len(zh) - 1,), (len(en) - 2, len(en) - 1)))
            k += 2
        elif r < 2 * p_merge and k + 1 < len(zh_lines):  # English merged: two zh ↔ one en
            zh += [zh_lines[k], zh_lines[k + 1]]
            en.append(en_lines[k] + " " + en_lines[k + 1])
            gold.append(Bead((len(zh) - 2, len(zh) - 1), (len(en) - 1,)))
            k += 2
        elif r < 2 * p_merge + p_drop:  # English line missing
            zh.append(zh_lines[k])
            gold.append(Bead((len(zh) - 1,), ()))
            k += 1
        elif r < 2 * p_merge + 2 * p_drop:  # Chinese line missing
            en.append(en_lines[k])
            gold.append(Bead((), (len(en) - 1,)))
            k += 1
        else:
            zh.append(zh_lines[k])
            en.append(en_lines[k])
            gold.append(Bead((len(zh) - 1,), (len(en) - 1,)))
            k += 1
    return SyntheticDoc(zh, en, gold)


def flores_docs(zh_lines: list[str], en_lines: list[str], urls: list[str], seed: int = 13,
                min_lines: int = 30) -> list[SyntheticDoc]:
    """Consecutive FLORES source articles (lines sharing a URL) packed into documents of >= `min_lines`.

    FLORES keeps only 3-5 lines per article, too short to test an aligner, so whole articles are
    packed together; a document boundary always falls between articles.
    """
    rng = random.Random(seed)
    docs, start, k = [], 0, 1
    while k <= len(urls):
        if k == len(urls) or (urls[k] != urls[k - 1] and k - start >= min_lines):
            docs.append(make_doc(zh_lines[start:k], en_lines[start:k], rng))
            start = k
        k += 1
    return docs
