"""What keeps crawled text inert and forms unforgeable: CSRF tokens, http(s)-only links, safe
highlighting, and the archive path check."""

from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from starlette.requests import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LATIN_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .'-]*$")


class CsrfError(Exception):
    """A state-changing request without the session's token."""


def csrf_token(request: Request) -> str:
    """The session's token, created on first use (also for the login form)."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def check_csrf(request: Request) -> None:
    expected = request.session.get(CSRF_FIELD)
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise CsrfError()


def safe_href(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link; `javascript:`, `data:` and the rest are not links."""
    if not url:
        return None
    stripped = url.strip()
    if any(ord(ch) < 32 for ch in stripped):
        return None
    parts = urlsplit(stripped)
    return stripped if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _term_pattern(term: str) -> str:
    """Latin words match whole words only ("AI" not inside "explain"); an all-capitals
    abbreviation matches in capitals only, as the relevance scorer counts it; CJK anywhere."""
    escaped = re.escape(term)
    if not LATIN_WORD.match(term):
        return f"(?i:{escaped})"
    if term.isupper() and len(term) <= 4:
        return rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
    return rf"(?i:(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9]))"


def highlight(text: str | None, terms: list[str] | tuple[str, ...]) -> Markup:
    """`text` escaped, with each occurrence of a term wrapped in <mark> (case-insensitive)."""
    text = text or ""
    wanted = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not wanted:
        return escape(text)
    pattern = re.compile("|".join(_term_pattern(t) for t in wanted))
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last:match.start()]))
        pieces.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def inside(root: Path, relative: str) -> Path | None:
    """`root/relative` when it really lies inside root (no `..`, no absolute path, no symlink out)."""
    root = root.resolve()
    candidate = (root / relative).resolve()
    return candidate if candidate.is_relative_to(root) and candidate.is_file() else None


def secret_key_file(folder: Path) -> str:
    """A random key generated once and kept beside the data, so sessions survive restarts."""
    path = folder / "web-secret-key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="ascii")
    path.chmod(0o600)
    return key
