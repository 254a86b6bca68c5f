"""Load test of the API on loopback: N concurrent clients for S seconds; prints JSON.

Each client posts `/v1/translate` with 1-2 distinct FLORES sentences (no translation-memory hits) in a
loop. Reports throughput, latency percentiles, status counts, and whether every request was answered.

Usage: python -m bench.service_load [--clients 20] [--seconds 60] [--backend fake | --model NAME]
(`--backend fake` loads tests/plugins/fake_mt.py: it measures the service, not the model.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server import Server

from zhen import config


def _peak_rss_mib(pid: int) -> float | None:
    """The server process's peak resident memory (VmHWM), MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--backend", default=None)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    zh = (config.shared_data() / "mt" / "flores200-devtest" / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()
    serve_args = ["--no-auth", "--max-waiting", str(max(32, args.clients * 2))]
    serve_args += ["--backend", args.backend] if args.backend else (["--model", args.model] if args.model else [])
    home = Path(tempfile.mkdtemp(prefix="zhen-load-"))
    srv = Server(home, *serve_args).start(timeout=600)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    sent = answered = 0
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + args.seconds

    def client() -> None:
        nonlocal sent, answered
        with httpx.Client(base_url=srv.url, timeout=900) as c:
            while time.perf_counter() < stop_at:
                k = next(counter)
                body = {"sentences": [zh[(2 * k) % len(zh)], zh[(2 * k + 1) % len(zh)]][: 1 + k % 2]}
                with lock:
                    sent += 1
                t0 = time.perf_counter()
                try:
                    r = c.post("/v1/translate", json=body)
                    status = str(r.status_code)
                    if r.status_code == 200 and len(r.json()["segments"]) != len(body["sentences"]):
                        status = "wrong_output"
                except httpx.HTTPError as err:
                    status = type(err).__name__
                with lock:
                    answered += status not in ("ReadTimeout", "ConnectError", "RemoteProtocolError")
                    statuses[status] += 1
                    latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    assert srv.proc is not None
    peak_rss = _peak_rss_mib(srv.proc.pid)  # read before the process ends
    srv.stop()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    print(json.dumps({
        "benchmark": "service_load", "backend": args.backend or args.model or "default", "clients": args.clients,
        "seconds": round(wall, 1), "requests_sent": sent, "requests_answered": answered,
        "statuses": dict(statuses), "server_errors": sum(v for k, v in statuses.items() if k.startswith("5")),
        "throughput_req_per_s": round(len(latencies) / wall, 2),
        "latency_p50_s": round(q[49], 3), "latency_p95_s": round(q[94], 3),
        "server_peak_rss_mib": peak_rss,
    }, indent=2))


if __name__ == "__main__":
    main()
