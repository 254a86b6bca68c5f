"""Any OpenAI-compatible chat endpoint (llama.cpp server, vLLM, ...), spread over one or more servers.

Requests go out concurrently (a thread per in-flight request, round-robin over `base_urls`), so a
batch keeps every server's own batching busy. A server that fails is taken out of rotation and its
requests re-sent to the others (`upstreams.py`). Servers cannot be told to ban Chinese tokens portably,
so any Chinese that comes back is romanised by the post-processor.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from zhen.mt.backends.upstreams import Upstreams
from zhen.mt.base import Request, Translator
from zhen.mt.prompts import chat_messages
from zhen.mt.registry import register


@register("openai")
class OpenAITranslator(Translator):
    def __init__(self, base_urls: str | Sequence[str] = "http://127.0.0.1:8080/v1", model: str = "default",
                 api_key: str | None = None, concurrency: int = 4, timeout: float = 120.0, few_shot: bool = True,
                 max_tokens: int = 320, name: str | None = None, **_ignored: object) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        self.urls = [u.rstrip("/") for u in urls]
        self.model, self.few_shot, self.max_tokens = model, few_shot, max_tokens
        self.name = name or f"openai:{model}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(timeout=timeout, headers=headers)
        self.concurrency = max(1, concurrency) * len(self.urls)
        self.servers = Upstreams(self.urls)

    def signature(self) -> str:
        return f"{self.name}|shots={self.few_shot};greedy"

    def _one(self, req: Request) -> str:
        body = {"model": self.model, "messages": chat_messages(req, self.few_shot), "temperature": 0,
                "max_tokens": min(self.max_tokens, 4 * len(req.source) + 64)}

        def send(url: str) -> str:
            r = self.client.post(f"{url}/chat/completions", json=body)
            r.raise_for_status()
            return r.json()["choices"][0]["message"]["content"] or ""

        return self.servers.call(send)

    def upstreams(self) -> list[dict]:
        return self.servers.report()

    def translate(self, requests: Sequence[Request]) -> list[str]:
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            return list(pool.map(self._one, requests))

    def close(self) -> None:
        self.client.close()
