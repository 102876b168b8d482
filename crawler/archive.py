"""WARC evidence: every response of a crawl is written to a per-run WARC file, and replayed from one.

Secrets never reach the archive: API keys in query strings and auth headers are redacted both
in what is written and in how requests are matched on replay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SECRET_PARAMS = re.compile(r"^(api[_-]?key|key|token|access[_-]?token|apikey|auth|password|secret)$", re.I)
SECRET_HEADERS = {"authorization", "x-api-key", "cookie", "proxy-authorization"}
REDACTED = "REDACTED"


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(SECRET_PARAMS.match(k) for k, _ in pairs):
        return url
    query = [(k, REDACTED if SECRET_PARAMS.match(k) else v) for k, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(query, safe=":/,[]")))


def _header_pairs(headers: dict[bytes, list[bytes]], redact: bool) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        text_name = name.decode("latin-1")
        for value in values:
            secret = redact and text_name.lower() in SECRET_HEADERS
            pairs.append((text_name, REDACTED if secret else value.decode("latin-1")))
    return pairs


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


@dataclass(frozen=True)
class WarcRef:
    """Where one response record sits: the file, its byte offset, its WARC-Record-ID."""

    file: str
    offset: int
    record_id: str


class WarcRecorder:
    """Writes request/response pairs for one source run; the file is created on first use."""

    def __init__(self, path: Path, archive_root: Path):
        self.path, self.archive_root = path, archive_root
        self._stream = None
        self._writer: WARCWriter | None = None

    @property
    def relative_name(self) -> str:
        try:
            return str(self.path.relative_to(self.archive_root))
        except ValueError:
            return str(self.path)

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = self.path.open("ab")
            self._writer = WARCWriter(self._stream, gzip=True)
        return self._writer

    def write(self, method: str, url: str, request_headers: dict, request_body: bytes,
              status: int, response_headers: dict, body: bytes, fetched_at: datetime) -> WarcRef:
        writer = self._open()
        target = redact_url(url)
        warc_date = fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = writer.create_warc_record(
            target, "response", payload=BytesIO(body),
            http_headers=StatusAndHeaders(_status_line(status), _header_pairs(response_headers, False),
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date},
        )
        path = urlsplit(target)
        request_line = f"{method} {urlunsplit(('', '', path.path or '/', path.query, ''))}"
        request = writer.create_warc_record(
            target, "request", payload=BytesIO(request_body),
            http_headers=StatusAndHeaders(request_line, _header_pairs(request_headers, True),
                                          protocol="HTTP/1.1", is_http_request=True),
            warc_headers_dict={"WARC-Date": warc_date,
                               "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
        )
        offset = self._stream.tell()
        writer.write_record(response)
        writer.write_record(request)
        self._stream.flush()  # a killed crawl keeps every record written so far
        return WarcRef(self.relative_name, offset, response.rec_headers.get_header("WARC-Record-ID"))

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = self._writer = None


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    ref: WarcRef


def _parse_warc_date(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def read_record(path: Path, offset: int) -> ArchivedResponse:
    """The response record at `offset` of a WARC file."""
    with path.open("rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return _archived(record, str(path), offset)


def read_responses(path: Path) -> Iterator[ArchivedResponse]:
    """Every response record of a WARC file in the order written, each body exactly as the recorder
    wrote it: still in its Content-Encoding (warcio's own decoding knows only some encodings)."""
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            if record.rec_type == "response":
                body = record.raw_stream.read()  # before the offset, which reads the record to its end
                yield _archived(record, str(path), iterator.get_record_offset(), body)


def _archived(record, file_name: str, offset: int, body: bytes | None = None) -> ArchivedResponse:
    http = record.http_headers
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()),
        headers=list(http.headers),
        body=record.content_stream().read() if body is None else body,
        fetched_at=_parse_warc_date(record.rec_headers.get_header("WARC-Date")),
        ref=WarcRef(file_name, offset, record.rec_headers.get_header("WARC-Record-ID")),
    )


class ReplayIndex:
    """Response records of one or more WARC files, by (redacted) URL; the last record wins.

    A replayed file inside the archive directory is referred to relative to it, as the recorder's
    own files are, so the web app can show it as an item's archived copy."""

    def __init__(self, paths: list[Path], archive_root: Path | None = None):
        self.archive_root = archive_root.resolve() if archive_root is not None else None
        self._offsets: dict[str, tuple[Path, int]] = {}
        self.earliest: datetime | None = None
        for path in self._expand(paths):
            self._index(path)

    @staticmethod
    def _expand(paths: list[Path]) -> list[Path]:
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                files.extend(sorted(path.rglob("*.warc.gz")) + sorted(path.rglob("*.warc")))
            elif path.is_file():
                files.append(path)
            else:
                raise FileNotFoundError(f"replay archive {path} does not exist")
        return files

    def _index(self, path: Path) -> None:
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream)
            for record in iterator:
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                self._offsets[url] = (path, iterator.get_record_offset())
                moment = _parse_warc_date(record.rec_headers.get_header("WARC-Date"))
                self.earliest = moment if self.earliest is None else min(self.earliest, moment)

    def __len__(self) -> int:
        return len(self._offsets)

    def lookup(self, url: str) -> ArchivedResponse | None:
        found = self._offsets.get(redact_url(url))
        if found is None:
            return None
        response = read_record(*found)
        return replace(response, ref=replace(response.ref, file=self._reference(found[0])))

    def _reference(self, path: Path) -> str:
        if self.archive_root is not None and path.resolve().is_relative_to(self.archive_root):
            return str(path.resolve().relative_to(self.archive_root))
        return str(path)
