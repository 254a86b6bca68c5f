"""An article as the rest of the product sees it: blocks with kinds, sentences with offsets and flags."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from zhen.text.cleanup import Normalised, normalise
from zhen.text.segment import is_zh, split_sentences
from zhen.text.structure import Kind, classify, ends_sentence

# Kinds sent to translation unless the caller asks for boilerplate too.
TRANSLATABLE = frozenset({Kind.TITLE, Kind.BODY, Kind.CAPTION, Kind.BYLINE})  # bylines name people


@dataclass
class Sentence:
    """One sentence: `original` is `text[start:end]` of the page, `normalised` is what models read."""

    id: int
    paragraph: int
    kind: str
    lang: str
    original: str
    normalised: str
    start: int
    end: int
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Document:
    """A segmented article; `text` is the original page, so offsets can always be checked."""

    text: str
    sentences: list[Sentence]

    @property
    def lang(self) -> str:
        zh = sum(1 for s in self.sentences if s.lang == "zh")
        return "zh" if zh * 2 >= len(self.sentences) and zh else "en"

    def translatable(self, include_boilerplate: bool = False) -> list[Sentence]:
        """Sentences that go to the translator (boilerplate only when asked)."""
        return [s for s in self.sentences if include_boilerplate or Kind(s.kind) in TRANSLATABLE]

    def title(self) -> str | None:
        return next((s.normalised for s in self.sentences if s.kind == Kind.TITLE.value), None)


@dataclass
class _Block:
    start: int
    end: int
    norm: Normalised


def _blocks(text: str) -> list[_Block]:
    """Non-empty lines with their spans in `text`, each normalised."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            start = pos + body.index(stripped[0])
            n = normalise(text[start : start + len(stripped)])
            n.origin = [o + start for o in n.origin]
            n.damaged = [(s + start, e + start) for s, e in n.damaged]
            if n.text:
                out.append(_Block(start, start + len(stripped), n))
        pos += len(line)
    return out


def _merge(a: Normalised, b: Normalised, zh: bool) -> Normalised:
    """Join a paragraph cut by a page break to its continuation (no space in Chinese)."""
    if zh:
        return Normalised(a.text + b.text, a.origin + b.origin, a.damaged + b.damaged)
    return Normalised(a.text + " " + b.text, a.origin + [a.origin[-1]] + b.origin, a.damaged + b.damaged)


def parse_article(text: str) -> Document:
    """Clean, label and segment an article (already decoded; see `zhen.text.decode`)."""
    blocks = _blocks(text)
    kinds = classify([b.norm.text for b in blocks])
    paragraphs: list[tuple[Kind, Normalised]] = []
    for b, k in zip(blocks, kinds):
        if paragraphs:
            pk, pn = paragraphs[-1]
            if pk is Kind.BODY and k is Kind.BODY and len(pn.text) >= 30 and not ends_sentence(pn.text):
                paragraphs[-1] = (pk, _merge(pn, b.norm, is_zh(pn.text)))
                continue
        paragraphs.append((k, b.norm))
    sentences: list[Sentence] = []
    for p_idx, (kind, norm) in enumerate(paragraphs):
        damage_norm = _damage_in_normalised(norm)
        spans = split_sentences(norm.text, damage_norm) if kind in TRANSLATABLE else [(0, len(norm.text))]
        lang = "zh" if is_zh(norm.text) else "en"
        for s, e in spans:
            o_start, o_end = norm.original_span(s, e)
            flags = []
            if any(ds < o_end and de > o_start for ds, de in norm.damaged):
                flags.append("damaged")
            sentences.append(
                Sentence(len(sentences), p_idx, kind.value, lang, text[o_start:o_end], norm.text[s:e], o_start, o_end,
                         flags)
            )
    return Document(text, sentences)


def _damage_in_normalised(norm: Normalised) -> list[tuple[int, int]]:
    """Damaged original spans expressed as spans of the normalised text."""
    out = []
    for ds, de in norm.damaged:
        idx = [i for i, o in enumerate(norm.origin) if ds <= o < de]
        if idx:
            out.append((idx[0], idx[-1] + 1))
    return out
