"""Where articles are processed: in this process, in local worker processes, or on a Ray cluster.

Every engine maps (name, bytes) items to ("ok", result) or ("error", reason) and yields them as they
finish; the driver alone writes files and the store, so exactly-once bookkeeping does not depend on
the engine.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Protocol

from zhen.app.translate import TranslateOptions
from zhen.batch.article import Worker, process
from zhen.config import Settings
from zhen.errors import Unavailable, ZhenError
from zhen.models import presets

log = logging.getLogger("zhen.batch")
Item = tuple[str, str, bytes]  # (key, name, data)
Outcome = tuple[str, str, dict | str]  # (key, "ok" | "error", result or reason)


class Engine(Protocol):
    """Where articles are processed; `map` yields outcomes as they finish, in any order."""

    def map(self, items: Iterable[Item]) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


@dataclass
class WorkerSpec:
    """How to build a worker anywhere (plain data: it travels to processes and Ray actors, the settings
    with it, so a worker uses the driver's settings whatever its own environment says)."""

    settings: Settings
    model: str | None = None
    backend: str | None = None
    memory_path: str | None = None
    include_boilerplate: bool = False

    def options(self) -> TranslateOptions:
        return TranslateOptions(include_boilerplate=self.include_boilerplate)

    def with_threads(self, threads: int | None) -> WorkerSpec:
        return replace(self, settings=self.settings.model_copy(update={"threads": threads}))


_WORKER: Worker | None = None  # one per process


def _init(spec: WorkerSpec) -> None:
    global _WORKER
    _WORKER = Worker.create(spec.settings, spec.model, spec.backend, spec.memory_path)


def _run(spec: WorkerSpec, key: str, name: str, data: bytes) -> Outcome:
    if _WORKER is None:
        _init(spec)
    assert _WORKER is not None
    try:
        return key, "ok", process(_WORKER, name, data, spec.options())
    except ZhenError as err:
        return key, "error", str(err)


def signature(spec: WorkerSpec) -> str:
    """The model signature a worker built from `spec` would report (for skip keys), without loading it."""
    if spec.backend:
        return spec.backend
    return presets.get(spec.model or presets.DEFAULT_TRANSLATOR).name


class LocalEngine:
    """`concurrency` 1: in this process; more: that many worker processes, each with its own model."""

    def __init__(self, spec: WorkerSpec, concurrency: int = 1) -> None:
        self.spec, self.concurrency = spec, max(1, concurrency)
        self._pool: ProcessPoolExecutor | None = None

    def map(self, items: Iterable[Item]) -> Iterator[Outcome]:
        if self.concurrency == 1:
            if _WORKER is None:
                _init(self.spec)
            for key, name, data in items:
                yield _run(self.spec, key, name, data)
            return
        if self._pool is None:
            threads = max(1, (os.cpu_count() or 1) // self.concurrency)
            spec = self.spec.with_threads(threads)
            self._pool = ProcessPoolExecutor(self.concurrency, initializer=_init, initargs=(spec,))
        futures = [self._pool.submit(_run, self.spec, *item) for item in items]
        for f in as_completed(futures):
            yield f.result()

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown()


class RayEngine:
    """Actors each hold a model; articles go to whichever actor is free.

    `address` None starts a local cluster (`num_cpus` = workers); "auto" or HOST:PORT joins one. An actor
    lost with its node (a machine that died or left) takes no article down with it: the article it held
    goes to another actor, and the run ends with the actors left. The driver writes nothing until an
    article's outcome is in, so a lost node never makes an article done twice.
    """

    def __init__(self, spec: WorkerSpec, workers: int = 2, address: str | None = None) -> None:
        import ray

        # the settings travel in the spec; what the environment still carries is where plugins are found
        env = {k: v for k, v in os.environ.items() if k.startswith("FAKE_MT_") or k == "PYTHONPATH"}
        self._connected = not ray.is_initialized()  # this engine connected, so it disconnects (`close`)
        if self._connected:
            ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                     log_to_driver=False, runtime_env={"env_vars": env})

        @ray.remote(num_cpus=1)
        class ArticleActor:
            def __init__(self, spec: WorkerSpec) -> None:
                _init(spec)
                self.spec = spec

            def run(self, key: str, name: str, data: bytes) -> Outcome:
                return _run(self.spec, key, name, data)

            def pid(self) -> int:
                return os.getpid()

        actor_spec = spec.with_threads(1 if not address else None)
        self.actors = [ArticleActor.remote(actor_spec) for _ in range(workers)]  # type: ignore[attr-defined]
        # Ray prints cluster events (a node marked dead) on stdout, whose one content is the run's JSON
        # summary: while this engine lives, what is printed goes to stderr
        self._stdout, sys.stdout = sys.stdout, sys.stderr

    def map(self, items: Iterable[Item]) -> Iterator[Outcome]:
        import ray
        from ray.exceptions import ActorUnavailableError, RayActorError

        todo = deque(items)
        idle = list(self.actors)
        running: dict = {}  # ObjectRef -> (actor, item)
        while todo or running:
            while todo and idle:
                actor, item = idle.pop(), todo.popleft()
                running[actor.run.remote(*item)] = (actor, item)
            if not running:
                raise Unavailable(f"every Ray worker was lost; {len(todo)} articles are not done (run again to "
                                  "finish them)")
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor, item = running.pop(ref)
            try:
                outcome = ray.get(ref)
            except (RayActorError, ActorUnavailableError):
                log.warning("a Ray worker was lost; %s goes to another", item[1])
                self.actors.remove(actor)
                todo.appendleft(item)
                continue
            idle.append(actor)
            yield outcome

    def worker_pids(self) -> list[int]:
        """Process ids of the actors (each a separate worker process of the cluster)."""
        import ray

        return ray.get([a.pid.remote() for a in self.actors])

    def close(self) -> None:
        """Ends the actors, and disconnects before stdout is given back: Ray's threads print cluster events
        (a node lost) whenever they notice them, even after the last article, and stdout carries only
        the run's JSON summary."""
        import ray

        for a in self.actors:
            try:
                ray.kill(a)
            except Exception:  # an actor lost with its node (not yet noticed) cannot be killed again
                log.debug("actor already gone", exc_info=True)
        if self._connected:
            ray.shutdown()
        sys.stdout = self._stdout
