"""Redesign drift: how many documents survive a redesign of every HTML example (goal: >= 95% kept,
and every HTML source keeps >= 80% of its own).

    python benchmarks/bench_drift.py [--mode rename|strip|both] [--verbose]

Every class and id is renamed (or stripped), the page is parsed again through `regwatch parse`'s
code path, and a document counts as kept when an item with the same URL, date and title comes out
(a title holding the site's name beside the expected one counts). See tests/drift.py.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.drift import MODES, drift, html_examples, per_source  # noqa: E402
from tests.examples_harness import default_config  # noqa: E402


def measure(mode: str, verbose: bool) -> None:
    config = default_config()
    started = time.perf_counter()
    results = [drift(example, mode, config) for example in html_examples()]
    elapsed = time.perf_counter() - started
    kept, expected = sum(r.kept for r in results), sum(r.expected for r in results)
    sources = per_source(results)
    holding = sum(1 for k, e in sources.values() if k >= 0.8 * e)
    print(f"\n{mode}: {kept}/{expected} documents kept ({kept / expected:.1%}); "
          f"{holding}/{len(sources)} HTML sources keep >= 80% of theirs; {len(results)} pages in {elapsed:.1f} s")
    for result in results:
        if verbose or result.kept < result.expected:
            print(f"  {str(result.example):60} {result.kept}/{result.expected} {result.error}")
    for source, (k, e) in sorted(sources.items()):
        if k < e:
            print(f"  source {source}: {k}/{e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both")
    parser.add_argument("--verbose", action="store_true", help="list every example, not only those losing documents")
    args = parser.parse_args()
    print(f"bench_drift {date.today()} on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    for mode in MODES if args.mode == "both" else (args.mode,):
        measure(mode, args.verbose)


if __name__ == "__main__":
    main()
