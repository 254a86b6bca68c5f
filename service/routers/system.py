"""The server itself: models, readiness, metrics and the review page."""

from __future__ import annotations

import base64
import hashlib
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from zhen.models.presets import PRESETS
from zhen.service.deps import Principal, ServicesDep

router = APIRouter(tags=["system"])
REVIEW_PAGE = resources.files("zhen.service").joinpath("static/review.html").read_text(encoding="utf-8")
_SCRIPT = REVIEW_PAGE.split("<script>", 1)[1].split("</script>", 1)[0]
# The page's one inline script is allowed by its hash; nothing else runs, and no other site may frame it.
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
REVIEW_CSP = (f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; "
              "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; "
              "base-uri 'none'; form-action 'none'").encode()


@router.get("/v1/models")
async def models(key: Principal, svc: ServicesDep) -> dict:
    engine = svc.worker.engine
    where = svc.settings.models_dir()
    return {"loaded": engine.model() if engine else None,
            "presets": [{"name": p.name, "role": p.role, "backend": p.backend, "installed": p.installed(where)}
                        for p in PRESETS.values()]}


@router.get("/healthz")
async def healthz(svc: ServicesDep) -> JSONResponse:
    worker = svc.worker
    ready = worker.ready.is_set() and worker.engine is not None
    body = {"status": "ok" if ready else ("loading" if not worker.ready.is_set() else "error"),
            "model": worker.engine.model() if worker.engine else None, "waiting": worker.waiting(),
            "done": worker.done_count, "grouped": worker.grouped_count, "error": worker.load_error,
            "upstreams": worker.engine.upstreams() if worker.engine else []}
    return JSONResponse(body, 200 if ready else 503)


@router.get("/metrics")
async def prometheus(svc: ServicesDep) -> Response:
    svc.metrics.waiting.set(svc.worker.waiting())
    for u in svc.worker.engine.upstreams() if svc.worker.engine else []:
        svc.metrics.upstream_up.labels(u["url"]).set(int(u["up"]))
        svc.metrics.upstream_requests.labels(u["url"]).set(u["requests"])
        svc.metrics.upstream_failures.labels(u["url"]).set(u["failures"])
        svc.metrics.upstream_in_flight.labels(u["url"]).set(u["in_flight"])
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/review/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/review/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
async def review(doc_id: str = "") -> HTMLResponse:
    """The review page; at `/review/` itself it lists the key's documents."""
    return HTMLResponse(REVIEW_PAGE)
