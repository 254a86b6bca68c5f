"""`zhen db`: the store's migrations, and moving a store to another database."""

from __future__ import annotations

import json

import click

from zhen.app import factory
from zhen.app.stores import copy_store, migrate_store
from zhen.cli.root import main

STORE_HELP = "a SQLite file (or sqlite:///PATH) or postgresql://USER@HOST/DB"


@main.group()
def db() -> None:
    """The store: SQLite on one machine, PostgreSQL (ZHEN_DB=postgresql://…) for servers on several."""


@db.command("migrate")
@click.option("--db", "url", default=None, help=f"{STORE_HELP} [default: ZHEN_DB, else ZHEN_HOME/zhen.sqlite]")
def migrate_cmd(url: str | None) -> None:
    """Apply the named migrations the store lacks; prints what ran and what the store has."""
    click.echo(json.dumps(migrate_store(url or factory.settings().db_url()).to_dict(), indent=1))


@db.command("copy")
@click.option("--from", "source", required=True, help=STORE_HELP)
@click.option("--to", "target", required=True, help=f"{STORE_HELP}; must be empty")
def copy_cmd(source: str, target: str) -> None:
    """Copy a whole store into an empty one (all or nothing) and count every table on both sides."""
    click.echo(json.dumps(copy_store(source, target).to_dict(), indent=1))
