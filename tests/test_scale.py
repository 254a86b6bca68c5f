"""Beyond one machine (issue 37): API servers sharing one PostgreSQL store. The servers are real
`zhen serve` processes and the database a real PostgreSQL server (tests/postgres.py)."""

from __future__ import annotations

import time

import pytest
from server import Server


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
            deadline = time.time() + 120
            while time.time() < deadline:
                states = [c.get(f"/v1/jobs/{j}").json()["status"] for j in jobs]
                if all(s == "done" for s in states):
                    break
                time.sleep(0.3)
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
