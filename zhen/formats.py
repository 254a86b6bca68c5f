"""Bilingual file formats translation tools read, written by translate-toolkit (TMX 1.4, XLIFF 1.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from translate.storage.tmx import tmxfile
from translate.storage.xliff import xlifffile

from zhen.text.safety import xml_safe


@dataclass
class Pair:
    source: str
    target: str
    note: str = ""
    id: str = ""


def tmx(pairs: Sequence[Pair], src_lang: str = "zh-CN", tgt_lang: str = "en") -> bytes:
    store = tmxfile(sourcelanguage=src_lang, targetlanguage=tgt_lang)
    for p in pairs:
        store.addtranslation(xml_safe(p.source), src_lang, xml_safe(p.target), tgt_lang,
                             comment=xml_safe(p.note) or None)
    return bytes(store)


def xliff(pairs: Sequence[Pair], src_lang: str = "zh-CN", tgt_lang: str = "en") -> bytes:
    store: xlifffile = xlifffile(sourcelanguage=src_lang, targetlanguage=tgt_lang)
    for p in pairs:
        unit = store.addsourceunit(xml_safe(p.source))
        unit.target = xml_safe(p.target)
        if p.id:
            unit.setid(p.id)
        if p.note:
            unit.addnote(xml_safe(p.note), origin="translator")
    return bytes(store)
