"""Glue: polish English articles (or presplit texts), aligning to the Chinese source when there is one."""

from __future__ import annotations

from dataclasses import dataclass

from align.embed import Embedder, from_spec
from mt.pipeline import Pipeline, normalise_lines
from mt.polish import PolishedSentence, polish_with_source, polish_without_source
from zhen.errors import InputError
from zhen.quality import embedding_similarity, make_estimator
from zhen.text.decode import split_lines
from zhen.text.document import TRANSLATABLE, Kind, parse_article


@dataclass
class Polished:
    text: str
    sentences: list[PolishedSentence]
    title: str | None = None

    def to_dict(self) -> dict:
        return {"text": self.text, "sentences": [s.to_dict() for s in self.sentences]}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in split_lines(text)]


def polish_english(english: str, pipe: Pipeline, presplit: bool = False, embedder: Embedder | None = None) -> Polished:
    """No source: repairs + guarded rewrites; page furniture (navigation, dates, hit counters) is only kept."""
    similarity = embedding_similarity(embedder or from_spec())
    if presplit:
        res = polish_without_source(_lines(english), pipe, similarity)
        return Polished("\n".join(p.after for p in res) + "\n", res)
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


def polish_with_zh(chinese: str, english: str, pipe: Pipeline, presplit: bool = False,
                   parallel: bool = False, embedder: Embedder | None = None) -> Polished:
    """With the Chinese source: align (unless line-parallel), then keep / replace / merge per bead."""
    qe = make_estimator(pipe.translator)
    if parallel:
        zh, en = normalise_lines(_lines(chinese)), _lines(english)
        if len(zh) != len(en):
            raise InputError(f"parallel input needs as many Chinese lines ({len(zh)}) as English ones ({len(en)})")
        res = polish_with_source(list(zip(zh, en)), pipe, qe)
        return Polished("\n".join(p.after for p in res) + "\n", res)
    from align.aligner import align

    title = None
    if presplit:
        zh, en = normalise_lines(_lines(chinese)), _lines(english)
    else:
        zdoc, edoc = parse_article(chinese), parse_article(english)
        zh, en = [s.normalised for s in zdoc.translatable()], [s.normalised for s in edoc.translatable()]
        title = zdoc.title()
    zh, en = [s for s in zh if s], [s for s in en if s]
    if not zh or not en:
        raise InputError(f"nothing to polish: {'the source' if not zh else 'the English'} has no sentences")
    beads = align(zh, en, embedder or from_spec())
    pairs = [("".join(zh[i] for i in b.zh), " ".join(en[j] for j in b.en)) for b in beads]
    res = polish_with_source(pairs, pipe, qe, title)
    return Polished(" ".join(p.after for p in res if p.after) + "\n", res, title)
