"""Dates, URLs, text and hashes: pure functions shared by every source."""

from __future__ import annotations

import email.utils
import hashlib
import html
import json
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import lxml.html
from w3lib.html import remove_tags
from w3lib.url import canonicalize_url

# --- dates -------------------------------------------------------------------------------------

_ISO = re.compile(
    r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0}
_CN_NUMERAL_DATE = re.compile(r"([〇零○ＯO一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
                              r"\s*([一二三四五六七八九十]{1,3})\s*日")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ENGLISH_MDY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_ENGLISH_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_NAMES})\.?,?\s+(\d{{4}})\b", re.I)
_RFC822 = re.compile(r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(moment: datetime, tz: str = "UTC") -> date:
    """The calendar day of a moment in the source's time zone (naive moments are taken as local)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(_zone(tz)).date()


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _cn_number(text: str) -> int:
    """一 .. 三十一 as written in dates (十 = 10, 二十三 = 23)."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _cn_numeral_date(match: re.Match[str]) -> date | None:
    year = int("".join(str(_CN_DIGITS[c]) for c in match[1]))
    try:
        return _safe_date(year, _cn_number(match[2]), _cn_number(match[3]))
    except KeyError:
        return None


def _iso(match: re.Match[str], tz: str) -> date | None:
    year, month, day, hour, minute, second, offset = match.groups()
    day_only = _safe_date(int(year), int(month), int(day))
    if day_only is None or hour is None or offset is None:
        return day_only
    offset = "+00:00" if offset == "Z" else offset
    moment = datetime.fromisoformat(
        f"{day_only.isoformat()}T{int(hour):02d}:{minute}:{second or '00'}{offset[:3]}:{offset[-2:]}"
    )
    return local_date(moment, tz)


def parse_date(text: str | None, tz: str = "UTC", languages: tuple[str, ...] = ()) -> date | None:
    """The calendar date a source shows, in its own time zone.

    Handles ISO dates and timestamps, 2025/01/07, 2025年1月7日 (with labels such as 发布时间：),
    二〇二五年一月七日 (judgments, signature lines),
    "January 7, 2025", "7 January 2025" and RFC 822 feed dates; other languages go to dateparser.
    """
    if not text:
        return None
    text = text.strip()
    if _RFC822.match(text):
        try:
            return local_date(email.utils.parsedate_to_datetime(text), tz)
        except (TypeError, ValueError):
            pass
    for pattern, build in (
        (_CHINESE, lambda m: _safe_date(int(m[1]), int(m[2]), int(m[3]))),
        (_CN_NUMERAL_DATE, _cn_numeral_date),
        (_ISO, lambda m: _iso(m, tz)),
        (_ENGLISH_MDY, lambda m: _safe_date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))),
        (_ENGLISH_DMY, lambda m: _safe_date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))),
    ):
        match = pattern.search(text)
        if match:
            found = build(match)
            if found:
                return found
    return _dateparser_date(text, tz, languages)


def _dateparser_date(text: str, tz: str, languages: tuple[str, ...]) -> date | None:
    import dateparser  # slow to import; only other languages' dates need it

    settings = {"TIMEZONE": tz, "RETURN_AS_TIMEZONE_AWARE": True, "PREFER_DAY_OF_MONTH": "first"}
    parsed = dateparser.parse(text, languages=list(languages) or None, settings=settings)
    return local_date(parsed, tz) if parsed else None


def parse_timestamp(value: float | int | str | None, tz: str = "UTC") -> date | None:
    """A Unix timestamp (as WeChat and many JSON APIs give) as the source's calendar date."""
    if value in (None, ""):
        return None
    return local_date(datetime.fromtimestamp(float(value), UTC), tz)


# --- URLs --------------------------------------------------------------------------------------

_TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|mkt_tok"
    r"|igshid|yclid|ref_src|chksm|scene|srcid|sharer_[a-z]+|share_[a-z]+|from_[a-z]+)$",
    re.I,
)


def canonical_url(url: str) -> str:
    """w3lib canonical form without fragment, tracking parameters or default port."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING_PARAMS.match(k)]
    host = (parts.hostname or "").lower()
    if parts.port and (parts.scheme, parts.port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{parts.port}"
    cleaned = urlunsplit((parts.scheme.lower(), host, parts.path or "/", urlencode(query), ""))
    return canonicalize_url(cleaned)


# --- text --------------------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000\u200b]+")
# NUL and the other C0 controls but tab and newline: never text, and PostgreSQL refuses NUL.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
               "article", "blockquote", "table", "ul", "ol", "dd", "dt")


def clean_text(value: str | None) -> str:
    """Unescape entities, fold runs of spaces, keep single blank lines between paragraphs."""
    if not value:
        return ""
    value = _CONTROLS.sub("", html.unescape(value))
    lines = (_SPACES.sub(" ", line).strip() for line in value.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(value: str | None) -> str:
    """A title or name: one line, entities unescaped, spaces folded."""
    return " ".join(clean_text(value).split())


_BLOCK_BOUNDARY = re.compile(rf"<(?:/?(?:{'|'.join(_BLOCK_TAGS)})\b[^>]*|br\s*/?)>", re.I)
_HEAVY_MARKUP = re.compile(r"<(?:script|style|noscript|!--)", re.I)


def html_to_text(markup: str | None) -> str:
    """Readable text of an HTML fragment, one paragraph per block element; scripts dropped."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup:
        return clean_text(markup)
    if len(markup) < 4000 and not _HEAVY_MARKUP.search(markup):
        # Feed summaries: thousands per crawl, simple markup; w3lib's tag stripping is 10x faster.
        return clean_text(remove_tags(_BLOCK_BOUNDARY.sub("\n\n", markup)))
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for bad in root.xpath(".//script|.//style|.//noscript"):
        bad.drop_tree()
    for block in root.iter(*_BLOCK_TAGS):
        block.tail = "\n\n" + (block.tail or "")
        if block.tag != "br":
            block.text = "\n\n" + (block.text or "")
    return clean_text(root.text_content())


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _meaningful(paragraph: str) -> bool:
    cjk = len(_CJK.findall(paragraph))
    return cjk >= 15 or len(paragraph) >= 60 or (cjk == 0 and len(paragraph.split()) >= 10)


def first_paragraph(text: str, max_chars: int = 600) -> str:
    """The first meaningful paragraph of a text, cut at a sentence end near max_chars."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    chosen = next((p for p in paragraphs if _meaningful(p)), paragraphs[0] if paragraphs else "")
    chosen = " ".join(chosen.split())
    if len(chosen) <= max_chars:
        return chosen
    cut = chosen[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("。"), cut.rfind("; "))
    return cut[: end + 1] if end > max_chars // 2 else cut.rstrip() + "…"


# --- hashing -----------------------------------------------------------------------------------


def content_hash(fields: dict) -> str:
    """sha256 of what the document says; fetch time and scores are not part of it."""
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
