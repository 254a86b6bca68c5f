"""`zhen serve` and `zhen keys`: the HTTP API and its keys."""

from __future__ import annotations

import click

from zhen import config  # LOOPBACK
from zhen.app import factory
from zhen.cli.common import default
from zhen.cli.root import CliError, main
from zhen.errors import NotFound
from zhen.service.auth import create_key


@main.command()
@click.option("--host", default=None, help=f"address to bind [default: {default('host')}]")
@click.option("--port", default=None, type=int, help=f"[default: {default('port')}]")
@click.option("--no-auth", is_flag=True, help="no API keys (single user): only allowed on a loopback address")
@click.option("--model", default=None, help="model preset to load (default: ZHEN_MODEL or the default model)")
@click.option("--backend", default=None, help="a registered backend name instead of a preset (plugins)")
@click.option("--openai-url", multiple=True, metavar="URL",
              help="an OpenAI-compatible model server (llama.cpp's, vLLM) that runs the model instead of this "
              "process; repeat for several, in rotation [default: ZHEN_OPENAI_URLS]")
@click.option("--embedder", default=None, metavar="SPEC", help="embedding model for alignment")
@click.option("--db", default=None, help="the store: a SQLite file or postgresql://USER@HOST/DB, shared by every "
              "server [default: ZHEN_DB, else ZHEN_HOME/zhen.sqlite]")
@click.option("--sync-chars", default=None, type=int,
              help=f"larger requests are answered with a job (202) [default: {default('sync_chars')}]")
@click.option("--max-waiting", default=None, type=int,
              help=f"queued interactive requests before 503 [default: {default('max_waiting')}]")
def serve(host: str | None, port: int | None, no_auth: bool, model: str | None, backend: str | None,
          openai_url: tuple[str, ...], embedder: str | None, db: str | None, sync_chars: int | None,
          max_waiting: int | None) -> None:
    """Run the HTTP API and review page."""
    settings = factory.settings(host=host, port=port, auth=False if no_auth else None, model=model, backend=backend,
                               openai_urls=",".join(openai_url) or None, embedder=embedder, db=db,
                               sync_chars=sync_chars, max_waiting=max_waiting)
    if not settings.auth and settings.host not in config.LOOPBACK:
        raise CliError(f"--no-auth serves without API keys, so it only binds a loopback address, not {settings.host}")
    import uvicorn  # the server stack loads only for `serve`

    from zhen.service.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                timeout_graceful_shutdown=30)


@main.group()
def keys() -> None:
    """Manage API keys (stored hashed in the SQLite store)."""


@keys.command("create")
@click.argument("name")
@click.option("--rpm", default=60, show_default=True, type=click.IntRange(min=1), help="requests per minute")
@click.option("--chars-per-day", default=200_000, show_default=True, type=click.IntRange(min=1),
              help="characters per day")
@click.option("--admin", is_flag=True, help="may read and edit every key's documents and jobs")
def keys_create(name: str, rpm: int, chars_per_day: int, admin: bool) -> None:
    """Create a key and print it (shown only once)."""
    click.echo(create_key(factory.store(), name, rpm, chars_per_day, admin))


@keys.command("list")
def keys_list() -> None:
    """List keys (ids, names, limits; never the secret)."""
    for k in factory.store().list_keys():
        state = "revoked" if k["revoked"] else "active"
        role = "\tadmin" if k["admin"] else ""
        click.echo(f"{k['id']}\t{k['name']}\t{state}\t{k['requests_per_minute']}/min\t{k['chars_per_day']} chars/day"
                   f"{role}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by id."""
    if not factory.store().revoke_key(key_id):
        raise NotFound(f"no active key {key_id}")
    click.echo(f"revoked {key_id}")
