"""Beyond one machine (issue 37): API servers sharing one PostgreSQL store. The servers are real
`zhen serve` processes and the database a real PostgreSQL server (tests/postgres.py)."""

from __future__ import annotations

import time

import pytest
from server import Server, finished, statuses_when_done


@pytest.mark.slow
def test_four_servers_on_postgresql_run_every_job_exactly_once_when_one_is_killed(tmp_path, postgres):
    import psycopg

    url = postgres.new_database()
    env = {"FAKE_MT_DELAY": "0.05", "ZHEN_DB": url}
    servers = []
    for i in range(4):
        (tmp_path / f"s{i}").mkdir()
        servers.append(Server(tmp_path / f"s{i}", "--no-auth", "--backend", "fake", env=env).start())
    jobs = []
    try:
        for i in range(40):
            with servers[i % 4].client() as c:
                r = c.post("/v1/translate", params={"async": "true"},
                           json={"sentences": [f"第{i}号病人在{k}楼。" for k in range(6)]})
                assert r.status_code == 202, r.text
                jobs.append(r.json()["id"])
        with servers[1].client() as c:  # wait until server 1 holds a job, then kill it
            for _ in range(200):
                if any(c.get(f"/v1/jobs/{j}").json()["status"] == "running" for j in jobs[1::4]):
                    break
                time.sleep(0.05)
        servers[1].kill()  # it dies holding a job: another server must take it over, once
        with servers[0].client() as c:
            states = statuses_when_done(c, jobs)
            assert states == ["done"] * len(jobs), states
    finally:
        for s in servers:
            s.stop()
    with psycopg.connect(url) as db:
        count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        assert count("SELECT COUNT(*) FROM documents") == 40
        assert count("SELECT COUNT(DISTINCT doc_id) FROM jobs WHERE status = 'done'") == 40
        assert count("SELECT COUNT(*) FROM segments") == 6 * 40
        owners = {r[0].split(":")[1] for r in db.execute("SELECT owner FROM jobs")}
        retried = count("SELECT COUNT(*) FROM jobs WHERE attempts > 1")
    assert retried >= 1  # the killed server's job was claimed again
    assert len(owners) >= 3  # the work was spread, not done by one server


@pytest.mark.slow
def test_a_keys_limits_hold_across_servers_on_postgresql(tmp_path, postgres):
    import os
    import subprocess
    import threading

    from server import ZHEN

    url = postgres.new_database()
    env = {"ZHEN_DB": url}
    made = subprocess.run([ZHEN, "keys", "create", "clinic", "--rpm", "6", "--chars-per-day", "1000"],
                          capture_output=True, text=True, env={**os.environ, **env, "ZHEN_HOME": str(tmp_path)})
    key = made.stdout.strip()
    assert made.returncode == 0 and key.startswith("zk_"), made.stderr
    servers = []
    for i in range(2):
        (tmp_path / f"s{i}").mkdir()
        servers.append(Server(tmp_path / f"s{i}", "--backend", "fake", env=env).start())
    codes: list[int] = []
    try:
        def call(i: int) -> None:
            with servers[i % 2].client(key) as c:
                codes.append(c.post("/v1/translate", json={"sentences": ["浙江医院成立于1954年。"]}).status_code)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for s in servers:
            s.stop()
    assert sorted(codes) == [200] * 6 + [429] * 10  # six a minute, whichever server was asked


@pytest.mark.slow
def test_serve_keeps_answering_when_one_of_its_model_servers_is_killed(tmp_path):
    import re

    from server import fake_model_server

    (up_a, url_a), (up_b, url_b) = fake_model_server(0.05), fake_model_server(0.05)
    upstreams, urls = [up_a, up_b], [url_a, url_b]
    srv = Server(tmp_path, "--no-auth", "--openai-url", urls[0], "--openai-url", urls[1]).start()
    sentences = [f"第{i}条：医院收治了{i}名病人。" for i in range(120)]
    try:
        with srv.client() as c:
            job = c.post("/v1/translate", params={"async": "true"}, json={"sentences": sentences}).json()
            for _ in range(300):
                health = c.get("/healthz").json()
                if health["upstreams"][1]["requests"] >= 10:
                    break
                time.sleep(0.05)
            upstreams[1].kill()  # B dies with requests in flight
            upstreams[1].wait(10)
            r = c.post("/v1/translate", json={"sentences": ["浙江医院成立于1954年。"]})
            assert r.status_code == 200 and "1954" in r.json()["segments"][0]["draft"]  # answered by A
            state = finished(c, job["id"])
            assert state["status"] == "done", state
            segs = c.get(f"/v1/documents/{state['doc_id']}").json()["segments"]
            health = c.get("/healthz").json()
            metrics = c.get("/metrics").text
            docs = c.get("/v1/documents").json()
    finally:
        srv.stop()
        for u in upstreams:
            u.kill()
    assert [s["source"] for s in segs] == sentences and all(s["draft"] and str(i) in s["draft"]
                                                            for i, s in enumerate(segs))
    a, b = health["upstreams"]  # (B is back "up" once its back-off runs out: in rotation, to be tried again)
    assert a["up"] and a["failures"] == 0 and b["failures"] >= 1 and "Error" in b["last_error"]
    assert a["requests"] + b["requests"] >= len(sentences) + 1 and a["requests"] > b["requests"]
    failures = re.search(rf'zhen_upstream_failures{{url="{re.escape(urls[1])}"}} (\d+)', metrics)
    assert failures and int(failures.group(1)) == b["failures"]
    assert docs["total"] == 2  # the job's document and the one request's: nothing stored twice


@pytest.mark.model
@pytest.mark.slow
def test_serve_over_two_real_llama_cpp_servers_survives_losing_one(tmp_path):
    """The same over llama-cpp-python's own server (a real OpenAI-compatible server no one here wrote), on
    a tiny GGUF the test builds: its English is noise, but every sentence must come back, once."""
    from server import llama_server
    from tiny_models import build_tiny_gguf

    from zhen import config
    from zhen.models import presets

    tiny = build_tiny_gguf(tmp_path / "tiny.gguf", presets.get(presets.DEFAULT_TRANSLATOR).path(config.models_dir()))
    (a, url_a), (b, url_b) = (llama_server(tiny, tmp_path / f"llama-{n}.log", n_ctx=4096) for n in "ab")
    srv = Server(tmp_path, "--no-auth", "--openai-url", url_a, "--openai-url", url_b).start()
    sentences = [f"第{i}条：医院收治了{i}名病人。" for i in range(40)]
    try:
        with srv.client() as c:
            job = c.post("/v1/translate", params={"async": "true"}, json={"sentences": sentences}).json()
            for _ in range(600):
                if c.get("/healthz").json()["upstreams"][1]["requests"] >= 3:
                    break
                time.sleep(0.05)
            b.kill()
            state = finished(c, job["id"], 120)
            assert state["status"] == "done", state
            segs = c.get(f"/v1/documents/{state['doc_id']}").json()["segments"]
            health = c.get("/healthz").json()
    finally:
        srv.stop()
        for p in (a, b):
            p.kill()
    assert [s["source"] for s in segs] == sentences
    first, second = health["upstreams"]
    assert first["up"] and first["requests"] >= len(sentences) // 2 and second["failures"] >= 1
