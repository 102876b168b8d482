"""Helpers shared by the United States sources: keyed APIs and bill numbers."""

from __future__ import annotations

import re
from typing import Any

from scrapy.http import Request

from crawler.archive import redact_url
from crawler.errors import NotConfigured, RegwatchError

# Congress: "S. 1290", "H.R. 815", "S.J.Res. 12", "H.Res. 66" as press releases write them.
FEDERAL_BILL = re.compile(
    r"\b(H\.\s?R\.|S\.|H\.\s?J\.\s?Res\.|S\.\s?J\.\s?Res\.|H\.\s?Con\.\s?Res\.|S\.\s?Con\.\s?Res\.|"
    r"H\.\s?Res\.|S\.\s?Res\.)\s?(\d{1,5})\b")


def bill_number(state: str, number: str) -> str:
    """One spelling for every source: state (US for Congress), then type and number without
    dots, spaces or padding: "US S1290", "US HR815", "NJ S3742", "PA HB1925"."""
    compact = re.sub(r"[\s.]", "", number).upper()
    match = re.fullmatch(r"([A-Z]+)0*(\d+)", compact)
    return f"{state.upper()} {match.group(1)}{match.group(2)}" if match else f"{state.upper()} {compact}"


def federal_bill_numbers(text: str) -> list[str]:
    """Congress bill numbers named in a text ("S. 1290" -> "US S1290"), first seen first."""
    found: list[str] = []
    for prefix, number in FEDERAL_BILL.findall(text):
        label = bill_number("US", prefix + number)
        if label not in found:
            found.append(label)
    return found


class KeyedApiMixin:
    """An API that needs a key from the environment (config `api_key: "${ENV_VAR}"`).

    Parsing a saved response needs no key (so `regwatch parse` and the example tests work
    anywhere); fetching does: without one the run records NotConfigured and requests nothing.
    Keys must never reach the archive or the logs, so no request carries a Referer (it would
    repeat the previous URL with its key) and error URLs are stored redacted.
    """

    # Mixed in before a RegwatchSpider base (class X(KeyedApiMixin, JsonApiSpider)).
    source: Any
    run: Any
    key_required = True
    key_hint = "an API key"

    def has_key(self) -> bool:
        return bool((self.source.api_key or "").strip())

    async def start(self):
        if self.key_required and not self.has_key():
            self.run.record(NotConfigured(f"no API key: set {self.key_hint} (config api_key)",
                                          source=self.source.id))
            return
        async for request in super().start():  # type: ignore[misc]
            yield request

    def request(self, url: str, meta: dict | None = None, **kwargs: Any) -> Request:
        meta = {**(meta or {}), "referrer_policy": "no-referrer"}
        return super().request(url, meta=meta, **kwargs)  # type: ignore[misc]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        if self.run is not None:
            record = self.run.record

            def record_redacted(error: RegwatchError) -> None:
                error.url = redact_url(error.url) if error.url else error.url
                record(error)

            # Until the core redacts error URLs itself, keyed sources do it on their own run.
            self.run.record = record_redacted


# Titles that make a bill an AI bill (APIs without a keyword search are filtered on these);
# "AI" counts only as a whole word in capitals.
AI_TITLE = re.compile(
    r"\bAI\b|(?i:artificial intelligence|machine learning|algorithm|deep ?fake|automated decision|generative|"
    r"chatbot|large language model|digital replica|synthetic media|neural network)")


def is_ai_title(title: str) -> bool:
    return AI_TITLE.search(title) is not None
