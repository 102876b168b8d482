"""Which items tell the same story: pure functions over an item's title, summary and identifiers.

A story is one event seen through several sources: a model release on the company's own site, in
a WeChat article and in a Reuters report; a regulation on EUR-Lex and in a regulator's press
release. Two items from different sources, published within a few days of each other, join when
the evidence adds up to `min_score`:

- a shared identifier (CELEX, FR document number, executive order, bill, 文号, case number),
  also when one item only names it in its text ("Executive Order 14179", 国信办通字〔2025〕2号);
- a shared name that looks like a model or an instrument: a token mixing letters and digits
  (DeepSeek-R1, o3-mini, GLM-4, k1.5), a hyphenated product name (GLM-Realtime), a title in
  《》 or “”; Latin names inside Chinese text count ("深度求索发布DeepSeek-R1推理模型"), and a
  compound name matches where the other item spells its parts apart ("DeepSeek releases R1");
- near-duplicate titles and summaries: Jaccard similarity of character 3-grams (MinHash keys
  find the candidates; the exact similarity decides).

Generic tokens (AI, GPT, 5G, COVID-19, years, "Act") are not names. Every join says which evidence
joined the two items and with what score.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_WINDOW_DAYS = 4
DEFAULT_MIN_SCORE = 1.0
# Identifier schemes that name the same instrument whichever source prints them.
SHARED_SCHEMES = frozenset({
    "fr_document_number", "executive_order_number", "proclamation_number", "celex", "bill_number", "doc_number",
    "case_number", "fr_citation", "oj_reference", "standard_number", "regulation_id_number", "public_law",
    "docket_id",
})
# Two items that both carry one of these name the same document: linking them is storage.links' work
# (one item, `linked_to`), not a story of two documents.
SAME_DOCUMENT_SCHEMES = frozenset({"fr_document_number", "executive_order_number", "proclamation_number"})
# What one piece of evidence weighs: a name in both titles is enough on its own; a name only in the
# summaries needs another sign.
IDENTIFIER_WEIGHT = 1.0
NAME_IN_TITLES, NAME_IN_ONE_TITLE, NAME_IN_SUMMARIES = 1.0, 0.8, 0.5
SPELLED_APART = 0.9  # "DeepSeek releases R1" for DeepSeek-R1
BARE_PART = 0.3      # only "R1" shared: a hint, never a join by itself
SHORT_NAME = 0.5     # a bare short name (o1, R1, H20) is mentioned in many stories: half weight
NAME_CAP = 1.5
TITLE_SIMILAR, SUMMARY_SIMILAR = 0.45, 0.45  # Jaccard below these adds nothing
# Identical titles alone ("Press statement", "Weekly update") are no join: copied text needs the
# summary too (0.8 × title + 0.5 × summary similarity), or a name or an identifier.
TITLE_SIMILARITY_WEIGHT, SUMMARY_SIMILARITY_WEIGHT = 0.8, 0.5
# Texts shorter than these ("Weekly update", "Read the statement.") say nothing by being the same.
MIN_TITLE_SHINGLES, MIN_SUMMARY_SHINGLES = 12, 40
# Tokens that mix letters and digits without naming anything in particular.
GENERIC_NAMES = frozenset({
    "covid-19", "sars-cov-2", "g7", "g20", "2g", "3g", "4g", "5g", "6g", "q1", "q2", "q3", "q4", "h1", "h2",
    "b2b", "b2c", "p2p", "mp3", "mp4", "x86", "ipv4", "ipv6", "24h", "24x7", "a2a", "e2e", "k12", "cop28", "cop29",
    "cop30", "ai", "gpt", "llm", "llms", "api", "eu", "us", "uk", "act",
})
GENERIC_PARTS = frozenset({
    "ai", "based", "driven", "powered", "generated", "related", "level", "risk", "high", "low", "end", "to", "the",
    "of", "and", "in", "on", "for", "by", "up", "out", "use", "non", "pre", "post", "co", "re", "self", "multi",
    "cross", "state", "art", "term", "long", "short", "real", "time", "open", "source", "first", "new", "year",
    "eu", "us", "uk", "un", "cn", "usa", "prc", "gdpr", "nist", "ftc", "sec",
})
_LATIN = re.compile(r"[A-Za-z0-9]+(?:[-‐‑.][A-Za-z0-9]+)*")
_MAYBE_NAME = re.compile(r"[\d\-‐‑]")  # a name has a digit or a hyphen: most words are ruled out here
_PARTS = re.compile(r"[-.]")
_HYPHENS = str.maketrans({"‐": "-", "‑": "-"})
_HAS_LETTER, _HAS_DIGIT = re.compile(r"[A-Za-z]"), re.compile(r"\d")
_NUMBER_WITH_UNIT = re.compile(r"^\d+(?:\.\d+)?[a-z]{1,3}$")  # 10x, 3nm, 100m, 2nd
_FISCAL_YEAR = re.compile(r"^(?:fy|cy|q[1-4])?\d{2,4}$")
_QUOTED = re.compile(r"《([^》]{2,60})》|“([^”]{4,120})”")
_CJK = re.compile(r"[\u3400-\u9fff]")
_TEXT_IDENTIFIERS = (
    ("executive_order_number", re.compile(r"\b(?:Executive Order|E\.\s?O\.|EO)\s*(?:No\.\s*)?(1\d{4})\b", re.I)),
    ("celex", re.compile(r"\b(3\d{4}[RLDHC]\d{4})\b")),
    ("eu_act", re.compile(r"\((?:EU|EC|EEC)\)\s*(?:No\s*)?(\d{4}/\d{1,4})")),
    ("fr_document_number", re.compile(r"\bFR Doc\.?\s*(\d{4}-\d{5})\b")),
    ("doc_number", re.compile(r"([\u4e00-\u9fff]{1,10}〔\d{4}〕\d{1,4}号)")),
)
SHINGLE = 3
# Titles only: a summary alone weighs at most 0.5, so a join by copied text needs similar titles,
# and those share a band (8 bands of 4 rows: likely from Jaccard ≈ 0.6, (1/8) ** (1/4)).
MINHASH_BANDS, MINHASH_ROWS = 8, 4
# Multiply-shift hashing (odd multipliers, wrapping 64-bit arithmetic, the high 32 bits): one
# cheap universal hash per MinHash row; fixed seed, so keys stay the same across processes.
_RNG = np.random.default_rng(20250120)
_PERM_A = _RNG.integers(1, 1 << 63, MINHASH_BANDS * MINHASH_ROWS, dtype=np.uint64) | np.uint64(1)
_PERM_B = _RNG.integers(0, 1 << 63, MINHASH_BANDS * MINHASH_ROWS, dtype=np.uint64)
_SHIFT = np.uint64(32)
# Document types that are the instrument or the organisation's own word, before reports about it.
PRIMARY_TYPES = frozenset({
    "law", "bill", "executive_order", "presidential_memorandum", "proclamation", "rule", "proposed_rule",
    "notice", "standard", "draft_standard", "guidance", "report", "judgment", "court_filing",
})


@dataclass(frozen=True)
class StoryFeatures:
    """What an item offers for matching, read from its title, summary and identifiers."""

    day: int  # date.toordinal() of its publication (or first sighting)
    title_names: frozenset[str] = frozenset()
    summary_names: frozenset[str] = frozenset()
    tokens: frozenset[str] = frozenset()  # every Latin token and compound part, lowercased
    title_tokens: frozenset[str] = frozenset()
    identifiers: frozenset[str] = frozenset()
    own_document_numbers: frozenset[str] = frozenset()  # SAME_DOCUMENT_SCHEMES among its own identifiers
    title_shingles: frozenset[str] = frozenset()
    summary_shingles: frozenset[str] = frozenset()


@dataclass
class Join:
    """Why two items are one story: each piece of evidence with its weight, and the total."""

    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"score": round(self.score, 3), "reasons": self.reasons}


def normalize_name(token: str) -> str:
    return token.lower().translate(_HYPHENS).strip(".-")


def _is_name_part(part: str) -> bool:
    return bool(_HAS_LETTER.search(part) and _HAS_DIGIT.search(part)) and part not in GENERIC_NAMES \
        and not _NUMBER_WITH_UNIT.match(part) and not _FISCAL_YEAR.match(part)


def _is_name(raw: str) -> bool:
    """DeepSeek-R1, o3-mini, k1.5, GLM-Realtime; not AI, 5G, 2025, AI-driven, 10x."""
    if not _MAYBE_NAME.search(raw):
        return False
    name = normalize_name(raw)
    if name in GENERIC_NAMES or len(name) < 2:
        return False
    parts = [p for p in _PARTS.split(name) if p]
    if any(_is_name_part(p) for p in parts) and not _NUMBER_WITH_UNIT.match(name):
        return len(parts) > 1 or _is_name_part(name)
    if "-" not in name or any(p in GENERIC_PARTS for p in parts):
        return False
    pieces = [p for p in re.split(r"[-‐‑]", raw) if p]  # a product name: an acronym or CamelCase piece
    return any((p.isupper() and len(p) >= 2) or re.search(r"[a-z][A-Z]", p) for p in pieces)


def names_in(text: str) -> set[str]:
    """Model and instrument names in a title or summary, lowercased; 《》 and “” titles prefixed `title:`."""
    found = {normalize_name(token) for token in _LATIN.findall(text or "") if _is_name(token)}
    for book, quoted in _QUOTED.findall(text or ""):
        title = re.sub(r"\s+", " ", (book or quoted).strip().lower())
        if book or len(title.split()) >= 3 or _CJK.search(title):
            found.add(f"title:{title}")
    return found


def _tokens(text: str) -> set[str]:
    tokens: set[str] = set()
    for token in _LATIN.findall(text or ""):
        name = token.lower()
        tokens.add(name)
        if _MAYBE_NAME.search(name):
            name = normalize_name(name)
            tokens.add(name)
            tokens.update(p for p in _PARTS.split(name) if p)
    return tokens


def shingles(text: str) -> frozenset[str]:
    """Character 3-grams of the lowercased text without spaces or punctuation (Chinese has no spaces)."""
    folded = re.sub(r"[\W_]+", "", (text or "").lower())
    if len(folded) < SHINGLE:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i:i + SHINGLE] for i in range(len(folded) - SHINGLE + 1))


def text_identifiers(identifiers: dict[str, Any], text: str) -> set[str]:
    found = {f"{scheme}:{str(value).strip().lower()}" for scheme, value in (identifiers or {}).items()
             if scheme in SHARED_SCHEMES and value not in (None, "")}
    for scheme, pattern in _TEXT_IDENTIFIERS:
        found.update(f"{scheme}:{match.lower()}" for match in pattern.findall(text or ""))
    return found


def features(title: str, summary: str, identifiers: dict[str, Any], day: int) -> StoryFeatures:
    summary = (summary or "")[:1000]
    return StoryFeatures(
        day=day, title_names=frozenset(names_in(title)), summary_names=frozenset(names_in(summary)),
        tokens=frozenset(_tokens(f"{title}\n{summary}")), title_tokens=frozenset(_tokens(title)),
        identifiers=frozenset(text_identifiers(identifiers, f"{title}\n{summary}")),
        own_document_numbers=frozenset(f"{scheme}:{str(value).strip().lower()}" for scheme, value in
                                       (identifiers or {}).items() if scheme in SAME_DOCUMENT_SCHEMES and value),
        title_shingles=shingles(title), summary_shingles=shingles(summary[:400]))


def _title_bands(many: list[StoryFeatures]) -> list[list[str]]:
    """MinHash band keys of each item's title, for a whole batch in one pass (a per-item numpy
    call would cost more than the hashing)."""
    hashed = [[zlib.crc32(s.encode()) for s in found.title_shingles] if len(found.title_shingles) >= 4 else []
              for found in many]  # a handful of characters is no evidence of a copied text
    out: list[list[str]] = [[] for _ in many]
    kept = [i for i, hashes in enumerate(hashed) if hashes]
    if not kept:
        return out
    hashes = np.fromiter((h for i in kept for h in hashed[i]), dtype=np.uint64)
    starts = np.cumsum([0] + [len(hashed[i]) for i in kept[:-1]])
    with np.errstate(over="ignore"):
        permuted = (hashes[:, None] * _PERM_A[None, :] + _PERM_B[None, :]) >> _SHIFT
    signatures = np.minimum.reduceat(permuted, starts, axis=0).reshape(len(kept), MINHASH_BANDS, MINHASH_ROWS)
    for i, signature in zip(kept, signatures, strict=True):
        out[i] = [f"title:{band}:{zlib.crc32(signature[band].tobytes()):08x}" for band in range(MINHASH_BANDS)]
    return out


def keys_of(many: list[StoryFeatures]) -> list[list[str]]:
    """What each item is looked up by: items sharing a key, within the window, are compared."""
    bands = _title_bands(many)
    return [_keys(found, found_bands) for found, found_bands in zip(many, bands, strict=True)]


def keys(found: StoryFeatures) -> list[str]:
    return keys_of([found])[0]


def _keys(found: StoryFeatures, bands: list[str]) -> list[str]:
    out = {f"id:{identifier}" for identifier in found.identifiers}
    for name in found.title_names | found.summary_names:
        out.add(f"name:{name}")
        if not name.startswith("title:"):
            out.update(f"part:{p}" for p in _PARTS.split(name) if _is_name_part(p))
    out.update(bands)
    return sorted(key[:400] for key in out)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _similarity(a: frozenset[str], b: frozenset[str], least: int) -> float:
    return jaccard(a, b) if min(len(a), len(b)) >= least else 0.0


def _name_weight(name: str, a: StoryFeatures, b: StoryFeatures) -> float:
    in_titles = (name in a.title_names) + (name in b.title_names)
    short = len(name) <= 3 and not re.search(r"[-.]", name)
    return (NAME_IN_SUMMARIES, NAME_IN_ONE_TITLE, NAME_IN_TITLES)[in_titles] * (SHORT_NAME if short else 1.0)


def _name_evidence(a: StoryFeatures, b: StoryFeatures) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    names_a, names_b = a.title_names | a.summary_names, b.title_names | b.summary_names
    for name in sorted(names_a & names_b):
        reasons.append({"kind": "name", "value": name, "score": _name_weight(name, a, b)})
    shared = names_a & names_b
    for first, second, names in ((a, b, names_a - shared), (b, a, names_b - shared)):
        for name in sorted(names):
            parts = [p for p in _PARTS.split(name) if p] if not name.startswith("title:") else []
            if len(parts) > 1 and all(p in second.tokens for p in parts):
                in_titles = (name in first.title_names) + all(p in second.title_tokens for p in parts)
                weight = SPELLED_APART * (NAME_IN_SUMMARIES, NAME_IN_ONE_TITLE, NAME_IN_TITLES)[in_titles]
                reasons.append({"kind": "name_spelled_apart", "value": name, "score": round(weight, 3)})
    if not reasons:
        parts = {p for n in names_a for p in _PARTS.split(n) if _is_name_part(p)} & \
                {p for n in names_b for p in _PARTS.split(n) if _is_name_part(p)}
        reasons += [{"kind": "name_part", "value": part, "score": BARE_PART} for part in sorted(parts)[:1]]
    return reasons


def compare(a: StoryFeatures, b: StoryFeatures, window_days: int = DEFAULT_WINDOW_DAYS) -> Join | None:
    """The evidence that two items (of different sources) tell one story; None beyond the window."""
    if abs(a.day - b.day) > window_days:
        return None
    same_document = a.own_document_numbers & b.own_document_numbers
    reasons = [{"kind": "identifier", "value": i, "score": IDENTIFIER_WEIGHT}
               for i in sorted((a.identifiers & b.identifiers) - same_document)]
    names = _name_evidence(a, b)
    reasons += names
    title_similarity = _similarity(a.title_shingles, b.title_shingles, MIN_TITLE_SHINGLES)
    if title_similarity >= TITLE_SIMILAR:
        reasons.append({"kind": "title_similarity", "value": round(title_similarity, 3),
                        "score": round(TITLE_SIMILARITY_WEIGHT * title_similarity, 3)})
    summary_similarity = _similarity(a.summary_shingles, b.summary_shingles, MIN_SUMMARY_SHINGLES)
    if summary_similarity >= SUMMARY_SIMILAR:
        weight = round(SUMMARY_SIMILARITY_WEIGHT * summary_similarity, 3)
        reasons.append({"kind": "summary_similarity", "value": round(summary_similarity, 3), "score": weight})
    if not reasons:
        return None
    name_total = min(NAME_CAP, sum(r["score"] for r in names))
    total = name_total + sum(r["score"] for r in reasons if r not in names)
    return Join(round(total, 3), reasons)


def authority_rank(doc_type: str | None, category: str | None) -> int:
    """0: the instrument itself or an official publication; 1: an organisation's own announcement
    (a company newsroom, a court's or ministry's news); 2: reports about it (news, reposts)."""
    if doc_type in PRIMARY_TYPES:
        return 0
    if doc_type == "press_release" or (doc_type == "news" and category not in (None, "industry")):
        return 1
    return 2
