"""Use case: translate an article file, or a presplit file line for line."""

from __future__ import annotations

from pathlib import Path

from zhen.cache import write_atomic
from zhen.errors import InputError
from zhen.mt.pipeline import Draft, Pipeline, Progress, normalise_lines
from zhen.text.decode import read_text
from zhen.text.document import Document, parse_article
from zhen.text.lines import presplit


def translate_article(pipe: Pipeline, path: str, include_boilerplate: bool = False,
                      progress: Progress | None = None) -> tuple[Document, list[Draft]]:
    """The article's structure and a draft for each translatable sentence."""
    doc = parse_article(read_text(path))
    if not doc.translatable(include_boilerplate):
        raise InputError(f"{path}: nothing to translate (no title, body or caption text found)")
    return doc, pipe.translate_document(doc, include_boilerplate, progress)


def translate_lines(pipe: Pipeline, text: str, progress: Progress | None = None) -> list[Draft]:
    """Drafts for presplit text, one per line (blank lines give blank drafts); `Draft.id` is the line number."""
    lines = presplit(text)
    drafts = pipe.translate(normalise_lines(lines.sentences), progress=progress)
    by_line = dict(zip(lines.numbers, drafts))
    out = []
    for n in range(len(lines.lines)):
        d = by_line.get(n) or Draft(n, "", "", flags=["empty_source"])
        d.id = n
        out.append(d)
    return out


def translate_presplit(pipe: Pipeline, in_path: str, out_path: str, progress: Progress | None = None) -> int:
    """One output line per input line, same order; written atomically. Returns the number of lines."""
    drafts = translate_lines(pipe, read_text(in_path), progress)
    write_atomic(Path(out_path), "".join(d.draft.replace("\n", " ") + "\n" for d in drafts).encode("utf-8"))
    return len(drafts)
