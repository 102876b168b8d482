"""A real HTTP server on 127.0.0.1 serving recorded files and broken responses to the real
Scrapy engine (tests never mock the network library)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    etag: str | None = None  # answer If-None-Match with 304
    # A body sent as it is produced, without Content-Length: until the generator ends (HTTP/1.0,
    # the connection's close ends it) or, chunked, in HTTP/1.1 chunks (an endless one never ends).
    stream: Callable[[], Iterator[bytes]] | None = None
    chunked: bool = False


Handler = Callable[["SeenRequest"], Reply]


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


class LoopbackSite:
    def __init__(self) -> None:
        self.routes: dict[str, Reply | Handler] = {}
        self.fallback: Handler | None = None  # answers paths with no exact route
        self.requests: list[SeenRequest] = []
        self.in_flight = self.most_in_flight = 0  # requests being answered at once (politeness)
        self._lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                seen = SeenRequest("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                site.requests.append(seen)
                route = site.routes.get(self.path) or site.fallback
                if route is None:
                    reply = Reply(404, b"not found", {"Content-Type": "text/plain"})
                else:
                    reply = route(seen) if callable(route) else route
                with site._lock:
                    site.in_flight += 1
                    site.most_in_flight = max(site.most_in_flight, site.in_flight)
                try:
                    time.sleep(reply.delay_s)
                    self._reply(seen, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                finally:
                    with site._lock:
                        site.in_flight -= 1

            def _reply(self, seen: SeenRequest, reply: Reply) -> None:
                if reply.etag and seen.headers.get("if-none-match") == reply.etag:
                    self.send_response(304)
                    self.send_header("ETag", reply.etag)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    return
                if reply.stream is not None:
                    self._stream(reply)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                self.send_header("Content-Length", str(len(reply.body)))
                # http.server speaks HTTP/1.0 and hangs up after each reply; saying so keeps Twisted
                # from pooling the connection and sending the next request (a POST, which it does
                # not resend) down a socket that is already closed.
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body)

            def _stream(self, reply: Reply) -> None:
                if reply.chunked:
                    self.protocol_version = "HTTP/1.1"
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding" if reply.chunked else "Connection",
                                 "chunked" if reply.chunked else "close")
                self.end_headers()
                for piece in reply.stream():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if reply.chunked else piece)
                if reply.chunked:
                    self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        ThreadingHTTPServer.request_queue_size = 256  # many sources connect at once
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
              status: int = 200, **kwargs) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Reply(status, data, {"Content-Type": content_type, **kwargs.pop("headers", {})}, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> LoopbackSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
