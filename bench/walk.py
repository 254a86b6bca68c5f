"""How many of zhen's modules one article passes through, per interface (CLI, API, batch).

Each interface translates one warm-up article first (imports and model loading are not the walk), then
the measured one, with a profiler noting every zhen module whose code runs. The test-double translator
stands in for the model, so the walk is the product's own code. Prints JSON.

    python -m bench.walk [--article PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Walk:
    """Modules of the `zhen` package whose functions are called while `on` is set (every thread)."""

    def __init__(self) -> None:
        self.on = False
        self.modules: set[str] = set()

    def __call__(self, frame, event, arg):
        if self.on and event == "call":
            name = frame.f_globals.get("__name__", "")
            if name.startswith("zhen."):
                self.modules.add(name)

    def measure(self, run: Callable[[], object]) -> list[str]:
        self.modules.clear()
        self.on = True
        try:
            run()
        finally:
            self.on = False
        return sorted(self.modules)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--article", type=Path)
    args = ap.parse_args()
    sys.path.append(str(ROOT / "tests" / "plugins"))  # after PYTHONPATH: an older release brings its own
    tmp = Path(tempfile.mkdtemp())
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from zhen import config

    os.environ.update({"ZHEN_MODELS": str(config.models_dir()), "ZHEN_HOME": str(tmp / "home"),  # LAC tags
                       "ZHEN_PLUGINS": "fake_mt", "ZHEN_BACKEND": "fake"})
    from zhen.cli import main as cli
    from zhen.service.app import create_app

    articles = sorted(p for p in (config.shared_data() / "articles").glob("*.txt") if not p.name.startswith("000"))
    target = args.article or articles[1]
    warm = articles[0]
    walk = Walk()
    sys.setprofile(walk)
    threading.setprofile(walk)
    runner = CliRunner()

    def cli_run(path: Path) -> None:
        res = runner.invoke(cli, ["translate", str(path), "--format", "json"], catch_exceptions=False)
        assert res.exit_code == 0, res.output

    def batch_run(path: Path) -> None:
        d = tmp / f"in-{path.stem}"
        d.mkdir()
        (d / path.name).write_bytes(path.read_bytes())
        res = runner.invoke(cli, ["batch", "translate", str(d), "--out", str(tmp / f"out-{path.stem}")],
                            catch_exceptions=False)
        assert res.exit_code == 0, res.output

    report: dict = {"benchmark": "walk", "article": target.name}
    cli_run(warm)
    report["cli"] = walk.measure(lambda: cli_run(target))
    batch_run(warm)
    report["batch"] = walk.measure(lambda: batch_run(target))
    settings = config.settings(auth=False, sync_chars=1_000_000)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        client.post("/v1/translate", json={"text": warm.read_text(encoding="utf-8")})
        text = target.read_text(encoding="utf-8")
        report["api"] = walk.measure(lambda: client.post("/v1/translate", json={"text": text}).raise_for_status())
    sys.setprofile(None)
    threading.setprofile(None)
    report["modules"] = {k: len(report[k]) for k in ("cli", "api", "batch")}
    report["in_all_three"] = len(set(report["cli"]) & set(report["api"]) & set(report["batch"]))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
