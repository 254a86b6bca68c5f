"""One-sentence-per-line ("presplit") text, read by one rule in every interface.

The rule: line N of the file is sentence N (0-based). A blank line is no sentence, but it keeps its
number: it is never sent to a model or the aligner, its translation is a blank line, and it is in no
bead. So the CLI, the API and batch report the same indices for the same file, and an index always
points at a line a translator can find.
"""

from __future__ import annotations

from dataclasses import dataclass


def split_lines(text: str) -> list[str]:
    """Lines of `text`: a final newline ends the last line, it does not add an empty one; CRLF is LF."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


@dataclass(frozen=True)
class Presplit:
    lines: tuple[str, ...]  # every line, stripped; blank lines are ""

    @property
    def numbers(self) -> list[int]:
        """Line number of each sentence (each non-blank line)."""
        return [n for n, line in enumerate(self.lines) if line]

    @property
    def sentences(self) -> list[str]:
        return [line for line in self.lines if line]

    def expand(self, per_sentence: list[str], blank: str = "") -> list[str]:
        """Per-sentence results back on their lines, `blank` on blank lines (one result a line)."""
        out, it = [blank] * len(self.lines), iter(per_sentence)
        for n in self.numbers:
            out[n] = next(it)
        return out


def presplit(text: str) -> Presplit:
    return Presplit(tuple(line.strip() for line in split_lines(text)))
