"""Every example file parses to exactly its expected items, through `regwatch parse`'s code path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.examples_harness import FETCHED_AT, ROOT, Example, all_examples, parse_example, render

EXAMPLES = all_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_example_parses_to_expected_items(example: Example):
    assert example.expected_path.exists(), f"no {example.expected_path.name}: run python -m tests.regenerate_examples"
    assert render(parse_example(example)) == example.expected_path.read_text(encoding="utf-8")


def test_every_configured_source_has_examples():
    from tests.examples_harness import default_config

    covered = {example.source_id for example in EXAMPLES}
    missing = [s.id for s in default_config().sources if s.id not in covered]
    assert missing == []


def test_regwatch_parse_command_prints_the_same_items_as_json_lines():
    example = next(e for e in EXAMPLES if e.source_id == "federal-register")
    result = subprocess.run(
        [sys.executable, "-m", "regwatch", "--config", str(ROOT / "config.yaml"), "parse", example.source_id,
         str(example.body), "--url", example.url, "--fetched-at", FETCHED_AT.isoformat(), "--full"],
        capture_output=True, text=True, check=True)
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert printed == json.loads(example.expected_path.read_text(encoding="utf-8"))


def test_regwatch_parse_without_full_prints_exactly_the_item_keys():
    from crawler.items import ITEM_KEYS

    example = next(e for e in EXAMPLES if e.source_id == "federal-register")
    result = subprocess.run(
        [sys.executable, "-m", "regwatch", "--config", str(ROOT / "config.yaml"), "parse", example.source_id,
         str(example.body), "--url", example.url], capture_output=True, text=True, check=True)
    first = json.loads(result.stdout.splitlines()[0])
    assert tuple(first) == ITEM_KEYS
