"""Add by URL: an editor pastes a link that no watched source covers (a WeChat article, a court
notice); Regwatch fetches it once through the crawl pipeline, archives it and queues it.

The fetch runs in a child process (editorial.add_fetch), so the web app and the CLI call the same
function. A link already stored is not fetched again. A fetched page that turns out to be a stored
item under another address (same content, same unique identifier, or same title on the same day)
is kept as another sighting of that item (documents.linked_to), so the queue shows it once.

A URL whose host is an address inside the network (loopback, private, link-local …, in any
spelling) is refused before anything is fetched, unless web.allow_private_urls is set; the
child's outbound guard refuses names that resolve inside and redirects or links that lead there
(crawler.outbound, crawler.outbound_guard).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from crawler.config import Config
from crawler.errors import RegwatchError
from crawler.normalize import canonical_url
from crawler.outbound import REFUSED, url_refusal
from crawler.storage import db, runs, stories
from crawler.storage.links import title_key
from crawler.storage.models import Document, DocumentIdentifier, DocumentVersion, TriageEvent
from crawler.storage.runs import now_utc

ADDED_SOURCE = "added"  # the source id added documents are stored under (see editorial.add_fetch)
RESULT_MARK = "REGWATCH_ADD_RESULT "
FETCH_TIMEOUT_S = 180.0


class AddFailed(RegwatchError):
    kind = "add_failed"

    def __init__(self, message: str, *, url: str | None = None, kind: str | None = None):
        super().__init__(message, url=url)
        self.kind = kind or self.kind


@dataclass
class AddResult:
    document_id: int  # the stored document (for a duplicate: the item it duplicates when nothing new was stored)
    duplicate_of: int | None  # the queue item this URL duplicates
    created: bool  # a document was stored by this add
    reason: str | None = None  # why it is a duplicate: url, identifier, content or title
    parser: str | None = None  # whose parser read the page: a source id, or "page"


def add_by_url(config: Config, url: str, actor: str, timeout_s: float = FETCH_TIMEOUT_S) -> AddResult:
    url = urldefrag((url or "").strip()).url  # a fragment is never sent to the server
    if not re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE):
        raise AddFailed("only http:// and https:// addresses can be added", url=url or None)
    refusal = None if config.web.allow_private_urls else url_refusal(url)
    if refusal is not None:
        raise AddFailed(refusal, url=url, kind=REFUSED)
    with db.open_session(config.database_url) as session:
        stored = session.scalars(select(Document).where(Document.url == canonical_url(url))
                                 .order_by(Document.id)).first()
        if stored is not None:
            primary = stored.linked_to or stored.id
            return AddResult(primary, primary, created=False, reason="url")
    report = _fetch_in_child(config, url, timeout_s)
    with db.open_session(config.database_url) as session:
        document = _stored_document(session, report.get("item_urls") or [])
        if document is None:
            raise _failure(session, report.get("run_id"), url, report)
        created = session.scalar(select(DocumentVersion.id).where(
            DocumentVersion.document_id == document.id, DocumentVersion.version == 1,
            DocumentVersion.run_id == report["run_id"])) is not None
        result = AddResult(document.id, None, created, parser=report.get("parser"))
        if created:
            _link_duplicate(session, document, result)
        elif document.linked_to:
            result.duplicate_of, result.reason = document.linked_to, "url"
        session.add(TriageEvent(document_id=result.duplicate_of or document.id, at=now_utc(), actor=actor,
                                action="add", detail={"url": url, "document_id": document.id,
                                                      "parser": result.parser, "duplicate": result.reason}))
        session.commit()
        stories.group_new(session, stories.configured(config))
    return result


def _fetch_in_child(config: Config, url: str, timeout_s: float) -> dict[str, Any]:
    request = {"config_path": str(config.path) if config.path else None, "database_url": config.database_url,
               "archive_dir": str(config.archive_dir), "archive_enabled": config.archive.enabled, "url": url,
               "settings": dict(config.service.crawl_settings), "allow_private_urls": config.web.allow_private_urls}
    # Its own session, so a timeout stops Scrapy and whatever it started.
    process = subprocess.Popen([sys.executable, "-m", "editorial.add_fetch"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.base_dir,
                               start_new_session=True)
    try:
        out, err = process.communicate(json.dumps(request), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AddFailed(f"fetching took longer than {timeout_s:g} s and was stopped", url=url) from None
    for line in out.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    last = next((line for line in reversed(err.splitlines()) if line.strip()), "no output")
    raise AddFailed(f"the fetch process exited with code {process.returncode}: {last.strip()}", url=url)


def _stored_document(session: Session, item_urls: list[str]) -> Document | None:
    if not item_urls:
        return None
    return session.scalars(select(Document).where(Document.source_id == ADDED_SOURCE, Document.url.in_(item_urls))
                           .order_by(Document.id)).first()


def _failure(session: Session, run_id: int | None, url: str, report: dict[str, Any]) -> AddFailed:
    """What the run recorded (blocked, fetch failed, unparseable …), else that no item came."""
    error = next(iter(runs.run_errors(session, run_id)), None) if run_id else None
    if error is not None:
        return AddFailed(error.message, url=error.url or url, kind=error.kind)
    if report.get("errors"):
        return AddFailed(report["errors"][0], url=url, kind=report.get("error_kind"))
    return AddFailed("the page gave no item to queue", url=url, kind="unparseable")


def _link_duplicate(session: Session, document: Document, result: AddResult) -> None:
    """Join a freshly stored document to the stored item it duplicates, if any."""
    for reason, other in _duplicates(session, document):
        primary = other.linked_to or other.id
        if primary == document.id:
            continue
        document.linked_to = primary
        result.duplicate_of, result.reason = primary, reason
        session.flush()
        return


def _duplicates(session: Session, document: Document):
    others = select(Document).where(Document.id != document.id).order_by(Document.id)
    yield from (("url", d) for d in session.scalars(others.where(Document.url == document.url)).all())
    pairs = [(r.scheme, r.value) for r in session.scalars(
        select(DocumentIdentifier).where(DocumentIdentifier.document_id == document.id))]
    if pairs:
        ids = select(DocumentIdentifier.document_id).where(
            tuple_(DocumentIdentifier.scheme, DocumentIdentifier.value).in_(pairs))
        yield from (("identifier", d) for d in session.scalars(others.where(Document.id.in_(ids))).all())
    yield from (("content", d) for d in session.scalars(
        others.where(Document.content_hash == document.content_hash)).all())
    if document.published is not None:
        key = title_key(document.title)
        same_day = session.scalars(others.where(Document.published == document.published)).all()
        yield from (("title", d) for d in same_day if title_key(d.title) == key)
