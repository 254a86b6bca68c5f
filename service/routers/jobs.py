"""Jobs: any operation queued in the store, surviving restarts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from zhen.errors import InputError, NotFound
from zhen.service import runner
from zhen.service.deps import Principal, ServicesDep
from zhen.service.schemas import AlignRequest, Job, JobRequest, PolishRequest, TranslateRequest, describe_errors

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
BODIES: dict[str, type[TranslateRequest | AlignRequest | PolishRequest]] = {
    "translate": TranslateRequest, "align": AlignRequest, "polish": PolishRequest}


@router.post("", response_model=Job, status_code=202)
async def create_job(body: JobRequest, key: Principal, svc: ServicesDep) -> JSONResponse:
    """Queue any of the three operations as a job that survives restarts."""
    try:
        req = BODIES[body.kind].model_validate(body.input)
    except ValidationError as err:
        raise InputError(f"invalid input for {body.kind}: {describe_errors(err.errors())}") from None
    runner.admit(svc, key, req.chars())
    return runner.as_job(svc, body.kind, req.model_dump(exclude={"model"} if body.kind == "translate" else set()), key)


@router.get("/{job_id}", response_model=Job)
async def get_job(job_id: str, key: Principal, svc: ServicesDep) -> dict:
    job = svc.store.job(job_id)
    if not job or (key is not None and not key.may_see(job["key_id"])):
        raise NotFound(f"no job {job_id}")
    return job
