"""Example files: a recorded response, the URL it came from, and the items `regwatch parse` must
produce from it (tests/examples/<source_id>/<case>.<ext>, .<ext>.url, <case>.expected.json)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crawler.config import Config, load_config
from crawler.parsing import EXAMPLE_FETCHED_AT, expected_json, parse_file

EXAMPLES = Path(__file__).parent / "examples"
ROOT = Path(__file__).resolve().parent.parent
# Cases that are not the site as a crawl meets it today: error answers, anti-bot pages, and the same
# page after a redesign (served to the generic reader's tests, not to the default crawl or the demo).
NOT_SERVED_PREFIXES = ("error", "blocked", "redesign")
# Example items are parsed as if fetched at this moment, so expected files are stable.
FETCHED_AT = EXAMPLE_FETCHED_AT


@dataclass(frozen=True)
class Example:
    source_id: str
    body: Path

    @property
    def case(self) -> str:
        return self.body.name.split(".")[0]

    @property
    def url(self) -> str:
        return self.body.with_name(self.body.name + ".url").read_text(encoding="utf-8").strip()

    @property
    def expected_path(self) -> Path:
        return self.body.with_name(f"{self.case}.expected.json")

    def __str__(self) -> str:
        return f"{self.source_id}/{self.body.name}"


def all_examples() -> list[Example]:
    found = []
    for url_file in sorted(EXAMPLES.glob("*/*.url")):
        body = url_file.with_name(url_file.name[: -len(".url")])
        found.append(Example(url_file.parent.name, body))
    return found


def default_config() -> Config:
    config = load_config(ROOT / "config.yaml")
    # Items are scored by the shipped starter model, whatever was trained in this folder.
    config.relevance.model = "starter"
    return config


def parse_example(example: Example, config: Config | None = None) -> list[dict]:
    """What `regwatch parse SOURCE FILE --url URL --full` prints, as a list."""
    items, _ = parse_file(config or default_config(), example.source_id, example.body, example.url, FETCHED_AT)
    return [item.public_dict(full=True) for item in items]


def render(items: list[dict]) -> str:
    return expected_json(items)  # the same rendering `regwatch record --write-expected` writes
