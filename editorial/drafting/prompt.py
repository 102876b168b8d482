"""The drafting prompt: a Markdown file in the project (or the group's own, `drafting.prompt`) whose
first line names its version, stored with every draft so a draft can be traced to its prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crawler.config import DraftingConfig
from crawler.errors import ConfigError

PROMPTS = Path(__file__).parent
_VERSION = re.compile(r"^\s*(?:<!--\s*)?prompt-version:\s*(\S+?)\s*(?:-->)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Prompt:
    version: str
    text: str  # the system message, the limits filled in


def prompt_path(config: DraftingConfig, base_dir: Path) -> Path:
    if config.prompt is None:
        return PROMPTS / f"prompt_{config.language}.md"
    return config.prompt if config.prompt.is_absolute() else base_dir / config.prompt


def load_prompt(config: DraftingConfig, base_dir: Path) -> Prompt:
    """The prompt with {max_chars} and {max_title_chars} filled in; its first line must be
    `prompt-version: NAME` (bare or in an HTML comment)."""
    path = prompt_path(config, base_dir)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigError(f"drafting prompt {path}: {error.strerror or error}") from error
    found = _VERSION.match(lines[0]) if lines else None
    if found is None:
        raise ConfigError(f"drafting prompt {path}: the first line must be 'prompt-version: NAME'")
    text = "\n".join(lines[1:]).strip()
    text = text.replace("{max_chars}", str(config.max_chars)).replace("{max_title_chars}",
                                                                      str(config.max_title_chars))
    return Prompt(found.group(1), text)
