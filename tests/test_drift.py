"""A redesign that renames or strips every class and id still leaves the documents findable: the
source's selectors miss, the generic readers read title, date and link from what the page carries.
(benchmarks/bench_drift.py prints the same measurement per example.)"""

from __future__ import annotations

import pytest

from tests.drift import drift, html_examples, per_source
from tests.examples_harness import default_config

GOAL_OVERALL = 0.95
GOAL_PER_SOURCE = 0.80


@pytest.mark.parametrize("mode", ["rename", "strip"])
def test_redesigned_pages_keep_their_documents(mode):
    config = default_config()
    results = [drift(example, mode, config) for example in html_examples()]
    kept, expected = sum(r.kept for r in results), sum(r.expected for r in results)
    lost = [f"{r.example}: {r.kept}/{r.expected} {r.error}" for r in results if r.kept < r.expected]
    assert expected >= 100, "the HTML examples name fewer documents than the drift goal was set for"
    assert kept >= GOAL_OVERALL * expected, "\n".join(lost)
    behind = {source: counts for source, counts in per_source(results).items()
              if counts[0] < GOAL_PER_SOURCE * counts[1]}
    assert behind == {}, "\n".join(lost)
