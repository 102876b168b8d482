"""Build demo/demo.warc.gz from the example responses in tests/examples.

    python demo/build_demo_archive.py

Every example response (but error, anti-bot and redesign cases: files whose name starts with
"error", "blocked" or "redesign") is
written as if fetched at the examples' moment, so `regwatch demo` replays a crawl of that day.
"""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive import WarcRecorder  # noqa: E402
from crawler.parsing import read_headers  # noqa: E402
from tests.examples_harness import FETCHED_AT, NOT_SERVED_PREFIXES, all_examples  # noqa: E402

ARCHIVE = ROOT / "demo" / "demo.warc.gz"
CONTENT_TYPES = {".json": "application/json", ".xml": "application/xml", ".html": "text/html; charset=utf-8"}


def content_type(body: Path) -> str:
    return CONTENT_TYPES.get(body.suffix) or mimetypes.guess_type(body.name)[0] or "application/octet-stream"


def build() -> int:
    ARCHIVE.unlink(missing_ok=True)
    recorder = WarcRecorder(ARCHIVE, ARCHIVE.parent)
    seen: dict[str, str] = {}
    for example in all_examples():
        if example.case.startswith(NOT_SERVED_PREFIXES):
            continue
        if example.url in seen:
            raise SystemExit(f"{example} and {seen[example.url]} both answer {example.url}")
        seen[example.url] = str(example)
        headers = read_headers(example.body.with_name(example.body.name + ".headers")) or {
            "Content-Type": content_type(example.body)}
        recorder.write("GET", example.url, {b"User-Agent": [b"Regwatch demo builder"]}, b"", 200,
                       {k.encode(): [v.encode()] for k, v in headers.items()}, example.body.read_bytes(), FETCHED_AT)
    recorder.close()
    return len(seen)


if __name__ == "__main__":
    print(f"wrote {build()} responses to {ARCHIVE}")
