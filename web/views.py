"""Template rendering: one autoescaping Jinja2 environment, the language of the request, and
the filters that keep crawled text inert."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from web.i18n import MESSAGES, pick_language, translate, value_label
from web.security import csrf_token, highlight, safe_href

TEMPLATES = Path(__file__).parent / "templates"


def _moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _day(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    return value.isoformat() if isinstance(value, date) else str(value)


def build_environment() -> Environment:
    # autoescape=True for every template, whatever its file name: crawled text is never markup.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(safe_href=safe_href, highlight=highlight, moment=_moment, day=_day)
    return env


def language(request: Request) -> str:
    user = getattr(request.state, "user", None)
    default = request.app.state.default_language
    if user is not None and getattr(user, "language", None):
        return pick_language(user.language, default)
    return pick_language(request.session.get("lang"), default)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    user = getattr(request.state, "user", None)

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    def label(code: str | None) -> str:
        return value_label(code, lang)

    def event_name(action: str) -> str:
        return translate(f"ev_{action}", lang) if f"ev_{action}" in MESSAGES else action

    def section_title(section_id: str | None) -> str:
        return request.app.state.section_titles.get(section_id, {}).get(lang, section_id or "—")

    def query_with(**changes: object) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
        params += [(k, v) for k, v in changes.items() if v not in (None, "")]
        return "?" + urlencode(params)

    page = request.app.state.templates.get_template(template).render(
        request=request, lang=lang, t=t, user=user, csrf_token=csrf_token(request),
        is_editor=user is not None and user.role == "editor", sections=request.app.state.sections,
        section_title=section_title, event_name=event_name, label=label, query_with=query_with,
        path=request.url.path, **context)
    return HTMLResponse(page, status_code=status_code)


def message(request: Request, key: str, status_code: int, detail: str = "") -> HTMLResponse | JSONResponse:
    """An error as JSON for in-place actions, as a page otherwise."""
    text = translate(key, language(request)) + (f" {detail}" if detail else "")
    if wants_json(request):
        return JSONResponse({"ok": False, "error": text}, status_code=status_code)
    return render(request, "message.html", status_code=status_code, text=text)


def back_to(target: str | None, fallback: str = "/queue") -> RedirectResponse:
    """Redirect after a form post, only to a path of this app (never to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = fallback
    return RedirectResponse(target, status_code=303)
