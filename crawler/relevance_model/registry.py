"""Where trained models live, which one scores, and loading it once per process.

Each training writes `<models_dir>/<version>.json.gz` (the model) and `<version>.meta.json` (its
metadata, readable without unpacking the model) and never overwrites either. The active model is
the one config.yaml pins (`relevance.model`), else the newest trained, else the starter model
shipped in crawler/data.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawler.config import Config
from crawler.relevance_model.model import ModelFileError, RelevanceModel, read_model, to_data, write_model

log = logging.getLogger(__name__)

STARTER = "starter"
STARTER_MODEL = Path(__file__).resolve().parent.parent / "data" / "relevance_starter_model.json.gz"
MODEL_SUFFIX, META_SUFFIX = ".json.gz", ".meta.json"


@dataclass(frozen=True)
class SavedModel:
    version: str
    path: Path
    meta: dict[str, Any]


def content_hash(model: RelevanceModel) -> str:
    """Eight hex digits of the model's weights and vocabulary (not its metadata)."""
    data = to_data(model)
    data.pop("meta")
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:8]


def trained_version(model: RelevanceModel, at: datetime) -> str:
    return f"relevance-{at.strftime('%Y%m%dT%H%M%SZ')}-{content_hash(model)}"


def saved_models(models_dir: Path) -> list[SavedModel]:
    """Every trained model in models_dir, newest first (unreadable metadata files are skipped)."""
    found = []
    for meta_path in models_dir.glob(f"relevance-*{META_SUFFIX}") if models_dir.is_dir() else []:
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("relevance model metadata %s is unreadable: %s", meta_path, error)
            continue
        version = meta_path.name[: -len(META_SUFFIX)]
        found.append(SavedModel(version, meta_path.with_name(version + MODEL_SUFFIX), meta))
    return sorted(found, key=lambda m: (m.meta.get("trained_at") or "", m.version), reverse=True)


def save(model: RelevanceModel, models_dir: Path) -> SavedModel:
    """Keep the model under its version; a version already saved is left as it is."""
    path = models_dir / (model.version + MODEL_SUFFIX)
    meta_path = models_dir / (model.version + META_SUFFIX)
    if not path.exists():
        write_model(model, path)
    if not meta_path.exists():
        meta_path.write_text(json.dumps(model.meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    forget()
    return SavedModel(model.version, path, model.meta)


def chosen_path(models_dir: Path, pinned: str | None) -> Path:
    """The file of the pinned version, else of the newest trained model, else the starter model."""
    if pinned == STARTER:
        return STARTER_MODEL
    if pinned:
        path = models_dir / (pinned + MODEL_SUFFIX)
        if not path.is_file():
            raise ModelFileError(f"relevance.model pins {pinned!r}, but {path} does not exist")
        return path
    newest = next((m.path for m in saved_models(models_dir) if m.path.is_file()), None)
    return newest or STARTER_MODEL


@lru_cache(maxsize=8)
def _read(path: Path, modified_ns: int) -> RelevanceModel:
    return read_model(path)


def load(path: Path) -> RelevanceModel:
    """A model file, read once per process (again only if the file changed)."""
    return _read(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _active(models_dir: Path, pinned: str | None) -> RelevanceModel | None:
    try:
        return load(chosen_path(models_dir, pinned))
    except (OSError, ModelFileError) as error:
        log.warning("relevance model: %s; scoring with the starter model", error)
    try:
        return load(STARTER_MODEL)
    except (OSError, ModelFileError) as error:
        log.error("relevance model: the starter model cannot be read either (%s); scoring by prior and terms", error)
        return None


def active_model(config: Config) -> RelevanceModel | None:
    """The model that scores this process's items; None only when no model file can be read."""
    return _active(config.models_dir, config.relevance.model)


def forget() -> None:
    """Look for the newest model again on the next `active_model` (after a training)."""
    _active.cache_clear()
