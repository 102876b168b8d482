"""Add by URL: an editor pastes a link; it is fetched once through the crawl pipeline and queued.
A link to an address inside the network is refused (crawler.outbound), and the page says why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from crawler.errors import RegwatchError
from crawler.outbound import REFUSED
from web.deps import CHANGE, Editor
from web.security import safe_href
from web.views import render

router = APIRouter()


@router.get("/add")
def add_form(request: Request, user: Editor) -> Response:
    return render(request, "add.html", url="", result=None, error=None)


@router.post("/add", dependencies=CHANGE)
def add(request: Request, url: Annotated[str, Form()], user: Editor) -> Response:
    """Runs the crawl in a child process (a sync route: FastAPI keeps it off the event loop)."""
    url = url.strip()
    if safe_href(url) is None:
        return render(request, "add.html", status_code=400, url=url, result=None, error=None, only_http=True)
    from editorial.add_by_url import add_by_url  # loads the crawl machinery only when used

    try:
        result = add_by_url(request.app.state.config, url, user.name)
    except RegwatchError as error:
        return render(request, "add.html", status_code=422, url=url, result=None, error=str(error),
                      refused=error.kind == REFUSED)
    return render(request, "add.html", url="", result=result, error=None)
