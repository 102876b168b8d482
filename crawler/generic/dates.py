"""Dates as pages show them in running text and URLs, in the languages of the watched sources:
2025年1月7日, 二〇二五年一月七日, 2025-01-07, 07/01/2025, "January 7, 2025", "7 gennaio 2025",
"7 janvier 2025", "7. Januar 2025", "7 de enero de 2025"; labelled dates (发布时间：, Published,
Data, Publié le …); dates in URLs (/2025-01/03/, /202501/t20250107_, /2025/01/07/). Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from crawler.normalize import parse_date

_MONTH_WORDS = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "de": ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "dezember"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}
MONTHS: dict[str, int] = {word: n for words in _MONTH_WORDS.values() for n, word in enumerate(words, start=1)}
MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
               "oct": 10, "nov": 11, "dec": 12, "fevrier": 2, "aout": 8, "decembre": 12, "marz": 3,
               "janv": 1, "févr": 2, "avr": 4, "juil": 7, "déc": 12})
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_CN_NUMERAL = "〇零○ＯO一二三四五六七八九"

# One pattern, many spellings; the named group says which one matched.
_DATE = re.compile(
    r"(?P<cn>(?<!\d)(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
    rf"|(?P<cnnum>[{_CN_NUMERAL}]{{4}}\s*年\s*[一二三四五六七八九十]{{1,3}}\s*月\s*[一二三四五六七八九十]{{1,3}}\s*日)"
    r"|(?P<iso>(?<!\d)(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d))"
    r"|(?P<numeric>(?<![\d/.])(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|[12]\d|3[01])[/.](?:19|20)\d{2}(?!\d))"
    rf"|(?P<dmy>\b\d{{1,2}}(?:°|º|er|st|nd|rd|th)?\.?\s+(?:de\s+)?(?:{_MONTH})\.?,?\s+(?:de\s+)?(?:19|20)\d{{2}}\b)"
    rf"|(?P<mdy>\b(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b)",
    re.I,
)
_PARTS = re.compile(rf"(\d{{1,4}})|({_MONTH})", re.I)


@dataclass(frozen=True)
class FoundDate:
    at: int        # position in the text
    end: int
    day: date


def _from_words(raw: str) -> date | None:
    numbers = [int(m[1]) for m in _PARTS.finditer(raw) if m[1]]
    words = [m[2].lower() for m in _PARTS.finditer(raw) if m[2]]
    if not words or len(numbers) < 2:
        return None
    year = next((n for n in numbers if n > 31), None)
    day = next((n for n in numbers if n <= 31), None)
    return _safe(year, MONTHS[words[0]], day) if year and day else None


def _numeric(raw: str, month_first: bool) -> date | None:
    first, second, year = (int(part) for part in re.split(r"[/.]", raw))
    if first > 12 or not month_first:
        return _safe(year, second, first)
    return _safe(year, first, second)


def _safe(year: int | None, month: int, day: int | None) -> date | None:
    try:
        return date(year, month, day) if year and day else None
    except ValueError:
        return None


def _convert(match: re.Match[str], tz: str, month_first: bool) -> date | None:
    raw = match.group(0)
    if match["cn"] or match["cnnum"] or match["iso"]:
        return parse_date(raw, tz)
    if match["numeric"]:
        return _numeric(raw, month_first)
    return _from_words(raw)


def find_dates(text: str, tz: str = "UTC", month_first: bool = False, start: int = 0,
               end: int | None = None) -> Iterator[FoundDate]:
    """Every date written in text[start:end], in order. Numeric d/m/y dates are read day first
    unless month_first (US pages)."""
    for match in _DATE.finditer(text, start, len(text) if end is None else end):
        day = _convert(match, tz, month_first)
        if day is not None and 1990 <= day.year <= 2100:
            yield FoundDate(match.start(), match.end(), day)


def first_date(text: str | None, tz: str = "UTC", month_first: bool = False) -> date | None:
    return next((found.day for found in find_dates(text or "", tz, month_first)), None)


_SHORT_YEAR = re.compile(r"(?<![\d/.])(\d{1,2})[/.](\d{1,2})[/.](\d{2})(?![\d/.])")


def short_year_date(text: str | None, month_first: bool = False) -> date | None:
    """28/01/25 (a labelled date's two-digit year, as Italian and French pages write it): 2025-01-28."""
    match = _SHORT_YEAR.search(text or "")
    if not match:
        return None
    return _numeric(f"{match[1]}/{match[2]}/{2000 + int(match[3])}", month_first)


# --- labelled dates ---------------------------------------------------------------------------

# Labels naming the publication date, best first; signing dates (成文日期) only when nothing else is shown.
_LABEL_RANKS = (
    (r"发布时间|发布日期|发稿时间|发布于|公布日期|Date (?:de )?publication|Publication date|Date published|"
     r"Published(?: on| date)?|Posted(?: on)?|Release date|Released(?: on)?|First published|"
     r"Data di pubblicazione|Pubblicato(?: il)?|Publié le|Mis en ligne le|Fecha de publicación|"
     r"Veröffentlicht(?: am)?", 0),
    (r"日期|时间|Date|Data|Datum|Fecha|Dated", 1),
    (r"成文日期|印发日期|签发日期|Signed(?: on)?", 2),
)
_LABELLED = [(re.compile(rf"(?:^|(?<=[\s\[(【|｜:：>]))(?:{labels})\s*[:：]?\s*", re.I | re.M), rank)
             for labels, rank in _LABEL_RANKS]
_LABEL_REACH = 24  # characters between a label and its date


@dataclass(frozen=True)
class LabelledDate:
    rank: int       # 0 publication label, 1 a bare "date", 2 a signing date
    at: int
    day: date


def labelled_dates(text: str, tz: str = "UTC", month_first: bool = False) -> list[LabelledDate]:
    """Dates that follow a label, best label first, then in page order."""
    found = []
    for pattern, rank in _LABELLED:
        for match in pattern.finditer(text):
            after = next(find_dates(text, tz, month_first, match.end(), match.end() + _LABEL_REACH), None)
            if after is not None and not text[match.end():after.at].strip(" \t|:：-–(（[【").count("\n"):
                found.append(LabelledDate(rank, match.start(), after.day))
            elif after is None and (short := short_year_date(text[match.end():match.end() + 10], month_first)):
                found.append(LabelledDate(rank, match.start(), short))
    return sorted(found, key=lambda d: (d.rank, d.at))


# --- dates in URLs ----------------------------------------------------------------------------

_URL_DATES = (
    # 20250107, 2025/01/07, 2025-01-07
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-_/]?(0[1-9]|1[0-2])[-_/]?(0[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(r"/((?:19|20)\d{2})-(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/"),                     # /2025-01/03/
    re.compile(r"/((?:19|20)\d{2})/(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])/"),                       # /2025/0117/
    # a 14-digit moment as an id: TC260's postDetail.html?id=20250103165937
    re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d(?!\d)"),
)


def url_date(url: str) -> date | None:
    """A full date in a URL's path: /2025/01/07/, /2025-01/03/, /202501/t20250107_, -2025-01-07/."""
    path = url.split("#", 1)[0].split("://", 1)[-1].partition("/")[2]
    for pattern in _URL_DATES:
        for match in pattern.finditer("/" + path):
            found = _safe(int(match[1]), int(match[2]), int(match[3]))
            if found:
                return found
    return None
