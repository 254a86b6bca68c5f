"""Start a real `zhen serve` process on a free loopback port for API tests, and stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

TESTS = Path(__file__).resolve().parent
ZHEN = str(Path(sys.executable).parent / "zhen")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None, port: int | None = None):
        self.home, self.args, self.port = home, list(args), port or free_port()
        from zhen import config

        self.env = {**os.environ, "ZHEN_HOME": str(home), "ZHEN_MODELS": str(config.models_dir()),
                    "PYTHONPATH": os.pathsep.join([str(TESTS / "plugins"), os.environ.get("PYTHONPATH", "")]),
                    "ZHEN_PLUGINS": "fake_mt", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> Server:
        log = open(self.home / f"server-{self.port}.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen([ZHEN, "serve", "--port", str(self.port), *self.args], env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.home / f'server-{self.port}.log').read_text()[-2000:]}")
            try:
                r = httpx.get(self.url + "/healthz", timeout=2)
                if r.status_code == 200:
                    return self
                if r.json().get("status") == "error":
                    self.stop()
                    raise RuntimeError(f"server cannot serve: {r.json().get('error')}")
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run (a crash)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, key: str | None = None, timeout: float = 120) -> httpx.Client:
        headers = {"X-API-Key": key} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def llama_server(model: Path, log: Path, n_ctx: int = 2048, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    """llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`) serving the GGUF
    `model` on a free loopback port: (process, its /v1 URL), once it answers. It runs under zhen's
    `amx_guard`, as zhen's own backend does: a native build on a CPU whose AMX tiles fault would crash on
    its first decode."""
    port = free_port()
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    launch = ("import runpy\nfrom zhen.mt.backends.llamacpp import amx_guard\n"
              "with amx_guard():\n    runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)")
    proc = subprocess.Popen([sys.executable, "-c", launch, "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", str(n_ctx)], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"llama_cpp.server did not start: {log.read_text(errors='replace')[-2000:]}")


def finished(c: httpx.Client, job_id: str, seconds: float = 60) -> dict:
    """Poll a job until it is done or failed (or time runs out); its last state. (A TestClient is an
    httpx.Client too.)"""
    deadline = time.time() + seconds
    while True:
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed") or time.time() > deadline:
            return job
        time.sleep(0.1)


def statuses_when_done(c: httpx.Client, job_ids: list[str], seconds: float = 120) -> list[str]:
    """Poll every job until all are done (or time runs out); their last statuses."""
    deadline = time.time() + seconds
    while True:
        states = [c.get(f"/v1/jobs/{j}").json()["status"] for j in job_ids]
        if all(s == "done" for s in states) or time.time() > deadline:
            return states
        time.sleep(0.3)


def fake_model_server(service_time: float) -> tuple[subprocess.Popen, str]:
    """tests/plugins/fake_openai.py on a free loopback port, answering each request after `service_time`
    seconds: (process, its /v1 URL), once it answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(TESTS / "plugins" / "fake_openai.py"), str(port), str(service_time)])
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(100):
        try:
            httpx.get(f"{url}/models", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the stand-in model server did not start")
