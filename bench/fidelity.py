"""Faithfulness of the naive and the product path, measured in one run; prints JSON.

naive:   one `create_chat_completion` per sentence with a fixed system prompt (as in `bench.mt`).
product: the `Pipeline` (entities rendered and enforced, numbers normalised and checked, repairs),
         translation memory off.

- seeds: the share of `articles/entities.tsv` people written right in the draft of their article, and
  lost and invented numbers per article (invented: digit groups the sentence's source does not support).
- wmt19 (newstest2019[offset:offset+n]) and tico19 (every k-th line): reference name recall (the Chinese
  person names the reference writes in pinyin, found in the hypothesis; see `zhen.eval.fidelity`),
  lost numbers, lines with invented numbers (in neither the source nor the reference), and chrF.

  For the product, each reference name it misses is put down to a kind: `not_found` (no rendering of
  it in the article's terms), `tagger_only` (found by the tagger, not certain enough to pin) or
  `pinned_dropped` (pinned, and still not written); and the pinned names no reference line where they
  stand writes (`pinned_not_in_reference`, to read for transliterations pinned as pinyin).
- `--terms-only`: no model; for each set, the share of reference names the product's own terms pin with the
  reference's pinyin (`pinned`), hold unpinned (`tagger_only`) or lack (`not_found`). A name pinned right is
  written right (the enforcer sees to it), so this bounds recall from below in seconds, not an hour.
  Also how `gazetteer.name_odds` sorts the tagger's people (`classifier`): the Chinese names (the reference
  writes their pinyin) above 0, and the others with their odds, to read for transliterations.
- `--split`: measure generalisation honestly: the rules are tuned on WMT19[0:1000] (`wmt19_tune`, left out
  with --skip-tune) and reported on WMT19[1000:2000] (`wmt19_report`) and TICO-19, never tuned on.

Usage: python -m bench.fidelity [--wmt-n 500] [--tico-step 7] [--skip-seeds] [--skip-wmt] [--skip-tico]
                                [--split [--skip-tune]] [--paths product] [--save DIR]
                                (DIR keeps every hypothesis, one file per set and path)
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sacrebleu

from bench.mt import naive_translate
from zhen import config
from zhen.app import factory, fidelity
from zhen.models import presets
from zhen.mt.faithful import gazetteer, names
from zhen.mt.glossary import Glossary
from zhen.mt.pipeline import Pipeline, normalise_lines
from zhen.text.decode import read_text
from zhen.text.document import parse_article

Translate = Callable[[list[str]], list[str]]


def _seed_people() -> dict[str, list[tuple[str, list[str]]]]:
    """Each seed article's people: (Chinese, accepted English forms), from `articles/entities.tsv`."""
    people: dict[str, list[tuple[str, list[str]]]] = {}
    with (config.shared_data() / "articles" / "entities.tsv").open(encoding="utf-8") as fh:
        for row in csv.reader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"):
            if len(row) >= 4 and row[1] == "person":
                people.setdefault(row[0], []).append((row[2], row[3].split("|")))
    return people


def _seed_terms(terms: Callable[[list[str]], Glossary]) -> dict:
    """`--terms-only` on the seeds: the people each article's terms pin with an accepted English form."""
    data, right, total, wrong = config.shared_data() / "articles", 0, 0, []
    for fname, ppl in sorted(_seed_people().items()):
        glossary = terms([s.normalised for s in parse_article(read_text(data / fname)).translatable()])
        for zh, forms in ppl:
            ok = zh in glossary.pinned and any(fidelity.loose(f) == fidelity.loose(glossary.terms[zh]) for f in forms)
            right, total = right + ok, total + 1
            if not ok:
                wrong.append(f"{fname[:3]} {zh} {glossary.terms.get(zh)}")
    return {"people_pinned_right": right, "people": total, "wrong": wrong}


def _seeds(paths: dict[str, Translate], save: Path | None) -> dict:
    data = config.shared_data() / "articles"
    people = _seed_people()
    out: dict[str, dict] = {}
    for name, translate in paths.items():
        per_article, right, total, t0 = {}, 0, 0, time.perf_counter()
        for fname, ppl in sorted(people.items()):
            doc = parse_article(read_text(data / fname))
            sources = [s.normalised for s in doc.translatable()]
            drafts = translate(sources)
            if save:
                (save / f"seed_{fname[:3]}.{name}.txt").write_text("\n".join(drafts) + "\n", encoding="utf-8")
            ok, missed = fidelity.entity_share(ppl, " ".join(drafts))
            lost = [n for s, d in zip(sources, drafts) for n in fidelity.lost_numbers(s, d)]
            invented = [n for s, d in zip(sources, drafts) for n in fidelity.invented_numbers(s, d)]
            per_article[fname[:3]] = {"people_right": f"{ok}/{len(ppl)}", "people_missed": missed,
                                      "lost_numbers": lost, "invented_numbers": invented}
            right, total = right + ok, total + len(ppl)
        out[name] = {"people_right": right, "people": total, "share": round(right / total, 3),
                     "seconds": round(time.perf_counter() - t0, 1), "articles": per_article}
    return out


def _name_kinds(glossary: Glossary) -> dict[str, tuple[str, bool]]:
    """Loose pinyin → (the Chinese, pinned) for the people of the product's terms."""
    return {fidelity.loose(t): (s, s in glossary.pinned) for s, t in glossary.terms.items()
            if glossary.kinds.get(s) == "person"}


def _misses(zh: list[str], en: list[str], hyp: list[str], names: list[list[str]], glossary: Glossary) -> dict:
    """Reference names the product missed, by kind; and pinned names no reference line writes."""
    people = _name_kinds(glossary)
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for ns, h in zip(names, hyp):
        for n in ns:
            if fidelity.name_found(n, h):
                continue
            hit = people.get(fidelity.loose(n))
            kind = "not_found" if hit is None else "pinned_dropped" if hit[1] else "tagger_only"
            kinds[kind] += 1
            examples.setdefault(kind, []).append(f"{hit[0] if hit else '?'} {n}")
    unsupported = sorted({f"{src} {glossary.terms[src]}" for src in glossary.pinned if glossary.kinds.get(src) == "person"
                          and not any(fidelity.name_found(glossary.terms[src], r) for s, r in zip(zh, en) if src in s)})
    return {"missed_by_kind": dict(kinds), "missed_examples": {k: v[:20] for k, v in examples.items()},
            "pinned_not_in_reference": unsupported}


def _terms_coverage(zh: list[str], en: list[str], glossary: Glossary) -> dict:
    """Reference names by what the product's terms make of them, without translating (`--terms-only`)."""
    people = _name_kinds(glossary)
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for s, r in zip(zh, en):
        for n in fidelity.reference_names(s, r):
            hit = people.get(fidelity.loose(n))
            kind = "not_found" if hit is None else "pinned" if hit[1] else "tagger_only"
            kinds[kind] += 1
            if kind != "pinned":
                examples.setdefault(kind, []).append(f"{hit[0] if hit else '?'} {n}")
    total = sum(kinds.values())
    return {"names": total, "pinned_share": round(kinds["pinned"] / total, 3) if total else None,
            "by_kind": dict(kinds), "examples": {k: v[:30] for k, v in examples.items()},
            **{k: v for k, v in _misses(zh, en, [], [], glossary).items() if k == "pinned_not_in_reference"}}


def _classifier(zh: list[str], en: list[str], tagger: Any) -> dict:
    """How `gazetteer.name_odds` sorts the names the tagger tags as people (`--terms-only`): a tagged name
    whose pinyin the reference writes is Chinese; one the reference never writes in pinyin and the
    dictionary does not know (Reuters, Kim Jong-un, Japanese names are decided before the odds) is
    listed with its odds for a person to read (a transliteration, or a name the reference dropped)."""
    if tagger is None:
        return {}
    lines = normalise_lines(zh)
    seen: dict[str, int] = {}
    for r, ents in zip(en, tagger.entities(lines)):
        for e in ents:
            if e.kind == "person" and names.is_person_name(e.text):
                seen[e.text] = seen.get(e.text, 0) + fidelity.name_found(names.to_pinyin(e.text), r)
    odds = {n: gazetteer.name_odds(n) for n in seen if not (gazetteer.lookup(n) or gazetteer.japanese(n))}
    chinese = [n for n in odds if seen[n]]
    other = sorted((n for n in odds if not seen[n]), key=odds.__getitem__)
    return {"chinese": len(chinese), "chinese_above_0": sum(odds[n] > 0 for n in chinese),
            "chinese_below_0": [n for n in chinese if odds[n] <= 0],
            "no_pinyin_in_reference": {n: round(odds[n], 2) for n in other}}


def _parallel(label: str, zh: list[str], en: list[str], paths: dict[str, Translate], save: Path | None,
              terms: Callable[[list[str]], Glossary] | None = None, tagger: Any = None) -> dict:
    out: dict[str, dict] = {"lines": len(zh)}
    if not paths and terms is not None:
        out["terms"] = _terms_coverage(zh, en, terms(zh))
        out["classifier"] = _classifier(zh, en, tagger)
    names = [fidelity.reference_names(s, r) for s, r in zip(zh, en)]
    for name, translate in paths.items():
        t0 = time.perf_counter()
        hyp = translate(zh)
        dt = time.perf_counter() - t0
        if save:
            (save / f"{label}.{name}.txt").write_text("".join(h.replace("\n", " ") + "\n" for h in hyp),
                                                       encoding="utf-8")
        found = sum(fidelity.name_found(n, h) for ns, h in zip(names, hyp) for n in ns)
        total = sum(len(ns) for ns in names)
        invented = [i for i, (s, h, r) in enumerate(zip(zh, hyp, en)) if fidelity.invented_numbers(s, h, r)]
        out[name] = {
            "reference_name_recall": round(found / total, 3) if total else None, "names": total,
            "names_found": found,
            "lost_numbers": sum(len(fidelity.lost_numbers(s, h)) for s, h in zip(zh, hyp)),
            "lines_with_invented_numbers": len(invented),
            "share_lines_with_invented_numbers": round(len(invented) / len(zh), 4),
            "chrf": round(sacrebleu.corpus_chrf(hyp, [en]).score, 2),
            "seconds": round(dt, 1), "sentences_per_s": round(len(zh) / dt, 3),
        }
        if name == "product" and terms is not None:
            out[name].update(_misses(zh, en, hyp, names, terms(zh)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wmt-n", type=int, default=500)
    ap.add_argument("--wmt-offset", type=int, default=0)
    ap.add_argument("--tico-step", type=int, default=7)
    ap.add_argument("--skip-seeds", action="store_true")
    ap.add_argument("--skip-wmt", action="store_true")
    ap.add_argument("--skip-tico", action="store_true")
    ap.add_argument("--paths", default="naive,product", help="comma-separated: naive, product")
    ap.add_argument("--split", action="store_true", help="WMT19 tune [0:1000] and report [1000:2000] parts")
    ap.add_argument("--skip-tune", action="store_true", help="with --split: only the reported part")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--terms-only", action="store_true", help="no model: how the product's terms cover the names")
    args = ap.parse_args()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)

    translator = None if args.terms_only else factory.translator()
    pipe = Pipeline(translator, memory=None, tagger=factory.tagger())  # type: ignore[arg-type]
    available: dict[str, Translate] = {
        "naive": lambda lines: naive_translate(translator.llm, lines)[0],  # type: ignore[union-attr]
        "product": lambda lines: [d.draft for d in pipe.translate(normalise_lines(lines))],
    }
    paths = {} if args.terms_only else {p: available[p] for p in args.paths.split(",")}
    report: dict = {"benchmark": "fidelity", "model": presets.DEFAULT_TRANSLATOR,
                    "ner": factory.settings().ner if pipe.tagger is not None else "off"}
    mt = config.shared_data() / "mt"
    terms = lambda lines: pipe.article_glossary(normalise_lines(lines))  # noqa: E731 - the product's own terms
    if not args.skip_seeds:
        report["seeds"] = _seed_terms(terms) if args.terms_only else _seeds(paths, args.save)
    wmt = mt / "wmt19-newstest-zh-en"
    wmt_zh = (wmt / "newstest2019.zh").read_text(encoding="utf-8").splitlines()
    wmt_en = (wmt / "newstest2019.en").read_text(encoding="utf-8").splitlines()
    parts = {}
    if args.split:
        parts = {"wmt19_report[1000:2000]": (1000, 2000)}
        if not args.skip_tune:
            parts = {"wmt19_tune[0:1000]": (0, 1000), **parts}
    elif not args.skip_wmt:
        parts = {f"wmt19[{args.wmt_offset}:{args.wmt_offset + args.wmt_n}]": (args.wmt_offset,
                                                                               args.wmt_offset + args.wmt_n)}
    for label, (lo, hi) in parts.items():
        report[label] = _parallel(label.split("[")[0], wmt_zh[lo:hi], wmt_en[lo:hi], paths, args.save, terms,
                                  pipe.tagger)
    if not args.skip_tico:
        zh = (mt / "tico19-test-zh-en" / "tico19-test.zh").read_text(encoding="utf-8").splitlines()[:: args.tico_step]
        en = (mt / "tico19-test-zh-en" / "tico19-test.en").read_text(encoding="utf-8").splitlines()[:: args.tico_step]
        report[f"tico19[::{args.tico_step}]"] = _parallel("tico19", zh, en, paths, args.save, terms, pipe.tagger)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
