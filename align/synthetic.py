"""Alignment test documents built from line-parallel data, with known gold beads.

Lines of the same source article (FLORES metadata URL) form a document. Walking it in order, with a
seeded generator: a Chinese pair of neighbours may be merged into one sentence (gold 1-2), an English
pair likewise (gold 2-1), a Chinese or English line may be dropped (gold 0-1 / 1-0). Everything else is 1-1.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from zhen.align.beads import Bead


@dataclass
class SyntheticDoc:
    zh: list[str]
    en: list[str]
    gold: list[Bead]


def _add(doc: SyntheticDoc, zh: list[str], en: list[str]) -> None:
    """Append these sentences (either side may be empty) as one gold bead."""
    z0, e0 = len(doc.zh), len(doc.en)
    doc.zh += zh
    doc.en += en
    doc.gold.append(Bead(tuple(range(z0, len(doc.zh))), tuple(range(e0, len(doc.en)))))


def make_doc(zh_lines: list[str], en_lines: list[str], rng: random.Random, p_merge: float = 0.1,
             p_drop: float = 0.05) -> SyntheticDoc:
    doc = SyntheticDoc([], [], [])
    k = 0
    while k < len(zh_lines):
        r = rng.random()
        two = k + 1 < len(zh_lines)
        if r < p_merge and two:  # Chinese merged: one zh sentence ↔ two en
            _add(doc, [zh_lines[k] + zh_lines[k + 1]], [en_lines[k], en_lines[k + 1]])
            k += 2
        elif r < 2 * p_merge and two:  # English merged: two zh ↔ one en
            _add(doc, [zh_lines[k], zh_lines[k + 1]], [en_lines[k] + " " + en_lines[k + 1]])
            k += 2
        elif r < 2 * p_merge + p_drop:  # English line missing
            _add(doc, [zh_lines[k]], [])
            k += 1
        elif r < 2 * p_merge + 2 * p_drop:  # Chinese line missing
            _add(doc, [], [en_lines[k]])
            k += 1
        else:
            _add(doc, [zh_lines[k]], [en_lines[k]])
            k += 1
    return doc


def flores_docs(zh_lines: list[str], en_lines: list[str], urls: list[str], seed: int = 13,
                min_lines: int = 30, maker: Callable[..., SyntheticDoc] | None = None) -> list[SyntheticDoc]:
    """Consecutive FLORES source articles (lines sharing a URL) packed into documents of >= `min_lines`.

    FLORES keeps only 3-5 lines per article, too short to test an aligner, so whole articles are
    packed together; a document boundary always falls between articles.
    """
    rng = random.Random(seed)
    docs, start, k = [], 0, 1
    while k <= len(urls):
        if k == len(urls) or (urls[k] != urls[k - 1] and k - start >= min_lines):
            docs.append((maker or make_doc)(zh_lines[start:k], en_lines[start:k], rng))
            start = k
        k += 1
    return docs


# Where translators split an English sentence: before a conjunction or relative clause that follows a comma.
_CLAUSE = re.compile(r", (?=(?:and|but|while|which|who|whereas|although|because|so|as|after|before|when|"
                     r"with|where|including)\b)|; ")


def split_clause(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    """The sentence cut at a clause boundary in its middle third, as two sentences; None if it has none."""
    n = len(sentence)
    cuts = [m for m in _CLAUSE.finditer(sentence) if n / 4 <= m.start() <= 3 * n / 4]
    if not cuts:
        return None
    m = rng.choice(cuts)
    first = sentence[: m.start()].rstrip(" ,;") + "."
    rest = re.sub(r"^(?:and|but|so)\s+", "", sentence[m.end() :].strip())  # "…, and it…" → "It…"
    if len(first) < 15 or len(rest) < 15:
        return None
    return first, rest[0].upper() + rest[1:]


def realistic_doc(zh_lines: list[str], en_lines: list[str], rng: random.Random, p_split: float = 0.15,
                  p_merge: float = 0.07, p_drop: float = 0.005) -> SyntheticDoc:
    """A document shaped like real translation: the translator splits English sentences at clause
    boundaries (gold 1-2) and merges neighbours on either side (1-2, 2-1) often, and drops a sentence
    rarely. Development data for the aligner's priors: real translations hardly ever leave a sentence out."""
    doc = SyntheticDoc([], [], [])
    k = 0
    while k < len(zh_lines):
        r = rng.random()
        two = k + 1 < len(zh_lines)
        pieces = split_clause(en_lines[k], rng) if r < p_split else None
        if pieces:
            _add(doc, [zh_lines[k]], list(pieces))
            k += 1
        elif p_split <= r < p_split + p_merge and two:  # Chinese merged: one zh ↔ two en
            _add(doc, [zh_lines[k] + zh_lines[k + 1]], [en_lines[k], en_lines[k + 1]])
            k += 2
        elif p_split + p_merge <= r < p_split + 2 * p_merge and two:  # English merged
            _add(doc, [zh_lines[k], zh_lines[k + 1]], [en_lines[k] + " " + en_lines[k + 1]])
            k += 2
        elif p_split + 2 * p_merge <= r < p_split + 2 * p_merge + p_drop:  # an English sentence left out
            _add(doc, [zh_lines[k]], [])
            k += 1
        else:
            _add(doc, [zh_lines[k]], [en_lines[k]])
            k += 1
    return doc


def chapters(zh: list[str], en: list[str], gold: list[Bead], min_zh: int = 200) -> list[SyntheticDoc]:
    """A long gold-aligned text (the Bible) cut into chapter-sized documents at bead boundaries.

    Literary-style development data: each document has at least `min_zh` Chinese sentences (the last
    one takes the remainder), its own sentence numbering and the gold beads renumbered to match."""
    docs: list[SyntheticDoc] = []
    doc = SyntheticDoc([], [], [])
    for g in gold:
        _add(doc, [zh[i] for i in g.zh], [en[j] for j in g.en])
        if len(doc.zh) >= min_zh:
            docs.append(doc)
            doc = SyntheticDoc([], [], [])
    if doc.gold:
        if docs and len(doc.zh) < min_zh // 2:  # a short tail joins the previous chapter
            last = docs[-1]
            for b in doc.gold:
                _add(last, [doc.zh[i] for i in b.zh], [doc.en[j] for j in b.en])
        else:
            docs.append(doc)
    return docs


def bead_type_report(gold_docs: list[list[Bead]], pred_docs: list[list[Bead]]) -> dict[str, dict[str, int]]:
    """Per gold bead type (`1-2`, …): how many, how many predicted exactly, and what the misses became
    (the predicted types covering their sentences)."""
    out: dict[str, dict[str, int]] = {}
    for gold, pred in zip(gold_docs, pred_docs):
        keys = {b.key() for b in pred}
        owner = {("zh", i): b for b in pred for i in b.zh} | {("en", j): b for b in pred for j in b.en}
        for g in gold:
            row = out.setdefault(f"{len(g.zh)}-{len(g.en)}", {"gold": 0, "right": 0})
            row["gold"] += 1
            if g.key() in keys:
                row["right"] += 1
                continue
            covering = {id(owner[s]): owner[s] for s in [("zh", i) for i in g.zh] + [("en", j) for j in g.en]}
            for b in covering.values():
                kind = f"as {len(b.zh)}-{len(b.en)}"
                row[kind] = row.get(kind, 0) + 1
    return out


def unmatched_errors(gold_docs: list[list[Bead]], pred_docs: list[list[Bead]]) -> float:
    """Share of sentences left unmatched by the aligner that the gold matches (or matched that it leaves)."""
    wrong = total = 0
    for gold, pred in zip(gold_docs, pred_docs):
        gold_alone = {("zh", i) for b in gold if not b.en for i in b.zh} | {("en", j) for b in gold if not b.zh
                                                                           for j in b.en}
        pred_alone = {("zh", i) for b in pred if not b.en for i in b.zh} | {("en", j) for b in pred if not b.zh
                                                                           for j in b.en}
        wrong += len(gold_alone ^ pred_alone)
        total += sum(len(b.zh) + len(b.en) for b in gold)
    return wrong / max(1, total)
