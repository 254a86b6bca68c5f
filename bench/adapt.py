"""The translation memory at work, on development data only (TICO-19 test, whose `.en.info` gives each line's
document); prints JSON. Every scenario compares the same pipeline with the memory on and off.

- speed: the default path (model-output cache, no translation memory) against the same with an empty
  memory, both cold, on the same sentences (seconds per sentence, median of the runs).
- archive: the even-numbered documents (all their lines) imported as a memory; the odd ones translated.
- post-edit: the documents translated in order; after each, its references are saved as the translator's
  edits (all its lines), so later documents can use them.
- terminology: renderings of multi-word terms in drafts edited once (through the edit use case), then the
  later lines that use the same terms translated: the share that uses the edited rendering.
- retrieval: fuzzy lookups against a memory of N synthetic units (median and p95 milliseconds).

Hit rates: `hits` counts what the segments show (exact and repaired matches, which skip the model, and
fuzzy matches of 70% or more); the oracle's `matched` is the share of sentences with any match at or
above a threshold, i.e. those that get examples at that threshold.

To keep the model's time bounded, each document contributes its first `--per-doc` lines to translation
(all its lines still go into the memories). Memory-off drafts are computed once and shared; a memory-on
run asks the model only for sentences whose prompt the memory changed (the others come from the
model-output cache, the same answer the off run got). Each configuration of the curve is
`placement:k:threshold`. The oracle is what the matches could give at most: the corpus score if every
sentence with a match at or above the threshold had been translated exactly as its reference.

Usage: python -m bench.adapt [--per-doc 10] [--configs sentence:3:0.3,...] [--speed 24] [--retrieval 100000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sacrebleu

from zhen import config
from zhen.app import factory
from zhen.app.memory import save_edit
from zhen.app.recall import RecallPolicy
from zhen.app.runtime import Runtime
from zhen.app.translate import TranslatedArticle, TranslateOptions, translate_sentences
from zhen.mt.tm.match import Matcher
from zhen.store import Store, Unit

SMALL = {"of", "and", "for", "the", "in", "on"}  # words an acronym skips
OFF = TranslateOptions(qe="none", memory=False)
ON = TranslateOptions(qe="none", memory=True)


def load_tico(data: Path) -> tuple[list[str], list[str], list[list[int]]]:
    """Chinese lines, English lines, and the documents as lists of line numbers, in file order."""
    d = data / "mt" / "tico19-test-zh-en"
    zh = (d / "tico19-test.zh").read_text(encoding="utf-8").splitlines()
    en = (d / "tico19-test.en").read_text(encoding="utf-8").splitlines()
    docs: dict[str, list[int]] = {}
    for i, line in enumerate((d / "tico19-test.en.info").read_text(encoding="utf-8").splitlines()):
        docs.setdefault(line.split("\t")[1], []).append(i)
    return zh, en, list(docs.values())


def scores(hyps: list[str], refs: list[str]) -> dict[str, float]:
    return {"chrf": round(sacrebleu.corpus_chrf(hyps, [refs]).score, 2),
            "bleu": round(sacrebleu.corpus_bleu(hyps, [refs]).score, 2)}


def with_policy(runtime: Runtime, placement: str, k: int, threshold: float) -> Runtime:
    return dataclasses.replace(runtime, recall=RecallPolicy(k, threshold, placement, runtime.recall.repair))  # type: ignore[arg-type]


def parse_configs(text: str) -> list[tuple[str, int, float]]:
    out = []
    for item in text.split(","):
        placement, k, th = item.split(":")
        out.append((placement, int(k), float(th)))
    return out


def translate_lines(runtime: Runtime, zh: list[str], lines: list[int], options: TranslateOptions,
                    owner: str | None = None) -> TranslatedArticle:
    return translate_sentences(runtime, [zh[i] for i in lines], options, owner=owner)


def hits(results: list[TranslatedArticle]) -> dict[str, float]:
    """Shares of the sentences the memory translated (exact, repaired) or showed a match of 70% or more."""
    segs = [s for r in results for s in r.segments]
    n = max(1, len(segs))
    return {"exact": round(sum(1 for s in segs if s.match and s.match.kind == "exact") / n, 4),
            "repaired": round(sum(1 for s in segs if s.match and s.match.kind == "repaired") / n, 4),
            "fuzzy_70": round(sum(1 for s in segs if s.match and s.match.kind == "fuzzy" and s.match.percent >= 70)
                              / n, 4)}


def point(scenario: str, config: tuple[str, int, float], results: list[TranslatedArticle], refs: list[str],
          started: float) -> dict[str, Any]:
    """One configuration's point of a scenario's curve (printed as it is done)."""
    hyps = [s.draft for r in results for s in r.segments]
    row = {"placement": config[0], "k": config[1], "threshold": config[2], **scores(hyps, refs),
           "hits": hits(results), "seconds_per_sentence": round((time.perf_counter() - started) / len(hyps), 3)}
    print(json.dumps({scenario: row}), flush=True)
    return row


def oracle(matcher: Matcher, zh: list[str], refs: list[str], off: list[str], lines: list[int],
           threshold: float) -> dict[str, Any]:
    """The most the memory could give at `threshold`: sentences with such a match translated as their references."""
    best = matcher.matches([zh[i] for i in lines], floor=threshold, limit=1)
    hyp = [refs[k] if b else off[k] for k, b in enumerate(best)]
    return {"threshold": threshold, "matched": round(sum(1 for b in best if b) / max(1, len(best)), 4),
            **scores(hyp, refs)}


def speed(runtime_for: Any, zh: list[str], lines: list[int], runs: int) -> dict[str, Any]:
    """Seconds per sentence, cold (a fresh store each run): today's default path, and with an empty memory."""
    times: dict[str, list[float]] = {"default": [], "empty_memory": []}
    for _ in range(runs):
        for name, options in (("default", OFF), ("empty_memory", ON)):
            runtime = runtime_for()
            t = time.perf_counter()
            translate_lines(runtime, zh, lines, options, owner="bench-speed")
            times[name].append((time.perf_counter() - t) / len(lines))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"sentences": len(lines), "runs": runs, "seconds_per_sentence": {k: round(v, 3) for k, v in med.items()},
            "ratio": round(med["empty_memory"] / med["default"], 3)}


def archive(runtime: Runtime, store: Store, zh: list[str], en: list[str], docs: list[list[int]], per_doc: int,
            off: dict[int, str], configs: list[tuple[str, int, float]]) -> dict[str, Any]:
    owner = "bench-archive"
    store.tm_delete(owner, "archive")
    store.tm_add(owner, "archive", [Unit(zh[i], en[i], "tmx") for d in docs[0::2] for i in d])
    lines = [i for d in docs[1::2] for i in d[:per_doc]]
    refs = [en[i] for i in lines]
    base = [off[i] for i in lines]
    out: dict[str, Any] = {"memory_units": sum(len(d) for d in docs[0::2]), "sentences": len(lines),
                           "off": scores(base, refs), "curve": []}
    matcher = Matcher(store, owner)
    out["oracle"] = [oracle(matcher, zh, refs, base, lines, th) for th in sorted({c[2] for c in configs} | {0.5, 0.7})]
    for placement, k, th in configs:
        rt = with_policy(runtime, placement, k, th)
        t = time.perf_counter()
        results = [translate_lines(rt, zh, d[:per_doc], ON, owner) for d in docs[1::2]]
        out["curve"].append(point("archive", (placement, k, th), results, refs, t))
    return out


def post_edit(runtime: Runtime, store: Store, zh: list[str], en: list[str], docs: list[list[int]], per_doc: int,
              off: dict[int, str], configs: list[tuple[str, int, float]]) -> dict[str, Any]:
    lines = [i for d in docs[1:] for i in d[:per_doc]]
    refs = [en[i] for i in lines]
    base = [off[i] for i in lines]
    out: dict[str, Any] = {"sentences": len(lines), "off": scores(base, refs), "curve": []}
    for placement, k, th in configs:
        owner = f"bench-pe-{placement}-{k}-{th}"
        store.tm_delete(owner, "edits")
        rt = with_policy(runtime, placement, k, th)
        results, t = [], time.perf_counter()
        for n, d in enumerate(docs):
            if n:
                results.append(translate_lines(rt, zh, d[:per_doc], ON, owner))
            store.tm_add(owner, "edits", [Unit(zh[i], en[i], "edit", "reference") for i in d])
        out["curve"].append(point("post_edit", (placement, k, th), results, refs, t))
    return out


def terminology(runtime: Runtime, store: Store, zh: list[str], docs: list[list[int]], per_doc: int,
                off_docs: dict[int, TranslatedArticle], max_terms: int = 8) -> dict[str, Any]:
    """Edit one multi-word rendering per term in the first draft that has it, as a translator who prefers the
    acronym would (`World Health Organization` → `WHO`); then translate the later lines with the same
    Chinese term and count the drafts that write the edited rendering."""
    owner = "bench-terms"
    chosen: dict[str, tuple[int, Any, Any]] = {}
    for n in range(len(docs)):
        for seg in off_docs[n].segments:
            for t in seg.terms:
                later = [i for dd in docs[n + 1 :] for i in dd if t.source in zh[i]]
                if (len(t.target.split()) > 1 and t.target in seg.draft and t.source not in chosen and later
                        and len(chosen) < max_terms):
                    chosen[t.source] = (n, seg, t)
    learned, uses, reused = 0, 0, 0
    examples = []
    for source, (n, seg, t) in chosen.items():
        variant = "".join(w[0].upper() for w in t.target.split() if w[:1].isalpha() and w.lower() not in SMALL)
        doc_id = store.save_document("translation", title=None, model="bench", options={}, text=None,
                                     segments=[{**seg.to_dict(), "n": 0}], key_id=owner)
        res = save_edit(store, store.document(doc_id) or {}, 0, seg.draft.replace(t.target, variant), "bench")
        learned += any(x["source"] == source for x in res.learned)
        later = [i for dd in docs[n + 1 :] for i in dd if source in zh[i]][:3]
        drafts = [s.draft for s in translate_lines(runtime, zh, later, ON, owner).segments]
        uses += len(drafts)
        hits_ = sum(bool(re.search(rf"\b{re.escape(variant)}\b", d)) for d in drafts)
        reused += hits_
        examples.append({"term": source, "was": t.target, "edited": variant, "later": len(drafts), "reused": hits_})
    return {"terms_edited": len(chosen), "learned": learned, "later_uses": uses, "reused": reused,
            "reuse_share": round(reused / uses, 4) if uses else None, "terms": examples}


def aligned_threshold(data: Path, embedder_spec: str | None) -> dict[str, Any]:
    """Which aligned beads are sure enough for a memory: on the literary chapters of `align/mac-dev` (real
    translators' 1-to-many splits; harder than news archives), the precision of the beads with sentences on
    both sides kept at each score threshold (exact match with a gold bead), and the share of gold kept."""
    from zhen.align.beads import parse_beads
    from zhen.app.align_files import align_texts

    embedder = factory.embedder(embedder_spec)
    root = data / "align" / "mac-dev"
    scored: list[tuple[float, bool]] = []
    gold_total = 0
    for ch in sorted(p.stem for p in (root / "gold").iterdir()):
        gold = {b.key() for b in parse_beads((root / "gold" / f"{ch}.align").read_text(encoding="utf-8"))
                if b.zh and b.en}
        gold_total += len(gold)
        alignment = align_texts((root / "zh" / ch).read_text(encoding="utf-8"),
                                (root / "en" / ch).read_text(encoding="utf-8"), embedder, True, ("zh", "en"))
        scored += [(b.score or 0.0, b.key() in gold) for b in alignment.beads if b.zh and b.en]
    rows = []
    for th in (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        kept = [ok for sc, ok in scored if sc >= th]
        rows.append({"threshold": th, "kept": len(kept), "precision": round(sum(kept) / max(1, len(kept)), 4),
                     "gold_recall": round(sum(kept) / max(1, gold_total), 4)})
    return {"data": "mac-dev (12 chapters)", "gold_beads": gold_total, "curve": rows}


def retrieval(zh_pool: list[str], queries: list[str], n: int, seed: int = 1) -> dict[str, Any]:
    """Fuzzy lookups against `n` units made by joining clauses of real sentences (so they share real n-grams)."""
    rng = random.Random(seed)
    clauses = [c for s in zh_pool for c in s.replace("。", "，").split("，") if len(c) > 3]
    store = Store(Path(tempfile.mkdtemp()) / "retrieval.sqlite")
    units, seen = [], set()
    while len(units) < n:
        src = "，".join(rng.sample(clauses, rng.randint(1, 3))) + "。"
        if src not in seen:
            seen.add(src)
            units.append(Unit(src, f"english {len(units)}", "tmx"))
    t = time.perf_counter()
    store.tm_add("", "big", units)
    build = time.perf_counter() - t
    matcher = Matcher(store, "")
    ms = []
    for q in queries:
        t = time.perf_counter()
        matcher.matches([q], floor=0.3, limit=3)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return {"units": n, "import_seconds": round(build, 1), "queries": len(queries),
            "ms_median": round(statistics.median(ms), 2), "ms_p95": round(ms[int(len(ms) * 0.95) - 1], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-doc", type=int, default=10)
    ap.add_argument("--configs", default="sentence:3:0.3,sentence:1:0.3,sentence:3:0.5,sentence:3:0.2,article:3:0.3")
    ap.add_argument("--speed", type=int, default=24, help="sentences for the speed check (0: skip)")
    ap.add_argument("--speed-runs", type=int, default=2)
    ap.add_argument("--retrieval", type=int, default=100_000, help="units for the retrieval check (0: skip)")
    ap.add_argument("--only", default="speed,archive,post_edit,terminology,retrieval",
                    help="also: aligned (the bead-score threshold for archives, no translation model)")
    ap.add_argument("--embedder", default=None, help="with aligned: the sentence embedder")
    ap.add_argument("--store", default=None, help="the store (model-output cache) to use; default: a fresh one")
    args = ap.parse_args()
    only = set(args.only.split(","))
    data = config.shared_data()
    zh, en, docs = load_tico(data)
    configs = parse_configs(args.configs)
    settings = config.settings()
    report: dict[str, Any] = {"data": "tico19-test", "per_doc": args.per_doc, "documents": len(docs)}
    if only == {"aligned"}:
        print(json.dumps(aligned_threshold(data, args.embedder), indent=1))
        return
    translator = factory.translator(settings=settings)
    report["model"] = translator.signature()

    def fresh_runtime() -> Runtime:
        return factory.runtime(settings, memory=Store(Path(tempfile.mkdtemp()) / "zhen.sqlite"), translator_=translator)

    if "speed" in only and args.speed:
        sample = [i for d in docs for i in d[:per]] if (per := max(1, args.speed // len(docs) + 1)) else []
        report["speed"] = speed(fresh_runtime, zh, sample[: args.speed], args.speed_runs)
        print(json.dumps({"speed": report["speed"]}), flush=True)
    store = Store(args.store or Path(tempfile.mkdtemp()) / "zhen.sqlite")
    runtime = factory.runtime(settings, memory=store, translator_=translator)
    if only & {"archive", "post_edit", "terminology"}:
        t = time.perf_counter()
        off_docs = {n: translate_lines(runtime, zh, d[: args.per_doc], OFF) for n, d in enumerate(docs)}
        off = {i: s.draft for n, d in enumerate(docs) for i, s in zip(d[: args.per_doc], off_docs[n].segments)}
        report["off_seconds_per_sentence"] = round((time.perf_counter() - t) / len(off), 3)
        print(json.dumps({"off": report["off_seconds_per_sentence"], "sentences": len(off)}), flush=True)
        if "archive" in only:
            report["archive"] = archive(runtime, store, zh, en, docs, args.per_doc, off, configs)
        if "post_edit" in only:
            report["post_edit"] = post_edit(runtime, store, zh, en, docs, args.per_doc, off, configs)
        if "terminology" in only:
            report["terminology"] = terminology(runtime, store, zh, docs, args.per_doc, off_docs)
    if "retrieval" in only and args.retrieval:
        pool = zh + (data / "mt" / "wmt19-newstest-zh-en" / "newstest2019.zh").read_text(encoding="utf-8").splitlines()
        queries = (data / "mt" / "flores200-devtest" / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[:200]
        report["retrieval"] = retrieval(pool, queries, args.retrieval)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
