"""`create_app(config)`: the triage web app over the same database as the crawler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker
from starlette.exceptions import HTTPException

from crawler.config import Config
from crawler.storage import db
from web.deps import Forbidden, LoginRequired
from web.routes import add, auth, drafts, export, item, queue, sources, stories
from web.security import CsrfError, SessionCookies, TrustedProxies, secret_key_file
from web.views import build_environment, message, wants_json

STATIC = Path(__file__).parent / "static"
SESSION_DAYS = 14
# Pages load only their own scripts and styles; the archived copy gets a stricter policy of its own.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
# Sent only on responses to https requests: over plain http a browser must ignore it anyway.
HSTS = "max-age=31536000; includeSubDomains"


def _secret_key(config: Config) -> str:
    return config.web.secret_key or secret_key_file(config.resolve(Path("regwatch-data")))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(config: Config, clock: Callable[[], datetime] = _utc_now) -> FastAPI:
    """`clock` is when a login happens (the throttle's windows and locks); tests move it."""
    app = FastAPI(title="Regwatch", docs_url=None, redoc_url=None, openapi_url=None)
    engine = db.get_engine(config.database_url)
    db.upgrade_schema(engine)
    app.state.config = config
    app.state.clock = clock
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.templates = build_environment()
    app.state.default_language = config.web.language
    app.state.sections = list(config.bulletin.sections)
    app.state.section_titles = {s.id: {"zh": s.title_zh, "en": s.title_en} for s in app.state.sections}

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.url.scheme == "https":  # directly, or as a trusted proxy says
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    # Signed cookie (itsdangerous); Starlette sets HttpOnly on it.
    app.add_middleware(SessionCookies, always_secure=config.web.secure_cookies, secret_key=_secret_key(config),
                       session_cookie="regwatch_session", max_age=SESSION_DAYS * 86400, same_site="lax")
    if config.web.trusted_proxies:  # outermost: everything inside sees the client's address and scheme
        app.add_middleware(TrustedProxies, networks=config.web.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, queue, item, add, export, sources, drafts, stories):
        app.include_router(module.router)
    _install_error_pages(app)
    return app


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _error: LoginRequired) -> Response:
        if wants_json(request) or request.method != "GET":
            return message(request, "login", 401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _error: Forbidden) -> Response:
        return message(request, "forbidden", 403)

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, _error: CsrfError) -> Response:
        return message(request, "csrf_failed", 403)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404:
            return message(request, "not_found", 404)
        return message(request, "bad_request", error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in error.errors())
        return message(request, "bad_request", 400, fields)
