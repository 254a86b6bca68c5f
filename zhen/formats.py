"""Bilingual file formats translation tools read, written by translate-toolkit: TMX 1.4 (valid against the
DTD OmegaT ships) and XLIFF 1.2, where a machine draft is `needs-review-translation` and only a
translator's saved edit is approved, so a CAT tool never takes an unreviewed draft for a translation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree
from translate.storage.tmx import tmxfile
from translate.storage.xliff import xlifffile

from zhen.text.safety import xml_safe


@dataclass
class Pair:
    source: str
    target: str
    note: str = ""
    id: str = ""
    approved: bool = False  # a translator saved this target; machine drafts are not approved


def tmx(pairs: Sequence[Pair], src_lang: str = "zh-CN", tgt_lang: str = "en") -> bytes:
    store = tmxfile(sourcelanguage=src_lang, targetlanguage=tgt_lang)
    for p in pairs:
        store.addtranslation(xml_safe(p.source), src_lang, xml_safe(p.target), tgt_lang,
                             comment=xml_safe(p.note) or None)
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
        unit.markapproved(p.approved)
        target = unit.xmlelement.find(f"{{{XLIFF12}}}target")
        if target is not None:
            target.set("state", "translated" if p.approved else "needs-review-translation")
    etree.cleanup_namespaces(store.document)  # units are built in translate-toolkit's default (1.1) namespace
    return bytes(store)
