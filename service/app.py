"""The HTTP API: FastAPI over the worker (one model per process), the store and the review page.

The app is thin: routers per resource (`zhen.service.routers`) validate, authenticate and rate-limit,
hand work to the worker queue and read documents back from the store. Every `ZhenError` becomes
`{"detail": message}` with the error's own HTTP status, in one handler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhen import __version__
from zhen.app import factory
from zhen.config import Settings
from zhen.errors import Unauthorized, ZhenError
from zhen.service.auth import Limiter
from zhen.service.deps import LOOPBACK, Metrics, Services
from zhen.service.engine import engine_factory
from zhen.service.middleware import BodyLimit, LoopbackHosts, RedactKeys, SecurityHeaders, error_field
from zhen.service.routers import deepl, documents, jobs, libretranslate, memory, operations, system
from zhen.service.schemas import describe_errors
from zhen.service.worker import Worker

__all__ = ["LOOPBACK", "create_app"]
log = logging.getLogger("zhen.service")


def error_response(err: ZhenError) -> JSONResponse:
    """The one mapping from the error hierarchy to HTTP."""
    headers = {"Retry-After": str(err.retry_after)} if err.retry_after else {}
    if isinstance(err, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"detail": err.message}, err.http_status, headers=headers)


def _services(settings: Settings) -> Services:
    store = factory.store(settings)
    worker = Worker(engine_factory(settings, store), store, settings.max_waiting)
    return Services(settings, store, worker, Limiter(store), Metrics())


def create_app(settings: Settings) -> FastAPI:
    svc = _services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc.worker.start()
        yield
        await asyncio.to_thread(svc.worker.stop)  # graceful: the task in hand finishes, queued jobs stay stored
        svc.store.close()

    app = FastAPI(title="zhen", version=__version__, lifespan=lifespan,
                  description="Chinese→English drafts, alignment, QE and polishing for hospital news.")
    app.state.services = svc

    @app.exception_handler(ZhenError)
    async def _zhen_error(_: Request, err: ZhenError) -> JSONResponse:
        return error_response(err)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        """One message, never an echo of the input (it may be megabytes, or not encodable)."""
        field = error_field(request.url.path)
        return JSONResponse({field: describe_errors(list(err.errors()))}, 422 if field == "detail" else 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        """Routing's own errors (404, 405) and the form parser's (400) in the shape of the API the path
        belongs to: LibreTranslate's and DeepL's clients read `error` and `message`, not `detail`."""
        return JSONResponse({error_field(request.url.path): str(err.detail)[:300]}, err.status_code,
                            headers=err.headers)

    @app.middleware("http")
    async def _observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        path = getattr(request.scope.get("route"), "path", "unmatched")
        svc.metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        svc.metrics.latency.labels(path).observe(time.perf_counter() - start)
        return response

    for router in (operations.router, jobs.router, documents.router, memory.router, system.router,
                   libretranslate.router, deepl.router):
        app.include_router(router)
    # Outermost last: headers on every answer, then the Host check, then the body limit.
    app.add_middleware(BodyLimit, limit=settings.max_request_chars * 4 + 65536)
    if not settings.auth:
        app.add_middleware(LoopbackHosts, allowed=LOOPBACK)
    app.add_middleware(SecurityHeaders, extra={"/review/": [(b"content-security-policy", system.REVIEW_CSP)]})
    _redact_access_log()
    return app


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactKeys) for f in access.filters):
        access.addFilter(RedactKeys())
