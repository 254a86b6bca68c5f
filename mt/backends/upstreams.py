"""Model servers in rotation: round-robin over the ones that answer, a failed one out of rotation and tried
again later, and a request that failed on one re-sent to another.

A server that refuses connections, drops one, times out or answers 5xx has failed: it sits out for a
back-off (5 s, doubling with each failure in a row, at most a minute), and the request goes to the next
server in rotation. After the back-off the next request tries it again; one success puts it back. A 4xx
answer is the request's fault, not the server's, and is raised at once. Only when every server has
failed the same request is it an error (ModelError, 503 to an API client); a request is never answered
twice, and the caller stores nothing until every answer is in, so nothing is lost or stored twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import httpx

from zhen.errors import ModelError

T = TypeVar("T")
BACKOFF, MAX_BACKOFF = 5.0, 60.0


@dataclass
class Upstream:
    url: str
    requests: int = 0  # answered
    failures: int = 0  # in all
    streak: int = 0  # failures in a row
    in_flight: int = 0
    down_until: float = 0.0
    last_error: str | None = None

    def report(self, now: float) -> dict:
        return {"url": self.url, "up": self.down_until <= now, "requests": self.requests, "failures": self.failures,
                "in_flight": self.in_flight, "retry_in": round(max(0.0, self.down_until - now), 1),
                "last_error": self.last_error}


def server_failed(err: Exception) -> bool:
    """Whether `err` says the server failed (so another may answer), not the request."""
    if isinstance(err, httpx.HTTPStatusError):
        return err.response.status_code >= 500
    return isinstance(err, httpx.TransportError)  # refused, reset, timed out, protocol error


class Upstreams:
    def __init__(self, urls: Sequence[str], backoff: float = BACKOFF, max_backoff: float = MAX_BACKOFF,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError("no model server URLs")
        self.servers = [Upstream(u) for u in urls]
        self.backoff, self.max_backoff, self.clock = backoff, max_backoff, clock
        self._next = 0
        self._lock = threading.Lock()

    def _pick(self, tried: set[str]) -> Upstream | None:
        """The next server in rotation that is up and has not failed this request; else the one back
        soonest among those not tried (a server that is down is better than no answer)."""
        now = self.clock()
        with self._lock:
            n = len(self.servers)
            order = [self.servers[(self._next + k) % n] for k in range(n)]
            self._next = (self._next + 1) % n
            fresh = [u for u in order if u.url not in tried]
            chosen = next((u for u in fresh if u.down_until <= now), None) or min(
                fresh, key=lambda u: u.down_until, default=None)
            if chosen is not None:
                chosen.in_flight += 1
            return chosen

    def _done(self, u: Upstream, err: Exception | None) -> None:
        with self._lock:
            u.in_flight -= 1
            if err is None:
                u.requests += 1
                u.streak, u.down_until = 0, 0.0
                return
            u.failures += 1
            u.streak += 1
            u.last_error = f"{type(err).__name__}: {str(err)[:200]}"
            u.down_until = self.clock() + min(self.max_backoff, self.backoff * 2 ** (u.streak - 1))

    def call(self, send: Callable[[str], T]) -> T:
        """`send(url)` on a server in rotation, re-sent to the next one while servers fail."""
        tried: set[str] = set()
        last: Exception | None = None
        while (u := self._pick(tried)) is not None:
            try:
                result = send(u.url)
            except Exception as err:
                if not server_failed(err):
                    self._done(u, None)  # the server answered; the request was wrong
                    raise
                self._done(u, err)
                tried.add(u.url)
                last = err
                continue
            self._done(u, None)
            return result
        raise ModelError(f"no model server answered ({len(tried)} tried); last error: {type(last).__name__}: "
                         f"{str(last)[:200]}", retry_after=int(self.backoff))

    def report(self) -> list[dict]:
        """Each server's state, for /healthz and /metrics."""
        now = self.clock()
        with self._lock:
            return [u.report(now) for u in self.servers]
