"""The API: in-process through FastAPI's TestClient, and against real `zhen serve` processes where a
process must die, bind a port for a browser or a fuzzer, or serve the real model (test-double
translator unless marked `model`)."""

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import article
from server import ZHEN, Server, finished
from translate.storage.tmx import tmxfile
from translate.storage.xliff import xlifffile

from zhen.store import MIGRATIONS, Store


@pytest.fixture()
def open_server(tmp_path):
    srv = Server(tmp_path, "--no-auth", "--backend", "fake", "--sync-chars", "8000").start()
    yield srv
    srv.stop()


def _zh(prefix: str) -> str:
    return article(prefix).read_text(encoding="utf-8")


def test_store_migrates_once(tmp_path):
    db = tmp_path / "s.sqlite"
    Store(db).close()
    Store(db).close()  # re-opening must not re-apply migrations
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_translate_align_edit_export_over_http(api):
    c = api
    r = c.post("/v1/translate", json={"text": _zh("003")})
    assert r.status_code == 200, r.text
    doc = r.json()
    segs = doc["segments"]
    assert len(segs) > 5 and doc["title"]
    assert all(0 <= s["qe"] <= 1 and isinstance(s["reasons"], list) and s["draft"] for s in segs)
    assert c.get(f"/v1/documents/{doc['id']}").json()["segments"] == segs

    english = "\n".join(s["draft"] for s in segs)
    r = c.post("/v1/align", json={"zh": "\n".join(s["source"] for s in segs), "en": english, "presplit": True})
    assert r.status_code == 200, r.text
    beads = r.json()["alignments"]
    assert sum(len(b["zh"]) for b in beads) == len(segs) and all(0 <= b["score"] <= 1 for b in beads)

    n = segs[2]["n"]
    r = c.put(f"/v1/documents/{doc['id']}/segments/{n}", json={"text": "A translator's better sentence.",
                                                                  "author": "li"})
    assert r.status_code == 200
    edited = r.json()["segment"]
    assert edited["n"] == n and edited["status"] == "edited"
    assert edited["text"] == "A translator's better sentence." and edited["draft"] == segs[2]["draft"]
    assert edited["edits"][0]["author"] == "li"

    tmx = tmxfile(c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "tmx"}).content)
    pairs = {u.source: u.target for u in tmx.units}
    assert pairs[segs[2]["source"]] == "A translator's better sentence."
    assert len(tmx.units) == len(segs)
    xlf = xlifffile(c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "xliff"}).content)
    assert {u.source: u.target for u in xlf.units} == pairs
    tsv = c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "tsv"}).text.splitlines()
    assert len(tsv) == len(segs) + 1 and "A translator's better sentence." in tsv[3]

    r = c.put(f"/v1/documents/{doc['id']}/segments/9999", json={"text": "x"})
    assert r.status_code == 404 and "9999" in r.json()["detail"]
    assert c.get("/v1/documents/nope").status_code == 404
    assert c.get("/v1/models").json()["loaded"] == "fake"
    assert "zhen_requests_total" in c.get("/metrics").text


def test_polish_over_http_with_and_without_source(api):
    c = api
    english = "we visited zhejiang university on 3 May , \" Zhejiang Hospital \"said.\nThe 2 hospitals agreed."
    r = c.post("/v1/polish", json={"english": english, "presplit": True})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["kind"] == "polish" and len(doc["segments"]) == 2
    first = doc["segments"][0]
    assert first["action"] == "repaired" and first["draft"].startswith("We visited Zhejiang University on 3 May,")
    r = c.post("/v1/polish", json={"english": "The hospital has campuses.", "source": "医院有3个院区。",
                                   "presplit": True})
    assert r.status_code == 200, r.text
    seg = r.json()["segments"][0]
    assert seg["source"] == "医院有3个院区。" and seg["action"] in ("kept", "replaced", "merged")
    assert "3" in seg["draft"]  # the candidate without the source's number is refused
    tmx = tmxfile(c.get(f"/v1/documents/{r.json()['id']}/parallel", params={"format": "tmx"}).content)
    assert [u.source for u in tmx.units] == ["医院有3个院区。"]


def test_bad_input_gets_4xx_with_a_message(api):
    c = api
    cases = [
        ({"text": "x", "sentences": ["y"]}, 422),  # both inputs
        ({}, 422),
        ({"sentences": []}, 422),
        ({"text": "   "}, 422),  # nothing to translate
        ({"text": "只有中文", "model": "some-other-model"}, 422),
        ({"text": "中" * 100_001}, 413),
    ]
    for body, status in cases:
        r = c.post("/v1/translate", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["detail"]
    r = c.post("/v1/translate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert c.post("/v1/align", json={"zh": "中文。", "en": "   "}).status_code == 422


def test_large_requests_become_jobs_and_streams_deliver_sentences(api):
    c = api
    big = "\n".join(f"第{i}段：浙江医院今天举行了第{i}次会议，共有{i * 10}人参加。" for i in range(300))
    r = c.post("/v1/translate", json={"text": big})
    assert r.status_code == 202 and r.headers["location"] == f"/v1/jobs/{r.json()['id']}"
    job = finished(c, r.json()["id"], 60)
    assert job["status"] == "done", job
    assert len(c.get(f"/v1/documents/{job['doc_id']}").json()["segments"]) == 300

    with c.stream("POST", "/v1/translate", params={"stream": "true"},
                  json={"sentences": [f"第{i}句话。" for i in range(20)]}) as resp:
        lines = [json.loads(x) for x in resp.iter_lines() if x]
    assert [x["segment"]["n"] for x in lines[:-1]] == list(range(20))
    assert "document" in lines[-1]
    r = c.post("/v1/jobs", json={"kind": "align", "input": {"zh": "你好。", "en": "Hello."}})
    assert r.status_code == 202
    r = c.post("/v1/jobs", json={"kind": "align", "input": {"zh": "你好。"}})
    assert r.status_code == 422 and "en" in r.json()["detail"]


def test_concurrent_requests_each_get_their_own_output(tmp_path):
    srv = Server(tmp_path, "--no-auth", "--backend", "fake", env={"FAKE_MT_DELAY": "0.02"}).start()
    results: dict[int, httpx.Response] = {}

    def call(i: int) -> None:
        with srv.client() as c:
            results[i] = c.post("/v1/translate", json={"sentences": [f"第{i}号病人在{i}楼。", f"编号{i * 7}。"]})

    threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    for i, r in results.items():
        assert r.status_code == 200, r.text
        segs = r.json()["segments"]
        assert [s["source"] for s in segs] == [f"第{i}号病人在{i}楼。", f"编号{i * 7}。"]
        assert [s["n"] for s in segs] == [0, 1] and str(i * 7) in segs[1]["draft"]
    health = httpx.get(srv.url + "/healthz").json()
    srv.stop()
    assert health["done"] == 20 and health["grouped"] >= 2  # waiting requests shared model calls


def test_api_keys_and_limits(tmp_path):
    env = {"ZHEN_HOME": str(tmp_path)}

    def keys(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([ZHEN, "keys", *args], capture_output=True, text=True, env={**__import__("os").environ,
                                                                                        **env})

    key = keys("create", "alice", "--rpm", "5", "--chars-per-day", "200").stdout.strip()
    other = keys("create", "bob").stdout.strip()
    assert key.startswith("zk_")
    bob_id = other.split("_")[1]
    secret = key.split("_", 2)[2]  # the secret is url-safe base64, so it may hold "_" itself
    assert "alice" in keys("list").stdout and secret not in keys("list").stdout
    assert keys("revoke", bob_id).returncode == 0
    assert keys("revoke", "nonexistent").returncode == 2
    stored = sqlite3.connect(tmp_path / "zhen.sqlite").execute("SELECT hash FROM api_keys").fetchall()
    assert all(secret not in h for (h,) in stored)  # only hashes are stored

    srv = Server(tmp_path, "--backend", "fake").start()
    try:
        assert httpx.post(srv.url + "/v1/translate", json={"sentences": ["你好。"]}).status_code == 401
        with srv.client("zk_bad_key") as c:
            assert c.post("/v1/translate", json={"sentences": ["你好。"]}).status_code == 401
        with srv.client(other) as c:
            assert c.post("/v1/translate", json={"sentences": ["你好。"]}).status_code == 403
        with srv.client(key) as c:
            r = c.post("/v1/translate", json={"sentences": ["中" * 150]})
            assert r.status_code == 200
            r = c.post("/v1/translate", json={"sentences": ["中" * 100]})
            assert r.status_code == 429 and "character limit" in r.json()["detail"] and r.headers["retry-after"]
            codes = [c.get("/v1/jobs/x").status_code for _ in range(5)]
            assert codes[:3] == [404] * 3 and codes[3:] == [429, 429]  # 5 per minute: 2 spent above
        r = httpx.post(srv.url + "/v1/translate", json={"sentences": ["你好。"]},
                       headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    finally:
        srv.stop()


def test_no_auth_refuses_a_public_address(tmp_path):
    r = subprocess.run([ZHEN, "serve", "--no-auth", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "loopback" in r.stderr


def test_sigkill_during_a_job_then_restart_finishes_it_exactly_once(tmp_path):
    env = {"FAKE_MT_DELAY": "0.15"}
    sentences = [f"第{i}条：医院收治了{i}名病人。" for i in range(40)]
    srv = Server(tmp_path, "--no-auth", "--backend", "fake", env=env).start()
    with srv.client() as c:
        job = c.post("/v1/translate", params={"async": "true"}, json={"sentences": sentences}).json()
        for _ in range(100):
            if c.get(f"/v1/jobs/{job['id']}").json()["status"] == "running":
                break
            time.sleep(0.1)
        time.sleep(1.0)  # well inside the ~6 s the job takes
    srv.kill()
    db = sqlite3.connect(tmp_path / "zhen.sqlite")
    assert db.execute("SELECT status FROM jobs").fetchone()[0] == "running"
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0  # nothing half-written
    srv = Server(tmp_path, "--no-auth", "--backend", "fake", env=env, port=srv.port).start()
    try:
        with srv.client() as c:
            state = finished(c, job["id"], 60)
            assert state["status"] == "done" and state["attempts"] == 2
            segs = c.get(f"/v1/documents/{state['doc_id']}").json()["segments"]
        assert [s["source"] for s in segs] == sentences
        assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == len(sentences)
    finally:
        srv.stop()


def test_openapi_schema_fuzzing_finds_no_server_error(open_server):
    st = str(Path(sys.executable).parent / "schemathesis")
    r = subprocess.run([st, "run", f"{open_server.url}/openapi.json", "--checks", "not_a_server_error",
                        "--max-examples", "25", "--request-timeout", "60", "--no-color"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_review_page_edit_lands_in_exported_tmx(open_server, tmp_path):
    from browser import FLAGS, chromium

    exe = chromium()
    from playwright.sync_api import sync_playwright

    with open_server.client() as c:
        doc = c.post("/v1/translate", json={"sentences": ["浙江医院成立于1954年。", "医院有3个院区。", "你好。"]}).json()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=FLAGS[1:])
        page = browser.new_page()
        page.goto(f"{open_server.url}/review/{doc['id']}")
        page.wait_for_selector("#rows tr")
        assert page.locator("#rows tr").count() == 3
        row = page.locator("#rows tr[data-n='1']")
        row.locator("textarea").fill("The hospital has three campuses.")
        row.locator("button.save").click()
        page.wait_for_selector("#rows tr.saved")
        page.check("#low-only")
        page.fill("#threshold", "0")
        assert page.locator("#rows tr:not([hidden])").count() == 0
        page.screenshot(path=str(tmp_path / "review.png"))
        browser.close()
    with open_server.client() as c:
        tmx = tmxfile(c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "tmx"}).content)
    assert {u.source: u.target for u in tmx.units}["医院有3个院区。"] == "The hospital has three campuses."


@pytest.mark.model
def test_real_model_server_translates_a_seed_article(tmp_path):
    srv = Server(tmp_path, "--no-auth").start(timeout=300)
    try:
        with srv.client(timeout=900) as c:
            r = c.post("/v1/translate", params={"async": "false"}, json={"text": _zh("003")[:1500]})
            assert r.status_code in (200, 202), r.text
            doc_id = r.json()["id"] if r.status_code == 200 else None
            if doc_id is None:
                job = finished(c, r.json()["id"], 900)
                assert job["status"] == "done", job
                doc_id = job["doc_id"]
            doc = c.get(f"/v1/documents/{doc_id}").json()
            from zhen.mt.faithful.checks import has_cjk

            assert doc["segments"] and not any(has_cjk(s["draft"]) for s in doc["segments"])
            tmx = tmxfile(c.get(f"/v1/documents/{doc_id}/parallel", params={"format": "tmx"}).content)
            assert len(tmx.units) == len(doc["segments"])
    finally:
        srv.stop()
