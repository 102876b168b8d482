"""The triage web app beside the scheduler: `regwatch serve` starts both in one process, the web app
in a thread. The app factory is imported lazily, so the service runs without the `web` package."""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from typing import Any

from crawler.config import Config
from crawler.errors import ServiceError

log = logging.getLogger(__name__)
STARTUP_TIMEOUT_S = 30.0


class WebAppNotListening(ServiceError):
    """The port is taken: the service stops before any crawl starts."""


def web_available() -> bool:
    return importlib.util.find_spec("web") is not None and importlib.util.find_spec("web.app") is not None


class WebServer:
    """Serves the app in a thread: WSGI apps (Flask) through werkzeug, ASGI apps through uvicorn."""

    def __init__(self, config: Config, host: str, port: int) -> None:
        from web.app import create_app

        self.app = create_app(config)
        self.host, self.port = host, port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if hasattr(self.app, "wsgi_app"):
            from werkzeug.serving import make_server

            self._server = make_server(self.host, self.port, self.app, threaded=True)
            target = self._server.serve_forever
        else:
            import uvicorn

            self._server = uvicorn.Server(uvicorn.Config(self.app, host=self.host, port=self.port, proxy_headers=False,
                                                         log_level="warning", lifespan="auto"))
            target = self._server.run
        self._thread = threading.Thread(target=target, name="regwatch-web", daemon=True)
        self._thread.start()
        if not self._listening(STARTUP_TIMEOUT_S):
            self.stop()
            raise WebAppNotListening(f"the web app could not listen on {self.host}:{self.port} (port in use?)")
        log.info("web app on http://%s:%s/", self.host, self.port)

    def _listening(self, timeout_s: float) -> bool:
        """uvicorn reports a busy port only in its log and ends its thread: wait to know."""
        if not hasattr(self._server, "started"):
            return True  # werkzeug bound the socket in make_server already
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._thread.is_alive():
            if self._server.started:
                return True
            time.sleep(0.05)
        return bool(self._server.started)

    def stop(self) -> None:
        if self._server is None:
            return
        if hasattr(self._server, "should_exit"):
            self._server.should_exit = True
        else:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
