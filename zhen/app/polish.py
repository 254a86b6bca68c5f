"""Use case: polish English articles (or presplit texts), aligning to the Chinese source when there is one."""

from __future__ import annotations

from dataclasses import dataclass

from zhen.align.embed import Embedder
from zhen.app.align_files import align_texts
from zhen.app.quality import embedding_similarity, make_estimator
from zhen.errors import InputError
from zhen.mt.pipeline import Pipeline, normalise_lines
from zhen.mt.polish import PolishedSentence, polish_with_source, polish_without_source
from zhen.text.document import TRANSLATABLE, Kind, parse_article
from zhen.text.lines import presplit as read_presplit


@dataclass
class Polished:
    text: str
    sentences: list[PolishedSentence]
    title: str | None = None

    def to_dict(self) -> dict:
        return {"text": self.text, "sentences": [s.to_dict() for s in self.sentences]}


def polish_english(english: str, pipe: Pipeline, embedder: Embedder, presplit: bool = False) -> Polished:
    """No source: repairs + guarded rewrites; page furniture (navigation, dates, hit counters) is only kept.
    Presplit: one polished line per line, ids are line numbers."""
    similarity = embedding_similarity(embedder)
    if presplit:
        lines = read_presplit(english)
        res = polish_without_source(lines.sentences, pipe, similarity)
        for p, n in zip(res, lines.numbers):
            p.id = n
        return Polished("\n".join(lines.expand([p.after for p in res])) + "\n", res)
    doc = parse_article(english)
    if not doc.sentences:
        raise InputError("nothing to polish: the English text has no sentences")
    sents = [s.normalised for s in doc.sentences]
    rewrite = [Kind(s.kind) in TRANSLATABLE for s in doc.sentences]
    res = polish_without_source(sents, pipe, similarity, rewrite)
    for p, ok in zip(res, rewrite):
        if not ok:  # furniture: not English prose, leave it exactly as it was
            p.after, p.action, p.reasons = p.before, "kept", ["page furniture"]
    paras: dict[int, list[str]] = {}
    for s, p in zip(doc.sentences, res):
        paras.setdefault(s.paragraph, []).append(p.after)
    return Polished("\n\n".join(" ".join(v) for v in paras.values()) + "\n", res, doc.title())


def polish_with_zh(chinese: str, english: str, pipe: Pipeline, embedder: Embedder, presplit: bool = False,
                   parallel: bool = False) -> Polished:
    """With the Chinese source: align (unless line-parallel), then keep / replace / merge per bead."""
    qe = make_estimator(pipe.translator)
    if parallel:
        zh_lines, en_lines = read_presplit(chinese), read_presplit(english)
        if len(zh_lines.lines) != len(en_lines.lines):
            raise InputError(f"parallel input needs as many Chinese lines ({len(zh_lines.lines)}) as English ones "
                             f"({len(en_lines.lines)})")
        res = polish_with_source(list(zip(normalise_lines(zh_lines.lines), en_lines.lines)), pipe, qe)
        return Polished("\n".join(p.after for p in res) + "\n", res)
    title = None if presplit else parse_article(chinese).title()
    if presplit:  # cleaned like article sentences (pinyin notes, Traditional, widths), line for line
        chinese = "\n".join(normalise_lines(read_presplit(chinese).lines))
    alignment = align_texts(chinese, english, embedder, presplit)
    pairs = [alignment.texts(b) for b in alignment.beads]
    res = polish_with_source(pairs, pipe, qe, title)
    return Polished(" ".join(p.after for p in res if p.after) + "\n", res, title)
