"""Shared spider bases. A source module subclasses one and states only what differs.

Parsing (`parse_response`) is a pure function of a recorded response; requests, errors,
evidence and the "already stored?" check live here, once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import scrapy
from scrapy.http import Request, Response, TextResponse

from crawler.config import SourceConfig
from crawler.encoding import decode_body
from crawler.errors import (
    NotConfigured,
    ReadWarning,
    RegwatchError,
    SourceBlocked,
    Unparseable,
    WrongKind,
)
from crawler.failures import classify_failure
from crawler.generic import sniff
from crawler.group import SOURCE_META
from crawler.items import CandidateItem
from crawler.normalize import canonical_url, clean_line, parse_date
from crawler.pipelines import ScrapedBatch
from crawler.storage.documents import Evidence
from spiders.feed_reading import FeedReading
from spiders.reading import ResponseReading

# What a parser yields: items, follow-up requests, and warnings for the run (a selector that missed).
Result = CandidateItem | Request | ReadWarning

# Pages that stand in for the content when a site refuses a crawler. Markup only challenge pages
# carry (searched anywhere, scripts included) ...
_CHALLENGE_MARKUP = re.compile(
    r"cf-chl|challenge-platform|captcha-delivery\.com|_Incapsula_Resource|Request unsuccessful\. Incapsula|"
    r"\$_ts\s*=\s*window\[",  # Ruishu (瑞数) bot wall on Chinese government sites
    re.I,
)
# ... and words that say so in what the page shows: only in a page that shows little else, since
# an ordinary page's scripts and articles mention captchas too (WordPress Divi pages carry
# "captcha" in every page's script settings).
_CHALLENGE_WORDS = re.compile(
    r"captcha|Just a moment\.\.\.|Attention Required! \| Cloudflare|DataDome|Access Denied|"
    r"Pardon Our Interruption|环境异常|完成验证后即可继续访问|访问验证|滑动验证|安全验证|请开启JavaScript",
    re.I,
)
_CHALLENGE_TEXT_CHARS = 1500  # a challenge page shows a sentence or two
_SCRIPTS = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>|<[^>]+>", re.I | re.S)


def blocked_reason(response: Response) -> str | None:
    """Why a 200 response looks like an anti-bot page rather than the source's content."""
    if not isinstance(response, TextResponse) or len(response.body) > 60_000:
        return None
    head = response.body[:60_000].decode("utf-8", "ignore")
    match = _CHALLENGE_MARKUP.search(head)
    if match is None:
        shown = " ".join(_SCRIPTS.sub(" ", head).split())
        match = _CHALLENGE_WORDS.search(shown) if len(shown) <= _CHALLENGE_TEXT_CHARS else None
    return f"page is an anti-bot challenge ({match.group(0)!r})" if match else None


def raise_if_blocked(response: Response) -> None:
    reason = blocked_reason(response)
    if reason:
        raise SourceBlocked(reason, url=response.url)


class RegwatchSpider(ResponseReading, FeedReading, scrapy.Spider):
    name = "regwatch_base"
    doc_type = "other"
    # Which config `urls` key(s) start a crawl; None means every URL.
    start_keys: tuple[str, ...] | None = None
    # Re-decode text by what the bytes are (feeds decode themselves from their XML declaration).
    redecode = True
    # Index responses (feeds, listings) name documents; with fetch_details, each document not yet
    # stored is then fetched and read by parse_detail.
    fetch_details = False

    def __init__(self, source: SourceConfig, run: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.source, self.run = source, run
        self.check_configured()

    # --- configuration -------------------------------------------------------------------------

    def check_configured(self) -> None:
        """Raise NotConfigured when the source lacks something it needs (an API key, a URL)."""

    def url_for(self, key: str) -> str:
        try:
            return self.source.urls[key]
        except KeyError:
            raise NotConfigured(f"config has no urls.{key} for this source", source=self.source.id) from None

    @property
    def now(self) -> datetime:
        return self.run.now if self.run else datetime.now(UTC)

    # --- requests ------------------------------------------------------------------------------

    async def start(self):
        for request in self.first_requests():
            yield request

    def first_requests(self) -> Iterable[Request]:
        keys = self.start_keys or tuple(self.source.urls)
        for key in keys:
            yield self.request(self.url_for(key))

    def request(self, url: str, meta: dict | None = None, **kwargs: Any) -> Request:
        meta = {**(meta or {}), SOURCE_META: self.source.id}
        if self.source.proxy:
            meta["proxy"] = self.source.proxy
        callback = kwargs.pop("callback", self.handle)
        if self.run is not None:  # the run is done once each of its requests is answered or failed
            self.run.begin_work()
            callback = self._tracked(callback)
        # Not Scrapy's dupefilter: it would silently swallow a redirect loop. Sources dedupe
        # their own follow-ups (see follow), and the database dedupes items.
        return Request(url, callback=callback, errback=self.on_error, meta=meta, dont_filter=True, **kwargs)

    def _tracked(self, callback: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
        # A plain function returning a generator: Scrapy reads the source of every new generator
        # function it is handed as a callback (to warn about `return value`), once per request here.
        def tracked(response: Response, **kwargs: Any) -> Iterator[Any]:
            try:
                output = callback(response, **kwargs)
            except BaseException:
                self.run.end_work()
                raise
            return self._ending_work(output)

        return tracked

    def _ending_work(self, output: Iterable[Any] | None) -> Iterator[Any]:
        try:
            yield from output or ()
        finally:
            self.run.end_work()

    def on_error(self, failure) -> None:
        self.run.record(classify_failure(failure))
        self.run.end_work()

    # --- parsing -------------------------------------------------------------------------------

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        raise NotImplementedError

    def parse_response(self, response: Response) -> list[Result]:
        """The pure part: a recorded response in, candidate items (and follow-up requests and
        warnings) out. What the response is (feed, sitemap, JSON, PDF, HTML) is read from its
        body first, then its Content-Type, then its URL (see spiders.reading).

        An XML document (a feed, an XML API) that parses into items is no anti-bot page: it is
        searched for one only when it does not (the search costs more than reading a feed)."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        kind = sniff.response_kind(response.body, content_type, response.url)
        xml = kind in sniff.XML_KINDS
        if xml:
            sniff.refuse_entity_declarations(response.body, response.url)
        elif kind != sniff.PDF:
            raise_if_blocked(response)
        # Feeds and sitemaps decode themselves from their XML declaration; PDFs are bytes.
        if self.redecode and kind not in (sniff.PDF, sniff.FEED, sniff.SITEMAP) and isinstance(response, TextResponse):
            response = decoded(response, self.source.language)
        try:
            results = self.read(response, kind)
        except Unparseable:
            if xml:
                raise_if_blocked(response)
            raise
        if xml and not any(isinstance(r, CandidateItem | Request) for r in results):
            raise_if_blocked(response)
        return results

    def parse(self, response: Response) -> Iterator[Any]:
        return self.handle(response)

    def handle(self, response: Response) -> Iterator[Any]:
        """The crawl callback: parse, record what went wrong, pass items on with their evidence."""
        try:
            results = self.parse_response(response)
        except RegwatchError as error:
            error.url = error.url or response.url
            self.run.record(error)
            return
        except Exception as error:  # a parser bug on odd input must not stop the other sources
            self.run.record(Unparseable(f"parser failed: {type(error).__name__}: {error}", url=response.url))
            return
        items = [r for r in results if isinstance(r, CandidateItem)]
        # Entries seen, stored before or not: what tells a working source from a broken one.
        self.run.counters["items_parsed"] += len(items)
        self.run.counters["items_generic"] += sum(item.extraction == "generic" for item in items)
        for result in results:
            if isinstance(result, Request):
                yield result
            elif isinstance(result, ReadWarning):
                self.run.warn(result)
        yield from self.follow(response, items)

    def is_index(self, url: str) -> bool:
        """Is this URL one of the configured start URLs (a feed, a listing, an API query)?"""
        starts = {canonical_url(self.source.urls[k]) for k in (self.start_keys or tuple(self.source.urls))}
        return canonical_url(url) in starts

    def is_listing(self, response: Response) -> bool:
        """An index (also when it answered through a redirect), or a page the crawl reached as one
        (a sitemap index's sitemaps)."""
        if self.is_index(response.url):
            return True
        meta = response.meta if _has_meta(response) else {}
        return bool(meta.get("index")) or any(self.is_index(url) for url in meta.get("redirect_urls", ())[:1])

    def follow(self, response: Response, items: list[CandidateItem]) -> Iterator[Any]:
        """Store items; from an index with fetch_details, fetch the detail pages of new ones. An
        index entry without a title (a sitemap's page) is always read from its page."""
        listing = self.is_listing(response)
        to_fetch = [item for item in items if listing and (self.fetch_details or not item.title)]
        to_store = [item for item in items if item not in to_fetch]
        if to_store:
            yield self.batch(response, to_store)
        if not to_fetch:
            return
        wanted = {canonical_url(item.url): item for item in to_fetch}
        stored = self.run.stored_urls(list(wanted))
        for url, item in wanted.items():
            if url not in stored and self.run.may_follow(url):
                yield self.request(item.url, meta={"listing_item": item})

    def batch(self, response: Response, items: list[CandidateItem]) -> ScrapedBatch:
        """Items on their way to the pipelines, with the response's evidence and this run."""
        if self.run is not None:
            self.run.begin_work()  # until the pipelines are through with it
        return ScrapedBatch(items, evidence_of(response), self.run)

    @staticmethod
    def listing_hint(response: Response) -> CandidateItem | None:
        """The index's entry for this detail page, when the crawl came from an index."""
        return response.meta.get("listing_item") if _has_meta(response) else None

    def merge_hint(self, response: Response, item: CandidateItem) -> CandidateItem:
        """Fill what the detail page lacks from the index entry."""
        hint = self.listing_hint(response)
        if hint is None:
            return item
        updates = {k: getattr(hint, k) for k in ("title", "published", "summary") if not getattr(item, k)}
        return item.model_copy(update=updates)

    # --- building items ------------------------------------------------------------------------

    def item(self, response: Response, **fields: Any) -> CandidateItem:
        """A candidate item with this source's defaults filled in."""
        fields.setdefault("doc_type", self.doc_type)
        fields.setdefault("url", response.url)
        return CandidateItem(source=self.source.id, fetched_at=fetched_at(response), **fields)

    def date(self, text: str | None, languages: tuple[str, ...] = ()) -> date | None:
        """A date as the source shows it, in the source's time zone."""
        languages = languages or ((self.source.language,) if self.source.language else ())
        return parse_date(text, self.source.timezone, languages)


def decoded(response: TextResponse, language: str | None = None) -> TextResponse:
    """The response re-encoded as UTF-8 after decoding it by what the bytes really are."""
    if response.encoding == "utf-8" and _is_utf8(response.body):
        return response
    header = response.headers.get(b"Content-Type", b"").decode("latin-1")
    charset = re.search(r"charset=([\w-]+)", header, re.I)
    text, _ = decode_body(response.body, charset.group(1) if charset else None, language)
    return response.replace(body=text.encode("utf-8"), encoding="utf-8")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def fetched_at(response: Response) -> datetime:
    try:
        return response.meta.get("fetched_at") or datetime.now(UTC)
    except AttributeError:  # a response built without a request
        return datetime.now(UTC)


def evidence_of(response: Response) -> Evidence | None:
    try:
        ref = response.meta.get("warc")
    except AttributeError:
        return None
    return Evidence(ref.file, ref.offset, ref.record_id) if ref else None


# --- feeds -------------------------------------------------------------------------------------


class FeedSpider(RegwatchSpider):
    """RSS/Atom: Scrapy downloads (conditionally), feedparser parses; one item per entry."""

    name = "feed_base"
    doc_type = "news"
    redecode = False

    def first_requests(self) -> Iterable[Request]:
        keys = self.start_keys or tuple(self.source.urls)
        for key in keys:
            url = self.url_for(key)
            known = (self.run.validators.get(url) if self.run else None) or {}
            headers = {}
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
            yield self.request(url, headers=headers, meta={"handle_httpstatus_list": [304]})

    def handle(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            self.run.counters["not_modified"] += 1
            return
        if self.is_index(response.url):
            self.remember_validators(response)
        yield from super().handle(response)

    def remember_validators(self, response: Response) -> None:
        etag, modified = response.headers.get(b"ETag"), response.headers.get(b"Last-Modified")
        if self.run and (etag or modified):
            self.run.fresh_validators[response.request.url] = {
                "etag": etag.decode("latin-1") if etag else None,
                "last_modified": modified.decode("latin-1") if modified else None,
            }

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        return self.parse_feed if self.is_index(url) else self.parse_detail


# --- JSON APIs ---------------------------------------------------------------------------------


class JsonApiSpider(RegwatchSpider):
    """A JSON API: one or more query URLs, each paginated up to crawl.max_pages pages."""

    name = "json_api_base"

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        return self.parse_api_page

    def parser_for_kind(self, url: str, kind: str) -> Callable[[Response], Iterable[Result]]:
        """An HTML page of the API's site (a document's own page) is a document page; an API URL
        answering with a web page (a maintenance or login page) stays an error of the API's parser."""
        if kind in (sniff.HTML, sniff.TEXT) and not self.is_index(url) and not _API_URL.search(url):
            return self.parse_detail
        return self.parser_for(url)

    def parse_api_page(self, response: Response) -> Iterator[Result]:
        data = load_json(response)
        yield from self.page_items(response, data)
        next_url = self.next_page(response, data)
        page = response.meta.get("page", 1) if _has_meta(response) else 1
        if next_url and page < self.max_pages:
            yield self.request(next_url, meta={"page": page + 1})

    @property
    def max_pages(self) -> int:
        return self.source.crawl_settings(self.run.config.crawl).max_pages if self.run else 1

    def page_items(self, response: Response, data: Any) -> Iterable[CandidateItem]:
        raise NotImplementedError

    def next_page(self, response: Response, data: Any) -> str | None:
        return None


_API_URL = re.compile(r"/api/|/rest/|\.json(?:[?#]|$)|[?&](?:format|outputType)=json", re.I)


def _has_meta(response: Response) -> bool:
    """A response built without a request (in a unit test) has no meta at all."""
    return response.request is not None


def load_json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except ValueError as error:
        raise WrongKind(f"response is not JSON ({error})", url=response.url) from error
    except RecursionError:  # hostile or broken: nested deeper than any API answers
        raise Unparseable("JSON nested too deep to read", url=response.url) from None


# --- HTML listing -> detail --------------------------------------------------------------------


class HtmlListingSpider(RegwatchSpider):
    """A listing page gives entries (title, date, link); each new entry's detail page gives the item.

    Config keys starting with "listing" are the listing pages; detail pages are fetched only for
    documents not yet stored.
    """

    name = "html_listing_base"
    fetch_details = True

    @property
    def start_keys(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(k for k in self.source.urls if k.startswith("listing"))

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        return self.parse_listing if self.is_index(url) else self.parse_detail

    def parse_listing(self, response: Response) -> Iterable[Result]:
        raise NotImplementedError


def text_of(selection: Any) -> str:
    """All text under a selection, on one line."""
    return clean_line(" ".join(selection.css("::text").getall()))
