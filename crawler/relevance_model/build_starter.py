"""Rebuild the starter model shipped in crawler/data from the starter set, deterministically.

    python -m crawler.relevance_model.build_starter [--metrics]

The version is `relevance-starter-<hash of the weights>`: the same data and training give the same
version and the same bytes; the metadata names the starter files' hash (`data_hash`). After a
rebuild, regenerate the example files (their items record the starter model's scores):
python -m tests.regenerate_examples
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import asdict

from crawler.config import load_config
from crawler.relevance_model import registry
from crawler.relevance_model.learning import _counts, _environment, cross_validated
from crawler.relevance_model.model import write_model
from crawler.relevance_model.starter import data_hash, starter_examples
from crawler.relevance_model.training import fit, held_out_decisions


def build(with_metrics: bool = False) -> dict:
    examples = starter_examples()
    meta = {"version": "", "trained_at": None, "data_hash": data_hash(), "counts": _counts(examples),
            "cv_metrics": None, **_environment()}
    decisions = held_out_decisions(examples, [True] * len(examples))
    if with_metrics:  # with the default config's priors, as a fresh install scores
        config = load_config(registry.STARTER_MODEL.parent.parent.parent / "config.yaml")
        meta["cv_metrics"] = asdict(cross_validated(examples, [True] * len(examples), config, decisions))
    model = fit(examples, meta, decisions)
    meta["version"] = f"relevance-starter-{registry.content_hash(model)}"
    write_model(dataclasses.replace(model, version=meta["version"], meta=meta), registry.STARTER_MODEL)
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", action="store_true", help="also cross-validate and store the metrics")
    meta = build(parser.parse_args().metrics)
    size = registry.STARTER_MODEL.stat().st_size
    print(f"wrote {registry.STARTER_MODEL} ({size / 1024:.0f} KiB): {meta['version']}, {meta['counts']}")
    if meta["cv_metrics"]:
        print(f"cross-validated at 0.5: {meta['cv_metrics']}")


if __name__ == "__main__":
    main()
