"""Use case: translate a file and give back the same kind of file: plain text, HTML, .docx, XLIFF 1.2.

Each format is read into *units* (the pieces of Chinese text a translator would see: a line, an HTML
text node, a Word paragraph, the text between an XLIFF segment's inline tags) and rebuilt from their
translations, so markup, inline tags, IDs and everything without Chinese stay exactly as they were.
The units go through the translate use case (`zhen.app.translate.translate_sentences`), the same path
as every other translation, and come back with their QE scores for the formats that can carry them (XLIFF notes).
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from lxml import etree, html

from zhen.app.runtime import Runtime
from zhen.app.translate import translate_sentences
from zhen.errors import InputError
from zhen.formats import XLIFF12, parse_xml
from zhen.mt.faithful.checks import CJK_PUNCTUATION, english_punctuation
from zhen.mt.pipeline import Progress
from zhen.text.cleanup import has_cjk, is_cjk
from zhen.text.decode import decode_bytes
from zhen.text.document import parse_article

MAX_UNITS = 20_000  # a file larger than this many pieces of Chinese text is refused, not ground through
# A .docx is a zip: its parts are refused by the sizes its headers declare, before anything is inflated;
# zipfile never inflates a part past its declared size, so a lying header cannot get round these either.
MAX_PARTS = 2_000
MAX_PART_BYTES = 32 << 20
MAX_UNZIPPED_BYTES = 64 << 20
_SKIP_HTML = {"script", "style", "noscript", "template", "code", "pre"}
_SPACE = re.compile(r"\s+")


@dataclass
class Translated:
    """One unit's translation and what QE said of it."""

    text: str
    qe: float | None = None
    flags: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)  # other candidates (best quality), best first


@dataclass
class FileJob:
    """A file opened for translation: its units, and how to rebuild the file from their translations."""

    kind: str  # txt | html | docx | xliff
    media_type: str
    units: list[str]
    rebuild: Callable[[Sequence[Translated]], bytes]
    title: str | None = None


def needs_translation(text: str) -> bool:
    """Chinese characters, or Chinese punctuation (which English text must not keep either)."""
    return has_cjk(text) or any(ch in CJK_PUNCTUATION for ch in text)


def _split_space(text: str) -> tuple[str, str, str]:
    """(leading whitespace, the text with inner whitespace runs made single spaces, trailing whitespace)."""
    core = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return lead, _SPACE.sub(" ", core), trail


def text_units(text: str) -> tuple[list[str], Callable[[Sequence[str]], str]]:
    """Units of plain text (its lines that hold Chinese) and how to put translations back, line for line."""
    lines = text.split("\n")
    idx = [i for i, line in enumerate(lines) if needs_translation(line)]

    def put_back(translations: Sequence[str]) -> str:
        new = list(lines)
        for i, t in zip(idx, translations):
            lead, _, trail = _split_space(lines[i])
            new[i] = lead + t + trail
        return "\n".join(new)

    return [_split_space(lines[i])[1] for i in idx], put_back


def _text(name: str, data: bytes) -> FileJob:
    text, _ = decode_bytes(data, name)
    units, put_back = text_units(text)
    return FileJob("txt", "text/plain; charset=utf-8", units,
                   lambda out: put_back([t.text for t in out]).encode("utf-8"), parse_article(text).title())


def html_units(markup: str) -> tuple[list[str], Callable[[Sequence[str]], str], str | None]:
    """Units of an HTML page or fragment (text nodes with Chinese, outside scripts and styles) and how to
    put translations back; the page's title (as a text article's would be found) is context for all."""
    fragment = not re.search(r"<html[\s>]", markup, re.I)
    parser = html.HTMLParser(huge_tree=True)  # nesting up to libxml2's 2,048 levels instead of 256
    try:
        root = (html.fragment_fromstring(markup, create_parent="div", parser=parser) if fragment
                else html.document_fromstring(markup, parser=parser))
    except (etree.ParserError, ValueError) as err:
        raise InputError(f"not a readable HTML page ({str(err)[:200]})") from None
    kept = sum(map(is_cjk, html.tostring(root, encoding="unicode")))
    given = sum(map(is_cjk, markup))
    if kept < given:  # the parser gave up on part of the page (too deep, or broken): refuse, never lose text
        raise InputError(f"this HTML cannot be read whole: {given - kept:,} of its {given:,} Chinese characters "
                         "would be lost (nested deeper than 2,048 levels, or broken markup)")
    slots: list[tuple[etree._Element, str]] = []  # (element, "text" | "tail")
    for el in root.iter():
        if not isinstance(el.tag, str):  # comments, processing instructions
            if el.tail and needs_translation(el.tail):
                slots.append((el, "tail"))
            continue
        if el.tag.lower() not in _SKIP_HTML and el.text and needs_translation(el.text):
            slots.append((el, "text"))
        if el.tail and needs_translation(el.tail) and (el.getparent() is None or el.getparent().tag not in _SKIP_HTML):
            slots.append((el, "tail"))
    originals = [getattr(el, attr) for el, attr in slots]
    title = parse_article("\n\n".join(_split_space(t)[1] for t in originals)).title() if originals else None

    def put_back(translations: Sequence[str]) -> str:
        for (el, attr), old, new in zip(slots, originals, translations):
            lead, _, trail = _split_space(old)
            setattr(el, attr, lead + new + trail)
        if fragment:
            inner = (root.text or "") + "".join(html.tostring(c, encoding="unicode") for c in root)
            return inner
        doctype = root.getroottree().docinfo.doctype
        return (doctype + "\n" if doctype else "") + html.tostring(root, encoding="unicode")

    return [_split_space(t)[1] for t in originals], put_back, title


def _html(name: str, data: bytes) -> FileJob:
    text, _ = decode_bytes(data, name)
    units, put_back, title = html_units(text)
    return FileJob("html", "text/html; charset=utf-8", units,
                   lambda out: put_back([t.text for t in out]).encode("utf-8"), title)


def check_zip(name: str, data: bytes) -> None:
    """Refuse a zip whose parts are too many or would inflate too far (a zip bomb), by the sizes its
    central directory declares, and one whose XML parts declare a DTD (entity bombs, external entities)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = zf.infolist()
            if len(parts) > MAX_PARTS:
                raise InputError(f"{name}: {len(parts):,} parts in the archive; the limit is {MAX_PARTS:,}")
            big = max((p.file_size for p in parts), default=0)
            total = sum(p.file_size for p in parts)
            if big > MAX_PART_BYTES or total > MAX_UNZIPPED_BYTES:
                raise InputError(f"{name}: unpacks to {total:,} bytes ({big:,} in one part); the limits are "
                                 f"{MAX_UNZIPPED_BYTES:,} in all and {MAX_PART_BYTES:,} a part")
            for p in parts:
                if p.filename.endswith((".xml", ".rels")):
                    with zf.open(p) as fh:
                        head = fh.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise InputError(f"{name}: part {p.filename[:80]} declares a DTD, which a .docx never needs")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as err:
        raise InputError(f"{name}: not a readable .docx file ({err})") from None


def _docx(name: str, data: bytes) -> FileJob:
    import docx  # python-docx: only for .docx files

    check_zip(name, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as err:
        raise InputError(f"{name}: not a readable .docx file ({str(err)[:200]})") from None
    paragraphs = [p for p in document.paragraphs if needs_translation(p.text)]
    paragraphs += [p for table in document.tables for row in table.rows for cell in row.cells
                   for p in cell.paragraphs if needs_translation(p.text)]
    # merged cells repeat their paragraphs; python-docx shows the shared XML element only as `_p`
    paragraphs = list({id(p._p): p for p in paragraphs}.values())  # noqa: SLF001

    def rebuild(out: Sequence[Translated]) -> bytes:
        for p, t in zip(paragraphs, out):
            runs = p.runs
            if not runs:
                p.add_run(t.text)
                continue
            runs[0].text = t.text  # the first run's formatting carries the sentence
            for r in runs[1:]:
                r.text = ""
        buf = io.BytesIO()
        document.save(buf)
        return buf.getvalue()

    return FileJob("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   [p.text.strip() for p in paragraphs], rebuild)


def _q(tag: str) -> str:
    return f"{{{XLIFF12}}}{tag}"


def _xliff(name: str, data: bytes) -> FileJob:
    """XLIFF 1.2 as CAT tools export it: empty targets are filled, IDs and inline tags are kept (each text
    run between inline tags is translated in place), the units are marked `needs-review-translation`
    and QE goes into a note."""
    tree = parse_xml(name, data)
    if etree.QName(tree).namespace != XLIFF12:
        raise InputError(f"{name}: not XLIFF 1.2 (root {tree.tag!r}; expected the namespace {XLIFF12})")
    todo: list[tuple[etree._Element, etree._Element, list[tuple[etree._Element, str]]]] = []
    for tu in tree.iter(_q("trans-unit")):
        source, target = tu.find(_q("source")), tu.find(_q("target"))
        if source is None or (target is not None and "".join(target.itertext()).strip()):
            continue  # already translated: left as the translator has it
        new = copy.deepcopy(source)
        new.tag = _q("target")
        new.attrib.clear()
        slots = [(el, attr) for el in new.iter() for attr in ("text", "tail")
                 if (el is not new or attr == "text") and getattr(el, attr) and needs_translation(getattr(el, attr))]
        if target is not None:
            tu.replace(target, new)
        else:
            source.addnext(new)
        todo.append((tu, new, slots))
    units = [_split_space(getattr(el, attr))[1] for _, _, slots in todo for el, attr in slots]

    def rebuild(out: Sequence[Translated]) -> bytes:
        it = iter(out)
        for tu, target, slots in todo:
            scores = []
            for el, attr in slots:
                t = next(it)
                lead, _, trail = _split_space(getattr(el, attr))
                setattr(el, attr, lead + t.text + trail)
                if t.qe is not None:
                    scores.append(t.qe)
            target.set("state", "needs-review-translation")
            note = etree.SubElement(tu, _q("note"), {"from": "zhen"})
            note.text = "machine translation, not reviewed" + (f"; qe {min(scores):.2f}" if scores else "")
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    return FileJob("xliff", "application/x-xliff+xml", units, rebuild)


OPENERS: dict[str, Callable[[str, bytes], FileJob]] = {
    ".txt": _text, ".text": _text, ".html": _html, ".htm": _html, ".docx": _docx, ".xlf": _xliff,
    ".xliff": _xliff,
}


def open_file(name: str, data: bytes) -> FileJob:
    """The file's units and rebuild, chosen by its extension; InputError for other kinds."""
    opener = OPENERS.get(PurePath(name).suffix.lower())
    if opener is None:
        raise InputError(f"{name}: unsupported file type; zhen translates {', '.join(sorted(OPENERS))}")
    job = opener(name, data)
    if len(job.units) > MAX_UNITS:
        raise InputError(f"{name}: {len(job.units):,} pieces of text to translate; the limit is {MAX_UNITS:,}")
    return job


def as_translated(draft: str, qe: float | None, flags: list[str], alternatives: list[str] | None = None) -> Translated:
    """A unit's translation; one with no Chinese to translate still gets English punctuation."""
    return Translated(english_punctuation(draft) if "no_chinese" in flags else draft, qe, flags, alternatives or [])


def translate_file(runtime: Runtime, name: str, data: bytes, progress: Progress | None = None,
                   owner: str | None = None) -> tuple[FileJob, bytes]:
    """The file translated, as the same kind of file: its units through the translate use case (with
    `owner`'s memory), the file's title as their context (the server's file routes send the same)."""
    job = open_file(name, data)
    result = translate_sentences(runtime, job.units, title=job.title, owner=owner, progress=progress)
    return job, job.rebuild([as_translated(s.draft, s.qe, s.reasons, s.alternatives) for s in result.segments])
