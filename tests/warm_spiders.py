"""Spiders for the local executor's tests (SPIDER_MODULES "spiders,tests.warm_spiders"): one notes
the process that crawls it, one crashes that process the way a segfaulting library would."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from spiders.feed import GenericFeedSpider


class WitnessSpider(GenericFeedSpider):
    """A feed spider that writes which process read its feed and the CPU that process had used."""

    name = "witness"

    def parse_feed(self, response: Any) -> Iterator[Any]:
        times = os.times()
        note = {"source": self.source.id, "pid": os.getpid(), "cpu_s": times.user + times.system}
        with (self.run.config.base_dir / "crawled.jsonl").open("a") as notes:
            notes.write(json.dumps(note) + "\n")
        yield from super().parse_feed(response)


class CrashingSpider(GenericFeedSpider):
    name = "crashing"

    def parse_feed(self, response: Any) -> Iterator[Any]:
        print("Fatal Python error: Segmentation fault", file=sys.stderr, flush=True)
        os._exit(70)
        yield  # a generator, like the parser it stands in for
