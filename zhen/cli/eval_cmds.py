"""`zhen eval align|mt|run`: sacrebleu scores with signatures, alignment scores, suites through the product."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zhen.align.score import gold_units, merge_within_units, parse_beads, score
from zhen.app import evaluate, factory
from zhen.cli.common import progress
from zhen.cli.root import main
from zhen.errors import InputError
from zhen.eval import render, suites
from zhen.eval.files import check_parallel, read_lines, sha256
from zhen.eval.report import align_report, mt_report


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
def eval_align(gold: str, pred: str, report_dir: str | None, merge_units: bool) -> None:
    """Strict and lax precision/recall/F1 over beads (Vecalign's definitions); JSON."""


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
    except (ValueError, UnicodeDecodeError) as err:
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
def eval_mt(hyps: tuple[str, ...], ref: str, src: str | None, fmt: str, sentence_level: bool, test: str,
            report_dir: str | None, with_qe: bool, qe_alternative: str | None) -> None:
    """BLEU, chrF, chrF++ and TER through sacrebleu, with signatures and paired significance."""

    refs = read_lines(ref)
    srcs = read_lines(src) if src else None
    if src and srcs is not None:
        check_parallel({ref: refs, src: srcs})
    systems = [evaluate.file_system(h, len(refs)) for h in hyps]
    tests = {"both": ("bs", "ar"), "none": ()}.get(test, (test,))
    suite = {"name": "custom", "lines": len(refs), "files": {ref: sha256(ref), **({src: sha256(src)} if src else {})}}
    qe_scores = None
    if with_qe:
        if not src or srcs is None:
            raise InputError("--qe needs --src")
        alts = read_lines(qe_alternative) if qe_alternative else None
        if qe_alternative and alts is not None:
            check_parallel({src: srcs, qe_alternative: alts})
        qe_scores = evaluate.qe_scores(srcs, systems, alts)
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
def eval_run(suite: str, models: tuple[str, ...], hyps: tuple[str, ...], no_model: bool, limit: int | None,
             out_dir: str) -> None:
    """Translate a suite through the product (default model unless --model) and write report.json/md/html.

    Existing hypothesis files given with --hyp come first, so the first of them is the significance baseline.
    """

    if no_model and (models or not hyps):
        raise InputError("--no-model scores --hyp files only: give at least one --hyp and no --model")
    s = suites.load(suite, factory.settings().data_dir()).head(limit)
    rep = evaluate.run_suite(s, [] if no_model else (list(models) or [None]), hyps, out_dir, progress_factory=progress)
    paths = render.write(rep, out_dir)
    for name, sys_ in rep["systems"].items():
        scores = ", ".join(f"{m} {v['score']:.2f}" for m, v in sys_["scores"].items())
        click.echo(f"{name}: {scores}")
    for sig in rep.get("significance", {}).values():
        click.echo(sig["statement"])
    click.echo(f"report: {paths['html']}")
