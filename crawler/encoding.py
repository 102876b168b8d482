"""Decoding pages whose declared charset is wrong or missing (GBK served as UTF-8, GB2312 pages
with GBK-only characters, windows-1252 bill texts declared as ISO-8859-1)."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_-]+)""", re.I)
# Declared names whose real-world pages use a superset.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "iso-8859-1": "cp1252",
              "latin-1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252"}


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, _SUPERSETS.get(name.strip().lower(), codec))


def declared_charsets(body: bytes, header_charset: str | None) -> list[str]:
    names = [header_charset] + [m.decode("ascii", "ignore") for m in _META_CHARSET.findall(body[:4096])]
    found: list[str] = []
    for name in names:
        canonical = _canonical(name)
        if canonical and canonical not in found:
            found.append(canonical)
    return found


# The legacy encoding of a language's undeclared pages: detection guesses short GBK pages as
# Korean (cp949) or Big5, so a Chinese source tries GB18030 first.
LEGACY_ENCODINGS = {"zh": "gb18030"}


def decode_body(body: bytes, header_charset: str | None = None, language: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Valid UTF-8 wins (other encodings almost never decode as UTF-8 by
    chance); then each declared charset that decodes cleanly; then the source language's legacy
    encoding; then detection."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", "replace"), "utf-8"
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    legacy = LEGACY_ENCODINGS.get((language or "").split("-")[0].lower())
    for encoding in declared_charsets(body, header_charset) + ([legacy] if legacy else []):
        if encoding == "utf-8":
            continue
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(body).best()
    if best is not None:
        encoding = _canonical(best.encoding) or best.encoding
        return body.decode(encoding, "replace"), encoding
    return body.decode("utf-8", "replace"), "utf-8"
