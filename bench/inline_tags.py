"""Inline tags through the model: a 30-unit XLIFF 1.2 file as a CAT tool sends it (nested `g`, `x`,
`bx`/`ex` and `ph`, and a tag between two sentences), built from the seed articles' sentences with
their hand-checked person names wrapped in `<g>`, translated with `zhen translate FILE`'s use case.

Prints JSON: units; units with every tag back once and the file well formed; units where every tag was
placed on evidence (no `tag_placed_approx`); and how many wrapped names come back with their accepted
English inside their own `<g>`.

    python -m bench.inline_tags [--backend fake --plugins fake_mt]   # default: the embedded model
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from zhen import config
from zhen.text.document import parse_article

XLIFF = "urn:oasis:names:tc:xliff:document:1.2"
UNITS = 30


def _names(data: Path) -> dict[str, dict[str, list[str]]]:
    """file -> Chinese name -> accepted English forms (the seed articles' entities.tsv)."""
    out: dict[str, dict[str, list[str]]] = {}
    for line in (data / "articles" / "entities.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        file, kind, zh, en = line.split("\t")[:4]
        if kind == "person":
            out.setdefault(file, {})[zh] = en.split("|")
    return out


def build(data: Path, units: int = UNITS) -> tuple[bytes, dict[str, list[str]]]:
    """The XLIFF file, and for each name's `<g>` id the name's accepted English forms."""
    names = _names(data)
    picked: list[tuple[str, str | None, list[str]]] = []  # sentence, name, forms
    for file, people in sorted(names.items()):
        doc = parse_article((data / "articles" / file).read_text(encoding="utf-8"))
        for s in doc.translatable():
            text = s.normalised
            name = next((n for n in people if n in text), None)
            if name is not None or re.search(r"\d", text):
                picked.append((text, name, people.get(name, []) if name else []))
    with_name = [p for p in picked if p[1]]
    without = [p for p in picked if not p[1]]
    chosen = (with_name[: units * 2 // 3] + without)[: units + units // 5]
    expected: dict[str, list[str]] = {}
    body = []
    i = k = 0
    while i < units and k < len(chosen):
        text, name, forms = chosen[k]
        k += 1
        xml = _tag(text, name, i, expected, forms)
        if i % 5 == 4 and k < len(chosen):  # a unit of two sentences, a tag between them
            xml += f'<x id="s{i}"/>' + _tag(chosen[k][0], chosen[k][1], 100 + i, expected, chosen[k][2])
            k += 1
        body.append(f'<trans-unit id="u{i}"><source xml:lang="zh-CN">{xml}</source></trans-unit>')
        i += 1
    doc = (f'<?xml version="1.0" encoding="UTF-8"?><xliff version="1.2" xmlns="{XLIFF}"><file original="seed.txt" '
           f'source-language="zh-CN" target-language="en" datatype="plaintext"><body>{"".join(body)}</body></file>'
           "</xliff>")
    return doc.encode("utf-8"), expected


def _tag(text: str, name: str | None, i: int, expected: dict[str, list[str]], forms: list[str]) -> str:
    """One sentence with tags: its name in `<g>` (every third one inside an outer `<g>` that also takes the
    words after it), its first number between `<bx/>` and `<ex/>` or followed by a `<ph>`, an `<x/>` after
    its first comma."""
    spans: list[tuple[int, str]] = []  # (offset, markup) inserted right to left
    if name and name in text:
        a = text.index(name)
        b = a + len(name)
        expected[f"n{i}"] = forms
        if i % 3 == 0:
            end = next((j for j in range(b, min(len(text), b + 5)) if text[j] in "，。、；：！？"), min(len(text), b + 4))
            spans += [(a, f'<g id="o{i}">'), (a, f'<g id="n{i}">'), (b, "</g>"), (end, "</g>")]
        else:
            spans += [(a, f'<g id="n{i}">'), (b, "</g>")]
    hit = re.search(r"\d+(?:[.,]\d+)*%?", text)
    if hit and not any(hit.start() < at < hit.end() for at, _ in spans):
        if i % 2:
            spans += [(hit.start(), f'<bx id="b{i}"/>'), (hit.end(), f'<ex id="e{i}" startref="b{i}"/>')]
        else:
            spans.append((hit.end(), f'<ph id="p{i}">&lt;span class="num"/&gt;</ph>'))
    comma = text.find("，")
    if comma > 0 and not any(at == comma + 1 for at, _ in spans):
        spans.append((comma + 1, f'<x id="x{i}"/>'))
    out, last = [], 0
    order = sorted(range(len(spans)), key=lambda j: (spans[j][0], j))
    for j in order:
        at, markup = spans[j]
        out.append(escape(text[last:at]))
        out.append(markup)
        last = at
    out.append(escape(text[last:]))
    return "".join(out)


def tag_ids(el: etree._Element) -> Counter:
    return Counter(f"{etree.QName(e).localname}:{e.get('id')}" for e in el.iter() if e is not el)


def score(original: bytes, translated: bytes, expected: dict[str, list[str]]) -> dict:
    """How the translated file kept its tags."""
    ns = {"x": XLIFF}
    src_units = {u.get("id"): u for u in etree.fromstring(original).iterfind(".//x:trans-unit", ns)}
    out_units = {u.get("id"): u for u in etree.fromstring(translated).iterfind(".//x:trans-unit", ns)}
    complete = evidence = names = named = 0
    for uid, unit in out_units.items():
        source, target = src_units[uid].find("x:source", ns), unit.find("x:target", ns)
        complete += target is not None and tag_ids(source) == tag_ids(target)
        note = unit.find("x:note", ns)
        evidence += note is not None and "guess" not in (note.text or "")
        for g in (target.iterfind(".//x:g", ns) if target is not None else []):
            if g.get("id") in expected:
                names += 1
                inside = " ".join("".join(g.itertext()).split()).lower()
                named += any(f.lower() in inside or inside in f.lower() and inside for f in expected[g.get("id")])
    return {"units": len(out_units), "all_tags_back_once": complete, "placed_on_evidence": evidence,
            "names_in_g": names, "names_in_their_own_g": named}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default=None)
    ap.add_argument("--plugins", default=None)
    ap.add_argument("--out", type=Path, default=None, help="also write the translated XLIFF here")
    args = ap.parse_args(argv)
    from zhen.app import factory
    from zhen.app.files import translate_file

    overrides = {k: v for k, v in (("backend", args.backend), ("plugins", args.plugins)) if v}
    settings = config.settings(**overrides)
    data, expected = build(config.shared_data())
    runtime = factory.runtime(settings, memory=False)  # no model-output cache: the time is the model's
    start = time.perf_counter()
    _, out = translate_file(runtime, "seed.xlf", data)
    result = {"model": runtime.model(), **score(data, out, expected), "seconds": round(time.perf_counter() - start, 1),
              "command": "python -m bench.inline_tags" + "".join(f" --{k} {v}" for k, v in overrides.items())}
    if args.out:
        args.out.write_bytes(out)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
