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
    # (kind: add|del|ctx|hunk, [(changed, text), ...]): a changed line marks the words that changed
    lines: list[tuple[str, list[tuple[bool, str]]]] = field(default_factory=list)


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
    plain = []
    for line in list(unified)[2:]:  # the ---/+++ header names no files here
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
        plain.append((kind, line[1:] if kind != "hunk" else "…"))
    diff.lines = _mark_changes(plain)
    return diff


def _spans(old: str, new: str) -> tuple[list[tuple[bool, str]], list[tuple[bool, str]]]:
    removed, added = [], []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if a2 > a1:
            removed.append((op != "equal", old[a1:a2]))
        if b2 > b1:
            added.append((op != "equal", new[b1:b2]))
    return removed, added


def _mark_changes(plain: list[tuple[str, str]]) -> list[tuple[str, list[tuple[bool, str]]]]:
    """A run of removed lines followed by as many added ones is an edit: mark what changed inside."""
    out: list[tuple[str, list[tuple[bool, str]]]] = []
    i = 0
    while i < len(plain):
        j = i
        while j < len(plain) and plain[j][0] == "del":
            j += 1
        k = j
        while k < len(plain) and plain[k][0] == "add":
            k += 1
        if j > i and k - j == j - i:
            pairs = [_spans(plain[i + n][1], plain[j + n][1]) for n in range(j - i)]
            out += [("del", removed) for removed, _ in pairs] + [("add", added) for _, added in pairs]
            i = k
            continue
        out.append((plain[i][0], [(plain[i][0] in ("add", "del"), plain[i][1])]))
        i += 1
    return out


def version_diffs(items: list[dict[str, Any]], numbers: list[int]) -> list[VersionDiff]:
    """Each version against the one before it, newest first."""
    return [version_diff(items[i - 1], items[i], numbers[i]) for i in range(len(items) - 1, 0, -1)]
