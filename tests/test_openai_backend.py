"""The `openai` backend: round-robin over several servers (in-process mock), and a real llama.cpp
server on loopback serving the default GGUF (marked `model`)."""

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import tagger
from server import free_port

from zhen.mt.backends.openai import OpenAITranslator
from zhen.mt.base import Request
from zhen.mt.pipeline import Pipeline


def test_requests_are_spread_over_servers_and_answers_keep_order():
    seen: list[str] = []
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        text = body["messages"][-1]["content"]
        with lock:
            seen.append(request.url.host)
        assert body["temperature"] == 0 and body["messages"][0]["role"] == "system"
        return httpx.Response(200, json={"choices": [{"message": {"content": f"EN[{text}]"}}]})

    t = OpenAITranslator(["http://a/v1", "http://b/v1/"], model="m", concurrency=2)
    t.client = httpx.Client(transport=httpx.MockTransport(handler))
    out = t.translate([Request(f"句子{i}。") for i in range(10)])
    assert out == [f"EN[句子{i}。]" for i in range(10)]
    assert seen.count("a") == 5 and seen.count("b") == 5
    assert t.signature().startswith("openai:m")


def test_server_errors_surface_as_exceptions():
    t = OpenAITranslator("http://a/v1")
    t.client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503, json={"error": "busy"})))
    with pytest.raises(httpx.HTTPStatusError):
        t.translate([Request("你好。")])


@pytest.mark.model
@pytest.mark.slow
def test_against_a_real_llama_cpp_server_on_loopback(tmp_path):
    from zhen.models import presets

    port = free_port()
    from zhen import config

    model = presets.get(presets.DEFAULT_TRANSLATOR).path(config.models_dir())
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "2048"], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(240):
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail((tmp_path / "server.log").read_text()[-2000:])
        t = OpenAITranslator(url, model="default", concurrency=1)
        drafts = Pipeline(t, memory=None, tagger=tagger()).translate(["世界卫生组织周二表示，该病毒已在三个国家传播。", "浙江医院成立于1954年。"])
        assert "World Health Organization" in drafts[0].draft and "Tuesday" in drafts[0].draft
        assert "1954" in drafts[1].draft and "Zhejiang Hospital" in drafts[1].draft
        assert not any(d.flags for d in drafts)
    finally:
        proc.terminate()
        proc.wait(30)
