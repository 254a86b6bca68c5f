"""One model instance per process behind a queue: a single worker thread runs every request and job.

llama.cpp contexts are not thread-safe and two copies of the model would not fit the RAM budget of a
small machine, so requests queue. Interactive requests go before batch jobs; when too many are waiting,
callers are told to come back (503 + Retry-After) instead of piling up. Jobs live in the store: one
that was running when the process died is simply run again at start-up (the translation memory makes
the repeat cheap), and its document is written in the same transaction that marks it done, so it is
never lost nor stored twice.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from zhen.errors import Unavailable, ZhenError
from zhen.service.engine import Emit, Engine
from zhen.store import Store

log = logging.getLogger("zhen.service")
INTERACTIVE, BATCH = 0, 1
GROUP_SENTENCES = 32  # waiting sentence-list requests merged into one model call, up to this many sentences


class Busy(Unavailable):
    """Too many interactive requests are waiting."""


@dataclass(order=True)
class _Task:
    priority: int
    seq: int
    kind: str = field(compare=False)
    payload: dict = field(compare=False)
    future: Future | None = field(compare=False, default=None)
    emit: Emit | None = field(compare=False, default=None)
    job_id: str | None = field(compare=False, default=None)
    model: str | None = field(compare=False, default=None)


def _groupable(task: _Task) -> bool:
    """Interactive sentence-list translations without their own glossary, not streamed."""
    p = task.payload
    return (task.kind == "translate" and task.future is not None and task.emit is None and not task.job_id
            and p.get("sentences") is not None and p.get("text") is None and not p.get("glossary"))


class Worker:
    def __init__(self, engine_factory: Callable[[], Engine], store: Store, max_waiting: int = 32) -> None:
        self._factory = engine_factory
        self.engine: Engine | None = None
        self.store = store
        self.max_waiting = max_waiting
        self._q: queue.PriorityQueue[_Task] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._waiting = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.ready = threading.Event()
        self.done_count = 0
        self.grouped_count = 0  # requests answered by a shared model call
        self.load_error: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="zhen-worker", daemon=True)
        self._thread.start()
        for job_id in self.store.unfinished_jobs():
            self.enqueue_job(job_id)

    def waiting(self) -> int:
        return self._q.qsize()

    def submit(self, kind: str, payload: dict, emit: Emit | None = None) -> Future:
        """Run an interactive request; the future resolves to the stored document's id."""
        with self._lock:
            if self._waiting >= self.max_waiting:
                raise Busy(f"busy: {self._waiting} requests are waiting for the model; retry later", retry_after=5)
            self._waiting += 1
        fut: Future = Future()
        self._q.put(_Task(INTERACTIVE, next(self._seq), kind, payload, fut, emit))
        return fut

    def enqueue_job(self, job_id: str) -> None:
        job = self.store.job(job_id)
        if job:
            self._q.put(_Task(BATCH, next(self._seq), job["kind"], {}, job_id=job_id))

    def stop(self, timeout: float = 30) -> None:
        """Finish the task in hand, then stop; queued jobs stay in the store for the next start."""
        self._stop.set()
        self._q.put(_Task(-1, -1, "stop", {}))
        if self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        try:
            self.engine = self._factory()
        except Exception as err:
            log.exception("model failed to load")
            self.load_error = str(err)
        self.ready.set()
        while not self._stop.is_set():
            task = self._q.get()
            if task.kind == "stop":
                break
            if task.future is not None and not self._claim(task):
                continue
            group = self._gather(task) if _groupable(task) else [task]
            if len(group) > 1:
                self._run_group(group)
            else:
                self._run(task)

    def _claim(self, task: _Task) -> bool:
        with self._lock:
            self._waiting -= 1
        return task.future is not None and task.future.set_running_or_notify_cancel()

    def _gather(self, first: _Task) -> list[_Task]:
        """`first` plus the waiting requests that can share its model call (micro-batching): on a CPU the
        batched decoder translates 16 sentences in little more time than one."""
        group, n = [first], len(first.payload["sentences"])
        put_back = []
        while n < GROUP_SENTENCES:
            try:
                nxt = self._q.get_nowait()
            except queue.Empty:
                break
            same = _groupable(nxt) and nxt.payload.get("qe") == first.payload.get("qe")
            if not same or n + len(nxt.payload["sentences"]) > GROUP_SENTENCES:
                put_back.append(nxt)
                break
            if self._claim(nxt):
                group.append(nxt)
                n += len(nxt.payload["sentences"])
        for t in put_back:
            self._q.put(t)
        return group

    def _run_group(self, group: list[_Task]) -> None:
        """One translation for several requests, split back into one stored document each."""
        engine = self.engine
        try:
            if engine is None:
                raise Unavailable("model not loaded")
            merged = {"sentences": [x for t in group for x in t.payload["sentences"]], "qe": group[0].payload.get("qe")}
            doc = engine.run("translate", merged)
        except Exception:  # noqa: BLE001 - fall back to one by one, so one bad request fails alone
            for t in group:
                self._run(t)
            return
        start = 0
        self.grouped_count += len(group)
        for t in group:
            assert t.future is not None  # grouped tasks are interactive requests
            k = len(t.payload["sentences"])
            segs = [{**seg, "n": seg["n"] - start} for seg in doc["segments"][start : start + k]]
            start += k
            try:
                doc_id = self.store.save_document("translation", title=None, model=engine.model(),
                                                  options=doc["options"], text="\n".join(t.payload["sentences"]),
                                                  segments=segs)
                self.done_count += 1
                t.future.set_result(doc_id)
            except Exception as err:
                log.exception("could not store a grouped result")
                t.future.set_exception(err)

    def _run(self, task: _Task) -> None:
        try:
            if self.engine is None:
                raise Unavailable(f"model not loaded: {self.load_error or 'unknown error'}", retry_after=60)
            if task.job_id:
                job = self.store.job(task.job_id)
                if not job or job["status"] == "done":
                    return  # already finished (e.g. queued twice at start-up)
                self.store.set_job(task.job_id, "running")
                payload = self.store.job_payload(task.job_id)
            else:
                payload = task.payload
            doc = self.engine.run(task.kind, payload, task.emit)
            doc_id = self.store.save_document(doc["kind"], title=doc.get("title"),
                                              model=doc.get("model") or self.engine.model(),
                                              options=doc.get("options", {}), text=doc.get("text"),
                                              segments=doc.get("segments", []), alignments=doc.get("alignments", []),
                                              job_id=task.job_id)
            self.done_count += 1
            if task.future:
                task.future.set_result(doc_id)
        except ZhenError as err:  # the input's fault: the job fails with the reason, the request gets a 422
            if task.job_id:
                self.store.set_job(task.job_id, "failed", str(err))
            if task.future:
                task.future.set_exception(err)
        except Exception as err:
            log.exception("task failed")
            if task.job_id:
                self.store.set_job(task.job_id, "failed", f"internal error: {err}")
            if task.future:
                task.future.set_exception(err)
