"""The `openai` backend: round-robin over several servers (in-process mock), and a real llama.cpp
server on loopback serving the default GGUF (marked `model`)."""

import json
import threading

import httpx
import pytest
from conftest import tagger
from server import llama_server

from zhen.errors import ModelError
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
    with pytest.raises(ModelError, match="no model server answered"):
        t.translate([Request("你好。")])
    t.client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(400, json={"error": "too long"})))
    with pytest.raises(httpx.HTTPStatusError):  # the request's fault: not re-sent, the server stays up
        t.translate([Request("你好。")])
    assert t.upstreams()[0]["up"] and t.upstreams()[0]["failures"] == 1


def test_a_failing_server_leaves_rotation_and_comes_back_after_its_backoff():
    now = [0.0]
    down = {"b"}
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        if request.url.host in down:
            raise httpx.ConnectError("refused", request=request)
        text = json.loads(request.content)["messages"][-1]["content"]
        return httpx.Response(200, json={"choices": [{"message": {"content": f"EN[{text}]"}}]})

    t = OpenAITranslator(["http://a/v1", "http://b/v1"], concurrency=1)
    t.servers.clock = lambda: now[0]
    t.client = httpx.Client(transport=httpx.MockTransport(handler))
    out = t.translate([Request(f"句子{i}。") for i in range(8)])
    assert out == [f"EN[句子{i}。]" for i in range(8)]  # b's requests were re-sent to a
    b = t.upstreams()[1]
    assert not b["up"] and b["failures"] == 1 and b["retry_in"] == 5.0 and "ConnectError" in b["last_error"]
    asked.clear()
    t.translate([Request("再一句。")] * 4)
    assert "b" not in asked  # out of rotation during its backoff
    now[0] = 6.0
    down.clear()
    t.translate([Request("再一句。")] * 4)
    assert asked.count("b") >= 1 and t.upstreams()[1]["up"]  # tried again, and back
    down.update({"a", "b"})
    now[0] = 100.0
    with pytest.raises(ModelError):
        t.translate([Request("没有服务器。")])


@pytest.mark.model
@pytest.mark.slow
def test_against_a_real_llama_cpp_server_on_loopback(tmp_path):
    from zhen import config
    from zhen.models import presets

    model = presets.get(presets.DEFAULT_TRANSLATOR).path(config.models_dir())
    proc, url = llama_server(model, tmp_path / "server.log")
    try:
        t = OpenAITranslator(url, model="default", concurrency=1)
        drafts = Pipeline(t, memory=None, tagger=tagger()).translate(["世界卫生组织周二表示，该病毒已在三个国家传播。", "浙江医院成立于1954年。"])
        assert "World Health Organization" in drafts[0].draft and "Tuesday" in drafts[0].draft
        assert "1954" in drafts[1].draft and "Zhejiang Hospital" in drafts[1].draft
        assert not any(d.flags for d in drafts)
    finally:
        proc.terminate()
        proc.wait(30)
