"""What every route depends on: the process's services and the caller's key (FastAPI `Annotated` dependencies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from zhen.config import LOOPBACK, Settings
from zhen.service.auth import Key, Limiter
from zhen.service.worker import Worker
from zhen.store import Store

__all__ = ["LOOPBACK", "Metrics", "Principal", "Services", "ServicesDep", "caller", "principal", "services"]


class Metrics:
    """Prometheus metrics of one app (its own registry, so several apps in one process do not clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("zhen_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("zhen_request_seconds", "HTTP request latency", ["route"], registry=self.registry)
        self.waiting = Gauge("zhen_queue_waiting", "tasks waiting for the model", registry=self.registry)
        self.segments = Counter("zhen_segments_total", "segments produced", ["kind"], registry=self.registry)
        # each model server (`zhen serve --openai-url`), read from the translator when scraped
        self.upstream_up = Gauge("zhen_upstream_up", "1 while the model server is in rotation", ["url"],
                                 registry=self.registry)
        self.upstream_requests = Gauge("zhen_upstream_requests", "requests the model server answered", ["url"],
                                       registry=self.registry)
        self.upstream_failures = Gauge("zhen_upstream_failures", "requests that failed on the model server",
                                       ["url"], registry=self.registry)
        self.upstream_in_flight = Gauge("zhen_upstream_in_flight", "requests on the model server now", ["url"],
                                        registry=self.registry)


@dataclass
class Services:
    """Everything a request may use, built once per app by `create_app`."""

    settings: Settings
    store: Store
    worker: Worker
    limiter: Limiter
    metrics: Metrics


def services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


def principal(svc: ServicesDep, authorization: Annotated[str | None, Header()] = None,
              x_api_key: Annotated[str | None, Header()] = None) -> Key | None:
    """The caller's key (`X-API-Key`, or `Authorization: Bearer`), or None when the server runs --no-auth."""
    token = x_api_key or (authorization[7:].strip() if authorization and authorization.lower().startswith(
        "bearer ") else authorization)
    return caller(svc, token)


def caller(svc: Services, token: str | None) -> Key | None:
    """The key a presented token stands for, charged one request (None on a server without keys); every
    way a client sends its key (zhen's headers, LibreTranslate's `api_key`, DeepL's header) ends here."""
    if not svc.settings.auth:
        return None
    key = svc.limiter.authenticate(token)
    svc.limiter.count_request(key)
    return key


Principal = Annotated[Key | None, Depends(principal)]
