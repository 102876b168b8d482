"""Text out of PDF documents (Vatican decrees, UN reports), in paragraphs a reviewer can read.

pypdf gives a page's text line by line; lines are joined into paragraphs again: a paragraph ends
after a line closing a sentence, and starts at an article heading, a numbered clause or a heading
in capitals.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from crawler.errors import Unparseable
from crawler.normalize import first_paragraph

_STARTS_PARAGRAPH = re.compile(r"^(?:Art\.|Articolo\s|Article\s|Chapter\s|Capo\s|Titolo\s|\(|\d{1,2}\.\s|[a-z]\)\s)")
_ENDS_SENTENCE = (".", ";", ":", "!", "?", "»", "”")
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:([+-])(\d{2})'?(\d{2})?)?")


@dataclass(frozen=True)
class PdfText:
    text: str                   # paragraphs separated by blank lines
    title: str                  # the document information dictionary's /Title, if any
    created: datetime | None    # its /CreationDate


def is_pdf(body: bytes) -> bool:
    return body.lstrip()[:5] == b"%PDF-"


class PdfDetails:
    """Spider mixin: the source's parse_detail reads PDF documents (a PDF answer reaches it as the
    bytes it is, whatever Content-Type it came with; see spiders.reading)."""

    reads_pdf = True


def read_pdf(body: bytes, url: str) -> PdfText:
    """The text and metadata of a PDF file; Unparseable when it is not one or holds no text (a scan)."""
    if not is_pdf(body):
        raise Unparseable("expected a PDF file", url=url)
    try:
        reader = PdfReader(io.BytesIO(body))
        lines = [" ".join(line.split()) for page in reader.pages for line in page_text(page).splitlines()]
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError) as error:
        raise Unparseable(f"unreadable PDF ({error})", url=url) from error
    text = paragraphs(lines)
    if not text:
        raise Unparseable("PDF without extractable text (a scanned document?)", url=url)
    return PdfText(text, " ".join(str(info.get("/Title") or "").split()), pdf_date(info.get("/CreationDate")))


def opening_prose(text: str) -> str:
    """The first paragraph of running prose, past a report's cover lines and headings."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    prose = next((p for p in paragraphs if len(p.split()) >= 12 and p.rstrip().endswith(_ENDS_SENTENCE)), None)
    return first_paragraph(prose or text)


def page_text(page) -> str:
    """Layout mode keeps vertical gaps as blank lines (paragraph and heading breaks); some fonts defeat
    it, and then the plain extraction still gives the words."""
    try:
        return page.extract_text(extraction_mode="layout") or ""
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        return page.extract_text() or ""


def paragraphs(lines: list[str]) -> str:
    found: list[str] = []
    current: list[str] = []
    for line in lines:
        starts = bool(_STARTS_PARAGRAPH.match(line)) or (line.isupper() and len(line) > 3)
        if current and (not line or starts or current[-1].endswith(_ENDS_SENTENCE) or _is_heading(current)):
            found.append(" ".join(current))
            current = []
        if line:
            current.append(line)
    if current:
        found.append(" ".join(current))
    return "\n\n".join(found)


def _is_heading(current: list[str]) -> bool:
    """A short single line (an article number, a rubric in brackets, a section title) stands alone:
    a wrapped paragraph's lines run the full width, and its last one closes a sentence."""
    line = current[-1]
    return len(current) == 1 and (len(line) < 45 and not line.endswith((",", "-")) or line.isupper()
                                  or (line.startswith("(") and line.endswith(")")))


def pdf_date(raw: object) -> datetime | None:
    """A PDF date string, D:20241216093000+01'00', as a moment (UTC when it names no offset)."""
    match = _PDF_DATE.match(str(raw or ""))
    if not match:
        return None
    sign, hours, minutes = match.group(7), int(match.group(8) or 0), int(match.group(9) or 0)
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    try:
        return datetime(*(int(part or 0) for part in match.groups()[:6]), tzinfo=timezone(offset) if sign else UTC)
    except ValueError:
        return None
