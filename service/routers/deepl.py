"""DeepL's API v2 (`/v2/translate`, `/v2/languages`, `/v2/usage`), as the `deepl` client library and the
CAT tools built on it call it: `Authorization: DeepL-Auth-Key KEY`, JSON or form bodies, errors as
`{"message": ...}` with DeepL's statuses (400, 403, 413, 429, and 456 for a used-up character quota)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from zhen.errors import InputError
from zhen.service import compat
from zhen.service.deps import ServicesDep

STATUSES = {401: 403, 403: 403, 404: 404, 413: 413, 422: 400, 429: 429}
router = APIRouter(prefix="/v2", tags=["deepl"], route_class=compat.compat_route("message", STATUSES, quota_status=456))
SOURCE_LANGUAGES = [{"language": "ZH", "name": "Chinese"}]
TARGET_LANGUAGES = [{"language": "EN-US", "name": "English (American)", "supports_formality": False},
                    {"language": "EN-GB", "name": "English (British)", "supports_formality": False}]


def _flag(value: Any) -> str:  # noqa: ANN401 - a client's raw field
    return str(value).strip().lower() if value is not None else ""


TRANSLATE_BODY = {"type": "object", "required": ["text", "target_lang"], "properties": {
    "text": {"type": "array", "items": {"type": "string"}}, "source_lang": {"type": "string", "example": "ZH"},
    "target_lang": {"type": "string", "example": "EN-US"}, "context": {"type": "string"},
    "tag_handling": {"type": "string", "enum": ["html", "xml"]}, "split_sentences": {"type": "string"}}}


@router.post("/translate", openapi_extra=compat.documented_body(TRANSLATE_BODY))
async def translate(request: Request, svc: ServicesDep) -> JSONResponse:
    f = await compat.fields(request)
    key = compat.key_from(svc, request, compat.string(f, "auth_key"), header_prefix="DeepL-Auth-Key")
    texts = compat.text_list(f.get("text", f.get("text[]")), "text") if f.get("text") or f.get("text[]") else []
    if not texts:
        raise InputError("Parameter 'text' not specified.")
    target = (compat.string(f, "target_lang") or "").upper()
    if not target:
        raise InputError("Parameter 'target_lang' not specified.")
    if target not in ("EN", "EN-US", "EN-GB"):
        raise InputError("Value for 'target_lang' not supported: this server translates into English (EN-US, EN-GB)")
    source = (compat.string(f, "source_lang") or "ZH").upper()
    if source.split("-")[0] != "ZH":
        raise InputError("Value for 'source_lang' not supported: this server translates Chinese (ZH)")
    tags = _flag(compat.string(f, "tag_handling"))
    if tags not in ("", "html", "xml"):
        raise InputError("Value for 'tag_handling' not supported: html or xml")
    # `context` is read for compatibility; the article title is the context zhen's models use.
    out = [t.text for t in await compat.translate_texts(svc, key, texts, html=bool(tags))]
    return JSONResponse({"translations": [{"detected_source_language": "ZH", "text": t, "billed_characters": len(s)}
                                          for s, t in zip(texts, out)]})


@router.api_route("/languages", methods=["GET", "POST"])
async def languages(request: Request, svc: ServicesDep) -> list[dict]:
    f = await compat.fields(request)
    compat.key_from(svc, request, compat.string(f, "auth_key"), header_prefix="DeepL-Auth-Key")
    kind = _flag(compat.string(f, "type")) or "source"
    if kind not in ("source", "target"):
        raise InputError("Value for 'type' not supported: source or target")
    return SOURCE_LANGUAGES if kind == "source" else TARGET_LANGUAGES


@router.api_route("/usage", methods=["GET", "POST"])
async def usage(request: Request, svc: ServicesDep) -> dict:
    f = await compat.fields(request)
    key = compat.key_from(svc, request, compat.string(f, "auth_key"), header_prefix="DeepL-Auth-Key")
    if key is None:
        return {"character_count": 0, "character_limit": 1_000_000_000_000}
    return {"character_count": svc.store.chars_today(key.id), "character_limit": key.chars_per_day}
