"""Batch throughput on the Chinese seed articles: 1 vs 2 workers, and the batch machinery's overhead.

Runs, cold (no translation memory), in one process, one after another on the same inputs:
  bare     — the translate use case over each article, nothing else (the floor);
  batch-1  — `zhen batch` machinery (decode, QE, beads, files, store, bookkeeping), 1 worker;
  batch-2  — the same with 2 workers (local processes, or Ray actors with --engine ray),
             each with its own model and half the threads.
Prints JSON: articles/s and sentences/s for each, the 2-vs-1 ratio and the overhead of batch-1 over bare.

Usage: python -m bench.batch [--engine local|ray] [--backend fake]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from zhen import config
from zhen.app import factory
from zhen.app.translate import translate_article
from zhen.batch.engines import LocalEngine, RayEngine, WorkerSpec
from zhen.batch.run import Batch
from zhen.store import Store
from zhen.text.decode import read_text


def _articles() -> list[Path]:
    return [p for p in sorted((config.shared_data() / "articles").glob("*.txt")) if not p.name.startswith("000")]


def bare(spec: WorkerSpec) -> dict:
    from zhen.batch.article import Worker

    worker = Worker.create(spec.settings, spec.model, spec.backend)
    start, n = time.perf_counter(), 0
    for p in _articles():
        n += len(translate_article(worker.runtime, read_text(p), spec.options()).segments)
    dt = time.perf_counter() - start
    worker.runtime.close()
    return {"path": "bare", "articles": len(_articles()), "sentences": n, "seconds": round(dt, 2),
            "articles_per_s": round(len(_articles()) / dt, 4), "sentences_per_s": round(n / dt, 3)}


def batch(spec: WorkerSpec, workers: int, engine: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="zhen-bench-batch-"))
    inputs = tmp / "in"
    inputs.mkdir()
    for p in _articles():
        (inputs / p.name).write_bytes(p.read_bytes())
    eng = RayEngine(spec, workers) if engine == "ray" else LocalEngine(spec, workers)
    try:
        s = Batch(tmp / "out", Store(tmp / "store.sqlite"), spec, eng).run(str(inputs))
    finally:
        eng.close()
    d = s.to_dict()
    return {"path": f"batch-{workers}", "articles": d["done"], "sentences": d["sentences"], "seconds": d["seconds"],
            "articles_per_s": d["articles_per_s"], "sentences_per_s": d["sentences_per_s"], "failed": d["failed"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["local", "ray"], default="local")
    ap.add_argument("--backend", default=None)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    spec = WorkerSpec(factory.settings(), args.model, args.backend, memory_path=None)  # cold: no model-output cache
    runs = [bare(spec), batch(spec, 1, args.engine), batch(spec, 2, args.engine)]
    b0, b1, b2 = runs
    print(json.dumps({
        "benchmark": "batch", "engine": args.engine, "model": args.backend or args.model or "default", "runs": runs,
        "speedup_2_vs_1_workers": round(b2["sentences_per_s"] / b1["sentences_per_s"], 3),
        "batch_overhead_vs_bare": round(b1["seconds"] / b0["seconds"] - 1, 4),
    }, indent=2))


if __name__ == "__main__":
    main()
