"""Use case: translate a file and give back the same kind of file: plain text, HTML, .docx, XLIFF 1.2 or 2.x.

Each format is read into *units* (the pieces of Chinese text a translator would see: a line, an HTML
paragraph, a Word paragraph, an XLIFF segment's source), their inline tags as marks
(`zhen.text.inline`), and rebuilt from their translations, so markup, inline tags, IDs and everything
without Chinese stay as they were. The units go through the tagged translate use case
(`zhen.app.tagged.translate_tagged`: whole sentences, every tag put back), the same path as every
other translation, and come back with their QE scores for the formats that can carry them (XLIFF notes).
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from lxml import etree, html

from zhen.app.runtime import Runtime
from zhen.app.tagged import APPROX, translate_tagged
from zhen.app.word import docx_units
from zhen.errors import InputError
from zhen.formats import XLIFF12, parse_xml
from zhen.mt.faithful.checks import CJK_PUNCTUATION, english_punctuation
from zhen.mt.pipeline import Progress
from zhen.text.cleanup import has_cjk, is_cjk
from zhen.text.decode import decode_bytes
from zhen.text.document import parse_article
from zhen.text.inline import (
    MAX_MARKS,
    Bracket,
    Role,
    Tagged,
    fill_element,
    from_element,
    from_placeholders,
    to_placeholders,
)

MAX_UNITS = 20_000  # a file larger than this many pieces of Chinese text is refused, not ground through
# A .docx is a zip: its parts are refused by the sizes its headers declare, before anything is inflated;
# zipfile never inflates a part past its declared size, so a lying header cannot get round these either.
MAX_PARTS = 2_000
MAX_PART_BYTES = 32 << 20
MAX_UNZIPPED_BYTES = 64 << 20
_SKIP_HTML = {"script", "style", "noscript", "template", "code", "pre"}
# inline elements, translated with the sentence around them; and those kept whole where they stand
_INLINE_HTML = {"a", "abbr", "b", "bdi", "bdo", "big", "cite", "data", "del", "dfn", "em", "font", "i", "ins", "label",
                "mark", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var"}
_POINT_HTML = {"br", "img", "wbr", "input", "kbd", "samp", "math", "svg"}
Unit = tuple[Tagged, Callable[["Translated"], None]]  # a unit and how to write its translation back
TextUnits = tuple[list[Tagged], Callable[[Sequence["Translated"]], str]]  # a text's units, and how to put them back
_SPACE = re.compile(r"\s+")


@dataclass
class Translated:
    """One unit's translation and what QE said of it."""

    text: str
    qe: float | None = None
    flags: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)  # other candidates (best quality), best first
    tagged: Tagged | None = None  # the translation with the unit's inline tags placed in it


@dataclass
class FileJob:
    """A file opened for translation: its units, and how to rebuild the file from their translations."""

    kind: str  # txt | html | docx | xliff
    media_type: str
    units: list[Tagged]  # the text to translate, with its inline tags as marks
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


def text_units(text: str) -> TextUnits:
    """Units of plain text (its lines that hold Chinese, Weblate's `[X7X]` placeholders as marks) and how
    to put translations back, line for line."""
    lines = text.split("\n")
    idx = [i for i, line in enumerate(lines) if needs_translation(line)]
    units = [from_placeholders(_split_space(lines[i])[1]) for i in idx]

    def put_back(translations: Sequence[Translated]) -> str:
        new = list(lines)
        for i, (_, table), t in zip(idx, units, translations):
            lead, _, trail = _split_space(lines[i])
            new[i] = lead + (to_placeholders(t.tagged, table) if t.tagged else t.text) + trail
        return "\n".join(new)

    return [u for u, _ in units], put_back


def _text(name: str, data: bytes) -> FileJob:
    text, _ = decode_bytes(data, name)
    units, put_back = text_units(text)
    return FileJob("txt", "text/plain; charset=utf-8", units, lambda out: put_back(out).encode("utf-8"),
                   parse_article(text).title())


Place = Literal["pair", "point", "block", "skip"]


def _html_place(el: etree._Element) -> Place:
    tag = str(el.tag).lower()
    return "skip" if tag in _SKIP_HTML else "pair" if tag in _INLINE_HTML else "point" if tag in _POINT_HTML \
        else "block"


def _inline_role(place: Callable[[etree._Element], Place]) -> Callable[[etree._Element], Role]:
    return lambda el: "pair" if place(el) == "pair" else "point"


def _is_container(el: etree._Element, place: Callable[[etree._Element], Place]) -> bool:
    """A block whose content is all inline (text, inline elements, kept-whole elements): one unit."""
    if not isinstance(el.tag, str) or place(el) != "block":
        return False
    stack = list(el)
    while stack:
        d = stack.pop()
        if not isinstance(d.tag, str) or place(d) in ("point", "skip"):
            continue
        if place(d) == "block":
            return False
        stack.extend(d)
    return True


def markup_units(root: etree._Element, place: Callable[[etree._Element], Place]) -> list[Unit]:
    """The units of a markup tree, in document order. A block whose content is all inline (a paragraph
    with its links and bold) is one unit with its tags as marks; text directly in a block that also
    holds blocks is a unit of its own; `skip` elements (scripts, styles, code) stay as they are."""
    role = _inline_role(place)
    units: list[Unit] = []
    events: list[tuple[str, etree._Element]] = [("enter", root)]
    while events:  # without recursion: a page may nest 2,048 levels
        event, el = events.pop()
        if event == "tail":
            if el.tail and needs_translation(el.tail):
                units.append(_slot(el, "tail"))
            continue
        if not isinstance(el.tag, str) or place(el) == "skip":
            continue
        if _is_container(el, place):
            unit = tagged_element(el, role)  # reads the element once; writing back waits for the translation
            if needs_translation(unit[0].text):
                units.append(unit)
            continue
        if el.text and needs_translation(el.text):
            units.append(_slot(el, "text"))
        for child in reversed(el):
            events += [("tail", child), ("enter", child)]
    return units


def tagged_element(el: etree._Element, role: Callable[[etree._Element], Role],
                   bracket: Bracket | None = None) -> Unit:
    """An element's content as one unit (whitespace made single) and how to write its translation back,
    the whitespace at its ends kept."""
    raw, tags = from_element(el, role, bracket)
    lead = raw.text[: len(raw.text) - len(raw.text.lstrip())] if raw.text.strip() else ""
    trail = raw.text[len(raw.text.rstrip()) :] if raw.text.strip() else ""

    def write(t: Translated) -> None:
        target = t.tagged or Tagged(t.text)
        fill_element(el, Tagged.build([lead, *target.pieces(), trail]), tags)

    return raw.strip(), write


def html_units(markup: str) -> tuple[list[Tagged], Callable[[Sequence[Translated]], str], str | None]:
    """Units of an HTML page or fragment (`markup_units`) and how to put translations back; the page's
    title (as a text article's would be found) is context for all."""
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
    units = markup_units(root, _html_place)
    title = parse_article("\n\n".join(u.text for u, _ in units)).title() if units else None

    def put_back(translations: Sequence[Translated]) -> str:
        for (_, write), t in zip(units, translations):
            write(t)
        if fragment:
            return (root.text or "") + "".join(html.tostring(c, encoding="unicode") for c in root)
        doctype = root.getroottree().docinfo.doctype
        return (doctype + "\n" if doctype else "") + html.tostring(root, encoding="unicode")

    return [u for u, _ in units], put_back, title


def xml_units(markup: str, ignore: frozenset[str] = frozenset(), splitting: frozenset[str] = frozenset(),
              non_splitting: frozenset[str] = frozenset()) -> TextUnits:
    """Units of an XML fragment as DeepL's `tag_handling=xml` reads it: an element in `ignore` (and an
    empty one) is kept whole where it stands, one in `splitting` (unless also `non_splitting`) is a
    block whose content is translated apart, every other one is inline, translated with its sentence."""
    root = parse_xml("text", f"<zhen-fragment>{markup}</zhen-fragment>".encode())

    def place(el: etree._Element) -> Place:
        if el is root:
            return "block"
        name = etree.QName(el).localname
        if name in ignore or (not len(el) and not el.text):
            return "point"
        return "block" if name in splitting and name not in non_splitting else "pair"

    units = markup_units(root, place)
    self_closed = set(re.findall(r"<([^\s<>/!?]+)[^<>]*/>", markup))  # how the client wrote its empty elements

    def put_back(translations: Sequence[Translated]) -> str:
        for (_, write), t in zip(units, translations):
            write(t)
        for el in root.iter():  # an empty element as it was sent: Weblate finds its `<x id="7"></x>` by string
            if el is not root and not len(el) and el.text is None and el.tag not in self_closed:
                el.text = ""
        return (root.text or "") + "".join(etree.tostring(c, encoding="unicode") for c in root)

    return [u for u, _ in units], put_back


def _slot(el: etree._Element, attr: str) -> Unit:
    """A text node as a unit of its own (text directly in a block that also holds blocks)."""
    old = getattr(el, attr)
    lead, core, trail = _split_space(old)

    def write(t: Translated) -> None:
        setattr(el, attr, lead + t.text + trail)

    return Tagged(core), write


def _html(name: str, data: bytes) -> FileJob:
    text, _ = decode_bytes(data, name)
    units, put_back, title = html_units(text)
    return FileJob("html", "text/html; charset=utf-8", units, lambda out: put_back(out).encode("utf-8"), title)


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
    check_zip(name, data)
    units, rebuild = docx_units(name, data, needs_translation)
    return FileJob("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", units, rebuild)


XLIFF20 = "urn:oasis:names:tc:xliff:document:2.0"


def _xliff_role(el: etree._Element) -> Role:
    """XLIFF's inline elements around translatable text (1.2's `g` and `mrk`, 2.x's `pc` and `mrk`) are
    paired; every other one (`x`, `ph`, `it`, `cp`, a protected `mrk` …) stands for native code and is
    kept whole."""
    name = etree.QName(el).localname
    return "pair" if name in ("g", "pc") or (name == "mrk" and el.get("mtype") != "protected") else "point"


def _xliff_bracket(el: etree._Element) -> tuple[Literal["begin", "end"], str] | None:
    """XLIFF's begin/end codes: 1.2's `bx` and the `ex` whose startref names it, `bpt` and `ept` of one
    `rid` (else one `id`); 2.x's `sc` and the `ec` whose startRef names it, `sm` and `em` likewise."""
    name = etree.QName(el).localname
    if name in ("bx", "sc", "sm"):
        return "begin", name + ":" + (el.get("id") or "")
    if name in ("ex", "ec", "em"):
        begin = {"ex": "bx", "ec": "sc", "em": "sm"}[name]
        return "end", begin + ":" + (el.get("startref") or el.get("startRef") or "")
    if name in ("bpt", "ept"):
        return ("begin" if name == "bpt" else "end"), "bpt:" + (el.get("rid") or el.get("id") or "")
    return None


@dataclass(frozen=True)
class _XliffVersion:
    """Where a version of XLIFF keeps what the reader needs."""

    ns: str
    holder: str  # the element with one source and its target: 1.2's trans-unit, 2.x's segment
    state: str  # the element whose `state` says the target is a machine's, and its value
    state_value: str

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"


_XLIFF = {XLIFF12: _XliffVersion(XLIFF12, "trans-unit", "target", "needs-review-translation"),
          XLIFF20: _XliffVersion(XLIFF20, "segment", "segment", "translated")}


def _xliff(name: str, data: bytes) -> FileJob:
    """XLIFF 1.2 or 2.x as CAT tools export it: empty targets are filled, IDs and inline tags are kept
    (each source is translated whole, its tags placed in the translation), each target marked as a
    machine's (1.2 `needs-review-translation`, 2.x `translated`) and QE goes into a note."""
    tree = parse_xml(name, data)
    v = _XLIFF.get(etree.QName(tree).namespace or "")
    if v is None:
        raise InputError(f"{name}: not XLIFF 1.2 or 2.x (root {tree.tag!r}; expected the namespace {XLIFF12} "
                         f"or {XLIFF20})")
    todo: list[tuple[etree._Element, Unit]] = []
    for holder in tree.iter(v.q(v.holder)):
        source, target = holder.find(v.q("source")), holder.find(v.q("target"))
        if source is None or (target is not None and "".join(target.itertext()).strip()):
            continue  # already translated: left as the translator has it
        new = copy.deepcopy(source)
        new.tag = v.q("target")
        new.attrib.clear()
        new.tail = target.tail if target is not None else source.tail
        unit = tagged_element(new, _xliff_role, _xliff_bracket)  # the source's unit, read once
        if not needs_translation(unit[0].text):
            continue
        if target is not None:
            holder.replace(target, new)
        else:
            source.addnext(new)
        todo.append((holder, unit))

    def rebuild(out: Sequence[Translated]) -> bytes:
        for (holder, (_, write)), t in zip(todo, out):
            write(t)
            (holder if v.state == v.holder else holder.find(v.q("target"))).set("state", v.state_value)
            placed = "" if APPROX not in t.flags else "; a tag's place is a guess"
            _note(v, holder, "machine translation, not reviewed" + (f"; qe {t.qe:.2f}" if t.qe is not None else "")
                  + placed)
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    return FileJob("xliff", "application/x-xliff+xml", [u for _, (u, _) in todo], rebuild)


def _note(v: _XliffVersion, holder: etree._Element, text: str) -> None:
    """A note from zhen: 1.2's in the trans-unit; 2.x's in the unit's `notes`, which come before its
    segments."""
    if v.ns == XLIFF12:
        etree.SubElement(holder, v.q("note"), {"from": "zhen"}).text = text
        return
    unit = holder.getparent()
    notes = unit.find(v.q("notes"))
    if notes is None:
        notes = etree.Element(v.q("notes"))
        first = next((i for i, c in enumerate(unit) if isinstance(c.tag, str)
                      and etree.QName(c).localname not in ("metadata", "res")), len(unit))
        unit.insert(first, notes)
    etree.SubElement(notes, v.q("note"), {"category": "zhen"}).text = text


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
    check_marks(name, job.units)
    return job


def check_marks(name: str, units: Sequence[Tagged]) -> None:
    """Refuse a unit with more inline tags than a sentence ever has (placing them is quadratic)."""
    worst = max((len(u.marks) for u in units), default=0)
    if worst > MAX_MARKS:
        raise InputError(f"{name}: a piece of text has {worst:,} inline tags; the limit is {MAX_MARKS:,}")


def as_translated(segment: dict[str, Any]) -> Translated:
    """A unit's translation from its segment (`Segment.to_dict`, or a stored one); one with no Chinese to
    translate still gets English punctuation."""
    draft, flags = segment["draft"] or "", segment["reasons"]
    tags = segment.get("tags")
    tagged = Tagged.from_json({"text": draft, "marks": tags["target"]}) if tags else None
    if "no_chinese" in flags and tagged is None:
        draft = english_punctuation(draft)
    return Translated(draft, segment["qe"], flags, segment.get("alternatives") or [], tagged)


def translate_file(runtime: Runtime, name: str, data: bytes, progress: Progress | None = None,
                   owner: str | None = None) -> tuple[FileJob, bytes]:
    """The file translated, as the same kind of file: its units through the translate use case (with
    `owner`'s memory), the file's title as their context (the server's file routes send the same)."""
    job = open_file(name, data)
    result = translate_tagged(runtime, job.units, title=job.title, owner=owner, progress=progress)
    return job, job.rebuild([as_translated(s.to_dict()) for s in result.segments])
