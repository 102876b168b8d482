"""What changed between two stored versions of an item, for the item page."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("title", "published", "summary", "doc_type", "identifiers", "dates")
CONTEXT_LINES = 2
# Long paragraphs are compared sentence by sentence, so one changed word does not mark a whole page.
SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*")


@dataclass
class VersionDiff:
    version: int
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, before, after)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (kind: add|del|ctx|hunk, text)


def _lines(text: str) -> list[str]:
    lines = []
    for paragraph in (text or "").splitlines():
        lines.extend(piece for piece in SENTENCE_END.split(paragraph.strip()) if piece)
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def version_diff(before: dict[str, Any], after: dict[str, Any], version: int) -> VersionDiff:
    diff = VersionDiff(version)
    for name in FIELDS:
        old, new = _shown(before.get(name)), _shown(after.get(name))
        if old != new:
            diff.fields.append((name, old, new))
    unified = difflib.unified_diff(_lines(before.get("text", "")), _lines(after.get("text", "")),
                                   n=CONTEXT_LINES, lineterm="")
    for line in list(unified)[2:]:  # the ---/+++ header names no files here
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
        diff.lines.append((kind, line[1:] if kind != "hunk" else "…"))
    return diff


def version_diffs(items: list[dict[str, Any]], numbers: list[int]) -> list[VersionDiff]:
    """Each version against the one before it, newest first."""
    return [version_diff(items[i - 1], items[i], numbers[i]) for i in range(len(items) - 1, 0, -1)]
