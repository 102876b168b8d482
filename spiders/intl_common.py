"""Parsing shared by the UK, EU, international and newsroom sources: long dates in Italian, French
and English ("30 gennaio 2025", "1er octobre 2025", "5 February 2025"), day-first numeric dates,
Roman act numbers and lead paragraphs."""

from __future__ import annotations

import re
from datetime import date

from crawler.generic.dates import MONTHS
from crawler.normalize import first_paragraph, html_to_text

_MONTH_ALTERNATIVES = "|".join(sorted(MONTHS, key=len, reverse=True))
# "1°" (Italian) and "1er" (French) mark the first of the month.
_LONG_DATE = re.compile(rf"\b(\d{{1,2}})(?:°|º|er)?\s+({_MONTH_ALTERNATIVES})\s+(\d{{4}})\b", re.I)
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def long_date(text: str | None) -> date | None:
    """The first "day month-name year" date in Italian, French or English within a text."""
    match = _LONG_DATE.search(text or "")
    return _safe(int(match[3]), MONTHS[match[2].lower()], int(match[1])) if match else None


def day_first_date(text: str | None) -> date | None:
    """A European numeric date, 28/05/2025 or 12.7.2024."""
    match = _DAY_FIRST.search(text or "")
    return _safe(int(match[3]), int(match[2]), int(match[1])) if match else None


def roman_to_int(numeral: str) -> int | None:
    """DCCII -> 702; None for anything that is not a Roman numeral."""
    numeral = numeral.strip().upper()
    if not numeral or any(c not in _ROMAN_VALUES for c in numeral):
        return None
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def lead_paragraph(markup: str | None) -> str:
    """The first meaningful paragraph of an HTML body: what a reviewer reads as the summary."""
    return first_paragraph(html_to_text(markup))


def known(**identifiers: str | None) -> dict[str, str]:
    """The identifiers a document has (a missing one is left out, not stored as empty)."""
    return {key: value for key, value in identifiers.items() if value}
