"""Stored documents: read them, export their parallel text, save a translator's edit."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from zhen.app.memory import save_edit, set_status
from zhen.errors import NotFound
from zhen.service import exports
from zhen.service.auth import Key
from zhen.service.deps import Principal, ServicesDep
from zhen.service.schemas import Document, DocumentList, EditedSegment, EditRequest, StatusRequest
from zhen.store import Store

router = APIRouter(prefix="/v1/documents", tags=["documents"])
ORIGINS = "only those stored by this route: api, job, stream, deepl, libretranslate, file"
SegmentNumber = Annotated[int, Path(ge=0, le=2**31 - 1, description="the segment's number in its document")]


def load_document(store: Store, doc_id: str, key: Key | None) -> dict:
    """The document, if the caller may see it: its owner, an admin key, or anyone on a server without keys.
    Another key's document is "not found" (its existence is not revealed)."""
    doc = store.document(doc_id)
    if not doc or (key is not None and not key.may_see(doc["key_id"])):
        raise NotFound(f"no document {doc_id}")
    return doc


@router.get("", response_model=DocumentList)
async def list_documents(key: Principal, svc: ServicesDep,
                         origin: Annotated[str | None, Query(max_length=40, description=ORIGINS)] = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 50,
                         offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> dict:
    """The key's own documents, newest first, a page at a time (all of them on a server without keys), so
    what a CAT tool asked for can be found again and reviewed."""
    docs, total = svc.store.documents(key.id if key else None, everyone=key is None, origin=origin, limit=limit,
                                      offset=offset)
    return {"documents": docs, "total": total, "limit": limit, "offset": offset}


@router.get("/{doc_id}", response_model=Document)
async def get_document(doc_id: str, key: Principal, svc: ServicesDep) -> dict:
    return load_document(svc.store, doc_id, key)


@router.get("/{doc_id}/parallel", responses={200: {"content": {m: {} for m in exports.FORMATS.values()}}})
async def parallel(doc_id: str, key: Principal, svc: ServicesDep,
                   format: Literal["json", "tsv", "tmx", "xliff"] = "json",  # noqa: A002 - query name
                   status: Literal["all", "reviewed"] = "all") -> Response:
    """The parallel text (latest edits win) as JSON, TSV, TMX or XLIFF; `status=reviewed`: only the segments
    a translator saved, for a CAT tool's memory that it inserts without asking (OmegaT's `tm/auto`)."""
    data = exports.export(load_document(svc.store, doc_id, key), format, status)
    ext = {"xliff": "xlf"}.get(format, format)
    return Response(data, media_type=exports.FORMATS[format],
                    headers={"Content-Disposition": f'attachment; filename="{doc_id}.{ext}"'})


@router.put("/{doc_id}/segments/{n}", response_model=EditedSegment)
async def edit_segment(doc_id: str, n: SegmentNumber, body: EditRequest, key: Principal, svc: ServicesDep) -> dict:
    """Save a translator's edit beside the machine draft (who and when are kept), as `edited` or, confirmed,
    `reviewed`. It becomes the document owner's translation of this sentence in their memory (the next
    draft of the same sentence is this edit), with `repetitions` it is copied to the document's other
    segments with the same source, and a name or term it renders differently joins the owner's glossary
    (`learned`). Answers the saved segment, not the document."""
    doc = load_document(svc.store, doc_id, key)
    author = body.author or (key.name if key else None)
    result = save_edit(svc.store, doc, n, body.text, author, repetitions=body.repetitions, learn_terms=body.learn,
                       status=body.status)
    return {"segment": _segment(svc.store, doc_id, n, key), "edited": result.edited, "learned": result.learned}


@router.patch("/{doc_id}/segments/{n}", response_model=EditedSegment)
async def review_segment(doc_id: str, n: SegmentNumber, body: StatusRequest, key: Principal, svc: ServicesDep) -> dict:
    """Set a segment's status without a new text: `reviewed` confirms it as it is (the draft, or the last
    edit), `rejected` marks it for another look, `draft`/`edited` take a status back."""
    set_status(svc.store, load_document(svc.store, doc_id, key), n, body.status)
    return {"segment": _segment(svc.store, doc_id, n, key), "edited": [n]}


def _segment(store: Store, doc_id: str, n: int, key: Key | None) -> dict:
    return next(s for s in load_document(store, doc_id, key)["segments"] if s["n"] == n)
