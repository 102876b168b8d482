"""What the relevance model reads of an item, as plain-Python tokens.

Training hands these functions to scikit-learn's TfidfVectorizer as its analyzer; scoring applies
the same functions and the stored vocabulary, idf and weights without importing scikit-learn (which
costs seconds of start-up in every crawl process). One tokenizer for both sides means the tokens
scored are exactly the tokens trained on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Latin/Greek/Cyrillic words with inner dots and hyphens kept ("o3-mini", "k1.5", "gpt-4o").
_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]+(?:[.\-][0-9a-z\u00c0-\u024f]+)*")
# Runs of Chinese and Japanese characters: no spaces, so characters n-grams stand for words.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
# The model reads the title (twice: it says most) and the start of the summary, as it is trained.
MAX_SUMMARY_CHARS = 600


@dataclass(frozen=True)
class ModelInput:
    """The parts of an item the model reads (a stored document, a new item or a starter example)."""

    title: str
    summary: str
    source_id: str | None = None
    category: str | None = None
    doc_type: str | None = None

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.title}\n{self.summary[:MAX_SUMMARY_CHARS]}"

    @property
    def meta(self) -> str:
        return "\n".join((f"source:{self.source_id or '-'}", f"category:{self.category or '-'}",
                          f"doc_type:{self.doc_type or '-'}"))


@dataclass(frozen=True)
class Example:
    """A labelled item the model learns from."""

    item: ModelInput
    label: int  # 1 on topic, 0 off topic
    origin: str  # "starter" or "decision"
    ref: str  # the starter id, or the document id of a decision


def words_of(lowered: str) -> list[str]:
    return _WORD.findall(lowered)


def word_grams(word: str) -> list[str]:
    """As scikit-learn's char_wb: the word padded with spaces, its character 3-, 4- and 5-grams."""
    padded = f" {word} "
    return [f"g:{padded[i:i + n]}" for n in (3, 4, 5) for i in range(len(padded) - n + 1)]


def cjk_grams(lowered: str) -> list[str]:
    tokens = []
    for run in _CJK_RUN.findall(lowered):
        tokens += [f"c:{run[i:i + 2]}" for i in range(len(run) - 1)]
        tokens += [f"c:{run[i:i + 3]}" for i in range(len(run) - 2)]
    return tokens


def text_tokens(text: str) -> list[str]:
    """Words, word pairs and in-word character 3-5-grams of each distinct word (Latin scripts:
    "automat" is shared by automated, automatisée and automatizzata), character pairs and triples
    (Chinese). RelevanceModel.decision counts the same tokens through caches."""
    lowered = text.lower()
    words = words_of(lowered)
    tokens = [f"w:{w}" for w in words]
    tokens += [f"w:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for word in set(words):
        tokens += word_grams(word)
    return tokens + cjk_grams(lowered)


def meta_tokens(meta: str) -> list[str]:
    return meta.split("\n")


def readable(token: str) -> str:
    """A feature as the item page shows it: "deepseek", "大模型", "source:deepseek-news"."""
    if token.startswith("g:"):  # a word's start or end is the padding space; elsewhere "…"
        gram = token[2:]
        return ("" if gram.startswith(" ") else "…") + gram.strip() + ("" if gram.endswith(" ") else "…")
    return token[2:] if token[:2] in ("w:", "c:") else token
