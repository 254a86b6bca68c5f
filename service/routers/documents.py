"""Stored documents: read them, export their parallel text, save a translator's edit."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from zhen.errors import NotFound
from zhen.service import exports
from zhen.service.deps import Principal, ServicesDep
from zhen.service.schemas import Document, EditRequest
from zhen.store import Store

router = APIRouter(prefix="/v1/documents", tags=["documents"])


def load_document(store: Store, doc_id: str) -> dict:
    doc = store.document(doc_id)
    if not doc:
        raise NotFound(f"no document {doc_id}")
    return doc


@router.get("/{doc_id}", response_model=Document)
async def get_document(doc_id: str, key: Principal, svc: ServicesDep) -> dict:
    return load_document(svc.store, doc_id)


@router.get("/{doc_id}/parallel", responses={200: {"content": {m: {} for m in exports.FORMATS.values()}}})
async def parallel(doc_id: str, key: Principal, svc: ServicesDep,
                   format: Literal["json", "tsv", "tmx", "xliff"] = "json") -> Response:  # noqa: A002 - query name
    """The parallel text (latest edits win) as JSON, TSV, TMX or XLIFF."""
    data = exports.export(load_document(svc.store, doc_id), format)
    ext = {"xliff": "xlf"}.get(format, format)
    return Response(data, media_type=exports.FORMATS[format],
                    headers={"Content-Disposition": f'attachment; filename="{doc_id}.{ext}"'})


@router.put("/{doc_id}/segments/{n}", response_model=Document)
async def edit_segment(doc_id: str, n: int, body: EditRequest, key: Principal, svc: ServicesDep) -> dict:
    """Save a translator's edit beside the machine draft (who and when are kept)."""
    load_document(svc.store, doc_id)
    author = body.author or (key.name if key else None)
    if not svc.store.add_edit(doc_id, n, body.text, author):
        raise NotFound(f"document {doc_id} has no segment {n}")
    return load_document(svc.store, doc_id)
