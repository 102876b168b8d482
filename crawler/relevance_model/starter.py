"""The labelled starter set shipped in crawler/data/relevance_starter/<lang>.jsonl.

One JSON object a line: id, lang, label (1 on topic, 0 not), kind, source_id, category,
doc_type, title, summary. Positives are AI laws, standards, cases and industry news; negatives are
ordinary publications of the same kinds of sources.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from crawler.relevance_model.features import Example, ModelInput

STARTER_DATA = Path(__file__).resolve().parent.parent / "data" / "relevance_starter"
REQUIRED = ("id", "label", "title")


class StarterDataError(ValueError):
    """A line of the starter set that is not a labelled item."""


def starter_files(folder: Path = STARTER_DATA) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def starter_examples(folder: Path = STARTER_DATA) -> list[Example]:
    """Every labelled item, in file and line order; a malformed line raises naming file and line."""
    examples = []
    for path in starter_files(folder):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                examples.append(_example(line, f"{path.name}:{number}"))
    return examples


def _example(line: str, where: str) -> Example:
    try:
        row = json.loads(line)
    except ValueError as error:
        raise StarterDataError(f"{where}: not JSON ({error})") from error
    missing = [key for key in REQUIRED if key not in row]
    if missing or row["label"] not in (0, 1):
        raise StarterDataError(f"{where}: needs id, title and a label of 0 or 1 (missing {missing or 'label'})")
    item = ModelInput(row["title"], row.get("summary") or "", row.get("source_id"), row.get("category"),
                      row.get("doc_type"))
    return Example(item, int(row["label"]), "starter", str(row["id"]))


def data_hash(folder: Path = STARTER_DATA) -> str:
    """Eight hex digits of the starter files' contents: the starter model's version names its data."""
    digest = hashlib.sha256()
    for path in starter_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]
