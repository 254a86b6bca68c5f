"""Scaling out: API servers sharing one PostgreSQL store, and batch workers on Ray nodes; prints JSON.

Both run in front of the same stand-in model server (tests/plugins/fake_openai.py), which answers every
request after a fixed service time and can answer any number at once, like a GPU server with spare
batch capacity. So what is measured is how zhen's own processes scale, not a model.

- API: 1, 2 and 4 `zhen serve --openai-url FAKE` processes on one PostgreSQL database, 50 clients
  spread over them, each posting one distinct sentence at a time (`qe: none`) for `--seconds`.
  Throughput, latency p50/p95, and the CPU seconds the servers used per request.
- Batch: `zhen batch translate --engine ray` over a real Ray cluster on loopback (tests/ray_cluster.py)
  with 1 and 2 worker nodes of one CPU each, the store on PostgreSQL: articles per minute.

Ratios are the point (`scaling`): absolute figures on a 2-core machine mean little, and every process
here (servers, PostgreSQL, the stand-in, the clients) shares those two cores.

Usage: python -m bench.scale [--seconds 20] [--service-time 0.1] [--articles 48] [--skip-batch]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))
from postgres import Cluster  # noqa: E402
from ray_cluster import RayCluster  # noqa: E402
from server import ZHEN, Server, fake_model_server  # noqa: E402

from zhen import config  # noqa: E402


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far (/proc/stat): the machine's load over a run."""
    vals = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


def api_run(pg: Cluster, model_url: str, servers: int, clients: int, seconds: float, zh: list[str]) -> dict:
    db = pg.new_database()
    root = Path(tempfile.mkdtemp(prefix="zhen-scale-"))
    procs = []
    for i in range(servers):
        (root / f"s{i}").mkdir()
        procs.append(Server(root / f"s{i}", "--no-auth", "--openai-url", model_url, "--max-waiting", "200",
                            env={"ZHEN_DB": db}).start(timeout=300))
    cpu0 = sum(_cpu_seconds(s.proc.pid) for s in procs if s.proc)
    busy0 = _machine_busy()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + seconds

    def client(i: int) -> None:
        with httpx.Client(base_url=procs[i % servers].url, timeout=300) as c:
            while time.perf_counter() < stop_at:
                k = next(counter)
                body = {"sentences": [f"{zh[k % len(zh)]}（{k}）"], "qe": "none"}  # distinct: no cache hits
                t0 = time.perf_counter()
                try:
                    status = str(c.post("/v1/translate", json=body).status_code)
                except httpx.HTTPError as err:
                    status = type(err).__name__
                with lock:
                    statuses[status] += 1
                    if status == "200":
                        latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    cpu = sum(_cpu_seconds(s.proc.pid) for s in procs if s.proc) - cpu0
    busy1 = _machine_busy()
    for s in procs:
        s.stop()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {"servers": servers, "clients": clients, "seconds": round(wall, 1), "answered": len(latencies),
            "statuses": dict(statuses), "throughput_req_per_s": round(len(latencies) / wall, 2),
            "latency_p50_s": round(q[49], 3), "latency_p95_s": round(q[94], 3),
            "server_cpu_s_per_request": round(cpu / max(1, len(latencies)), 4),
            "servers_cpu_cores": round(cpu / wall, 2),  # of the machine's, busy with zhen's servers
            "machine_busy": round((busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]), 3)}  # every process


def batch_run(pg: Cluster, model_url: str, nodes: int, articles: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="zhen-scale-batch-"))
    inputs = root / "in"
    inputs.mkdir()
    for i in range(articles):
        (inputs / f"a{i:03d}.txt").write_text(
            f"第{i}号通讯\n\n本院今天接诊了{i * 3}名病人。医生们工作了{i}个小时。\n\n护士长说：一切正常，明天继续。\n",
            encoding="utf-8")
    cluster = RayCluster(workers=nodes).start()
    try:
        env = {**os.environ, **{k: v for k, v in cluster.env.items() if k.startswith("RAY_")},
               "ZHEN_HOME": str(root / "home"), "ZHEN_DB": pg.new_database(), "ZHEN_OPENAI_URLS": model_url}
        t0 = time.perf_counter()
        r = subprocess.run([ZHEN, "batch", "translate", str(inputs), "--out", str(root / "out"), "--engine", "ray",
                            "--workers", str(nodes), "--ray-address", cluster.address],
                           capture_output=True, text=True, env=env, timeout=1800)
        wall = time.perf_counter() - t0
    finally:
        cluster.stop()
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-3000:])
    summary = json.loads(r.stdout)
    return {"worker_nodes": nodes, "articles": articles, "done": summary["done"],
            "articles_per_min": round(60 * summary["done"] / summary["seconds"], 1),
            "run_seconds": summary["seconds"], "command_seconds": round(wall, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20, help="each API run's length")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--service-time", type=float, default=0.1, help="the stand-in model's seconds per request")
    ap.add_argument("--articles", type=int, default=48)
    ap.add_argument("--skip-batch", action="store_true")
    args = ap.parse_args()
    zh = (config.shared_data() / "mt" / "flores200-devtest" / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()
    pg_root = Path(tempfile.mkdtemp(prefix="zhen-pg-"))
    pg = Cluster(pg_root).start()
    model, model_url = fake_model_server(args.service_time)
    try:
        api = [api_run(pg, model_url, n, args.clients, args.seconds, zh) for n in (1, 2, 4)]
        batch = [] if args.skip_batch else [batch_run(pg, model_url, n, args.articles) for n in (1, 2)]
    finally:
        model.kill()
        pg.stop()
    base = api[0]["throughput_req_per_s"] or 1
    scaling = {f"api_{r['servers']}_vs_1": round(r["throughput_req_per_s"] / base, 2) for r in api[1:]}
    if batch:
        scaling["batch_2_vs_1_nodes"] = round(batch[1]["articles_per_min"] / batch[0]["articles_per_min"], 2)
    print(json.dumps({"benchmark": "scale", "cores": os.cpu_count(), "model_service_time_s": args.service_time,
                      "api": api, "batch": batch, "scaling": scaling}, indent=1))


if __name__ == "__main__":
    main()
