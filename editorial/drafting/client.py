"""One chat-completions request to an OpenAI-compatible endpoint (Ollama, vLLM, DeepSeek,
DashScope's compatible mode, OpenAI) and the reading of its reply as the draft's JSON object.

Every failure is a DraftFailed naming the item and the endpoint (without user:password or query),
never the key; the caller stores nothing when one is raised."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from crawler.config import DraftingConfig
from crawler.errors import DraftFailed

_FENCE = re.compile(r"^```[A-Za-z]*\s*(.*?)\s*```$", re.DOTALL)
_THINKING = re.compile(r"^\s*<think>.*?</think>\s*", re.DOTALL)  # reasoning models (DeepSeek-R1, Qwen3) on Ollama
_EXCERPT = 160


def completions_url(endpoint: str) -> str:
    """The chat-completions URL of an endpoint given as a base URL: a bare host gets
    /v1/chat/completions (http://localhost:11434), a base with a path gets /chat/completions
    (http://localhost:11434/v1, .../compatible-mode/v1), and a full .../chat/completions is kept."""
    parts = urlsplit(endpoint.strip())
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path = (path or "/v1") + "/chat/completions"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def shown_endpoint(url: str) -> str:
    """The endpoint as errors and logs show it: no user:password@, no query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class ModelReply:
    title: str
    summary: str


class ChatClient:
    """Asks the configured model for one item's draft; `sleep` waits out a short Retry-After."""

    def __init__(self, config: DraftingConfig, sleep: Callable[[float], None] = time.sleep):
        if not config.endpoint or not config.model:
            raise ValueError("ChatClient needs drafting.endpoint and drafting.model")
        self.config = config
        self.url = completions_url(config.endpoint)
        self.shown = shown_endpoint(self.url)
        self.sleep = sleep
        self._key = config.api_key.get_secret_value() if config.api_key else ""
        # One client for all of a run's items: its connections (and TLS sessions) are reused, and the
        # CA bundle is read once, not per item (about 0.13 s each).
        # trust_env=False: no proxy or .netrc from the environment (config loading reads the environment).
        self._http = httpx.Client(timeout=config.timeout_s, trust_env=False, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def draft(self, item: int, system: str, material: str) -> ModelReply:
        body = {"model": self.config.model, "temperature": self.config.temperature, "stream": False,
                "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": material}]}
        response = self._post(item, body)
        if response.status_code == 429:
            wait = _retry_after(response.headers.get("retry-after"))
            if wait is None or wait > self.config.timeout_s:
                raise self._fail(item, _rate_limited(wait), retry_after=wait, rate_limited=True)
            self.sleep(wait)
            response = self._post(item, body)
            if response.status_code == 429:
                wait = _retry_after(response.headers.get("retry-after"))
                raise self._fail(item, _rate_limited(wait) + " (again, after one retry)", retry_after=wait,
                                 rate_limited=True)
        if response.status_code in (401, 403):
            raise self._fail(item, f"HTTP {response.status_code}: the endpoint refused the request ("
                                   f"{_error_text(response)}); check drafting.api_key and the environment "
                                   "variable it names")
        if response.status_code >= 400:
            raise self._fail(item, f"HTTP {response.status_code} from the endpoint: {_error_text(response)}")
        if response.is_redirect:  # not followed: a key must not be sent on to wherever it points
            raise self._fail(item, f"HTTP {response.status_code}: the endpoint redirects to "
                                   f"{shown_endpoint(response.headers.get('location', ''))}; give that URL as "
                                   "drafting.endpoint")
        return self._read(item, response)

    def _post(self, item: int, body: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            return self._http.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise self._fail(item, f"no reply within drafting.timeout_s = {self.config.timeout_s:g} s") from None
        except httpx.HTTPError as error:
            raise self._fail(item, f"could not reach the endpoint: {type(error).__name__}: {error}") from None

    def _read(self, item: int, response: httpx.Response) -> ModelReply:
        try:
            answer = response.json()
            choice = answer["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise self._fail(item, "the endpoint's answer is not a chat completion: "
                                   + _excerpt(response.text)) from None
        if choice.get("finish_reason") == "length":
            raise self._fail(item, "the model's reply was cut off (finish_reason: length)")
        if not isinstance(content, str) or not content.strip():
            raise self._fail(item, "the model's reply is empty")
        return self._fields(item, content)

    def _fields(self, item: int, content: str) -> ModelReply:
        text = _THINKING.sub("", content.strip())
        fenced = _FENCE.match(text)
        text = fenced.group(1) if fenced else text
        try:
            reply = json.loads(text)
        except ValueError:
            raise self._fail(item, f"the model's reply is not a JSON object: {_excerpt(text)}") from None
        if not isinstance(reply, dict) or not all(isinstance(reply.get(k), str) for k in ("title", "summary")):
            raise self._fail(item, 'the model\'s reply is not {"title": …, "summary": …}: ' + _excerpt(text))
        title, summary = " ".join(reply["title"].split()), paragraphs(reply["summary"])
        if not title or not summary:
            raise self._fail(item, f"the model's reply has an empty {'title' if not title else 'summary'}")
        if len(title) > self.config.max_title_chars:
            raise self._fail(item, f"the model's title is {len(title)} characters, over drafting.max_title_chars "
                                   f"= {self.config.max_title_chars}")
        if len(summary) > self.config.max_chars:
            raise self._fail(item, f"the model's 摘要 is {len(summary)} characters, over drafting.max_chars "
                                   f"= {self.config.max_chars}")
        return ModelReply(title, summary)

    def _fail(self, item: int, message: str, retry_after: float | None = None,
              rate_limited: bool = False) -> DraftFailed:
        if self._key:  # an endpoint that echoes the request must not put the key into an error
            message = message.replace(self._key, "***")
        return DraftFailed(message, item=item, endpoint=self.shown, retry_after=retry_after,
                           rate_limited=rate_limited)


def paragraphs(text: str) -> str:
    """Paragraphs one to a line, inner runs of spaces folded."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _rate_limited(wait: float | None) -> str:
    if wait is None:
        return "HTTP 429: the endpoint is rate limiting and gave no Retry-After; try again later"
    at = datetime.now(UTC) + timedelta(seconds=wait)
    return f"HTTP 429: the endpoint is rate limiting; retry after {at:%Y-%m-%d %H:%M:%S} UTC (in {wait:.0f} s)"


def _error_text(response: httpx.Response) -> str:
    """The provider's own error message when it sends the usual {"error": {"message": …}}."""
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message.strip():
            return _excerpt(message)
    except (ValueError, AttributeError):
        pass
    return _excerpt(response.text) or response.reason_phrase


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[:_EXCERPT] + "…"
