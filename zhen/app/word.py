"""Word (.docx) files as Word users expect them back: every paragraph of the body, tables, text boxes,
headers, footers, footnotes and endnotes translated, its runs merged into whole sentences and their
formatting mapped back.

A paragraph is one unit. The formatting most of its text has is the paragraph's own; a run formatted
otherwise (a bold name, an italic title) is a paired mark around its text, a hyperlink (or a tracked
insertion) a paired mark around its runs, and everything else in the paragraph (tabs, breaks, fields,
drawings, bookmarks) a stand-alone mark kept as it was. The translation is written back as runs of the
paragraph's own formatting with the marked spans in theirs (`zhen.text.inline` places them).
Paragraphs inside text boxes are units of their own; the drawing that holds them is kept in place, so
their translations stay in it.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lxml import etree

from zhen.errors import InputError
from zhen.formats import parse_xml
from zhen.text.inline import Piece, Tagged

if TYPE_CHECKING:
    from zhen.app.files import Translated

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# the parts with text a reader sees: the body (with its tables and text boxes), headers, footers, notes
PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_CONTAINERS = {"hyperlink", "ins", "smartTag", "fldSimple"}  # around runs: paired marks
_SKIPPED_NOTES = {"separator", "continuationSeparator", "continuationNotice"}


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _key(rpr: etree._Element | None) -> bytes:
    return etree.tostring(rpr) if rpr is not None else b""


class _Paragraph:
    """One `w:p`: its unit, and how to write a translation back into it."""

    def __init__(self, p: etree._Element) -> None:
        self.p = p
        # ("run", rPr, None) | ("wrap", shallow copy, None) | ("point", element, None) | ("child", element, rPr)
        self.tags: list[tuple[str, etree._Element | None, etree._Element | None]] = []
        runs = [r for r in self._runs(p)]
        lengths: Counter[bytes] = Counter()
        for r in runs:
            lengths[_key(r.find(_w("rPr")))] += sum(len(t.text or "") for t in r.iterfind(_w("t")))
        self.base_key = lengths.most_common(1)[0][0] if lengths else b""
        self.base = next((r.find(_w("rPr")) for r in runs if _key(r.find(_w("rPr"))) == self.base_key), None)
        pieces: list[Piece] = []
        self._walk(p, pieces)
        self.unit = Tagged.build(pieces)

    @staticmethod
    def _runs(el: etree._Element) -> list[etree._Element]:
        out = []
        for child in el:
            name = _local(child)
            if name == "r":
                out.append(child)
            elif name in _CONTAINERS:
                out += _Paragraph._runs(child)
        return out

    def _walk(self, el: etree._Element, pieces: list[Piece]) -> None:
        for child in el:
            name = _local(child)
            if name == "pPr":
                continue
            if name in _CONTAINERS:
                self.tags.append(("wrap", _shallow(child), None))
                tag = len(self.tags) - 1
                pieces.append(("open", tag))
                self._walk(child, pieces)
                pieces.append(("close", tag))
            elif name == "r":
                self._run(child, pieces)
            else:  # bookmarks, proofing marks, deletions, content controls: kept where they stand
                self.tags.append(("point", child, None))
                pieces.append(("point", len(self.tags) - 1))

    def _run(self, r: etree._Element, pieces: list[Piece]) -> None:
        rpr = r.find(_w("rPr"))
        own = _key(rpr) != self.base_key
        opened = None
        for child in r:
            name = _local(child)
            if name == "rPr":
                continue
            if name == "t":
                if own and opened is None:
                    self.tags.append(("run", rpr, None))
                    opened = len(self.tags) - 1
                    pieces.append(("open", opened))
                pieces.append(child.text or "")
                continue
            if opened is not None:  # a tab or break inside a formatted run ends its span
                pieces.append(("close", opened))
                opened = None
            self.tags.append(("child", child, rpr))  # a run of its own when written back
            pieces.append(("point", len(self.tags) - 1))
        if opened is not None:
            pieces.append(("close", opened))

    def write(self, target: Tagged) -> None:
        """Replace the paragraph's content (its properties kept) with the translation."""
        for child in list(self.p):
            if _local(child) != "pPr":
                self.p.remove(child)
        stack: list[etree._Element] = [self.p]
        formats: list[etree._Element | None] = [self.base]
        for piece in target.pieces():
            if isinstance(piece, str):
                if piece:
                    _add_text(_run_of(stack[-1], formats[-1]), piece)
                continue
            kind, tag = piece
            what, el, rpr = self.tags[tag]
            if what == "child":  # moved, not copied: a drawing keeps its text boxes' translations
                _run_of(stack[-1], rpr).append(el)
            elif kind == "point":
                stack[-1].append(el)
            elif kind == "open" and what == "run":
                formats.append(el)
            elif kind == "open":
                assert el is not None
                new = copy.deepcopy(el)
                stack[-1].append(new)
                stack.append(new)
            elif kind == "close" and what == "run":
                if len(formats) > 1:
                    formats.pop()
            elif len(stack) > 1:
                stack.pop()


def _shallow(el: etree._Element) -> etree._Element:
    """The element with its attributes and properties child, without its runs."""
    new = el.makeelement(el.tag, dict(el.attrib))
    for child in el:
        if _local(child).endswith("Pr"):
            new.append(copy.deepcopy(child))
    return new


def _run_of(parent: etree._Element, rpr: etree._Element | None) -> etree._Element:
    """A new run at the end of `parent`, formatted by `rpr`."""
    r = etree.SubElement(parent, _w("r"))
    if rpr is not None:
        r.append(copy.deepcopy(rpr))
    return r


def _add_text(run: etree._Element, text: str) -> None:
    t = etree.SubElement(run, _w("t"))
    t.text = text
    t.set(XML_SPACE, "preserve")


def _paragraphs(root: etree._Element, wanted: Callable[[str], bool]) -> list[_Paragraph]:
    """The part's paragraphs that need translating, in document order (a text box's after the paragraph
    that holds it; either order works, since a drawing is moved into the translation, never copied)."""
    out = []
    for p in root.iter(_w("p")):
        note = next((a for a in p.iterancestors() if _local(a) in ("footnote", "endnote")), None)
        if note is not None and note.get(_w("type")) in _SKIPPED_NOTES:
            continue
        para = _Paragraph(p)
        if wanted(para.unit.text):
            out.append(para)
    return out


def docx_units(name: str, data: bytes,
               wanted: Callable[[str], bool]) -> tuple[list[Tagged], Callable[[Sequence[Translated]], bytes]]:
    """A .docx file's units (the zip checked by the caller) and how to write the file back."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = [i.filename for i in zf.infolist()]
        trees = {n: parse_xml(f"{name}:{n}", zf.read(n)) for n in names if PARTS.fullmatch(n)}
    except (zipfile.BadZipFile, KeyError, OSError) as err:
        raise InputError(f"{name}: not a readable .docx file ({str(err)[:200]})") from None
    if "word/document.xml" not in trees:
        raise InputError(f"{name}: not a .docx file (no word/document.xml)")
    paragraphs = [p for n in sorted(trees, key=lambda n: (n != "word/document.xml", n))
                  for p in _paragraphs(trees[n], wanted)]

    def rebuild(out: Sequence[Translated]) -> bytes:
        for para, t in zip(paragraphs, out):
            para.write(t.tagged or Tagged(t.text))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dest:
            for info in zf.infolist():
                body = (etree.tostring(trees[info.filename], xml_declaration=True, encoding="UTF-8",
                                       standalone=True) if info.filename in trees else zf.read(info.filename))
                dest.writestr(info, body)
        return buf.getvalue()

    return [p.unit.strip() for p in paragraphs], rebuild
