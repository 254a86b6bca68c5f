"""The key's translation memory and glossary: import, list, export, share; terms listed and edited.

A key works on its own memory and glossary only (the owner is the key, '' on a server without keys);
an admin key may share one of its memories with other keys.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from zhen.app.memory import export_memory, import_file, memory_matches
from zhen.errors import Forbidden, InputError, NotFound
from zhen.service.auth import owner
from zhen.service.deps import Principal, ServicesDep
from zhen.service.schemas import ConcordanceUnit, GlossaryEntry, GlossaryTerm, ImportResult, Match, MemoryInfo, Share
from zhen.service.uploads import file_field, safe_name
from zhen.text.safety import check_text

router = APIRouter(tags=["memory"])


def _text(value: str) -> str:
    """A client's text as valid Unicode (a 400 saying what is wrong otherwise)."""
    try:
        return check_text(value)
    except ValueError as err:
        raise InputError(str(err)) from None
SourceTerm = Annotated[str, Path(min_length=1, max_length=200, description="the term's Chinese")]
IMPORT_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "TMX 1.4, XLIFF 1.2, TSV or CSV"},
        "name": {"type": "string", "description": "the memory's name (default: the file's name)"}}}}}}}


@router.get("/v1/tm", response_model=list[MemoryInfo],
            responses={200: {"content": {"application/x-tmx+xml": {}, "text/tab-separated-values": {}}}})
async def memories(key: Principal, svc: ServicesDep, format: Literal["json", "tmx", "tsv"] = "json",  # noqa: A002
                   memory: str | None = None) -> Response | list[dict]:
    """The memories this key uses (its own and those shared with it), or their units as TMX or TSV."""
    if format == "json":
        return svc.store.tm_memories(owner(key))
    data = await asyncio.to_thread(export_memory, svc.store, owner(key), memory, format)
    media = "application/x-tmx+xml" if format == "tmx" else "text/tab-separated-values; charset=utf-8"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="memory.{format}"'})


@router.post("/v1/tm/imports", response_model=ImportResult, status_code=201, openapi_extra=IMPORT_BODY)
async def import_memory(request: Request, key: Principal, svc: ServicesDep) -> dict:
    """A TMX, XLIFF (approved or translated units), TSV or CSV file added to one of this key's memories."""
    form = await request.form()
    upload = file_field(form, "missing file: send it as the multipart field 'file'")
    name = safe_name(str(upload.filename))
    data = await upload.read()
    memory = str(form.get("name") or "") or None
    result = await asyncio.to_thread(import_file, svc.store, owner(key), name, data, memory,
                                     key.name if key else None)
    return result.to_dict()


@router.delete("/v1/tm/{memory}")
async def delete_memory(memory: str, key: Principal, svc: ServicesDep) -> dict:
    n = svc.store.tm_delete(owner(key), memory)
    if not n:
        raise NotFound(f"no memory {memory!r} of this key")
    return {"memory": memory, "deleted": n}


@router.post("/v1/tm/shares")
async def share_memory(body: Share, key: Principal, svc: ServicesDep) -> dict:
    """An admin key lets another key use one of its memories (or stops it)."""
    if key is not None and not key.admin:
        raise Forbidden("only an admin key shares memories")
    if not any(m["name"] == body.memory and m["owner"] == owner(key) for m in svc.store.tm_memories(owner(key))):
        raise NotFound(f"no memory {body.memory!r} of this key")
    if svc.store.key_row(body.key_id) is None:
        raise NotFound(f"no key {body.key_id}")
    svc.store.tm_share(owner(key), body.memory, body.key_id, body.share)
    return {"memory": body.memory, "key_id": body.key_id, "shared": body.share}


@router.get("/v1/tm/concordance", response_model=list[ConcordanceUnit])
async def concordance(key: Principal, svc: ServicesDep,
                      q: Annotated[str, Query(min_length=1, max_length=200, description="words in a source or target")],
                      limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict]:
    """The key's memory (and what is shared with it) searched for `q` in sources and targets, newest first:
    how a term was translated before."""
    return svc.store.tm_concordance(owner(key), _text(q).strip() or q, limit)


@router.get("/v1/tm/matches", response_model=list[Match])
async def matches(key: Principal, svc: ServicesDep,
                  source: Annotated[str, Query(min_length=1, max_length=2000, description="the sentence")],
                  limit: Annotated[int, Query(ge=1, le=20)] = 5) -> list[dict]:
    """The key's best memory matches for one sentence, best first, with their percentages (an exact match
    comes alone): the review page's match pane."""
    return memory_matches(svc.store, owner(key), _text(source), limit)


@router.get("/v1/glossary", response_model=list[GlossaryEntry])
async def glossary(key: Principal, svc: ServicesDep) -> list[dict]:
    """This key's terms (set here, or learned from its edits), each with where it came from."""
    return svc.store.glossary(owner(key))


@router.put("/v1/glossary/{source}", response_model=GlossaryEntry)
async def put_term(source: SourceTerm, body: GlossaryTerm, key: Principal, svc: ServicesDep) -> dict:
    """Add or change a term: every later draft of this key writes `source` as `target`."""
    if not _text(source).strip():
        raise InputError("a term needs its Chinese")
    svc.store.put_term(owner(key), source.strip(), body.target.strip(), kind=body.kind, origin="api",
                       author=key.name if key else None)
    return next(t for t in svc.store.glossary(owner(key)) if t["source"] == source.strip())


@router.delete("/v1/glossary/{source}")
async def delete_term(source: SourceTerm, key: Principal, svc: ServicesDep) -> dict:
    if not svc.store.delete_term(owner(key), source):
        raise NotFound(f"no term {source!r} in this key's glossary")
    return {"deleted": source}
