"""A site redesign in miniature, for every HTML example: every class and id renamed (what a
redesign most often does to markup; headings, <time>, <meta>, links and text stay) or stripped,
then parsed again. A document is kept when an item with its URL, date and title comes out (a title
holding the site's name beside the expected one counts). Used by tests/test_drift.py and
benchmarks/bench_drift.py."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from crawler.config import Config
from crawler.encoding import decode_body
from crawler.errors import RegwatchError
from crawler.generic import sniff
from crawler.parsing import parse_saved, read_headers
from tests.examples_harness import FETCHED_AT, Example, all_examples

MODES = ("rename", "strip")


@dataclass
class DriftResult:
    example: Example
    expected: int
    kept: int
    error: str = ""


def redesigned(body: bytes, mode: str, language: str | None = None) -> bytes:
    """The page with every class and id renamed (mode "rename") or removed ("strip"), in its own encoding."""
    text, encoding = decode_body(body, None, language)
    root = lxml.html.document_fromstring(text)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("class", "id"):
            value = element.get(attribute)
            if value is None:
                continue
            if mode == "strip":
                del element.attrib[attribute]
            else:
                element.set(attribute, " ".join(f"x{hashlib.md5(t.encode()).hexdigest()[:6]}" for t in value.split()))
    markup = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    return markup.encode(encoding, "xmlcharrefreplace")


def html_examples() -> list[Example]:
    """Examples whose response is an HTML page and that name documents."""
    found = []
    for example in all_examples():
        headers = read_headers(example.body.with_name(example.body.name + ".headers"))
        kind = sniff.response_kind(example.body.read_bytes(), headers.get("Content-Type", ""), example.url)
        if kind == sniff.HTML and example.expected_path.exists() and json.loads(example.expected_path.read_text()):
            found.append(example)
    return found


def drift(example: Example, mode: str, config: Config) -> DriftResult:
    expected = json.loads(example.expected_path.read_text(encoding="utf-8"))
    source = config.source(example.source_id)
    headers = read_headers(example.body.with_name(example.body.name + ".headers"))
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / example.body.name
        page.write_bytes(redesigned(example.body.read_bytes(), mode, source.language))
        try:
            items = parse_saved(config, example.source_id, page, example.url, FETCHED_AT, headers).items
        except RegwatchError as error:
            return DriftResult(example, len(expected), 0, f"{error.kind}: {error.message}")
    found = {item.url: item for item in items}
    kept = sum(1 for wanted in expected if _same_document(wanted, found.get(wanted["url"])))
    return DriftResult(example, len(expected), kept)


def _same_document(wanted: dict, item) -> bool:
    return (item is not None and wanted["title"] in item.title
            and (item.published.isoformat() if item.published else None) == wanted["published"])


def per_source(results: list[DriftResult]) -> dict[str, tuple[int, int]]:
    """source id -> (documents kept, documents expected)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        totals[result.example.source_id][0] += result.kept
        totals[result.example.source_id][1] += result.expected
    return {source: (kept, expected) for source, (kept, expected) in totals.items()}
