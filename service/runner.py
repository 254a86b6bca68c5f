"""How a route hands work to the model worker: at once, as a stored job, or as a stream of sentences."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi.responses import JSONResponse, Response, StreamingResponse

from zhen.errors import InputError, NotFound, TimedOut, TooLarge
from zhen.service.auth import Key
from zhen.service.deps import Services


def admit(svc: Services, key: Key | None, chars: int) -> None:
    """Refuse requests over the size limit (413), then charge the key's character allowance."""
    limit = svc.settings.max_request_chars
    if chars > limit:
        raise TooLarge(f"request has {chars} characters; the limit is {limit}")
    if key is not None:
        svc.limiter.charge_chars(key, chars)


def check_model(svc: Services, model: str | None) -> None:
    """A request naming a model must name the one this server runs."""
    engine = svc.worker.engine
    if model and engine and not (model == svc.settings.model or engine.model().startswith(model)):
        raise InputError(f"this server runs {engine.model()}; start another server for model {model!r}")


async def run_sync(svc: Services, kind: str, payload: dict, key: Key | None, chars: int) -> dict:
    """Run now (queued behind earlier interactive requests) and return the stored document. A request whose
    work does not complete (its input refused, the server busy or failing) gets its characters back; one
    that timed out keeps them, since its work goes on and is stored."""
    try:
        fut = svc.worker.submit(kind, payload, key_id=key.id if key else None)
        doc_id = await asyncio.wait_for(asyncio.wrap_future(fut), svc.settings.sync_timeout)
    except TimeoutError:
        raise TimedOut("the model did not answer in time; submit large work as a job") from None
    except Exception:
        if key is not None:
            svc.limiter.refund_chars(key, chars)
        raise
    doc = svc.store.document(doc_id)
    if doc is None:  # removed between its commit and this read
        raise NotFound(f"no document {doc_id}")
    svc.metrics.segments.labels(kind).inc(len(doc["segments"]))
    return doc


def stored(response: Response, doc: dict) -> dict:
    """The document, its ID also in `X-Zhen-Document` (as every route that stores one says it)."""
    response.headers["X-Zhen-Document"] = doc["id"]
    return doc


def as_job(svc: Services, kind: str, payload: dict, key: Key | None) -> JSONResponse:
    """Store the work as a job (it survives restarts) and answer 202 with where to poll."""
    job_id = svc.store.create_job(kind, payload, key.id if key else None)
    svc.worker.enqueue_job(job_id)
    return JSONResponse(svc.store.job(job_id), 202, headers={"Location": f"/v1/jobs/{job_id}"})


def stream(svc: Services, kind: str, payload: dict, key: Key | None) -> StreamingResponse:
    """NDJSON: one `{"segment": ...}` line per sentence as it is done, then `{"document": id}` (or `{"error"}`)."""
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[dict] = asyncio.Queue()
    fut = svc.worker.submit(kind, payload, lambda item: loop.call_soon_threadsafe(items.put_nowait, item),
                            key_id=key.id if key else None)
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
