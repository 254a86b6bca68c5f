"""Parallel text in the formats translation tools read: JSON, TSV, TMX 1.4 and XLIFF 1.2.

TMX and XLIFF are written by translate-toolkit (`zhen.formats`) so CAT tools (and translate-toolkit itself) read them
back; the text exported for each segment is the translator's latest edit, else the machine draft.
"""

from __future__ import annotations

import json

from zhen import formats
from zhen.errors import InputError
from zhen.text.cleanup import normalise

FORMATS = {"json": "application/json", "tsv": "text/tab-separated-values; charset=utf-8",
           "tmx": "application/x-tmx+xml", "xliff": "application/x-xliff+xml"}


STATUSES = ("all", "reviewed")


def pairs(doc: dict, status: str = "all") -> list[dict]:
    """(source, target) segments with their score and status, in document order; `reviewed`: only those a
    translator has edited or confirmed (status edited or reviewed, never rejected), for a CAT tool's
    `tm/auto`."""
    return [{"n": s["n"], "source": s["source"] or "", "target": s["text"] or "", "qe": s["qe"],
             "edited": bool(s["edits"]), "reasons": s["reasons"], "match": s.get("match")}
            for s in doc["segments"] if (s["source"] or "").strip() and (s["text"] or "").strip()
            and (status == "all" or s.get("status") in ("edited", "reviewed"))]


def _cleaned(source: str) -> dict[str, str]:
    clean = normalise(source).text
    return {"x-zhen-cleaned": clean} if clean != source else {}


def languages(doc: dict) -> tuple[str, str]:
    return ("en", "en") if doc["kind"] == "polish" and not doc["options"].get("source") else ("zh-CN", "en")


def export(doc: dict, fmt: str, status: str = "all") -> bytes:
    """The document's parallel text in `fmt`. Each TMX unit's source is the text as the client sent it
    (Traditional, pinyin notes and all, so it matches the client's files); where the model read a cleaned
    form, that is the unit's `x-zhen-cleaned` property."""
    rows = pairs(doc, status)
    src_lang, tgt_lang = languages(doc)
    if fmt == "json":
        return json.dumps({"id": doc["id"], "source_language": src_lang, "target_language": tgt_lang,
                           "segments": rows}, ensure_ascii=False).encode()
    if fmt == "tsv":
        lines = ["n\tsource\ttarget\tqe\tedited"]
        cell = formats.tsv_cell
        lines += [f"{r['n']}\t{cell(r['source'])}\t{cell(r['target'])}\t{'' if r['qe'] is None else r['qe']}\t"
                  f"{int(r['edited'])}" for r in rows]
        return ("\n".join(lines) + "\n").encode()
    if fmt in ("tmx", "xliff"):
        notes = [f"segment {r['n']}; qe {r['qe']}" + ("; edited by a translator" if r["edited"] else "") for r in rows]
        units = [formats.Pair(r["source"], r["target"], note, str(r["n"]), r["edited"], r["match"],
                              _cleaned(r["source"])) for r, note in zip(rows, notes)]
        if fmt == "tmx":
            return formats.tmx(units, src_lang, tgt_lang)
        return formats.xliff(units, src_lang, tgt_lang, original=doc["title"] or doc["id"])
    raise InputError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
