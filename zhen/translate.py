"""Glue for front ends (CLI, API, batch): build a pipeline from options and run it on files."""

from __future__ import annotations

from mt import registry
from mt.glossary import Glossary
from mt.memory import TranslationMemory
from mt.pipeline import Draft, Pipeline, Progress, normalise_lines
from zhen import config
from zhen.errors import InputError
from zhen.text.decode import read_text, split_lines
from zhen.text.document import Document, parse_article


def make_pipeline(model: str | None = None, openai_urls: list[str] | None = None, glossary: Glossary | None = None,
                  memory: bool = True) -> Pipeline:
    """A translation pipeline for the chosen model, with the shared translation memory unless disabled."""
    if openai_urls:
        translator = registry.create("openai", base_urls=openai_urls, model=model or "default")
    else:
        translator = registry.load(model)
    tm = TranslationMemory(config.home() / "tm.sqlite") if memory else None
    return Pipeline(translator, tm, glossary)


def translate_article(pipe: Pipeline, path: str, include_boilerplate: bool = False,
                      progress: Progress | None = None) -> tuple[Document, list[Draft]]:
    doc = parse_article(read_text(path))
    if not doc.translatable(include_boilerplate):
        raise InputError(f"{path}: nothing to translate (no title, body or caption text found)")
    return doc, pipe.translate_document(doc, include_boilerplate, progress)


def translate_presplit(pipe: Pipeline, in_path: str, out_path: str, progress: Progress | None = None) -> int:
    """One output line per input line, same order; written atomically."""
    import os

    lines = split_lines(read_text(in_path))
    drafts = pipe.translate(normalise_lines(lines), progress=progress)
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for d in drafts:
            fh.write(d.draft.replace("\n", " ") + "\n")
    os.replace(tmp, out_path)
    return len(drafts)
