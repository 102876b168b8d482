"""`regwatch record`: what a source's real site serves today, turned into example files.

A source's first live run: its index URLs (or one given URL) and at most a few of the document
pages they lead to are fetched by an ordinary crawl of that one source (same spider, same Scrapy
settings: robots.txt, user agent, per-site delay and concurrency, retries, size limit, proxy) into
a throw-away database and archive. Every successful response is then read back from the run's
WARC file and written as tests/examples/<source_id>/recorded-<day>-<n>.<ext> with its .url and
.headers, and parsed by the same code path as `regwatch parse`, so the user sees what the source's
parser makes of it before reviewing and keeping it.

The crawl runs in the calling process: Scrapy's reactor starts once per process, so
record_source is called once per process (the CLI command is one).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.spiderloader import SpiderLoader

from crawler.archive import REDACTED, SECRET_HEADERS, ArchivedResponse, read_responses
from crawler.config import Config, SourceConfig
from crawler.errors import FetchFailed, ReadWarning, RegwatchError
from crawler.generic import sniff
from crawler.normalize import canonical_url
from crawler.parsing import EXAMPLE_FETCHED_AT, expected_json, parse_saved, spider_for
from crawler.runner import Crawl, starting_from
from crawler.storage import db

if TYPE_CHECKING:
    from spiders.base import RegwatchSpider

DEFAULT_MAX_DOCUMENTS = 5
EXTENSIONS = {sniff.FEED: "xml", sniff.SITEMAP: "xml", sniff.XML: "xml", sniff.JSON: "json", sniff.PDF: "pdf",
              sniff.HTML: "html", sniff.TEXT: "txt"}
# The body is stored decoded, so these would misdescribe it.
BODY_FRAMING_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}
# Cookies and credentials never go into example files (they are committed to the repository).
PRIVATE_HEADERS = SECRET_HEADERS | {"set-cookie", "set-cookie2", "www-authenticate", "proxy-authenticate",
                                    "authentication-info", "proxy-authentication-info"}


@dataclass
class RecordedFile:
    """One recorded response as an example file, and what `regwatch parse` makes of it."""

    body: Path
    url: str
    kind: str  # feed, sitemap, xml, json, pdf, html, text (crawler.generic.sniff)
    role: str  # index (a feed, listing, API query), start page (another configured URL) or document
    items: list[dict] = field(default_factory=list)  # as `regwatch parse --full` prints them
    warnings: list[ReadWarning] = field(default_factory=list)
    error: RegwatchError | None = None  # the parser refused the response (a block page, a redesign)
    expected_path: Path | None = None  # written with --write-expected

    @property
    def expected(self) -> str:
        return expected_json(self.items)

    def count(self, extraction: str) -> int:
        return sum(item["extraction"] == extraction for item in self.items)


@dataclass
class RecordReport:
    source_id: str
    folder: Path
    files: list[RecordedFile]
    errors: list[str]  # what the crawl recorded: fetch failed, blocked, robots.txt, …


@dataclass
class Capture:
    responses: list[ArchivedResponse]
    errors: list[str]


def default_examples_dir(config: Config) -> Path:
    """The checkout's tests/examples beside the config, else ./regwatch-examples."""
    project_examples = config.base_dir / "tests" / "examples"
    return project_examples if project_examples.is_dir() else Path.cwd() / "regwatch-examples"


def record_source(config: Config, source_id: str, *, url: str | None = None,
                  max_documents: int = DEFAULT_MAX_DOCUMENTS, out_dir: Path | None = None,
                  overrides: dict[str, str] | None = None, write_expected: bool = False) -> RecordReport:
    """Crawl one source for examples and write them under out_dir/<source_id>/. Before anything is
    fetched, raises ConfigError for an unknown source or spider, and NotConfigured when the source's
    spider refuses to start (no URL or key it needs)."""
    spider = spider_for(config, source_id)
    folder = (out_dir or default_examples_dir(config)) / source_id
    capture = capture_responses(config, source_id, url, max_documents, overrides or {})
    files, errors = [], list(capture.errors)
    for response in capture.responses:
        try:
            body = decoded_body(response)
        except Exception as error:  # each decompressor raises its own kind on a corrupt body
            errors.append(str(FetchFailed(f"cannot decode the body: {error}", source=source_id, url=response.url)))
            continue
        response = without_api_key(replace(response, body=body), spider.source.api_key)
        kind = response_kind(response)
        recorded = RecordedFile(write_example(folder, response, kind), response.url, kind,
                                page_role(spider, response.url))
        files.append(parse_example(config, source_id, recorded, write_expected))
    return RecordReport(source_id, folder, files, errors)


# --- the crawl ---------------------------------------------------------------------------------


class RecordCrawl(Crawl):
    """A crawl of one source that starts from its index URLs (or one given URL) and fetches at most
    `max_documents` of the document pages they lead to."""

    def __init__(self, config: Config, source_id: str, url: str | None, max_documents: int,
                 overrides: dict[str, str]) -> None:
        super().__init__(config, [source_id], overrides=overrides)
        self.url, self.max_documents = url, max_documents

    def _contexts(self, session):
        contexts = super()._contexts(session)
        for context in contexts:
            context.max_documents = self.max_documents  # follow() fetches no more document pages
        return contexts

    def spider_class(self, loader: SpiderLoader, source: SourceConfig) -> type:
        base = super().spider_class(loader, source)
        if self.url is None:
            return base
        return type(base.__name__, (base,), {"first_requests": starting_from(self.url)})


def capture_responses(config: Config, source_id: str, url: str | None, max_documents: int,
                      overrides: dict[str, str]) -> Capture:
    """Crawl the source into a throw-away database and archive; its successful responses as archived."""
    with tempfile.TemporaryDirectory(prefix="regwatch-record-") as scratch:
        scratch_config = throwaway_config(config, source_id, Path(scratch))
        crawl = RecordCrawl(scratch_config, source_id, url, max_documents, overrides)
        try:
            [outcome] = crawl.run()
            recorder = crawl.contexts[0].recorder
            warc = recorder.path if recorder is not None else None
            responses = list(served_responses(warc)) if warc is not None and warc.is_file() else []
        finally:
            db.get_engine(scratch_config.database_url).dispose()
    return Capture(responses, outcome.errors)


def throwaway_config(config: Config, source_id: str, scratch: Path) -> Config:
    """The config with only this source, storing into `scratch` and archiving every response."""
    copy = config.model_copy(deep=True)
    copy.storage.url = f"sqlite:///{scratch / 'record.db'}"
    copy.archive.dir = scratch / "archive"
    copy.archive.enabled = True
    source = copy.source(source_id)
    # An index's first page is its example; later pages of it are more of the same.
    source.crawl = {**source.crawl, "max_pages": 1}
    copy.sources = [source]
    return copy


def served_responses(warc: Path) -> Iterator[ArchivedResponse]:
    """The run's successful responses, once per URL, in the order fetched: not redirects, errors,
    304s, nor robots.txt (Scrapy's fetch, not the source's)."""
    seen: set[str] = set()
    for response in read_responses(warc):
        if 200 <= response.status < 300 and not _is_robots(response.url) and response.url not in seen:
            seen.add(response.url)
            yield response


def _is_robots(url: str) -> bool:
    return urlsplit(url).path == "/robots.txt"


# --- example files -----------------------------------------------------------------------------


def decoded_body(response: ArchivedResponse) -> bytes:
    """The body as the parser saw it. The archive keeps it as sent; Content-Encoding is undone the
    way the crawl's HttpCompressionMiddleware undid it (gzip, deflate, br, zstd, stacked)."""
    encodings = [value.encode("latin-1") for name, value in response.headers
                 if name.lower() == "content-encoding" and value.strip().lower() != "identity"]
    if not encodings:
        return response.body
    to_decode, unknown = HttpCompressionMiddleware._split_encodings(encodings)
    if unknown:
        raise ValueError(f"unsupported Content-Encoding {b', '.join(unknown).decode('latin-1')}")
    body = response.body
    for encoding in to_decode:
        body = HttpCompressionMiddleware._decode(body, encoding, 0)  # the crawl already enforced the size limit
    return body


def example_headers(headers: list[tuple[str, str]]) -> str:
    """The .headers file: the headers as served, less framing of the encoded body and private ones."""
    kept = [(name, value) for name, value in headers
            if name.lower() not in BODY_FRAMING_HEADERS | PRIVATE_HEADERS]
    return "".join(f"{name}: {value}\n" for name, value in kept)


def page_role(spider: RegwatchSpider, url: str) -> str:
    if spider.is_index(url):
        return "index"
    configured = {canonical_url(configured) for configured in spider.source.urls.values()}
    return "start page" if canonical_url(url) in configured else "document"


def without_api_key(response: ArchivedResponse, api_key: str | None) -> ArchivedResponse:
    """An API that echoes its key (in next-page links, say) must not put it in a committed file."""
    key = (api_key or "").strip()
    if len(key) < 8:  # no key, or too short to replace without hitting other text
        return response
    return replace(response, url=response.url.replace(key, REDACTED),
                   body=response.body.replace(key.encode("utf-8"), REDACTED.encode("ascii")),
                   headers=[(name, value.replace(key, REDACTED)) for name, value in response.headers])


def response_kind(response: ArchivedResponse) -> str:
    content_type = next((value for name, value in response.headers if name.lower() == "content-type"), "")
    return sniff.response_kind(response.body, content_type, response.url)


def next_case(folder: Path, day: str) -> str:
    """recorded-<day>-<n>, n counting from 1 past every case already in the folder."""
    n = 1
    while any(folder.glob(f"recorded-{day}-{n}.*")):
        n += 1
    return f"recorded-{day}-{n}"


def write_example(folder: Path, response: ArchivedResponse, kind: str) -> Path:
    """<case>.<ext> with the (decoded) body, <case>.<ext>.url and <case>.<ext>.headers."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{next_case(folder, response.fetched_at.date().isoformat())}.{EXTENSIONS.get(kind, 'bin')}"
    path.write_bytes(response.body)
    path.with_name(path.name + ".url").write_text(response.url + "\n", encoding="utf-8")
    path.with_name(path.name + ".headers").write_text(example_headers(response.headers), encoding="utf-8")
    return path


def parse_example(config: Config, source_id: str, recorded: RecordedFile, write_expected: bool) -> RecordedFile:
    """Parse a recorded file as tests/test_examples.py will: same code path, same moment."""
    try:
        parsed = parse_saved(config, source_id, recorded.body, recorded.url, EXAMPLE_FETCHED_AT)
    except RegwatchError as error:
        error.source, error.url = error.source or source_id, error.url or recorded.url
        recorded.error = error
        return recorded
    recorded.items = [item.public_dict(full=True) for item in parsed.items]
    recorded.warnings = parsed.warnings
    if write_expected:
        recorded.expected_path = recorded.body.with_name(f"{recorded.body.name.split('.')[0]}.expected.json")
        recorded.expected_path.write_text(recorded.expected, encoding="utf-8")
    return recorded
