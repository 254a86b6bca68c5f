"""The HTTP API: FastAPI over the worker (one model per process), the store and the review page.

The app is thin: it validates, authenticates and rate-limits, hands work to the worker queue, and
reads documents back from the store. All translation, alignment and polishing logic lives in
`mt`/`align` behind `service.engine`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from service import exports
from service.auth import AuthError, Key, Limiter
from service.engine import Engine
from service.schemas import (AlignRequest, Document, EditRequest, Job, JobRequest, PolishRequest, TranslateRequest)
from service.store import Store
from service.worker import Busy, Worker
from zhen.errors import EXPECTED

log = logging.getLogger("zhen.service")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass
class Settings:
    db: Path
    auth: bool = True
    model: str | None = None  # a preset name (default model when None)
    backend: str | None = None  # or a registered backend name (plugins), created without options
    max_request_chars: int = 100_000  # above: 413
    sync_chars: int = 4_000  # above: answered with 202 and a job, unless streamed
    max_waiting: int = 32  # interactive requests queued for the model; above: 503
    sync_timeout: float = 900.0


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def principal(request: Request, authorization: Annotated[str | None, Header()] = None,
              x_api_key: Annotated[str | None, Header()] = None) -> Key | None:
    """The caller's key (`X-API-Key`, or `Authorization: Bearer`), or None when the server runs --no-auth."""
    if not request.app.state.settings.auth:
        return None
    token = x_api_key or (authorization[7:].strip() if authorization and authorization.lower().startswith(
        "bearer ") else authorization)
    limiter = request.app.state.limiter
    key = limiter.authenticate(token)
    limiter.count_request(key)
    return key


Principal = Annotated[Key | None, Depends(principal)]


def _engine_factory(settings: Settings):  # noqa: ANN202
    def make() -> Engine:
        from mt import registry
        from mt.memory import TranslationMemory

        translator = registry.create(settings.backend) if settings.backend else registry.load(settings.model)
        return Engine(translator, TranslationMemory(settings.db))

    return make


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("zhen_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("zhen_request_seconds", "HTTP request latency", ["route"], registry=self.registry)
        self.waiting = Gauge("zhen_queue_waiting", "tasks waiting for the model", registry=self.registry)
        self.segments = Counter("zhen_segments_total", "segments produced", ["kind"], registry=self.registry)


def create_app(settings: Settings) -> FastAPI:
    store = Store(settings.db)
    worker = Worker(_engine_factory(settings), store, settings.max_waiting)
    limiter = Limiter(store)
    metrics = _Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker.start()
        yield
        await asyncio.to_thread(worker.stop)  # graceful: the task in hand finishes, queued jobs stay stored
        store.close()

    app = FastAPI(title="zhen", version="0.1.0", lifespan=lifespan,
                  description="Chinese→English drafts, alignment, QE and polishing for hospital news.")
    app.state.store, app.state.worker, app.state.settings, app.state.limiter = store, worker, settings, limiter

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, err: ApiError) -> JSONResponse:
        return JSONResponse({"detail": err.message}, err.status, headers=err.headers)

    @app.exception_handler(AuthError)
    async def _auth_error(_: Request, err: AuthError) -> JSONResponse:
        headers = {"Retry-After": str(err.retry_after)} if err.retry_after else {}
        if err.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"detail": err.message}, err.status, headers=headers)

    @app.middleware("http")
    async def _observe(request: Request, call_next):  # noqa: ANN001, ANN202
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_request_chars * 4 + 65536:
            return JSONResponse({"detail": f"request body too large ({length} bytes)"}, 413)
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(path).observe(time.perf_counter() - start)
        return response

    def admit(key: Key | None, chars: int) -> None:
        if chars > settings.max_request_chars:
            raise ApiError(413, f"request has {chars} characters; the limit is {settings.max_request_chars}")
        if key is not None:
            limiter.charge_chars(key, chars)

    def check_model(model: str | None) -> None:
        engine = worker.engine
        if model and engine and not (model == settings.model or engine.model().startswith(model)):
            raise ApiError(422, f"this server runs {engine.model()}; start another server for model {model!r}")

    async def run_sync(kind: str, payload: dict) -> dict:
        try:
            fut = worker.submit(kind, payload)
        except Busy as err:
            raise ApiError(503, f"busy: {err}; retry later", {"Retry-After": "5"}) from None
        try:
            doc_id = await asyncio.wait_for(asyncio.wrap_future(fut), settings.sync_timeout)
        except EXPECTED as err:
            raise ApiError(422, str(err)) from None
        except TimeoutError:
            raise ApiError(504, "the model did not answer in time; submit large work as a job") from None
        except RuntimeError as err:
            if worker.engine is None:  # the model failed to load: not the caller's fault, nor a crash
                raise ApiError(503, str(err), {"Retry-After": "60"}) from None
            raise
        doc = store.document(doc_id)
        metrics.segments.labels(kind).inc(len(doc["segments"]))
        return doc

    def as_job(kind: str, payload: dict, key: Key | None) -> JSONResponse:
        job_id = store.create_job(kind, payload, key.id if key else None)
        worker.enqueue_job(job_id)
        return JSONResponse(store.job(job_id), 202, headers={"Location": f"/v1/jobs/{job_id}"})

    def stream(kind: str, payload: dict) -> StreamingResponse:
        loop = asyncio.get_running_loop()
        items: asyncio.Queue[dict] = asyncio.Queue()
        try:
            fut = worker.submit(kind, payload, lambda item: loop.call_soon_threadsafe(items.put_nowait, item))
        except Busy as err:
            raise ApiError(503, f"busy: {err}; retry later", {"Retry-After": "5"}) from None
        done = asyncio.wrap_future(fut)

        async def lines() -> AsyncIterator[bytes]:
            while True:
                getter = asyncio.ensure_future(items.get())
                finished, _ = await asyncio.wait({getter, done}, return_when=asyncio.FIRST_COMPLETED)
                if getter in finished:
                    yield (json.dumps(getter.result(), ensure_ascii=False) + "\n").encode()
                    continue
                getter.cancel()
                while not items.empty():
                    yield (json.dumps(items.get_nowait(), ensure_ascii=False) + "\n").encode()
                try:
                    end = {"document": done.result()}
                except Exception as err:  # noqa: BLE001 - reported in-band: the status line has been sent
                    end = {"error": str(err)}
                yield (json.dumps(end) + "\n").encode()
                return

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.post("/v1/translate", response_model=Document, responses={202: {"model": Job}, 413: {}, 429: {}, 503: {}})
    async def translate(body: TranslateRequest, key: Principal, stream_: Annotated[bool, Query(alias="stream")] = False,
                        async_: Annotated[bool, Query(alias="async")] = False):  # noqa: ANN201
        """Draft translation of an article or of sentences, with a QE score and reasons per sentence."""
        admit(key, body.chars())
        check_model(body.model)
        payload = body.model_dump(exclude={"model"})
        if stream_:
            return stream("translate", payload)
        if async_ or body.chars() > settings.sync_chars:
            return as_job("translate", payload, key)
        return await run_sync("translate", payload)

    @app.post("/v1/align", response_model=Document, responses={202: {"model": Job}})
    async def align(body: AlignRequest, key: Principal,
                    async_: Annotated[bool, Query(alias="async")] = False):  # noqa: ANN201
        """Sentence alignment of a Chinese and an English text: beads with a 0-1 confidence."""
        admit(key, body.chars())
        if async_ or body.chars() > settings.sync_chars * 10:
            return as_job("align", body.model_dump(), key)
        return await run_sync("align", body.model_dump())

    @app.post("/v1/polish", response_model=Document, responses={202: {"model": Job}})
    async def polish(body: PolishRequest, key: Principal,
                     async_: Annotated[bool, Query(alias="async")] = False):  # noqa: ANN201
        """Polish poor English (with its Chinese source if given): the text and what was done per sentence."""
        admit(key, body.chars())
        if async_ or body.chars() > settings.sync_chars:
            return as_job("polish", body.model_dump(), key)
        return await run_sync("polish", body.model_dump())

    @app.post("/v1/jobs", response_model=Job, status_code=202)
    async def create_job(body: JobRequest, key: Principal) -> JSONResponse:
        """Queue any of the three operations as a job that survives restarts."""
        model = {"translate": TranslateRequest, "align": AlignRequest, "polish": PolishRequest}[body.kind]
        try:
            req = model.model_validate(body.input)
        except ValueError as err:
            raise ApiError(422, f"invalid input for {body.kind}: {err}") from None
        admit(key, req.chars())
        return as_job(body.kind, req.model_dump(exclude={"model"} if body.kind == "translate" else set()), key)

    @app.get("/v1/jobs/{job_id}", response_model=Job)
    async def get_job(job_id: str, key: Principal) -> dict:
        job = store.job(job_id)
        if not job:
            raise ApiError(404, f"no job {job_id}")
        return job

    def load_doc(doc_id: str) -> dict:
        doc = store.document(doc_id)
        if not doc:
            raise ApiError(404, f"no document {doc_id}")
        return doc

    @app.get("/v1/documents/{doc_id}", response_model=Document)
    async def get_document(doc_id: str, key: Principal) -> dict:
        return load_doc(doc_id)

    @app.get("/v1/documents/{doc_id}/parallel", responses={200: {"content": {m: {} for m in exports.FORMATS.values()}}})
    async def parallel(doc_id: str, key: Principal,
                       format: Literal["json", "tsv", "tmx", "xliff"] = "json") -> Response:  # noqa: A002
        """The parallel text (latest edits win) as JSON, TSV, TMX or XLIFF."""
        data = exports.export(load_doc(doc_id), format)
        ext = {"xliff": "xlf"}.get(format, format)
        return Response(data, media_type=exports.FORMATS[format],
                        headers={"Content-Disposition": f'attachment; filename="{doc_id}.{ext}"'})

    @app.put("/v1/documents/{doc_id}/segments/{n}", response_model=Document)
    async def edit_segment(doc_id: str, n: int, body: EditRequest, key: Principal) -> dict:
        """Save a translator's edit beside the machine draft (who and when are kept)."""
        load_doc(doc_id)
        author = body.author or (key.name if key else None)
        if not store.add_edit(doc_id, n, body.text, author):
            raise ApiError(404, f"document {doc_id} has no segment {n}")
        return load_doc(doc_id)

    @app.get("/v1/models")
    async def models(key: Principal) -> dict:
        from zhen.models.presets import PRESETS

        engine = worker.engine
        return {"loaded": engine.model() if engine else None,
                "presets": [{"name": p.name, "role": p.role, "backend": p.backend, "installed": p.installed()}
                            for p in PRESETS.values()]}

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        ready = worker.ready.is_set() and worker.engine is not None
        body = {"status": "ok" if ready else ("loading" if not worker.ready.is_set() else "error"),
                "model": worker.engine.model() if worker.engine else None, "waiting": worker.waiting(),
                "done": worker.done_count, "grouped": worker.grouped_count,
                "error": getattr(worker, "load_error", None)}
        return JSONResponse(body, 200 if ready else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        metrics.waiting.set(worker.waiting())
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/review/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    async def review(doc_id: str) -> HTMLResponse:
        return HTMLResponse(resources.files("service").joinpath("static/review.html").read_text(encoding="utf-8"))

    return app
