"""The draft without a model: the document's own lead sentences, in its own language, as many as
fit in `max_chars`, under the source's own title. Offline, deterministic, and a fair start for an
editor when no model is configured."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pysbd

# pysbd's rule sets; another language is split with the English rules, which also end a sentence at 。！？.
SEGMENTER_LANGUAGES = frozenset({"en", "zh", "it", "fr", "de", "es", "nl", "da", "pl", "ru", "el", "ja", "bg", "ar",
                                 "fa", "hi", "mr", "ur", "am", "hy", "my", "kk", "sk"})
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CHINESE_END = re.compile(r"(?<=[。！？])")
ELLIPSIS = "…"
LEAD_WINDOW = 2  # times max_chars of the text are segmented: room for the sentence that no longer fits
MIN_ABSTRACT = 60  # characters: shorter "summaries" are labels ("Press release"), not abstracts


def _segmenter(language: str) -> pysbd.Segmenter:
    # A new one per use (about a microsecond): a Segmenter keeps the text it reads, so sharing one
    # between the service's drafting thread and the web app's would mix their texts.
    return pysbd.Segmenter(language=language, clean=False)


def text_language(text: str, declared: str | None) -> str:
    """The segmenter's language: the item's declared one (zh-CN → zh), else zh for mostly-CJK text."""
    code = (declared or "").split("-")[0].split("_")[0].lower()
    if code in SEGMENTER_LANGUAGES:
        return code
    sample = text[:400]
    return "zh" if sample and len(_CJK.findall(sample)) > len(sample) / 3 else "en"


def sentences(text: str, language: str, limit: int | None = None) -> Iterator[str]:
    """The text's sentences in order, from its first `limit` characters (spaces folded); a line
    break always ends one (headings, list items)."""
    budget = limit if limit is not None else len(text)
    segmenter = _segmenter(language)
    for line in text.splitlines():
        line = " ".join(line.split())[:budget]
        if not line:
            continue
        budget -= len(line)
        for sentence in segmenter.segment(line):
            # pysbd's English rules keep 。！？ inside a sentence: mixed-language lines end there too.
            yield from (part.strip() for part in _CHINESE_END.split(sentence) if part.strip())
        if budget <= 0:
            return


def lead(text: str, language: str, max_chars: int) -> str:
    """The first sentences that fit in max_chars together (joined as the language writes them);
    a first sentence longer than that is cut at a word or character and ends with …"""
    joiner = "" if language in ("zh", "ja") else " "
    taken: list[str] = []
    # Only the lead is segmented (pysbd reads about 50 characters a millisecond), not a 100-page text.
    for sentence in sentences(text, language, max_chars * LEAD_WINDOW):
        candidate = joiner.join([*taken, sentence])
        if len(candidate) > max_chars:
            if not taken:
                return _cut(sentence, max_chars, language)
            break
        taken.append(sentence)
    return joiner.join(taken)


def _cut(sentence: str, max_chars: int, language: str) -> str:
    room = sentence[:max_chars - len(ELLIPSIS)]
    if language not in ("zh", "ja") and " " in room:
        room = room.rsplit(" ", 1)[0]
    return room.rstrip(" ,;:，、；：") + ELLIPSIS


def extractive_draft(title: str, summary: str, text: str, language: str | None, max_chars: int,
                     max_title_chars: int) -> tuple[str, str]:
    """(title, 摘要): the source's title, and the lead sentences of the abstract the source gave,
    or of its text when there is no abstract worth the name (a Federal Register text opens with
    AGENCY: / ACTION: lines, its abstract with what the rule does)."""
    summary, text = (summary or "").strip(), (text or "").strip()
    body = summary if len(summary) >= MIN_ABSTRACT or not text else text
    code = text_language(body or title, language)
    shown_title = " ".join(title.split())
    if len(shown_title) > max_title_chars:
        shown_title = _cut(shown_title, max_title_chars, code)
    return shown_title, lead(body, code, max_chars)
