"""What every request passes through before routing: a body-size limit that holds for chunked bodies too
and a bound on JSON nesting, the Host check of a server without keys, security headers, and key
redaction in the access log. Errors raised here take the shape of the API the path belongs to."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer")]
MAX_JSON_DEPTH = 64  # no request body of any API nests deeper; Python's parser would recurse ~1,000 levels
LIBRETRANSLATE = ("/translate", "/translate_file", "/download_file", "/detect", "/languages", "/frontend", "/health")


def error_field(path: str) -> str:
    """The field an error message goes in, by the API `path` belongs to: DeepL's `message`, LibreTranslate's
    `error`, zhen's own `detail` (their clients parse these)."""
    if path == "/v2" or path.startswith("/v2/"):
        return "message"
    if any(path == p or path.startswith(p + "/") for p in LIBRETRANSLATE):
        return "error"
    return "detail"


def json_depth(body: bytes) -> int:
    """How deep a JSON text nests its arrays and objects (brackets inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:  # the common case, counted in C
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


async def _json(send: Send, status: int, message: str, path: str = "") -> None:
    body = json.dumps({error_field(path): message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse a request body over `limit` bytes as it arrives (413), whether it declares its length or
    comes chunked; a body within the limit is handed on whole. The rest of an oversized body is never read,
    so a 300 MB upload costs no more memory than the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared, path = headers.get(b"content-length", b""), scope.get("path", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _json(send, 413, f"request body too large ({int(declared)} bytes; the limit is {self.limit})", path)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _json(send, 413, f"request body too large (over {self.limit} bytes)", path)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        if b"json" in headers.get(b"content-type", b"") and json_depth(b"".join(chunks)) > MAX_JSON_DEPTH:
            status = 422 if error_field(path) == "detail" else 400
            await _json(send, status, f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels", path)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: disconnects, for streaming responses
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def _host(header: bytes) -> str:
    text = header.decode("latin-1").strip().lower()
    if text.startswith("["):  # [::1]:8000
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class LoopbackHosts:
    """A server without keys answers only requests addressed to a loopback name, so a web page on another
    site cannot reach it through DNS rebinding (its requests carry that site's Host)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = _host(dict(scope.get("headers") or []).get(b"host", b""))
            if host not in self.allowed:
                await _json(send, 421, f"this server without API keys only answers requests for "
                                       f"{', '.join(sorted(self.allowed))}, not {host[:100] or 'no Host'}",
                            scope.get("path", ""))
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """nosniff, no framing, no referrer on every response; `extra` headers for paths with a prefix."""

    def __init__(self, app: ASGIApp, extra: dict[str, list[tuple[bytes, bytes]]] | None = None) -> None:
        self.app, self.extra = app, extra or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        more = [h for prefix, hs in self.extra.items() if scope.get("path", "").startswith(prefix) for h in hs]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS, *more]
            await send(message)

        await self.app(scope, receive, with_headers)


_SECRET_QUERY = re.compile(r"(?i)([?&](?:key|api_key|auth_key)=)[^&\s]*")


class RedactKeys(logging.Filter):
    """Access-log lines show `?key=…` (the review page's link) as `?key=[redacted]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_SECRET_QUERY.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in record.args)
        record.msg = _SECRET_QUERY.sub(r"\1[redacted]", str(record.msg))
        return True
