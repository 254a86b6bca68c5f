"""`zhen batch translate`: every article of a directory or glob, resumable, exactly once."""

from __future__ import annotations

import json
import time

import click

from zhen.app import factory
from zhen.batch.engines import LocalEngine, RayEngine, WorkerSpec
from zhen.batch.run import Batch
from zhen.cli.common import progress
from zhen.cli.root import main
from zhen.store import Store


@main.group()
def batch() -> None:
    """Batch jobs over many articles."""



@batch.command("translate")
@click.argument("inputs")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="output directory")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(min=1),
              help="local: worker processes, each with a model")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="ray: actors, each with a model")
@click.option("--ray-address", default=None,
              help="ray: join this cluster ('auto', ray://host:port) instead of a local one")
@click.option("--model", default=None, help="model preset")
@click.option("--backend", default=None, help="a registered backend name instead of a preset (plugins)")
@click.option("--include-boilerplate", is_flag=True)
@click.option("--store", "store_path", default=None,
              help="the store for documents and bookkeeping: a SQLite file or postgresql://… (default: the "
              "service's, ZHEN_DB or ZHEN_HOME/zhen.sqlite)")
@click.option("--watch", is_flag=True, help="keep polling INPUTS for new articles")
@click.option("--interval", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="--watch polling period, seconds")
def batch_translate(inputs: str, out_dir: str, engine: str, concurrency: int, workers: int, ray_address: str | None,
                    model: str | None, backend: str | None, include_boilerplate: bool, store_path: str | None,
                    watch: bool, interval: float) -> None:
    """Translate, score and align every article (directory or glob) into OUT: JSON, English text and TMX
    per article, a summary at the end. Articles already done are skipped; a killed run resumes."""
    settings = factory.settings()
    store = Store(store_path) if store_path else factory.store(settings)
    spec = WorkerSpec(settings, model, backend, store.url, include_boilerplate)
    eng = RayEngine(spec, workers, ray_address) if engine == "ray" else LocalEngine(spec, concurrency)
    job = Batch(out_dir, store, spec, eng)
    try:
        while True:
            summary = job.run(inputs, progress_factory=lambda n: progress("articles", n))
            if not watch:
                break
            if summary.done or summary.failed:
                click.echo(json.dumps(summary.to_dict(), ensure_ascii=False), err=True)
            time.sleep(interval)
    finally:
        eng.close()
    click.echo(json.dumps(summary.to_dict(), indent=1, ensure_ascii=False))

