"""The default config crawled against a local copy of the real sites, built from the example files.

Every example response (not the error cases) is served by a loopback server under
/<scheme>/<host>/<path>; the crawl runs with REGWATCH_MIRROR pointing there, so spiders request
the real URLs (listing links included) and only the transport goes to 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from crawler.middlewares import mirror_url
from crawler.parsing import read_headers
from tests.examples_harness import FETCHED_AT, NOT_SERVED_PREFIXES, ROOT, Example, all_examples
from tests.loopback import LoopbackSite, Reply

CONTENT_TYPES = {".json": "application/json", ".xml": "application/xml", ".html": "text/html"}


def serve_examples(site: LoopbackSite, source_ids: set[str] | None = None) -> list[Example]:
    served = []
    for example in all_examples():
        if example.case.startswith(NOT_SERVED_PREFIXES) or (source_ids and example.source_id not in source_ids):
            continue
        headers = read_headers(example.body.with_name(example.body.name + ".headers")) or {
            "Content-Type": CONTENT_TYPES.get(example.body.suffix, "application/octet-stream")}
        path = mirror_url("", example.url)
        site.routes[path] = Reply(200, example.body.read_bytes(), headers)
        served.append(example)
    return served


def default_config_copy(folder: Path, source_ids: set[str] | None = None) -> Path:
    """config.yaml as shipped (its sources and URLs untouched), with data in `folder`."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["storage"] = {"url": "sqlite:///regwatch-data/regwatch.db"}
    config["archive"] = {"dir": "regwatch-data/archive"}
    config["crawl"] = {**config.get("crawl", {}), "delay_s": 0, "obey_robots": False, "timeout_s": 10, "retries": 0}
    if source_ids:
        config["sources"] = [s for s in config["sources"] if s["id"] in source_ids]
    for source in config["sources"]:
        source.pop("crawl", None)  # per-source politeness delays would only slow the test
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def mirror_settings(site: LoopbackSite) -> list[str]:
    """`regwatch crawl` arguments: the mirror, and the examples' day as the run's clock."""
    return ["-s", f"REGWATCH_MIRROR={site.base}", "-s", f"REGWATCH_NOW={FETCHED_AT.isoformat()}"]
