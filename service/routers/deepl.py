"""DeepL's API v2 (`/v2/translate`, `/v2/languages`, `/v2/usage`), as the `deepl` client library and the
CAT tools built on it call it: `Authorization: DeepL-Auth-Key KEY`, JSON or form bodies, errors as
`{"message": ...}` with DeepL's statuses (400, 403, 413, 429, and 456 for a used-up character quota)."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from zhen.app.files import text_units, xml_units
from zhen.errors import InputError, NotFound
from zhen.formats import read_table, tsv_cell
from zhen.service import compat
from zhen.service.auth import Key, owner
from zhen.service.deps import Services, ServicesDep

STATUSES = {401: 403, 403: 403, 404: 404, 413: 413, 422: 400, 429: 429}
router = APIRouter(prefix="/v2", tags=["deepl"], route_class=compat.compat_route("message", STATUSES, quota_status=456))
SOURCE_LANGUAGES = [{"language": "ZH", "name": "Chinese"}]
TARGET_LANGUAGES = [{"language": "EN-US", "name": "English (American)", "supports_formality": False},
                    {"language": "EN-GB", "name": "English (British)", "supports_formality": False}]


def _flag(value: Any) -> str:  # noqa: ANN401 - a client's raw field
    return str(value).strip().lower() if value is not None else ""


def _tags(f: dict[str, Any], name: str) -> frozenset[str]:
    """A tag list as DeepL takes it: a list, or one comma-separated string (`ignore_tags=x,y`)."""
    value = f.get(name)
    items = value if isinstance(value, list) else [value] if value is not None else []
    if not all(isinstance(v, str) for v in items):
        raise InputError(f"Value for '{name}' not supported: a list of tag names")
    return frozenset(t.strip() for v in items for t in v.split(",") if t.strip())


def _yes(f: dict[str, Any], name: str, default: bool) -> bool:
    value = _flag(f.get(name))
    if value in ("", "default"):
        return default
    if value in ("1", "true", "on"):
        return True
    if value in ("0", "false", "off"):
        return False
    raise InputError(f"Value for '{name}' not supported: 0 or 1")


def _reader(f: dict[str, Any]) -> compat.Reader:
    """How to take each text apart: plain lines, HTML, or XML with DeepL's tag options."""
    tags = _flag(compat.string(f, "tag_handling"))
    if tags not in ("", "html", "xml"):
        raise InputError("Value for 'tag_handling' not supported: html or xml")
    if tags == "html":
        return compat.html_reader
    if tags == "xml":
        ignore, splitting = _tags(f, "ignore_tags"), _tags(f, "splitting_tags")
        non_splitting = _tags(f, "non_splitting_tags")
        # with outline detection off, only the listed splitting tags split; zhen never guesses an outline, so
        # both read the same: every tag not listed as splitting is inline
        _yes(f, "outline_detection", True)
        return lambda text: xml_units(text, ignore, splitting, non_splitting)
    return text_units


def _glossary(svc: Services, key: Key | None, f: dict[str, Any]) -> dict[str, str] | None:
    gid = compat.string(f, "glossary_id")
    if not gid:
        return None
    entries = svc.store.glossary_entries(owner(key), gid)
    if entries is None:
        raise NotFound("Glossary not found")
    return dict(entries)


TRANSLATE_BODY = {"type": "object", "required": ["text", "target_lang"], "properties": {
    "text": {"type": "array", "items": {"type": "string"}}, "source_lang": {"type": "string", "example": "ZH"},
    "target_lang": {"type": "string", "example": "EN-US"}, "context": {"type": "string"},
    "tag_handling": {"type": "string", "enum": ["html", "xml"]}, "split_sentences": {"type": "string"},
    "ignore_tags": {"type": "array", "items": {"type": "string"}},
    "splitting_tags": {"type": "array", "items": {"type": "string"}},
    "non_splitting_tags": {"type": "array", "items": {"type": "string"}},
    "outline_detection": {"type": "boolean"}, "glossary_id": {"type": "string"},
    "formality": {"type": "string", "enum": ["default", "more", "less", "prefer_more", "prefer_less"]},
    "model_type": {"type": "string"}}}
LANGUAGE_CODE = re.compile(r"[A-Z]{2,3}(?:-[A-Z0-9]{2,8})*")
FORMALITY = {"", "default", "prefer_more", "prefer_less", "more", "less"}
MODEL_TYPES = {"", "quality_optimized", "prefer_quality_optimized", "latency_optimized"}


@router.post("/translate", openapi_extra=compat.documented_body(TRANSLATE_BODY))
async def translate(request: Request, svc: ServicesDep) -> JSONResponse:
    """DeepL's translate. `context` is the article context the model reads with every sentence;
    `glossary_id` names one of the key's glossaries, applied as terminology; `formality` is accepted as
    DeepL accepts it for a language without formality: `prefer_*` and `default` quietly, `more`/`less`
    refused for English, as DeepL refuses them. A language pair this server does not translate (Weblate
    checks a new service with "test" from EN to DE) gets its text back unchanged, marked by the
    `X-Zhen-Untranslated` header, and is not stored or charged."""
    f = await compat.fields(request)
    key = compat.key_from(svc, request, compat.string(f, "auth_key"), header_prefix="DeepL-Auth-Key")
    texts = compat.text_list(f.get("text", f.get("text[]")), "text") if f.get("text") or f.get("text[]") else []
    if not texts:
        raise InputError("Parameter 'text' not specified.")
    target = (compat.string(f, "target_lang") or "").upper()
    if not target:
        raise InputError("Parameter 'target_lang' not specified.")
    source = (compat.string(f, "source_lang") or "ZH").upper()
    formality = _flag(compat.string(f, "formality"))
    if formality not in FORMALITY:
        raise InputError(f"Value for 'formality' not supported: {compat.short(formality)}")
    if _flag(compat.string(f, "model_type")) not in MODEL_TYPES:
        raise InputError("Value for 'model_type' not supported")
    read = _reader(f)
    for name, code in (("source_lang", source), ("target_lang", target)):
        if not LANGUAGE_CODE.fullmatch(code):
            raise InputError(f"Value for '{name}' not supported.")
    if source.split("-")[0] != "ZH" or target.split("-")[0] != "EN":
        return JSONResponse({"translations": [{"detected_source_language": source.split("-")[0], "text": t,
                                               "billed_characters": 0} for t in texts]},
                            headers={"X-Zhen-Untranslated": f"{source}->{target} is not a pair this server "
                                     "translates (ZH->EN); the text is returned unchanged"})
    if formality in ("more", "less"):
        raise InputError("'formality' is not supported for the given 'target_lang'.")
    context = compat.string(f, "context")
    done = await compat.translate_texts(svc, key, texts, read, glossary=_glossary(svc, key, f),
                                        title=context.strip() if context and context.strip() else None,
                                        origin="deepl")
    return JSONResponse({"translations": [{"detected_source_language": "ZH", "text": t.text,
                                           "billed_characters": len(s)} for s, t in zip(texts, done.translated)]},
                        headers=compat.document_header(done.document))


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


# --- glossaries: DeepL's v2 glossary API over the key's own glossaries in zhen's store --------------------

GLOSSARY_PAIRS = [{"source_lang": "zh", "target_lang": "en"}]
MAX_GLOSSARY_ENTRIES = 10_000
GLOSSARY_BODY = {"type": "object", "required": ["name", "source_lang", "target_lang", "entries"], "properties": {
    "name": {"type": "string"}, "source_lang": {"type": "string", "example": "zh"},
    "target_lang": {"type": "string", "example": "en"}, "entries": {"type": "string", "example": "医院\thospital"},
    "entries_format": {"type": "string", "enum": ["tsv", "csv"]}}}


def _glossary_info(g: dict) -> dict[str, Any]:
    created = datetime.fromtimestamp(g["created"], UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"glossary_id": g["id"], "name": g["name"], "ready": True, "source_lang": g["source_lang"],
            "target_lang": g["target_lang"], "creation_time": created, "entry_count": g["entry_count"]}


async def _caller(request: Request, svc: Services) -> str:
    """Whose glossaries a request works on (the key checked as for every DeepL route)."""
    f = await compat.fields(request)
    return owner(compat.key_from(svc, request, compat.string(f, "auth_key"), header_prefix="DeepL-Auth-Key"))


@router.get("/glossary-language-pairs")
async def glossary_language_pairs(request: Request, svc: ServicesDep) -> dict:
    await _caller(request, svc)
    return {"supported_languages": GLOSSARY_PAIRS}


@router.post("/glossaries", status_code=201, openapi_extra=compat.documented_body(GLOSSARY_BODY))
async def create_glossary(request: Request, svc: ServicesDep) -> JSONResponse:
    """A glossary of the key's, from TSV or CSV entries (source, target), as DeepL creates one."""
    f = await compat.fields(request)
    key = compat.key_from(svc, request, compat.string(f, "auth_key"), header_prefix="DeepL-Auth-Key")
    name = (compat.string(f, "name") or "").strip()
    if not name:
        raise InputError("Parameter 'name' not specified.")
    pair = (_flag(compat.string(f, "source_lang")).split("-")[0], _flag(compat.string(f, "target_lang")).split("-")[0])
    if not all(pair):
        raise InputError("Parameters 'source_lang' and 'target_lang' must be specified.")
    if {"source_lang": pair[0], "target_lang": pair[1]} not in GLOSSARY_PAIRS:
        raise InputError("Unsupported glossary source and target language pair: this server translates zh to en")
    fmt = _flag(compat.string(f, "entries_format")) or "tsv"
    if fmt not in ("tsv", "csv"):
        raise InputError("Value for 'entries_format' not supported: tsv or csv")
    entries = compat.text_list(compat.string(f, "entries") or "", "entries")[0]
    try:
        pairs = read_table(f"entries.{fmt}", entries.encode("utf-8"), header=False)
    except csv.Error as err:
        raise InputError(f"Invalid glossary entries provided: {err}") from None
    if not pairs:
        raise InputError("Invalid glossary entries provided: no entry has both a source and a target")
    if len(pairs) > MAX_GLOSSARY_ENTRIES:
        raise InputError(f"Invalid glossary entries provided: at most {MAX_GLOSSARY_ENTRIES:,} entries")
    made = svc.store.create_glossary(owner(key), name[:1024], pair[0], pair[1], [(p.source, p.target) for p in pairs])
    return JSONResponse(_glossary_info(made), 201)


@router.get("/glossaries")
async def list_glossaries(request: Request, svc: ServicesDep) -> dict:
    return {"glossaries": [_glossary_info(g) for g in svc.store.named_glossaries(await _caller(request, svc))]}


@router.get("/glossaries/{glossary_id}")
async def get_glossary(glossary_id: str, request: Request, svc: ServicesDep) -> dict:
    g = svc.store.named_glossary(await _caller(request, svc), glossary_id)
    if g is None:
        raise NotFound("Glossary not found")
    return _glossary_info(g)


@router.get("/glossaries/{glossary_id}/entries", response_class=Response,
            responses={200: {"content": {"text/tab-separated-values": {}}}})
async def glossary_entries(glossary_id: str, request: Request, svc: ServicesDep) -> Response:
    entries = svc.store.glossary_entries(await _caller(request, svc), glossary_id)
    if entries is None:
        raise NotFound("Glossary not found")
    body = "".join(f"{tsv_cell(s)}\t{tsv_cell(t)}\n" for s, t in entries)
    return Response(body, media_type="text/tab-separated-values; charset=utf-8")


@router.delete("/glossaries/{glossary_id}", status_code=204, response_class=Response)
async def delete_glossary(glossary_id: str, request: Request, svc: ServicesDep) -> Response:
    if not svc.store.delete_glossary(await _caller(request, svc), glossary_id):
        raise NotFound("Glossary not found")
    return Response(status_code=204)
