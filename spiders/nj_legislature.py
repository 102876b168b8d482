"""New Jersey Legislature (njleg.state.nj.us): bills read from the site's own JSON API.

The site's bill search is a script over /api/...: the session's bill list
(`/api/billSearch/allBills/{session}`: number, synopsis, the governor's action) names every bill;
those whose synopsis names AI (`options.terms` to choose other terms) and those listed in
`options.bills` are read in full, one request after another: history
(`/api/billDetail/billHistory/{bill}/{session}`), sponsors (`billSponsors`), text versions
(`billText`) and the current text, a Microsoft Word page in windows-1252 on pub.njleg.state.nj.us.
One item per bill, at its page https://www.njleg.state.nj.us/bill-search/{session}/{bill}.
A session starts in an even year; `options.session` pins one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import clean_line, html_to_text, local_date
from spiders.base import RegwatchSpider, Result, load_json
from spiders.us_common import bill_number, is_ai_title

BILL_PAGE = "https://www.njleg.state.nj.us/bill-search/{session}/{bill}"
API_PATH = re.compile(r"/api/billDetail(?:Hist)?/(billHistory|billSponsors|billText)/([A-Z]+\d+)/(\d{4})$")
TEXT_PATH = re.compile(r"/Bills/(\d{4})/[A-Z]+\d+/(\d+)_([A-Z]+\d*)\.HTM$", re.I)
TEXT_PREFIX = {"S": "S", "A": "A", "SENATE": "S", "ASSEMBLY": "A"}
NOT_BILL_TEXT = re.compile(r"\s*(statement|fiscal estimate|fiscal note|veto)", re.I)
CHAPTER = re.compile(r"\bP\.L\.\s?(?:JR)?\d{4},\s*c\.\s*\d+", re.I)


def nj_date(value: str | None) -> date | None:
    """The API's dates are calendar days: "9/12/2024", or "2024-09-12T04:00:00.000Z" (midnight
    Washington time written in UTC); the day is read as written, never shifted by a time zone."""
    value = (value or "").strip()
    if match := re.match(r"(\d{4})-(\d\d)-(\d\d)", value):
        return date(int(match[1]), int(match[2]), int(match[3]))
    if match := re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", value):
        return date(int(match[3]), int(match[1]), int(match[2]))
    return None


def session_label(session: int) -> str:
    return f"{session}-{session + 1}"


class NewJerseyLegislatureSpider(RegwatchSpider):
    name = "nj_legislature"
    doc_type = "bill"
    start_keys = ("bills",)

    @property
    def session(self) -> int:
        year = int(self.source.options.get("session") or local_date(self.now, self.source.timezone).year)
        return year - year % 2

    def first_requests(self) -> Iterable[Request]:
        yield self.request(f"{self.url_for('bills').rstrip('/')}/{self.session}")

    def api_url(self, kind: str, bill: str, session: int) -> str:
        return f"{self.url_for('api').rstrip('/')}/{kind}/{bill}/{session}"

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        path = urlsplit(url).path
        if "/billSearch/allBills/" in path:
            return self.parse_bill_list
        match = API_PATH.search(path)
        if match:
            return {"billHistory": self.parse_history, "billSponsors": self.parse_sponsors,
                    "billText": self.parse_versions}[match[1]]
        if TEXT_PATH.search(path):
            return self.parse_bill_text
        raise Unparseable("not a New Jersey Legislature API or bill text URL", url=url)

    # --- the session's bill list ---------------------------------------------------------------

    def wanted(self, synopsis: str, bill: str) -> bool:
        followed = {b.upper().replace(" ", "") for b in self.source.options.get("bills") or []}
        terms = [t.lower() for t in self.source.options.get("terms") or []]
        on_topic = any(t in synopsis.lower() for t in terms) if terms else is_ai_title(synopsis)
        return bill in followed or on_topic

    def parse_bill_list(self, response: Response) -> Iterator[Request]:
        data = load_json(response)
        if not (isinstance(data, list) and data and isinstance(data[0], list)):
            raise Unparseable("expected the all-bills answer [[bills], [{BillCount}]]", url=response.url)
        session = int(urlsplit(response.url).path.rstrip("/").rsplit("/", 1)[-1])
        for row in data[0]:
            bill = (row.get("Bill") or "").strip().upper()
            synopsis = clean_line(row.get("Synopsis"))
            if bill and self.wanted(synopsis, bill):
                state = {"bill": bill, "session": session, "synopsis": synopsis,
                         "governor_action": clean_line(row.get("GovernorAction"))}
                yield self.request(self.api_url("billHistory", bill, session), meta={"nj_bill": state})

    # --- one bill, one response after another ----------------------------------------------------

    def state_of(self, response: Response) -> dict[str, Any]:
        """What the earlier responses said about this bill (nothing when a file is parsed alone)."""
        state = response.meta.get("nj_bill") if response.request is not None else None
        if state:
            return dict(state)
        match = API_PATH.search(urlsplit(response.url).path)
        return {"bill": match[2], "session": int(match[3])} if match else {}

    def parse_history(self, response: Response) -> Iterator[Request]:
        state = self.state_of(response)
        rows = load_json(response)
        if not isinstance(rows, list):
            raise Unparseable("expected a list of bill history actions", url=response.url)
        state["history"] = [(str(nj_date(r.get("ActionDate")) or ""), clean_line(r.get("HistoryAction")))
                            for r in rows if isinstance(r, dict)]
        yield self.request(self.api_url("billSponsors", state["bill"], state["session"]), meta={"nj_bill": state})

    def parse_sponsors(self, response: Response) -> Iterator[Request]:
        state = self.state_of(response)
        lists = load_json(response)
        if not (isinstance(lists, list) and all(isinstance(part, list) for part in lists)):
            raise Unparseable("expected [[primary sponsors], [co-sponsors]]", url=response.url)
        primary, cosponsors = (lists + [[], []])[:2]
        state["sponsors"] = [clean_line(s.get("Full_Name")) for s in primary if s.get("Full_Name")]
        state["cosponsors"] = [clean_line(s.get("Full_Name")) for s in cosponsors if s.get("Full_Name")]
        yield self.request(self.api_url("billText", state["bill"], state["session"]), meta={"nj_bill": state})

    def parse_versions(self, response: Response) -> Iterator[Result]:
        state = self.state_of(response)
        versions = load_json(response)
        if not isinstance(versions, list):
            raise Unparseable("expected a list of bill text versions", url=response.url)
        # Committee statements and fiscal estimates are listed among the versions: skip them.
        current = next((v for v in reversed(versions) if (v.get("HTML_Link") or "").strip()
                        and not NOT_BILL_TEXT.match(v.get("Description") or "")), None)
        if current is None:  # no text published yet: the bill is what the API said
            yield self.bill_item(response, state)
            return
        state["version"] = clean_line(current.get("Description"))
        url = f"{self.url_for('texts').rstrip('/')}{current['HTML_Link'].strip()}"
        yield self.request(url, meta={"nj_bill": state})

    def parse_bill_text(self, response: Response) -> Iterator[CandidateItem]:
        """The current text. Parsed alone, the text itself gives number, synopsis, sponsors and
        the introduction date."""
        body = response.css("div.WordSection1, body")
        text = html_to_text(body[0].get() if body else response.text)
        if not text:
            raise Unparseable("bill text page without text", url=response.url)
        state = self.state_of(response) or self.state_from_text(response, text)
        state["text"] = text
        state.setdefault("introduced", str(self.date(_after(text, r"INTRODUCED\s+([A-Z]+ \d{1,2}, \d{4})")) or ""))
        yield self.bill_item(response, state)

    def state_from_text(self, response: Response, text: str) -> dict[str, Any]:
        match = TEXT_PATH.search(urlsplit(response.url).path)
        heading = re.search(r"\b(SENATE|ASSEMBLY)(?:\s+(JOINT|CONCURRENT))?(?:\s+RESOLUTION)?,?\s+No\.\s*(\d+)", text)
        prefix = TEXT_PREFIX[heading[1]] if heading else ""
        kind = {"JOINT": "JR", "CONCURRENT": "CR"}.get(heading[2] or "", "") if heading else ""
        sponsors = re.findall(r"^(?:Senator|Assemblyman|Assemblywoman)\s+(.+)$", text, re.M)
        return {"bill": f"{prefix}{kind}{heading[3]}" if heading else "", "session": int(match[1]) if match else 0,
                "synopsis": _after(text, r"SYNOPSIS\s+(.+)"), "sponsors": [s.title() for s in sponsors]}

    def bill_item(self, response: Response, state: dict[str, Any]) -> CandidateItem:
        bill, session = state.get("bill") or "", int(state.get("session") or 0)
        if not bill or not state.get("synopsis"):
            raise Unparseable("could not tell which New Jersey bill this is", url=response.url)
        history = [(day, action) for day, action in state.get("history") or [] if action]
        last_day, last_action = history[-1] if history else (state.get("introduced") or "", "")
        governor = state.get("governor_action") or ""
        chapter = CHAPTER.search(" ".join([governor] + [a for _, a in history]))
        sponsors = "; ".join([f"{s} (primary)" for s in state.get("sponsors") or []] + (state.get("cosponsors") or []))
        summary = " ".join(p for p in (
            f"Status: {governor.rstrip('.')}." if governor else "",
            f"Last action ({last_day}): {last_action}." if last_action else "",
            f"Sponsors: {sponsors}." if sponsors else "",
            f"Current text: {state['version']}." if state.get("version") else "",
        ) if p)
        dates = {"introduced": nj_date(history[0][0]) if history else nj_date(state.get("introduced")),
                 "last_action": nj_date(last_day)}
        if chapter:
            dates["signed"] = nj_date(last_day)
        lines = [f"{day}: {action}" for day, action in history]
        return self.item(
            response,
            url=BILL_PAGE.format(session=session, bill=bill),
            title=state["synopsis"],
            published=nj_date(last_day) or dates["introduced"],
            doc_type="law" if chapter else "bill",
            identifiers={"bill_number": bill_number("NJ", bill), "session": session_label(session),
                         "public_law": chapter.group(0) if chapter else ""},
            summary=summary,
            text="\n\n".join(p for p in ("\n".join(lines), state.get("text") or "") if p),
            dates={k: v for k, v in dates.items() if v},
        )


def _after(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    return clean_line(match.group(1)) if match else ""
