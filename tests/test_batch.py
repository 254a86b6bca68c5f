"""`zhen batch translate`: outputs, bad files, exactly-once after SIGKILL, Ray = local.

The test-double translator (tests/plugins/fake_mt.py) stands in for the model so the batch machinery
is what is tested; FAKE_MT_DELAY makes a run slow enough to be killed in the middle."""

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ARTICLES
from server import TESTS, ZHEN
from translate.storage.tmx import tmxfile

from zhen.cli import main


def _inputs(tmp_path: Path, n_small: int = 0) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for p in ARTICLES.glob("*.txt"):
        (d / p.name).write_bytes(p.read_bytes())
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (d / "english.txt").write_text("Only English here, nothing to translate.\n", encoding="utf-8")
    (d / "huge.txt").write_text("医院" * 150_000, encoding="utf-8")
    for i in range(n_small):
        (d / f"small_{i:02d}.txt").write_text(
            f"第{i}号通讯\n\n本院今天接诊了{i * 3}名病人。医生们工作了{i}个小时。\n\n护士长说：一切正常。\n", encoding="utf-8")
    return d


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ZHEN_HOME": str(tmp_path / "home"), "ZHEN_PLUGINS": "fake_mt",
            "PYTHONPATH": os.pathsep.join([str(TESTS / "plugins"), os.environ.get("PYTHONPATH", "")]), **extra}


def _batch(tmp_path: Path, inputs: Path, out: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([ZHEN, "batch", "translate", str(inputs), "--out", str(out), "--backend", "fake", *args],
                          capture_output=True, text=True, env=_env(tmp_path, **env), timeout=600)


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "summary.json"}


def test_batch_writes_outputs_reports_bad_files_and_skips_done_articles(tmp_path):
    inputs = _inputs(tmp_path)
    out = tmp_path / "out"
    r = _batch(tmp_path, inputs, out)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["done"] == 4 and summary["failed"] == 5  # 000 is English: no Chinese to translate
    reasons = {f["article"]: f["reason"] for f in summary["failures"]}
    assert "empty" in reasons["empty"] and "binary" in reasons["binary"]
    assert "no Chinese" in reasons["english"] and "too large" in reasons["huge"]
    for stem in ("001_ab0723f7af76159a", "004_26cad409f7d8d283"):
        doc = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        assert doc["segments"] and all(0 <= s["qe"] <= 1 for s in doc["segments"])
        assert sum(len(b["zh"]) for b in doc["alignments"]) == len(doc["segments"])
        assert (out / f"{stem}.en.txt").read_text(encoding="utf-8").strip()
        assert len(tmxfile((out / f"{stem}.tmx").read_bytes()).units) == len(doc["segments"])
    again = json.loads(_batch(tmp_path, inputs, out).stdout)
    assert again["done"] == 0 and again["skipped"] == 4 and again["failed"] == 5
    db = sqlite3.connect(tmp_path / "home" / "zhen.sqlite")
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 4  # the API serves them too


def test_sigkill_mid_batch_then_rerun_does_every_article_exactly_once(tmp_path):
    inputs = _inputs(tmp_path, n_small=16)
    out = tmp_path / "out"
    proc = subprocess.Popen([ZHEN, "batch", "translate", str(inputs), "--out", str(out), "--backend", "fake"],
                            env=_env(tmp_path, FAKE_MT_DELAY="0.05"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    articles_written = lambda: [p for p in out.glob("*.json") if p.name != "manifest.json"]  # noqa: E731
    deadline = time.time() + 300
    while time.time() < deadline and len(articles_written()) < 4:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    # An article's .json may be written and the kill land before its row commits: that one is done again.
    done_before = len(articles_written())
    assert 4 <= done_before < 20, "the kill must land in the middle of the batch"
    r = _batch(tmp_path, inputs, out, FAKE_MT_DELAY="0.05")
    summary = json.loads(r.stdout)
    assert summary["done"] + summary["skipped"] == 20 and summary["skipped"] >= done_before - 1
    assert not list(out.glob("*.tmp"))
    db = sqlite3.connect(tmp_path / "home" / "zhen.sqlite")
    rows = db.execute("SELECT name, COUNT(*) FROM batch_items WHERE status = 'done' GROUP BY name").fetchall()
    assert len(rows) == 20 and all(n == 1 for _, n in rows)
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 20  # none stored twice
    clean = tmp_path / "clean"
    clean.mkdir()
    _batch(clean, inputs, clean / "out")
    assert _outputs(out) == _outputs(clean / "out")  # identical to an uninterrupted run


@pytest.mark.slow
def test_ray_engine_on_a_local_cluster_matches_the_local_engine(tmp_path, monkeypatch):
    from zhen.app import factory
    from zhen.batch.engines import LocalEngine, RayEngine, WorkerSpec
    from zhen.batch.run import Batch
    from zhen.store import Store

    inputs = _inputs(tmp_path, n_small=6)
    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    monkeypatch.syspath_prepend(str(TESTS / "plugins"))
    spec = WorkerSpec(factory.settings(), backend="fake")
    local = Batch(tmp_path / "local", Store(tmp_path / "a.sqlite"), spec, LocalEngine(spec))
    local.run(str(inputs))
    import ray

    engine = RayEngine(spec, workers=2)
    try:
        assert len(set(engine.worker_pids())) == 2  # two worker processes of the cluster
        summary = Batch(tmp_path / "ray", Store(tmp_path / "b.sqlite"), spec, engine).run(str(inputs))
    finally:
        engine.close()
    assert not ray.is_initialized()  # the engine that connected disconnected
    assert summary.done == 10 and len(summary.failed) == 5
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")


def test_batch_cli_errors(tmp_path):
    r = CliRunner().invoke(main, ["batch", "translate", str(tmp_path / "nope*.txt"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "no file matches" in r.output


def test_watch_picks_up_new_articles(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("第一篇\n\n医院今天开会。\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([ZHEN, "batch", "translate", str(inputs), "--out", str(out), "--backend", "fake",
                             "--watch", "--interval", "0.3"], env=_env(tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (out / "a.json").exists():
            time.sleep(0.1)
        (inputs / "b.txt").write_text("第二篇\n\n医生们工作了8个小时。\n", encoding="utf-8")
        while time.time() < deadline and not (out / "b.json").exists():
            time.sleep(0.1)
        assert (out / "a.json").exists() and (out / "b.json").exists()
        assert "8" in (out / "b.en.txt").read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.slow
def test_a_batch_on_a_real_ray_cluster_loses_a_worker_node_and_finishes_every_article_once(tmp_path, postgres):
    """The README's steps: `ray start --head`, `ray start --address` on two more nodes (processes here,
    each its own process group), then `zhen batch translate --engine ray --ray-address HEAD` with the store
    on PostgreSQL, which every node reaches. One worker node is SIGKILLed mid-batch."""
    from ray_cluster import RayCluster

    from zhen.store import Store

    inputs = tmp_path / "in"
    inputs.mkdir()
    n = 16
    for i in range(n):
        (inputs / f"a{i:02d}.txt").write_text(f"第{i}号通讯\n\n本院今天接诊了{i * 3}名病人。医生们工作了{i}个小时。\n",
                                              encoding="utf-8")
    db = postgres.new_database()
    cluster = RayCluster(workers=2).start()
    out = tmp_path / "out"
    try:
        env = {**_env(tmp_path, FAKE_MT_DELAY="0.4", ZHEN_DB=db), **{k: v for k, v in cluster.env.items()
                                                                       if k.startswith("RAY_")}}
        log = open(tmp_path / "batch.log", "w")  # noqa: SIM115
        proc = subprocess.Popen([ZHEN, "batch", "translate", str(inputs), "--out", str(out), "--backend", "fake",
                                 "--engine", "ray", "--workers", "2", "--ray-address", cluster.address],
                                stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        deadline = time.time() + 300
        while time.time() < deadline and len(list(out.glob("*.json"))) < 3:
            time.sleep(0.2)
        assert proc.poll() is None, (tmp_path / "batch.log").read_text()[-3000:]
        cluster.kill(2)  # a worker node dies, with the article its actor held
        stdout, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, (tmp_path / "batch.log").read_text()[-3000:]
    finally:
        cluster.stop()
    summary = json.loads(stdout)
    assert summary["done"] == n and summary["failed"] == 0
    assert "lost" in (tmp_path / "batch.log").read_text()  # the lost node's article went to the other one
    store = Store(db)
    assert store.table_counts()["documents"] == n  # each article's document once
    items = store.batch_items()
    assert len(items) == n and {i["status"] for i in items.values()} == {"done"}
    assert len(list(out.glob("a*.json"))) == n and len(list(out.glob("a*.tmx"))) == n
