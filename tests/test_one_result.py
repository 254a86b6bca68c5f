"""One article, one result: the CLI, the API (sync, stream, job, the compatible routes) and batch all run
the one translate use case (`zhen.app.translate`) and give the same segments and scores, in the same shape.

The test-double translator (tests/plugins/fake_mt.py) stands in for the model, so what is compared is the
product around it: cleaning, segmentation, terms, checks, QE and serialisation.
"""

from __future__ import annotations

import json
import os
import subprocess

from conftest import PLUGINS, article
from fastapi.testclient import TestClient
from server import ZHEN, finished

COMPARED = ("n", "kind", "paragraph", "source", "draft", "qe", "reasons", "flags", "agreement", "alternatives")
ARTICLE = "002"


def _env(tmp_path) -> dict[str, str]:
    return {**os.environ, "ZHEN_HOME": str(tmp_path / "cli-home"), "ZHEN_PLUGINS": "fake_mt",
            "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}


def _segments(doc: dict) -> list[dict]:
    return [{k: s[k] for k in COMPARED} for s in doc["segments"]]


def _cli(tmp_path) -> dict:
    res = subprocess.run([ZHEN, "translate", str(article(ARTICLE)), "--format", "json", "--backend", "fake"],
                         capture_output=True, text=True, env=_env(tmp_path), timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout)


def _batch(tmp_path) -> dict:
    inputs = tmp_path / "in"
    inputs.mkdir()
    src = article(ARTICLE)
    (inputs / src.name).write_bytes(src.read_bytes())
    res = subprocess.run([ZHEN, "batch", "translate", str(inputs), "--out", str(tmp_path / "out"), "--backend", "fake"],
                         capture_output=True, text=True, env=_env(tmp_path), timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads((tmp_path / "out" / f"{src.stem}.json").read_text(encoding="utf-8"))


def _job(c: TestClient, text: str) -> dict:
    job = c.post("/v1/jobs", json={"kind": "translate", "input": {"text": text}})
    assert job.status_code == 202, job.text
    state = finished(c, job.json()["id"])
    assert state["status"] == "done", state
    return c.get(f"/v1/documents/{state['doc_id']}").json()


def _stream(c: TestClient, text: str) -> list[dict]:
    with c.stream("POST", "/v1/translate?stream=true", json={"text": text}) as r:
        lines = [json.loads(line) for line in r.iter_lines() if line.strip()]
    assert "document" in lines[-1], lines[-1]
    return [item["segment"] for item in lines[:-1]]


def test_cli_api_stream_job_and_batch_give_the_same_segments_and_scores(tmp_path, api):
    client = api
    text = article(ARTICLE).read_text(encoding="utf-8")
    cli = _cli(tmp_path)
    sync = client.post("/v1/translate", json={"text": text})
    assert sync.status_code == 200, sync.text
    api = sync.json()
    expected = _segments(cli)
    assert len(expected) > 8  # more than one streaming chunk: chunking must not change the result
    assert all(s["qe"] is not None for s in expected)
    assert _segments(api) == expected
    assert [{k: s[k] for k in COMPARED} for s in _stream(client, text)] == expected
    assert _segments(_job(client, text)) == expected
    batch = _batch(tmp_path)
    assert _segments(batch) == expected
    # the same document shape everywhere: the CLI's JSON is what the API answers, less the store's id and time
    assert set(cli) == set(api) and cli["id"] is None and api["id"]
    assert all(set(a) == set(b) for a, b in zip(cli["segments"], api["segments"]))
    assert cli["title"] == api["title"] == batch["title"] and cli["text"] == text


def test_compatible_routes_translate_like_v1(api):
    client = api
    """LibreTranslate's and DeepL's routes send their texts through the same use case as /v1/translate."""
    sentences = ["浙江医院成立于1954年。", "醫(yī)院院长樊嘉出席。", "全院共有120张床位。"]
    v1 = client.post("/v1/translate", json={"sentences": sentences}).json()
    drafts = [s["draft"] for s in v1["segments"]]
    assert [s["source"] for s in v1["segments"]] == sentences  # shown as sent; the model read it cleaned
    lt = client.post("/translate", json={"q": sentences, "source": "zh", "target": "en"})
    assert lt.status_code == 200 and lt.json()["translatedText"] == drafts
    dl = client.post("/v2/translate", json={"text": sentences, "target_lang": "EN-US"})
    assert dl.status_code == 200 and [t["text"] for t in dl.json()["translations"]] == drafts


def test_flags_carry_the_span_they_point_at():
    from zhen.app.translate import Flag

    source = "辽宁省卫生健康委员会主任出席。"
    assert Flag.parse("term_missing:辽宁省", source).span == (0, 3)
    assert Flag.parse("numbers_missing:1954", source).span is None
    assert Flag.parse("runaway", source) == Flag("runaway", "", None)
