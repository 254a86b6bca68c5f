"""`zhen tm import|export|list` and `zhen glossary`: the translation memory and glossary of the local store
(the owner '' that `zhen translate` and a server without keys use), or of one key with `--key`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from zhen.app import factory
from zhen.app.memory import ALIGNED_THRESHOLD, export_memory, import_aligned, import_file, import_parallel
from zhen.cli.root import main
from zhen.errors import InputError

KEY = click.option("--key", "key_id", default="", metavar="KEY_ID",
                   help="a key's memory (its id, as `zhen keys list` shows) instead of the local one")


@main.group()
def tm() -> None:
    """The translation memory: translators' edits, imported memories, aligned archives."""


@tm.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--name", default=None, help="the memory's name (default: the file's or folder's name)")
@click.option("--align", "aligned", is_flag=True,
              help="ZH EN are an archive (two folders of namesake files, or two files) to align; sure beads are kept")
@click.option("--threshold", type=float, default=ALIGNED_THRESHOLD, show_default=True,
              help="with --align: the least bead score kept")
@click.option("--embedder", default=None, metavar="SPEC", help="with --align: the sentence embedder")
@KEY
def import_cmd(paths: tuple[str, ...], name: str | None, aligned: bool, threshold: float, embedder: str | None,
               key_id: str) -> None:
    """Import FILE (TMX, XLIFF, TSV, CSV), ZH EN line-parallel files, or with --align an archive."""
    store = factory.store()
    if aligned:
        if len(paths) != 2:
            raise InputError("--align takes two paths: ZH EN")
        result = import_aligned(store, key_id, paths[0], paths[1], factory.embedder(embedder),
                                name or Path(paths[0]).name, threshold)
    elif len(paths) == 2:
        result = import_parallel(store, key_id, Path(paths[0]).read_bytes(), Path(paths[1]).read_bytes(),
                                 name or Path(paths[0]).stem)
    elif len(paths) == 1:
        result = import_file(store, key_id, paths[0], Path(paths[0]).read_bytes(), name)
    else:
        raise InputError("give one file, two line-parallel files, or --align ZH EN")
    click.echo(json.dumps(result.to_dict()))


@tm.command("export")
@click.option("--memory", default=None, help="one memory (default: every memory the owner uses)")
@click.option("--format", "fmt", type=click.Choice(["tmx", "tsv"]), default="tmx", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None, help="file to write (default: stdout)")
@KEY
def export_cmd(memory: str | None, fmt: str, out: str | None, key_id: str) -> None:
    """Write the memory as TMX 1.4 (OmegaT, memoQ, Trados read it) or TSV."""
    data = export_memory(factory.store(), key_id, memory, fmt)
    if out:
        Path(out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)


@tm.command("list")
@KEY
def list_cmd(key_id: str) -> None:
    """The memories in use, one JSON line each (name, owner, units, shares)."""
    for m in factory.store().tm_memories(key_id):
        click.echo(json.dumps(m))


@main.command("glossary")
@click.argument("source", required=False)
@click.argument("target", required=False)
@click.option("--delete", is_flag=True, help="remove SOURCE")
@KEY
def glossary_cmd(source: str | None, target: str | None, delete: bool, key_id: str) -> None:
    """List the glossary (terms set here or learned from edits), set SOURCE TARGET, or --delete SOURCE."""
    store = factory.store()
    if source and delete:
        if not store.delete_term(key_id, source):
            raise InputError(f"no term {source!r}")
    elif source and target:
        store.put_term(key_id, source, target, origin="cli")
    elif source:
        raise InputError("give SOURCE TARGET to set a term, or --delete SOURCE")
    else:
        for t in store.glossary(key_id):
            click.echo(json.dumps(t, ensure_ascii=False))
