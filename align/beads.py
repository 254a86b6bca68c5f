"""The one `Bead` type: which Chinese and English sentences translate each other, and how sure we are.

The aligner produces beads, the scorer compares them, files and the API carry them; all use this class.
Indices are 0-based sentence positions (line numbers for presplit input).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_LINE = re.compile(r"^\[([\d,\s]*)\]\s*:\s*\[([\d,\s]*)\]")


@dataclass
class Bead:
    zh: tuple[int, ...]
    en: tuple[int, ...]
    score: float | None = None  # 0-1: probability that the bead is right (None for gold beads)
    flags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.zh, self.en = tuple(self.zh), tuple(self.en)

    def key(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """What two beads must share to be the same alignment (score and flags aside)."""
        return self.zh, self.en

    def format(self) -> str:
        """`[zh ids]:[en ids]`, the file format of Vecalign and Bertalign."""
        return f"[{','.join(map(str, self.zh))}]:[{','.join(map(str, self.en))}]"

    def shifted(self, zh_index: list[int], en_index: list[int]) -> Bead:
        """The same bead with its positions mapped through `zh_index`/`en_index` (e.g. to line numbers)."""
        return Bead(tuple(zh_index[i] for i in self.zh), tuple(en_index[j] for j in self.en), self.score,
                    list(self.flags))


def parse_beads(text: str) -> list[Bead]:
    """`[zh ids]:[en ids]` per line (anything after the closing bracket, e.g. a score, is ignored)."""
    beads = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line.strip())
        if not m:
            raise ValueError(f"line {n}: not a bead: {line[:60]!r}")
        zh, en = (tuple(int(x) for x in side.replace(" ", "").split(",") if x) for side in m.groups())
        beads.append(Bead(zh, en))
    return beads


def format_beads(beads: Iterable[Bead]) -> str:
    return "".join(b.format() + "\n" for b in beads)
