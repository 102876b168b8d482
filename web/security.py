"""What keeps crawled text inert and forms unforgeable: CSRF tokens, http(s)-only links, safe
highlighting, and the archive path check; and what a TLS deployment needs: forwarded headers
believed from trusted proxies only, Secure session cookies over https."""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from starlette.datastructures import Headers
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

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


def client_address(request: Request) -> str:
    """The client's address: the peer's, or what a trusted proxy forwarded (see TrustedProxies)."""
    return request.client.host if request.client else "unknown"


def _ip(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, or None for what is not one (TestClient's "testclient", a unix socket)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 from a dual-stack socket is 10.0.0.1
    return address


class TrustedProxies:
    """Behind a reverse proxy of `web.trusted_proxies`, the client's address and scheme are taken
    from X-Forwarded-For and X-Forwarded-Proto. From any other peer these headers are ignored
    (anyone can send them) and the peer is the client."""

    def __init__(self, app: ASGIApp, networks: list[str]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(network, strict=False) for network in networks]

    def trusts(self, host: str | None) -> bool:
        address = _ip(host)
        return address is not None and any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client") or (None, 0)
        if scope["type"] == "http" and self.trusts(peer[0]):
            headers = Headers(scope=scope)
            scope = dict(scope)
            # The nearest proxy's value is the last one: it is the one that saw the connection.
            protos = [p.strip().lower() for v in headers.getlist("x-forwarded-proto") for p in v.split(",")]
            if protos and protos[-1] in ("http", "https"):
                scope["scheme"] = protos[-1]
            if client := self._client(headers.getlist("x-forwarded-for")):
                scope["client"] = (client, 0)
        await self.app(scope, receive, send)

    def _client(self, values: list[str]) -> str | None:
        """The rightmost hop that is not a trusted proxy: entries left of it came from the client
        and may be forged."""
        hops = [hop.strip() for value in values for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else None


class SessionCookies:
    """Starlette's signed-cookie sessions whose cookie is `Secure` on every https request and, with
    `web.secure_cookies`, always (then a browser never sends it over plain http)."""

    def __init__(self, app: ASGIApp, always_secure: bool, **options: Any) -> None:
        self.secure = SessionMiddleware(app, https_only=True, **options)
        self.plain = self.secure if always_secure else SessionMiddleware(app, https_only=False, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if scope.get("scheme") == "https" else self.plain
        await chosen(scope, receive, send)
