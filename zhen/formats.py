"""Bilingual file formats translation tools read, written by translate-toolkit: TMX 1.4 (valid against the
DTD OmegaT ships) and XLIFF 1.2, where a machine draft is `needs-review-translation` and only a
translator's saved edit is approved, so a CAT tool never takes an unreviewed draft for a translation.
The same formats (and TSV, CSV, line-parallel text) are read back as pairs for the translation memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.sax.saxutils import escape

from lxml import etree
from translate.storage.tmx import tmxfile
from translate.storage.xliff import xlifffile

from zhen.errors import InputError
from zhen.text.safety import xml_safe


@dataclass
class Pair:
    source: str
    target: str
    note: str = ""
    id: str = ""
    approved: bool = False  # a translator saved this target; machine drafts are not approved
    match: dict | None = None  # the best translation-memory match (`zhen.mt.tm.match.Match.to_dict`)
    props: dict[str, str] = field(default_factory=dict)  # TMX <prop>s, e.g. the cleaned source the model read


def tmx(pairs: Sequence[Pair], src_lang: str = "zh-CN", tgt_lang: str = "en") -> bytes:
    store = tmxfile(sourcelanguage=src_lang, targetlanguage=tgt_lang)
    for p in pairs:
        store.addtranslation(xml_safe(p.source), src_lang, xml_safe(p.target), tgt_lang,
                             comment=xml_safe(p.note) or None)
        tu = store.units[-1].xmlelement
        for k, (name, value) in enumerate(sorted(p.props.items())):
            prop = etree.Element("prop", type=name)
            prop.text = xml_safe(value)
            tu.insert(k, prop)  # TMX 1.4: notes and props come before the variants
    return bytes(store)


XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"


def xliff(pairs: Sequence[Pair], src_lang: str = "zh-CN", tgt_lang: str = "en", original: str = "zhen") -> bytes:
    skeleton = (f'<?xml version="1.0" encoding="UTF-8"?><xliff version="1.2" xmlns="{XLIFF12}"><file '
                f'original="{escape(original, {chr(34): "&quot;"})}" source-language="{src_lang}" '
                f'target-language="{tgt_lang}" datatype="plaintext"><body/></file></xliff>')
    store = xlifffile.parsestring(skeleton.encode("utf-8"))  # translate-toolkit keeps the 1.2 namespace it reads
    for p in pairs:
        unit = store.addsourceunit(xml_safe(p.source), filename=original)
        unit.target = xml_safe(p.target)
        if p.id:
            unit.setid(p.id)
        if p.note:
            unit.addnote(xml_safe(p.note), origin="zhen")
        if p.match:  # as CAT tools exchange TM matches: an alt-trans with its match quality
            unit.addalttrans(xml_safe(p.match["target"]), origin=f"zhen-tm:{p.match['origin']}", lang=tgt_lang,
                             sourcetxt=xml_safe(p.match["source"]), matchquality=str(p.match["percent"]))
        unit.markapproved(p.approved)
        target = unit.xmlelement.find(f"{{{XLIFF12}}}target")
        if target is not None:
            target.set("state", "translated" if p.approved else "needs-review-translation")
    etree.cleanup_namespaces(store.document)  # units are built in translate-toolkit's default (1.1) namespace
    return bytes(store)


def tsv_cell(text: str) -> str:
    """One cell: no tabs or line breaks, and never read as a formula by a spreadsheet (OWASP's advice:
    a cell starting with = + - @ or a control character gets a leading apostrophe)."""
    text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\x00") else text


# -- reading bilingual files into pairs (translation-memory imports) ------------------------------------

def parse_xml(name: str, data: bytes, *, doctype: bool = False) -> etree._Element:
    """A file's XML root: entities never expanded, nothing fetched, no huge trees; a DOCTYPE (which
    OmegaT's TMX carries) is refused unless `doctype`, and its internal subset always is."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise InputError(f"{name}: not well-formed XML ({err})") from None
    info = root.getroottree().docinfo
    subset = info.internalDTD
    declares = subset is not None and (any(True for _ in subset.iterentities()) or any(True for _ in subset.elements()))
    if info.doctype and (declares or not doctype):
        raise InputError(f"{name}: a DOCTYPE is not accepted here{' with declarations' if doctype else ''} (its "
                         "entities would not survive the round trip); write the characters themselves")
    return root


def _text(el: etree._Element | None) -> str:
    """An element's text with its inline tags' text, as a memory keeps it."""
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _lang(el: etree._Element) -> str:
    return (el.get("{http://www.w3.org/XML/1998/namespace}lang") or el.get("lang") or "").lower()


def read_tmx(name: str, data: bytes) -> list[Pair]:
    """TMX 1.4: each unit's Chinese variant and English variant (languages by their codes)."""
    root = parse_xml(name, data, doctype=True)
    if etree.QName(root).localname != "tmx":
        raise InputError(f"{name}: not TMX (root {root.tag!r})")
    pairs = []
    for tu in root.iter("tu"):
        by_lang: dict[str, str] = {}
        for tuv in tu.findall("tuv"):
            by_lang.setdefault(_lang(tuv)[:2], _text(tuv.find("seg")))
        if by_lang.get("zh") and by_lang.get("en"):
            pairs.append(Pair(by_lang["zh"], by_lang["en"], id=tu.get("tuid") or ""))
    return pairs


def read_xliff(name: str, data: bytes) -> list[Pair]:
    """XLIFF 1.2: the units a translator approved or translated (a draft waiting for review is not a
    translation, nor is an empty or new target)."""
    root = parse_xml(name, data)
    if etree.QName(root).namespace != XLIFF12:
        raise InputError(f"{name}: not XLIFF 1.2 (root {root.tag!r}; expected the namespace {XLIFF12})")
    pairs = []
    for tu in root.iter(f"{{{XLIFF12}}}trans-unit"):
        target = tu.find(f"{{{XLIFF12}}}target")
        state = target.get("state", "") if target is not None else ""
        if tu.get("approved") == "yes" or state in ("translated", "final", "signed-off"):
            pair = Pair(_text(tu.find(f"{{{XLIFF12}}}source")), _text(target), id=tu.get("id") or "", approved=True)
            if pair.source and pair.target:
                pairs.append(pair)
    return pairs


def read_table(name: str, data: bytes, header: bool = True) -> list[Pair]:
    """TSV or CSV (by the name): source and target in the first two columns; a header row is skipped
    (unless not `header`: a DeepL glossary's entries have none)."""
    text = data.decode("utf-8-sig", errors="strict") if data else ""
    rows = csv.reader(io.StringIO(text), delimiter="," if name.lower().endswith(".csv") else "\t")
    pairs = [Pair(r[0].strip(), r[1].strip()) for r in rows if len(r) >= 2]
    if header and pairs and pairs[0].source.lower() in ("source", "zh", "chinese", "src"):
        pairs = pairs[1:]
    return [p for p in pairs if p.source and p.target]


def read_parallel(zh: str, en: str) -> list[Pair]:
    """Line-parallel text: line k of one is the translation of line k of the other."""
    zl, el = zh.splitlines(), en.splitlines()
    if len(zl) != len(el):
        raise InputError(f"line-parallel files differ in length: {len(zl)} and {len(el)} lines")
    return [Pair(a.strip(), b.strip()) for a, b in zip(zl, el) if a.strip() and b.strip()]


READERS = {".tmx": read_tmx, ".xlf": read_xliff, ".xliff": read_xliff, ".tsv": read_table, ".csv": read_table,
           ".txt": read_table}


def read_pairs(name: str, data: bytes) -> tuple[str, list[Pair]]:
    """A bilingual file's pairs, read by its extension: (format, pairs)."""
    suffix = PurePath(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise InputError(f"{name}: not a translation memory zhen reads ({', '.join(sorted(READERS))})")
    try:
        return suffix.lstrip(".").replace("xlf", "xliff").replace("txt", "tsv"), reader(name, data)
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text") from None
