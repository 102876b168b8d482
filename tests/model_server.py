"""A loopback OpenAI-compatible chat-completions server for the drafting tests: it records every
request (path, headers, JSON body) and answers from a queue of replies (tests.loopback.Reply),
the last one repeating."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.loopback import Reply


@dataclass
class ModelRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def completion(content: str, finish_reason: str = "stop", model: str = "qwen2.5:7b-instruct") -> Reply:
    """A chat completion whose message is `content`, as Ollama's and OpenAI's /v1 answer it."""
    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600, "model": model,
              "choices": [{"index": 0, "finish_reason": finish_reason,
                           "message": {"role": "assistant", "content": content}}],
              "usage": {"prompt_tokens": 812, "completion_tokens": 164, "total_tokens": 976}}
    return Reply(200, json.dumps(answer, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


def draft_reply(title: str, summary: str) -> Reply:
    return completion(json.dumps({"title": title, "summary": summary}, ensure_ascii=False))


def error_reply(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()
    return Reply(status, body, {"Content-Type": "application/json", **(headers or {})})


class ModelServer:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[ModelRequest] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(ModelRequest(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                    json.loads(raw or b"{}")))
                reply = server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                try:
                    time.sleep(reply.delay_s)
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def __enter__(self) -> ModelServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
