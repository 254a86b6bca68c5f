"""Use case: align a Chinese and an English text (articles or presplit) into scored beads.

The CLI, the API and the benchmarks go through `align_texts`, so the same files give the same beads
everywhere. Presplit beads carry line numbers (`zhen.text.lines`); article beads number the
translatable sentences in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zhen.align.aligner import align
from zhen.align.beads import Bead
from zhen.align.embed import Embedder
from zhen.align.validate import check_sides
from zhen.errors import InputError
from zhen.text.decode import read_text
from zhen.text.document import parse_article
from zhen.text.lines import presplit as read_presplit


@dataclass
class Alignment:
    zh: list[str]  # sentence text by index ("" for a blank presplit line)
    en: list[str]
    beads: list[Bead]
    embedder: str  # the embedding model that produced the beads

    def texts(self, bead: Bead) -> tuple[str, str]:
        """The Chinese and English text of a bead (Chinese joined without spaces)."""
        return "".join(self.zh[i] for i in bead.zh), " ".join(self.en[j] for j in bead.en)

    def rows(self) -> list[dict]:
        """Beads as stored and served: position, indices, texts, score, flags."""
        out = []
        for k, b in enumerate(self.beads):
            zh_text, en_text = self.texts(b)
            out.append({"k": k, "zh": list(b.zh), "en": list(b.en), "zh_text": zh_text, "en_text": en_text,
                        "score": b.score, "flags": list(b.flags)})
        return out


def _side(text: str, presplit: bool) -> tuple[list[str], list[int]]:
    """(text by index, the indices that are sentences)."""
    if presplit:
        lines = read_presplit(text)
        return list(lines.lines), lines.numbers
    sents = [s.normalised for s in parse_article(text).translatable()]
    return sents, list(range(len(sents)))


def align_texts(zh_text: str, en_text: str, embedder: Embedder, presplit: bool = False,
                names: tuple[str, str] = ("Chinese side", "English side")) -> Alignment:
    """Beads over both texts; refuses empty, swapped, wrong-language or book-length sides (InputError)."""
    zh, zi = _side(zh_text, presplit)
    en, ei = _side(en_text, presplit)
    zs, es = [zh[i] for i in zi], [en[j] for j in ei]
    for side, sents in zip(names, (zs, es)):
        if not sents:
            raise InputError(f"nothing to align: {side} has no sentences")
    check_sides(zs, es, *names)
    beads = [b.shifted(zi, ei) for b in align(zs, es, embedder)]
    return Alignment(zh, en, beads, embedder.name)


def align_files(zh_path: str, en_path: str, embedder: Embedder, presplit: bool = False) -> Alignment:
    return align_texts(read_text(zh_path), read_text(en_path), embedder, presplit, (zh_path, en_path))


def document_pairs(zh: str, en: str | None) -> list[tuple[str, str, str]]:
    """(name, zh path, en path) for two files, two directories paired by file name, or a list file of
    `zh_path<TAB>en_path` lines (then `en` is None)."""
    zp = Path(zh)
    if en is None:
        if not zp.is_file():
            raise InputError(f"{zh}: a list of document pairs must be a file (or give ZH and EN)")
        pairs = []
        for n, line in enumerate(read_text(zh).splitlines(), 1):
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) < 2:
                raise InputError(f"{zh}: line {n} is not `zh_path<TAB>en_path`")
            pairs.append((Path(cols[0]).stem, cols[0].strip(), cols[1].strip()))
        if not pairs:
            raise InputError(f"{zh}: no document pairs listed")
        return pairs
    ep = Path(en)
    if zp.is_dir() != ep.is_dir():
        raise InputError("give two files or two directories")
    if not zp.is_dir():
        return [(zp.stem, zh, en)]
    zh_files = {p.name: p for p in zp.iterdir() if p.is_file()}
    en_files = {p.name: p for p in ep.iterdir() if p.is_file()}
    names = sorted(set(zh_files) & set(en_files))
    if not names:
        raise InputError(f"{zh} and {en} have no file names in common")
    return [(Path(n).stem if Path(n).suffix else n, str(zh_files[n]), str(en_files[n])) for n in names]
