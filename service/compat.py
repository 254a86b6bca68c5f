"""What the LibreTranslate and DeepL surfaces share: their error shapes, reading fields the way their
clients send them, and translating texts (plain or HTML) through the one worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from zhen.app.files import FileJob, TextUnits, Translated, as_translated, check_marks, html_units, text_units
from zhen.errors import InputError, QuotaExceeded, ZhenError
from zhen.service import runner
from zhen.service.auth import Key
from zhen.service.deps import Services, caller
from zhen.service.schemas import describe_errors
from zhen.text.inline import Tagged
from zhen.text.safety import check_text
from zhen.text.segment import split_sentences

MAX_TEXTS = 2_000  # texts in one request


def documented_body(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its own fields: the JSON body it takes, so the OpenAPI schema
    (and the fuzzer that reads it) knows it; forms and query strings take the same fields."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def attachment(name: str) -> str:
    """Content-Disposition for a download whose name may be Chinese (RFC 6266: an ASCII fallback and the
    UTF-8 name)."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def compat_route(error_field: str, statuses: dict[int, int], quota_status: int = 429) -> type[APIRoute]:
    """A route class whose errors take another API's shape: `{error_field: message}` with that API's status
    codes (`statuses` maps zhen's HTTP status to theirs; `quota_status` is the one for a used-up character
    allowance, DeepL's 456). Their clients parse these, not FastAPI's."""

    class CompatRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def wrapped(request: Request) -> Response:
                try:
                    return await handler(request)
                except ZhenError as err:
                    status = quota_status if isinstance(err, QuotaExceeded) else \
                        statuses.get(err.http_status, err.http_status)
                    headers = {"Retry-After": str(err.retry_after)} if err.retry_after else {}
                    return JSONResponse({error_field: err.message}, status, headers=headers)
                except RequestValidationError as err:
                    return JSONResponse({error_field: describe_errors(list(err.errors()))}, statuses.get(422, 400))

            return wrapped

    return CompatRoute


async def fields(request: Request) -> dict[str, Any]:
    """A request's parameters wherever the client put them: the query string (deep-translator sends a POST
    with no body), a form (libretranslatepy, even on GET), or JSON. Later sources win."""
    out: dict[str, Any] = {}
    for k in request.query_params:
        values = request.query_params.getlist(k)
        out[k] = values if len(values) > 1 or k in ("text", "text[]") else values[0]
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise InputError("the JSON body must be an object")
        out.update(body)
    elif "form" in ctype:
        form = await request.form()
        for k in form:
            items = form.getlist(k)
            out[k] = items if len(items) > 1 or k in ("text", "text[]") else items[0]
    return out


def string(f: dict[str, Any], name: str) -> str | None:
    """A scalar field as a string (None when absent): a JSON object or list where a name or code belongs
    is the client's mistake, a 400, not a crash."""
    value = f.get(name)
    if value is None:
        return None
    if isinstance(value, bool | int | float | str):
        return str(value)
    raise InputError(f"Invalid request: {name} must be a string")


def text_list(value: Any, name: str) -> list[str]:  # noqa: ANN401 - a client's raw field
    """A field that may be one string or a list of strings, as valid Unicode."""
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > MAX_TEXTS:
        raise InputError(f"{name}: give 1 to {MAX_TEXTS} texts")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"{name}: every text must be a string")
        try:
            out.append(check_text(item))
        except ValueError as err:
            raise InputError(f"{name}: {err}") from None
    return out


def key_from(svc: Services, request: Request, field_key: str | None, header_prefix: str = "Bearer") -> Key | None:
    """The caller's key from the API's own field or header (`api_key`, `DeepL-Auth-Key …`), or zhen's."""
    auth = request.headers.get("authorization", "")
    token = field_key or request.headers.get("x-api-key")
    for prefix in (header_prefix, "Bearer"):
        if not token and auth.lower().startswith(prefix.lower() + " "):
            token = auth[len(prefix) + 1 :].strip()
    return caller(svc, token)


Reader = Callable[[str], TextUnits]  # how a compatible API's text is taken apart into units and put back


def html_reader(text: str) -> TextUnits:
    units, put_back, _ = html_units(text)
    return units, put_back


@dataclass
class Done:
    """Texts translated, and the stored document that holds them (its ID goes in `X-Zhen-Document`)."""

    translated: list[Translated]
    document: str | None


async def translate_texts(svc: Services, key: Key | None, texts: list[str], read: Reader = text_units,
                          glossary: dict[str, str] | None = None, alternatives: int = 0,
                          title: str | None = None, origin: str = "api") -> Done:
    """Each text translated with its layout (lines) or markup kept, through the worker: `read` takes a text
    apart into units (their inline tags as marks) and puts the translations back. With `alternatives`, a
    plain text of one unit (one line) also gets up to that many other candidates."""
    pieces = [read(t) for t in texts]
    units = [u for units, _ in pieces for u in units]
    check_marks("text", units)
    wanted = alternatives if read is text_units else 0  # none for markup, so no slower best quality for it
    done = await translate_units(svc, key, units, sum(map(len, texts)), glossary, wanted, title, origin=origin)
    out, k = [], 0
    for (units_, put_back), text in zip(pieces, texts):
        mine = done.translated[k : k + len(units_)]
        alts = mine[0].alternatives[:wanted] if len(mine) == 1 and not mine[0].tagged else []
        out.append(Translated(put_back(mine) if units_ else text, alternatives=alts))
        k += len(units_)
    return Done(out, done.document)


async def translate_units(svc: Services, key: Key | None, units: list[Tagged], chars: int,
                          glossary: dict[str, str] | None = None, alternatives: int = 0,
                          title: str | None = None, whole: bool = False, origin: str = "api") -> Done:
    """Units through the worker as one request (stored as a reviewable document). Units with inline tags
    or of several sentences go as tagged units (`zhen.app.tagged`), as do all of a file's (`whole`), so a
    file gets what `zhen translate FILE` gives; plain one-sentence units go as a sentence list, which the
    worker may batch with other clients' (the drafts are the same either way)."""
    chars += sum(len(k) + len(v) for k, v in (glossary or {}).items())  # each term is matched in every unit
    runner.admit(svc, key, chars)
    if not units:
        return Done([], None)
    payload: dict[str, Any] = {"sentences": [u.text for u in units], "qe": "fast", "origin": origin}
    if whole or any(u.marks or len(split_sentences(u.text)) > 1 for u in units):
        payload["marks"] = [u.to_json()["marks"] for u in units]
    if glossary:
        payload["glossary"] = glossary
    if alternatives:
        payload["alternatives"] = alternatives
    if title:
        payload["title"] = title[:2000]
    doc = await runner.run_sync(svc, "translate", payload, key, chars)
    return Done([as_translated(s) for s in doc["segments"]], doc["id"])


async def translate_file_job(svc: Services, key: Key | None, job: FileJob, size: int) -> tuple[bytes, str | None]:
    """A file's units through the worker (the file's title as context, as `zhen translate FILE` gives it),
    then the file rebuilt in a worker thread (serialising a large file must not hold up other requests)."""
    chars = max(size // 4, sum(len(u.text) for u in job.units))
    done = await translate_units(svc, key, job.units, chars, title=job.title, whole=True, origin="file")
    return await asyncio.to_thread(job.rebuild, done.translated), done.document


def document_header(document: str | None) -> dict[str, str]:
    """Where a compatible API's answer (whose body the API fixes) says which stored document holds it
    (`runner.stored` says it for zhen's own routes)."""
    return {"X-Zhen-Document": document} if document else {}


def short(value: object, limit: int = 40) -> str:
    """A client's value for an error message: a short prefix, never the whole input."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
