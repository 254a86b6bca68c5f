"""A real Ray cluster on loopback for the batch tests: a head and worker nodes, each started with `ray
start` as its own process group (as the README's steps run them on separate machines), so a test can
kill one node outright (SIGKILL to its raylet, agents and workers) and watch the batch carry on.

Nodes on one machine need what separate machines have anyway: their own ports and their own temporary
folder (sockets live there). The cluster requires a token (`RAY_AUTH_MODE=token`), as a real one should.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from server import free_port

RAY = str(Path(sys.executable).parent / "ray")


class RayCluster:
    def __init__(self, workers: int, cpus_per_worker: int = 1) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.root = Path(tempfile.mkdtemp(prefix="zr-"))  # short: socket paths have a length limit
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
                    "RAY_USAGE_STATS_ENABLED": "0"}
        self.workers, self.cpus = workers, cpus_per_worker
        self.nodes: list[subprocess.Popen] = []

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        return subprocess.Popen([RAY, "start", "--block", "--node-ip-address", "127.0.0.1", "--disable-usage-stats",
                                 "--temp-dir", str(self.root / name), *args], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def start(self, timeout: float = 120) -> RayCluster:
        self.nodes.append(self._start("head", "--head", "--port", str(self.port), "--num-cpus", "0",
                                      "--include-dashboard", "false"))
        self._wait_for(1, timeout)
        for i in range(1, self.workers + 1):
            ports = [free_port() for _ in range(6)]
            low = 30000 + 200 * i
            self.nodes.append(self._start(
                f"w{i}", "--address", self.address, "--num-cpus", str(self.cpus),
                "--node-manager-port", str(ports[0]), "--object-manager-port", str(ports[1]),
                "--dashboard-agent-listen-port", str(ports[2]), "--dashboard-agent-grpc-port", str(ports[3]),
                "--runtime-env-agent-port", str(ports[4]), "--metrics-export-port", str(ports[5]),
                "--min-worker-port", str(low), "--max-worker-port", str(low + 150)))
            self._wait_for(i + 1, timeout)
        return self

    def alive_nodes(self) -> int:
        r = subprocess.run([RAY, "status", "--address", self.address], env=self.env, capture_output=True, text=True,
                           timeout=60)
        active = r.stdout.split("Active:", 1)[-1].split("Pending:", 1)[0]
        return active.count("node_")

    def _wait_for(self, nodes: int, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(p.poll() is not None for p in self.nodes):
                raise RuntimeError(f"a Ray node exited: {self.logs()}")
            if self.alive_nodes() >= nodes:
                return
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {nodes} nodes: {self.logs()}")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-1500:] for p in self.root.glob("*.log"))

    def kill(self, node: int) -> None:
        """SIGKILL a node's whole process group: its raylet, agents and the workers on it."""
        os.killpg(self.nodes[node].pid, signal.SIGKILL)
        self.nodes[node].wait(30)

    def stop(self) -> None:
        for p in reversed(self.nodes):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.nodes:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
