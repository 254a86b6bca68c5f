"""The three operations: translate, align and polish (answered at once, as a job, or streamed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from zhen.service import runner
from zhen.service.deps import Principal, ServicesDep
from zhen.service.schemas import AlignRequest, Document, Job, PolishRequest, TranslateRequest

router = APIRouter(prefix="/v1", tags=["operations"])
Async = Annotated[bool, Query(alias="async", description="answer 202 with a job instead of waiting")]
Stream = Annotated[bool, Query(alias="stream", description="NDJSON, one sentence per line as it is done")]


@router.post("/translate", response_model=Document, responses={202: {"model": Job}, 413: {}, 429: {}, 503: {}})
async def translate(body: TranslateRequest, key: Principal, svc: ServicesDep, response: Response,
                    stream_: Stream = False, async_: Async = False) -> dict | JSONResponse | StreamingResponse:
    """Draft translation of an article or of sentences, with a QE score and reasons per sentence."""
    runner.admit(svc, key, body.chars())
    runner.check_model(svc, body.model)
    payload = body.model_dump(exclude={"model"})
    if stream_:
        return runner.stream(svc, "translate", payload, key)
    if async_ or body.chars() > svc.settings.sync_chars:
        return runner.as_job(svc, "translate", payload, key)
    return runner.stored(response, await runner.run_sync(svc, "translate", payload, key, body.chars()))


@router.post("/align", response_model=Document, responses={202: {"model": Job}})
async def align(body: AlignRequest, key: Principal, svc: ServicesDep, response: Response,
                async_: Async = False) -> dict | JSONResponse:
    """Sentence alignment of a Chinese and an English text: beads with a 0-1 confidence."""
    runner.admit(svc, key, body.chars())
    if async_ or body.chars() > svc.settings.sync_chars * 10:
        return runner.as_job(svc, "align", body.model_dump(), key)
    return runner.stored(response, await runner.run_sync(svc, "align", body.model_dump(), key, body.chars()))


@router.post("/polish", response_model=Document, responses={202: {"model": Job}})
async def polish(body: PolishRequest, key: Principal, svc: ServicesDep, response: Response,
                 async_: Async = False) -> dict | JSONResponse:
    """Polish poor English (with its Chinese source if given): the text and what was done per sentence."""
    runner.admit(svc, key, body.chars())
    if async_ or body.chars() > svc.settings.sync_chars:
        return runner.as_job(svc, "polish", body.model_dump(), key)
    return runner.stored(response, await runner.run_sync(svc, "polish", body.model_dump(), key, body.chars()))
