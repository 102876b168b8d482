"""What a crawl reports per source: light enough for processes that only collect outcomes (the
service, a worker's parent) to import without Scrapy."""

from __future__ import annotations

from dataclasses import dataclass, field

# What a run record counts (crawl_runs columns of the same names).
COUNTERS = ("requests", "not_modified", "items_parsed", "items_new", "items_updated", "items_unchanged",
            "items_generic")


@dataclass
class SourceOutcome:
    source_id: str
    run_id: int
    status: str
    counters: dict[str, int]
    errors: list[str]
    warnings: list[str] = field(default_factory=list)  # e.g. a selector that missed (items read generically)
