"""LibreTranslate's API, as its own server answers it, so CAT tools and plugins that speak it connect.

Fields come from JSON, a form or the query string; errors are `{"error": message}` with LibreTranslate's
statuses (400 bad input, 403 key, 429 limits). Keys, limits and the store are zhen's own: the key goes in
`api_key` (or zhen's headers).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from zhen.app.files import OPENERS, open_file, text_units
from zhen.errors import InputError, NotFound
from zhen.service import compat
from zhen.service.deps import ServicesDep
from zhen.service.uploads import file_field, safe_name
from zhen.text.cleanup import has_cjk, is_cjk

STATUSES = {401: 403, 403: 403, 404: 404, 413: 400, 422: 400, 429: 429}
router = APIRouter(tags=["libretranslate"], route_class=compat.compat_route("error", STATUSES))
MAX_ALTERNATIVES = 15  # candidates come from one batch of the engine's 16 sequences
SOURCES = {"zh", "zh-hans", "zh-hant", "zh-cn", "zh-tw", "zh-hk", "zt", "auto"}
LANGUAGES = [
    {"code": "zh", "name": "Chinese", "targets": ["en"]},
    {"code": "zh-Hans", "name": "Chinese (Simplified)", "targets": ["en"]},
    {"code": "zh-Hant", "name": "Chinese (Traditional)", "targets": ["en"]},
    {"code": "en", "name": "English", "targets": []},
]


def detect(text: str) -> dict[str, Any]:
    """zh when the text holds Chinese (confidence: its share of the letters), else en."""
    letters = [ch for ch in text if ch.isalpha()]
    share = sum(is_cjk(ch) for ch in letters) / max(1, len(letters))
    if has_cjk(text):
        return {"confidence": round(min(100.0, 50.0 + 50.0 * share), 1), "language": "zh"}
    return {"confidence": 90.0 if letters else 0.0, "language": "en"}


def _unserved(source: str | None, target: str | None) -> bool:
    """Both languages named and valid, but not a pair zhen translates: its text is given back unchanged
    (and marked), so a CAT tool's check of a new service passes; a missing or unknown code stays a 400."""
    if not source or not target or source.lower() in SOURCES:
        return False
    return bool(re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", source.lower())) and \
        bool(re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", target.lower()))


def _languages(source: str | None, target: str | None) -> None:
    if not source:
        raise InputError("Invalid request: missing source parameter")
    if not target:
        raise InputError("Invalid request: missing target parameter")
    if source.lower() not in SOURCES:
        raise InputError(f"{compat.short(source)} is not supported: this server translates Chinese (zh, zh-Hans, "
                         "zh-Hant, auto)")
    if target.lower().split("-")[0] != "en":
        raise InputError(f"{compat.short(target)} is not supported: this server translates into English (en)")


TEXTS = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
TRANSLATE_BODY = {"type": "object", "required": ["q", "source", "target"], "properties": {
    "q": TEXTS, "source": {"type": "string", "example": "zh"}, "target": {"type": "string", "example": "en"},
    "format": {"type": "string", "enum": ["text", "html"]}, "alternatives": {"type": "integer"},
    "api_key": {"type": "string"}}}


@router.post("/translate", openapi_extra=compat.documented_body(TRANSLATE_BODY))
async def translate(request: Request, svc: ServicesDep) -> JSONResponse:
    f = await compat.fields(request)
    key = compat.key_from(svc, request, compat.string(f, "api_key"))
    if not f.get("q"):
        raise InputError("Invalid request: missing q parameter")
    source, target = compat.string(f, "source"), compat.string(f, "target")
    fmt = compat.string(f, "format") or "text"
    if fmt not in ("text", "html"):
        raise InputError(f"{compat.short(fmt)} format is not supported")
    batch = isinstance(f["q"], list)
    texts = compat.text_list(f["q"], "q")
    if _unserved(source, target):  # Weblate checks a new service with "test" from en to de
        return JSONResponse({"translatedText": texts if batch else texts[0]},
                            headers={"X-Zhen-Untranslated": f"{source}->{target} is not a pair this server "
                                     "translates (zh->en); the text is returned unchanged"})
    _languages(source, target)
    wanted = _alternatives(compat.string(f, "alternatives"))
    done = await compat.translate_texts(svc, key, texts, compat.html_reader if fmt == "html" else text_units,
                                        alternatives=wanted, origin="libretranslate")
    translated = done.translated
    out = [t.text for t in translated]
    body: dict[str, Any] = {"translatedText": out if batch else out[0]}
    if str(source).lower() == "auto":
        detected = [detect(t) for t in texts]
        body["detectedLanguage"] = detected if batch else detected[0]
    if wanted:  # other candidates of best quality; none for HTML or text of several lines, as in LibreTranslate
        alts = [t.alternatives for t in translated]
        body["alternatives"] = alts if batch else alts[0]
    return JSONResponse(body, headers=compat.document_header(done.document))


def _alternatives(value: str | None) -> int:
    """LibreTranslate's `alternatives`: how many other translations to return (0 to MAX_ALTERNATIVES)."""
    if value in (None, "", "False", "false"):
        return 0
    try:
        n = int(str(value))
    except ValueError:
        raise InputError(f"Invalid request: alternatives must be a number, not {str(value)[:40]!r}") from None
    if not 0 <= n <= MAX_ALTERNATIVES:
        raise InputError(f"Invalid request: alternatives must be between 0 and {MAX_ALTERNATIVES}")
    return n


@router.get("/languages")
async def languages() -> list[dict]:
    return LANGUAGES


@router.post("/detect", openapi_extra=compat.documented_body(
    {"type": "object", "required": ["q"], "properties": {"q": TEXTS, "api_key": {"type": "string"}}}))
async def detect_language(request: Request, svc: ServicesDep) -> list[dict]:
    f = await compat.fields(request)
    compat.key_from(svc, request, compat.string(f, "api_key"))
    if not f.get("q"):
        raise InputError("Invalid request: missing q parameter")
    return [detect(" ".join(compat.text_list(f["q"], "q")))]


@router.get("/frontend/settings")
async def frontend_settings(svc: ServicesDep) -> dict:
    return {"charLimit": svc.settings.max_request_chars, "frontendTimeout": 500, "apiKeys": svc.settings.auth,
            "keyRequired": svc.settings.auth, "suggestions": False, "filesTranslation": True,
            "supportedFilesFormat": sorted(OPENERS),
            "language": {"source": {"code": "zh", "name": "Chinese"}, "target": {"code": "en", "name": "English"}}}


@router.get("/health")
async def health(svc: ServicesDep) -> JSONResponse:
    ready = svc.worker.ready.is_set() and svc.worker.engine is not None
    return JSONResponse({"status": "ok" if ready else "loading"}, 200 if ready else 503)


FILE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "source", "target"], "properties": {
        "file": {"type": "string", "format": "binary"}, "source": {"type": "string", "example": "zh"},
        "target": {"type": "string", "example": "en"}, "api_key": {"type": "string"}}}}}}}


@router.post("/translate_file", openapi_extra=FILE_BODY)
async def translate_file(request: Request, svc: ServicesDep) -> JSONResponse:
    """A .txt, .html, .docx or XLIFF (1.2, 2.x) file translated into the same kind of file, kept for download by
    its owner. The file is parsed in a worker thread within the readers' bounds (zip sizes, nesting), so a
    hostile file delays only its own request; characters are charged once it has been read."""
    form = await request.form()
    key = compat.key_from(svc, request, str(form.get("api_key") or "") or None)
    upload = file_field(form, "Invalid request: missing file parameter")
    _languages(str(form.get("source") or ""), str(form.get("target") or ""))
    name = safe_name(str(upload.filename))
    data = await upload.read()
    if not data:
        raise InputError("Invalid request: empty file")
    job = await asyncio.to_thread(open_file, name, data)
    out, document = await compat.translate_file_job(svc, key, job, len(data))
    file_id = svc.store.save_file(name, job.media_type, out, document, key.id if key else None)
    url = str(request.base_url).rstrip("/") + f"/download_file/{file_id}.{quote(name, safe='')}"
    return JSONResponse({"translatedFileUrl": url}, headers=compat.document_header(document))


@router.get("/download_file/{filename:path}")
async def download_file(filename: str, request: Request, svc: ServicesDep) -> Response:
    """A translated file, for the key that uploaded it (or an admin key; anyone on a server without keys).
    Another key's file is "not found", as a missing one is. The file is found by its id; the name after
    it is for people and is served from the store, however a client encoded it."""
    key = compat.key_from(svc, request, request.query_params.get("api_key"))
    file_id = filename.partition(".")[0]
    row = svc.store.file(file_id) if len(file_id) == 32 else None
    if row is None or (key is not None and not key.may_see(row["key_id"])):
        raise NotFound("Invalid filename")
    return Response(row["data"], media_type=row["media_type"],
                    headers={"Content-Disposition": compat.attachment(row["name"])})
