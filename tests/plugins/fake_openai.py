"""A stand-in OpenAI-compatible model server (`/v1/chat/completions`, `/v1/models`) with a fixed service
time, for the rotation tests and `bench/scale.py`: `python fake_openai.py PORT [SECONDS]`.

It answers like the `fake` translator (the user turn's first line, romanised), one request per thread,
each after SECONDS, so a test can kill it mid-run and a benchmark can scale against a known cost.
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from zhen.mt.faithful.checks import romanise

DELAY = 0.0


class Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        source = body["messages"][-1]["content"].split("\n", 1)[0]
        time.sleep(DELAY)
        self._send(200, {"object": "chat.completion", "model": "fake",
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": romanise(source)}}]})

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
