"""Zip bombs against a real server: its peak memory, and how long /healthz waits meanwhile. Prints JSON.

A `zhen serve --no-auth --backend fake` process gets a .docx whose document part inflates to 1 GiB (bzip2)
and one of 384 MiB (deflate, which compresses at most ~1,000:1 and must stay under the body limit), each
alone and then three at once, while another client polls /healthz every 20 ms. Reported: each answer's
status, the server's peak resident memory (VmHWM) and idle memory, and /healthz's median and worst wait.

    python -m bench.hostile [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def bomb(method: int, size: int) -> bytes:
    """A .docx-shaped zip whose document part inflates to `size` bytes of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 24)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()


def rss_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    bombs = {"bzip2_1GiB": bomb(zipfile.ZIP_BZIP2, 1 << 30), "deflate_384MiB": bomb(zipfile.ZIP_DEFLATED, 384 << 20)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = Path(tempfile.mkdtemp(prefix="zhen-bench-hostile-"))
    env = {**os.environ, "ZHEN_HOME": str(home), "ZHEN_PLUGINS": "fake_mt",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "plugins"), os.environ.get("PYTHONPATH", "")])}
    zhen = str(Path(sys.executable).parent / "zhen")
    proc = subprocess.Popen([zhen, "serve", "--no-auth", "--backend", "fake", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            for _ in range(300):
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        idle = rss_mib(proc.pid, "VmRSS")
        waits: list[float] = []
        stop = threading.Event()

        def poll() -> None:
            with httpx.Client(base_url=url, timeout=30) as c:
                while not stop.is_set():
                    start = time.perf_counter()
                    c.get("/healthz")
                    waits.append(time.perf_counter() - start)
                    time.sleep(0.02)

        def upload(item: tuple[str, bytes]) -> int:
            with httpx.Client(base_url=url, timeout=120) as c:
                return c.post("/translate_file", data={"source": "zh", "target": "en"},
                              files={"file": (f"{item[0]}.docx", item[1])}).status_code

        poller = threading.Thread(target=poll)
        poller.start()
        statuses: dict[str, list[int]] = {}
        try:
            for _ in range(args.rounds):
                for item in bombs.items():
                    statuses.setdefault(item[0], []).append(upload(item))
                with ThreadPoolExecutor(3) as pool:
                    three = list(pool.map(upload, [*bombs.items(), next(iter(bombs.items()))]))
                statuses.setdefault("three_at_once", []).extend(three)
        finally:
            stop.set()
            poller.join()
        report = {"benchmark": "hostile", "bomb_bytes": {k: len(v) for k, v in bombs.items()}, "statuses": statuses,
                  "server_idle_rss_mib": round(idle, 1), "server_peak_rss_mib": round(rss_mib(proc.pid, "VmHWM"), 1),
                  "server_rss_after_mib": round(rss_mib(proc.pid, "VmRSS"), 1), "healthz_polls": len(waits),
                  "healthz_median_s": round(statistics.median(waits), 4), "healthz_max_s": round(max(waits), 4)}
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
