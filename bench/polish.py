"""Polishing an English article without its source, with each decoding saving off and on; prints JSON.

Modes, run in one process on the same article (default: seed article 000), in turn:
  plain:   one token per step, the chat turn's opening evaluated for every text, and every text's
           fluency scored in a pass of its own (the engine before);
  lookup:  prompt-lookup drafting only (tokens copied from the input verified several at a time);
  shared:  the suffixes' common start evaluated once per call only;
  inputs:  the English each rewrite is handed scored as its prompt is evaluated (fluency before) only;
  lookup+shared: the first two (this code without `inputs`);
  default: all three, the product's default.
Each mode reports seconds (median of --runs), the share spent generating and scoring, how many looked-up
tokens were confirmed, and the facts check: every number, date and name of each sentence kept.

With --sentences N only the article's first N sentences are polished: a short request, where the batch
is small and a weight pass is cheap to fill, is where prompt lookup pays.

Usage: python -m bench.polish [--article PATH] [--sentences N] [--runs 1] [--modes plain,default]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from zhen import config
from zhen.app import factory
from zhen.app.polish import polish_english
from zhen.mt.faithful.repair import document_names, repair
from zhen.mt.pipeline import Pipeline
from zhen.mt.quality.facts import extract
from zhen.text.document import parse_article

MODES = {"plain": (False, False, False), "lookup": (True, False, False), "shared": (False, True, False),
         "inputs": (False, False, True), "lookup+shared": (True, True, False), "default": (True, True, True)}


def _timed(obj: Any, name: str, clock: dict[str, float]) -> None:
    """Wrap obj.name so that its seconds add up in clock[name]."""
    inner = getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            clock[name] = clock.get(name, 0.0) + time.perf_counter() - t0

    setattr(obj, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--article", default=None, help="English article (default: the seed article 000)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--modes", default="plain,lookup,shared,inputs,default")
    ap.add_argument("--sentences", type=int, default=0, help="only the first N sentences (0: all)")
    args = ap.parse_args()
    path = Path(args.article) if args.article else next((config.shared_data() / "articles").glob("000_*.txt"))
    english = path.read_text(encoding="utf-8")
    if args.sentences:
        english = english[: parse_article(english).sentences[: args.sentences][-1].end]  # the page up to there
    translator, embedder = factory.translator(), factory.embedder()
    engine = translator.engine
    pipe = Pipeline(translator, memory=None, tagger=factory.tagger())
    clock: dict[str, float] = {}
    _timed(translator, "translate_scored", clock)
    _timed(translator, "score_inputs", clock)
    modes = [m for m in args.modes.split(",") if m]
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    texts: dict[str, list[str]] = {}
    for _ in range(args.runs):
        for mode in modes:  # alternating, so that machine noise spreads over every mode
            engine.prompt_lookup, engine.share_starts, translator.score_rewrite_inputs = MODES[mode]
            translator.input_scores.clear()
            engine.accepted, engine.drafted, engine.evaluated = 6, 10, 0
            clock.clear()
            t0 = time.perf_counter()
            res = polish_english(english, pipe, embedder)
            seconds = time.perf_counter() - t0
            # facts as the deterministic repairs leave them (they spell out pinyin such as "YiJiaoYan" on purpose)
            names = document_names([p.before for p in res.sentences])
            lost = [p.id for p in res.sentences if extract(repair(p.before, names)).missing_in(p.after)]
            runs[mode].append({"seconds": seconds, "generate_s": clock.get("translate_scored", 0.0),
                               "score_s": clock.get("score_inputs", 0.0), "tokens_evaluated": engine.evaluated,
                               "tokens_per_s": round(engine.evaluated / seconds, 1),
                               "lookup_confirmed": round((engine.accepted - 6) / max(engine.drafted - 10, 1), 3),
                               "tokens_verified": engine.drafted - 10,
                               "rewritten": sum(p.action == "rewritten" for p in res.sentences),
                               "sentences": len(res.sentences), "sentences_losing_a_fact": lost})
            texts[mode] = [p.after for p in res.sentences]
    report: dict[str, Any] = {"benchmark": "polish", "article": path.name, "model": translator.signature(),
                              "runs": args.runs, "modes": {}}
    for mode, rs in runs.items():
        med = {k: round(statistics.median(r[k] for r in rs), 2) for k in ("seconds", "generate_s", "score_s")}
        last = rs[-1]
        report["modes"][mode] = {**med, **{k: last[k] for k in last if k not in med},
                                 "all_seconds": [round(r["seconds"], 1) for r in rs]}
    if "plain" in runs:
        base = report["modes"]["plain"]["seconds"]
        for mode in runs:
            m = report["modes"][mode]
            m["speedup"] = round(base / m["seconds"], 2)
            m["same_output_as_plain"] = sum(a == b for a, b in zip(texts[mode], texts["plain"]))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
