"""Rewrite the expected JSON of example files after a deliberate parser change.

    python -m tests.regenerate_examples [SOURCE_ID ...]

Review the diff (git diff tests/examples) like code before committing it.
"""

from __future__ import annotations

import sys

from tests.examples_harness import all_examples, default_config, parse_example, render


def main(source_ids: list[str]) -> None:
    config = default_config()
    for example in all_examples():
        if source_ids and example.source_id not in source_ids:
            continue
        example.expected_path.write_text(render(parse_example(example, config)), encoding="utf-8")
        print(f"wrote {example.expected_path}")


if __name__ == "__main__":
    main(sys.argv[1:])
