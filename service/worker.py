"""One model instance per process behind a queue: a single worker thread runs every request and job.

llama.cpp contexts are not thread-safe and two copies of the model would not fit the RAM budget of a
small machine, so requests queue. Interactive requests go before batch jobs; when too many are waiting,
callers are told to come back (503 + Retry-After) instead of piling up.

Jobs live in the store, and any number of servers may share one store: a server runs a job only after
claiming it atomically (`Store.claim_job`), renews the claim's lease while it runs, and writes the
document in the same transaction that marks the job done, only while the claim is still its own. A job
whose server died (a dead process on this host, or a lease that ran out) is claimed again by whichever
server polls first; the translation memory makes the repeat cheap. So every job is done exactly once.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from zhen.errors import Unavailable, ZhenError
from zhen.service.engine import Emit, Engine
from zhen.store import JOB_LEASE, LostJob, Store, worker_id

log = logging.getLogger("zhen.service")
INTERACTIVE, BATCH = 0, 1
GROUP_SENTENCES = 32  # waiting sentence-list requests merged into one model call, up to this many sentences
POLL_SECONDS = 3.0  # how often the store is searched for jobs other servers queued or abandoned


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
    key_id: str | None = field(compare=False, default=None)  # who asked: the document's owner


GROUP_OPTIONS = ("qe", "quality", "alternatives", "memory")  # requests share a model run only when these agree


def _groupable(task: _Task) -> bool:
    """Interactive sentence-list translations without their own glossary, title or inline tags, not streamed."""
    p = task.payload
    return (task.kind == "translate" and task.future is not None and task.emit is None and not task.job_id
            and p.get("sentences") is not None and p.get("text") is None and not p.get("glossary")
            and not p.get("title") and p.get("marks") is None)


class Worker:
    def __init__(self, engine_factory: Callable[[], Engine], store: Store, max_waiting: int = 32,
                 poll_seconds: float = POLL_SECONDS) -> None:
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
        self.owner = worker_id()
        self.poll_seconds = poll_seconds
        self._queued_jobs: set[str] = set()
        self._current_job: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="zhen-worker", daemon=True)
        self._thread.start()
        self._poll_jobs()
        threading.Thread(target=self._housekeeping, name="zhen-jobs", daemon=True).start()

    def _poll_jobs(self) -> None:
        for job_id in self.store.claimable_jobs():
            self.enqueue_job(job_id)

    def _housekeeping(self) -> None:
        """Renew the running job's lease; pick up jobs that other servers queued or left behind."""
        last_poll = 0.0
        while not self._stop.wait(min(self.poll_seconds, JOB_LEASE / 3)):
            job = self._current_job
            if job:
                self.store.renew_lease(job, self.owner)
            if time.monotonic() - last_poll >= self.poll_seconds:
                last_poll = time.monotonic()
                try:
                    self._poll_jobs()
                except Exception:
                    log.warning("job poll failed", exc_info=True)

    def waiting(self) -> int:
        return self._q.qsize()

    def submit(self, kind: str, payload: dict, emit: Emit | None = None, key_id: str | None = None) -> Future:
        """Run an interactive request; the future resolves to the stored document's id."""
        with self._lock:
            if self._waiting >= self.max_waiting:
                raise Busy(f"busy: {self._waiting} requests are waiting for the model; retry later", retry_after=5)
            self._waiting += 1
        fut: Future = Future()
        self._q.put(_Task(INTERACTIVE, next(self._seq), kind, payload, fut, emit, key_id=key_id))
        return fut

    def enqueue_job(self, job_id: str) -> None:
        """Queue a job here (once); whether this server runs it is decided by the claim when its turn comes."""
        with self._lock:
            if job_id in self._queued_jobs:
                return
            self._queued_jobs.add(job_id)
        job = self.store.job(job_id)
        if job:
            self._q.put(_Task(BATCH, next(self._seq), job["kind"], {}, job_id=job_id, key_id=job["key_id"]))

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
            self._dispatch(task)

    def _dispatch(self, task: _Task) -> None:
        if task.future is not None and not self._claim(task):
            return
        group = self._gather(task) if _groupable(task) else [task]
        if len(group) > 1:
            self._run_group(group)
        else:
            self._run(task)

    def _interleave(self) -> None:
        """Between two chunks of a job: answer the interactive requests waiting now, so that no request
        waits behind a whole job, only behind the chunk in hand."""
        while True:
            with self._q.mutex:
                if not self._q.queue or self._q.queue[0].priority != INTERACTIVE:
                    return
            try:
                task = self._q.get_nowait()
            except queue.Empty:
                return
            if task.priority != INTERACTIVE:  # another thread queued in between: it waits its turn
                self._q.put(task)
                return
            self._dispatch(task)

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
            same = _groupable(nxt) and all(nxt.payload.get(k) == first.payload.get(k) for k in GROUP_OPTIONS)
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
        """One model run for several requests, each stored as the document it would get alone."""
        engine = self.engine
        try:
            if engine is None:
                raise Unavailable("model not loaded")
            docs = engine.translate_group([t.payload for t in group], [t.key_id for t in group])
        except Exception:  # noqa: BLE001 - fall back to one by one, so one bad request fails alone
            for t in group:
                self._run(t)
            return
        self.grouped_count += len(group)
        for t, doc in zip(group, docs):
            assert t.future is not None  # grouped tasks are interactive requests
            try:
                t.future.set_result(self._save(engine, doc, t))
            except Exception as err:
                log.exception("could not store a grouped result")
                t.future.set_exception(err)

    def _run(self, task: _Task) -> None:
        if task.job_id:
            self._run_job(task)
            return
        assert task.future is not None  # interactive requests carry their future
        try:
            if self.engine is None:
                raise Unavailable(f"model not loaded: {self.load_error or 'unknown error'}", retry_after=60)
            task.future.set_result(self._save(self.engine, self.engine.run(task.kind, task.payload, task.emit,
                                                                             owner=task.key_id), task))
        except Exception as err:
            if not isinstance(err, ZhenError):
                log.exception("request failed")
            task.future.set_exception(err)

    def _run_job(self, task: _Task) -> None:
        job_id = task.job_id
        assert job_id is not None
        with self._lock:
            self._queued_jobs.discard(job_id)
        if not self.store.claim_job(job_id, self.owner):
            return  # done already, or another server's now
        self._current_job = job_id
        try:
            if self.engine is None:
                raise Unavailable(f"model not loaded: {self.load_error or 'unknown error'}", retry_after=60)
            doc = self.engine.run(task.kind, self.store.job_payload(job_id), between=self._interleave,
                                  owner=task.key_id)
            self._save(self.engine, doc, task)
        except LostJob:
            log.warning("job %s was claimed by another server while this one ran it; its result is dropped", job_id)
        except ZhenError as err:  # the input's fault: the job fails with the reason
            self.store.fail_job(job_id, self.owner, str(err))
        except Exception as err:
            log.exception("job %s failed", job_id)
            self.store.fail_job(job_id, self.owner, f"internal error: {err}")
        finally:
            self._current_job = None

    def _save(self, engine: Engine, doc: dict, task: _Task) -> str:
        """Store the document (for a job: with its completion, only while this server holds it)."""
        doc_id = self.store.save_document(doc["kind"], title=doc.get("title"), model=doc.get("model") or engine.model(),
                                          options=doc.get("options", {}), text=doc.get("text"),
                                          segments=doc.get("segments", []), alignments=doc.get("alignments", []),
                                          job_id=task.job_id, owner=self.owner if task.job_id else None,
                                          key_id=task.key_id, origin=task.payload.get("origin") or
                                          ("job" if task.job_id else "stream" if task.emit else "api"))
        self.done_count += 1
        return doc_id
