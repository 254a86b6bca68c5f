"""Stored documents: read them, export their parallel text, save a translator's edit."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response

from zhen.app.memory import save_edit
from zhen.errors import NotFound
from zhen.service import exports
from zhen.service.auth import Key
from zhen.service.deps import Principal, ServicesDep
from zhen.service.schemas import Document, EditedDocument, EditRequest
from zhen.store import Store

router = APIRouter(prefix="/v1/documents", tags=["documents"])
SegmentNumber = Annotated[int, Path(ge=0, le=2**31 - 1, description="the segment's number in its document")]


def load_document(store: Store, doc_id: str, key: Key | None) -> dict:
    """The document, if the caller may see it: its owner, an admin key, or anyone on a server without keys.
    Another key's document is "not found" (its existence is not revealed)."""
    doc = store.document(doc_id)
    if not doc or (key is not None and not key.may_see(doc["key_id"])):
        raise NotFound(f"no document {doc_id}")
    return doc


@router.get("/{doc_id}", response_model=Document)
async def get_document(doc_id: str, key: Principal, svc: ServicesDep) -> dict:
    return load_document(svc.store, doc_id, key)


@router.get("/{doc_id}/parallel", responses={200: {"content": {m: {} for m in exports.FORMATS.values()}}})
async def parallel(doc_id: str, key: Principal, svc: ServicesDep,
                   format: Literal["json", "tsv", "tmx", "xliff"] = "json") -> Response:  # noqa: A002 - query name
    """The parallel text (latest edits win) as JSON, TSV, TMX or XLIFF."""
    data = exports.export(load_document(svc.store, doc_id, key), format)
    ext = {"xliff": "xlf"}.get(format, format)
    return Response(data, media_type=exports.FORMATS[format],
                    headers={"Content-Disposition": f'attachment; filename="{doc_id}.{ext}"'})


@router.put("/{doc_id}/segments/{n}", response_model=EditedDocument)
async def edit_segment(doc_id: str, n: SegmentNumber, body: EditRequest, key: Principal, svc: ServicesDep) -> dict:
    """Save a translator's edit beside the machine draft (who and when are kept). It becomes the
    document owner's translation of this sentence in their memory (the next draft of the same sentence
    is this edit), with `repetitions` it is copied to the document's other segments with the same
    source, and a name or term it renders differently joins the owner's glossary (`learned`)."""
    doc = load_document(svc.store, doc_id, key)
    author = body.author or (key.name if key else None)
    result = save_edit(svc.store, doc, n, body.text, author, repetitions=body.repetitions, learn_terms=body.learn)
    return {**load_document(svc.store, doc_id, key), "edited": result.edited, "learned": result.learned}
