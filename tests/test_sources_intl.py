"""UK, EU, international and industry newsroom sources of the default config (issue 8), crawled end
to end against a local copy of the sites made of their example files; plus their bad-input cases
(EUR-Lex bot protection, Reuters' DataDome answers) and the shared date and number parsers."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from crawler.parsing import parse_file
from tests.conftest import regwatch
from tests.examples_harness import FETCHED_AT, NOT_SERVED_PREFIXES, all_examples, default_config
from tests.source_site import default_config_copy, mirror_settings, serve_examples

SOURCES = {
    "gov-uk", "eur-lex", "ec-ai-office", "edpb", "cnil", "openai-news", "microsoft-on-the-issues",
    "meta-newsroom", "google-ai-blog", "nvidia-newsroom", "ibm-newsroom", "garante-privacy", "ico",
    "anthropic-news", "reuters-tech", "vatican-laws", "oecd-ai", "un-ai-advisory",
}
EXAMPLES_DIR = Path(__file__).parent / "examples"


def accept_posts(site) -> list[bytes]:
    """Let the loopback site answer POST like GET (the ICO API is POST only); returns the bodies."""
    handler, bodies = site.server.RequestHandlerClass, []

    def do_post(self) -> None:
        bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        handler.do_GET(self)

    handler.do_POST = do_post
    return bodies


# Examples of pages the default config no longer starts from (kept for their parsers): Reuters'
# section page is behind DataDome; the news sitemap replaced it.
# Pages no configured index links: read by `regwatch parse` and add by URL (the generic reader's CMS cases).
NOT_CRAWLED = {("reuters-tech", "section"), ("garante-privacy", "liferay-docweb-deepseek-inquiry"),
               ("garante-privacy", "liferay-asset-publisher-news"), ("ico", "umbraco-news-page"),
               ("ico", "sitecore-news-release-2011"), ("eur-lex", "legal-content-document-page"),
               ("reuters-tech", "article-page")}


def expected_urls(source_id: str) -> set[str]:
    """Every item URL the source's examples produce from pages a crawl stores items from."""
    return {item["url"] for e in all_examples()
            if e.source_id == source_id and not e.case.startswith(NOT_SERVED_PREFIXES)
            and (e.source_id, e.case) not in NOT_CRAWLED
            for item in json.loads(e.expected_path.read_text(encoding="utf-8"))}


def crawl(site, tmp_path: Path, sources: set[str]) -> tuple[dict, list[dict]]:
    config = default_config_copy(tmp_path, sources)
    result = regwatch(config, "crawl", *mirror_settings(site))
    statuses = {s["id"]: s for s in json.loads(regwatch(config, "sources", "--json").stdout)}
    assert set(statuses) >= sources, result.stdout + result.stderr
    items = [json.loads(line) for line in regwatch(config, "queue", "--json", "--limit", "500").stdout.splitlines()]
    return statuses, items


def test_default_config_crawls_the_international_sources(site, tmp_path):
    serve_examples(site, SOURCES)
    posted = accept_posts(site)
    statuses, items = crawl(site, tmp_path, SOURCES)
    assert {s: statuses[s]["status"] for s in SOURCES} == dict.fromkeys(SOURCES, "ok")
    for source_id in SOURCES:
        assert {i["url"] for i in items if i["source"] == source_id} == expected_urls(source_id), source_id
    # GOV.UK items come from the content API: its document type and organisations, not the search's.
    code = next(i for i in items if i["url"].endswith("/ai-cyber-security-code-of-practice"))
    assert (code["doc_type"], code["authority"]) == ("guidance", "Department for Science, Innovation and Technology")
    report = "/https/www.gov.uk/api/content/government/publications/international-ai-safety-report-2025"
    assert len(site.hits(report)) == 1  # named by both the search and the feed, fetched once
    consultation = next(i for i in items if i["url"].endswith("/consultations/copyright-and-artificial-intelligence"))
    assert (consultation["doc_type"], consultation["published"]) == ("notice", "2024-12-17")
    assert consultation["authority"].startswith("Intellectual Property Office")
    act = next(i for i in items if i["source"] == "eur-lex" and "32024R1689" in i["url"])
    assert act["doc_type"] == "law" and act["published"] == "2024-07-12"
    french = next(i for i in items if i["source"] == "cnil")
    assert french["language"] == "fr" and french["jurisdiction"] == "FR"
    # Garante: Italian cards typed by their Tipologia, each docweb page fetched once.
    press = next(i for i in items if i["url"].endswith("/docweb/10098477"))
    assert (press["doc_type"], press["published"], press["language"]) == ("press_release", "2025-01-30", "it")
    assert len(site.hits("/https/www.garanteprivacy.it/web/guest/home/docweb/-/docweb-display/docweb/10099212")) == 1
    assert [json.loads(body)["rootPageId"] for body in posted] == [2816]
    assert not any(i["url"].endswith("/about-the-ico/jobs/") for i in items)
    assert not any("new-delhi" in i["url"] for i in items)  # Meta's regional newsroom posts
    # Anthropic: cards without an excerpt get the article's lead paragraph; the featured card needs no fetch.
    citations = next(i for i in items if i["url"].endswith("/news/introducing-citations-api"))
    assert citations["summary"].startswith("Today we are launching Citations")
    assert not site.hits("/https/www.anthropic.com/news/constitutional-classifiers")
    # OECD.AI: the WordPress back end's permalinks become the oecd.ai pages readers see.
    assert all(i["url"].startswith("https://oecd.ai/en/wonk/") for i in items if i["source"] == "oecd-ai")
    compute = next(i for i in items if i["url"].endswith("-new-data-on-national-ai-compute-capacity"))
    assert compute["published"] == "2025-02-01"  # 23:30 UTC on Jan 31 is Feb 1 in Paris
    # UN: each report read once, in English; its date from the page, else from the PDF's creation date.
    un_files = [r.path.rsplit("/", 1)[1] for r in site.requests if "/un2.un.org/files/" in r.path]
    assert sorted(un_files) == ["ai_advisory_body_interim_report.pdf", "governing_ai_for_humanity_final_report_en.pdf"]
    interim = next(i for i in items if i["url"].endswith("/ai_advisory_body_interim_report.pdf"))
    assert (interim["published"], interim["doc_type"], interim["jurisdiction"]) == ("2023-12-21", "report", "UN")
    assert interim["summary"].startswith("The interim report set out")  # the page's words, not the cover
    assert not site.hits("/https/www.un.org/digital-emerging-technologies/ai-advisory-body-members")
    # Reuters: the news sitemap index's 5 newest children are read, the section page is not asked.
    assert len([r for r in site.requests if r.path.startswith(REUTERS_SITEMAP + "?")]) == 5
    assert not site.hits("/https/www.reuters.com/technology/")


# --- Vatican: the decree's PDF is read, older acts stay as the laws page names them -----------------


def test_recent_vatican_decree_is_read_from_its_pdf(site, tmp_path):
    served = serve_examples(site, {"vatican-laws"})
    assert any(e.body.suffix == ".pdf" for e in served)
    statuses, items = crawl(site, tmp_path, {"vatican-laws"})
    assert statuses["vatican-laws"]["status"] == "ok"
    decree = next(i for i in items if "N_DCCII" in i["url"])
    assert decree["summary"].startswith("Le presenti Linee Guida promuovono un impiego etico")
    assert (decree["published"], decree["language"], decree["jurisdiction"]) == ("2024-12-16", "it", "VA")
    assert decree["identifiers"] == {"vatican_act_number": "DCCII"} and decree["relevance"]["score"] >= 0.5
    pdfs = [r.path for r in site.requests if r.path.lower().endswith(".pdf")]
    assert pdfs == ["/https/www.vaticanstate.va/images/pdf/leggi-e-decreti/2024/"
                    "N_DCCII_Linee_guida_intelligenza_artificiale.pdf"]  # acts older than 120 days: not read
    law = next(i for i in items if "N_CCLXXIV" in i["url"])
    assert (law["doc_type"], law["published"], law["summary"]) == ("law", "2018-11-25", "")
    # Months later the decree is older than the PDF window: its stored text is kept, not "updated" away.
    config = tmp_path / "config.yaml"
    later = (FETCHED_AT + timedelta(days=200)).isoformat()
    regwatch(config, "crawl", "-s", f"REGWATCH_MIRROR={site.base}", "-s", f"REGWATCH_NOW={later}")
    assert regwatch(config, "queue", "--status", "updated", "--json").stdout.strip() == ""


def test_scanned_decree_without_text_is_unparseable(tmp_path):
    from crawler.errors import Unparseable
    from tests.make_example_pdfs import pdf_bytes

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(pdf_bytes(("",), {"Title": "scansione"}))
    with pytest.raises(Unparseable, match="without extractable text"):
        parse_file(default_config(), "vatican-laws", scan,
                   "https://www.vaticanstate.va/images/pdf/leggi-e-decreti/2025/scan.pdf", FETCHED_AT)


# --- Reuters: the news sitemap, technology only; DataDome answers are blocked, never items -----------


DATADOME = (EXAMPLES_DIR / "reuters-tech" / "blocked_datadome.html").read_bytes()
REUTERS_SITEMAP = "/https/www.reuters.com/arc/outboundfeeds/news-sitemap/"
REUTERS_INDEX = "/https/www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"


def reuters_example(case: str) -> tuple[list[dict], list[str]]:
    """(items, URLs the crawl would follow) of a Reuters example, as `regwatch parse` reads it."""
    example = next(e for e in all_examples() if e.source_id == "reuters-tech" and e.case == case)
    items, follow = parse_file(default_config(), "reuters-tech", example.body, example.url, FETCHED_AT)
    return [item.public_dict() for item in items], follow


def test_reuters_news_sitemap_keeps_only_technology_stories():
    items, follow = reuters_example("news-sitemap")
    assert follow == []  # news titles: no story page is fetched
    assert [i["url"].split("/")[3] for i in items] == ["technology"] * 4  # of 9 stories in all sections
    assert {i["doc_type"] for i in items} == {"news"}
    deepseek = next(i for i in items if "microsoft-meta-ceos" in i["url"])
    # Published at 02:11 UTC on Jan 30: Jan 30 in London, as the story's URL says (Jan 29 in New York).
    assert (deepseek["title"], deepseek["published"]) == (
        "Microsoft, Meta CEOs defend hefty AI spending after DeepSeek stuns tech world", "2025-01-30")


def test_reuters_sitemap_index_leads_to_its_five_newest_children():
    items, follow = reuters_example("news-sitemap-index")
    assert items == []
    first = "https://www.reuters.com/arc/outboundfeeds/news-sitemap/?outputType=xml"
    assert follow == [first] + [f"{first}&from={start}" for start in range(100, 500, 100)]


@pytest.mark.parametrize(("status", "headers"), [
    (401, {"x-datadome": "protected", "Set-Cookie": "datadome=abc; Max-Age=31536000; Domain=.reuters.com; Path=/"}),
    (403, {"x-datadome": "protected"}),
    (200, {}),  # the captcha page served as if it were the sitemap
])
def test_reuters_datadome_answer_is_blocked_not_unauthorized(site, tmp_path, status, headers):
    site.serve(REUTERS_INDEX, DATADOME, "text/html;charset=utf-8", status=status, headers=headers)
    statuses, items = crawl(site, tmp_path, {"reuters-tech"})
    assert statuses["reuters-tech"]["status"] == "blocked"
    assert [i for i in items if i["source"] == "reuters-tech"] == []


def test_reuters_child_sitemap_behind_datadome_is_blocked_and_the_others_are_read(site, tmp_path):
    serve_examples(site, {"reuters-tech"})
    site.serve(f"{REUTERS_SITEMAP}?outputType=xml&from=200", DATADOME, "text/html;charset=utf-8", status=401,
               headers={"x-datadome": "protected"})
    statuses, items = crawl(site, tmp_path, {"reuters-tech"})
    error = statuses["reuters-tech"]["last_error"]
    assert (statuses["reuters-tech"]["status"], error["kind"]) == ("blocked", "blocked")
    assert error["url"].endswith("news-sitemap/?outputType=xml&from=200") and "DataDome" in error["message"]
    refused = {item["url"] for item in reuters_example("news-sitemap-from-200")[0]}
    assert refused and {i["url"] for i in items} == expected_urls("reuters-tech") - refused


@pytest.mark.parametrize("url", ["https://www.reuters.com/technology/",
                                 "https://www.reuters.com/arc/outboundfeeds/news-sitemap/?outputType=xml"])
def test_reuters_captcha_page_parses_to_blocked(url):
    from crawler.errors import SourceBlocked

    with pytest.raises(SourceBlocked, match="DataDome"):
        parse_file(default_config(), "reuters-tech", EXAMPLES_DIR / "reuters-tech" / "blocked_datadome.html",
                   url, FETCHED_AT)


# --- EUR-Lex bot protection ----------------------------------------------------------------------


def eur_lex_status(site, tmp_path: Path, status: int, body: bytes, content_type: str) -> tuple[dict, list[dict]]:
    for example in all_examples():
        if example.source_id == "eur-lex" and example.case == "search_ai":
            site.serve("/https/" + example.url.split("://", 1)[1], example.body.read_bytes())
    site.serve("/https/eur-lex.europa.eu/EN/display-feed.rss?rssId=222", body, content_type, status=status)
    statuses, items = crawl(site, tmp_path, {"eur-lex"})
    return statuses["eur-lex"], [i for i in items if i["source"] == "eur-lex"]


def test_eur_lex_empty_202_is_reported_blocked(site, tmp_path):
    status, items = eur_lex_status(site, tmp_path, 202, b"", "text/html")
    assert status["status"] == "blocked"
    assert all("rssId" not in i["url"] for i in items)


@pytest.mark.parametrize("body", [b"", b"<!DOCTYPE html><html><head><title>EUR-Lex</title></head><body>"
                                       b"<script src='/TSPD/08e3c1a'></script></body></html>"])
def test_eur_lex_feed_replaced_by_a_page_is_blocked_not_parsed(body, tmp_path):
    page = tmp_path / "feed.xml"
    page.write_bytes(body)
    from crawler.errors import SourceBlocked

    with pytest.raises(SourceBlocked):
        parse_file(default_config(), "eur-lex", page, "https://eur-lex.europa.eu/EN/display-feed.rss?rssId=222",
                   FETCHED_AT)


# --- shared parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "day"), [
    ("Provvedimento del 30 gennaio 2025 [10097450]", date(2025, 1, 30)),
    ("Newsletter del 1° febbraio 2025", date(2025, 2, 1)),
    ("Publié le 1er octobre 2025", date(2025, 10, 1)),
    ("22 juillet 2025", date(2025, 7, 22)),
    ("mise à jour le 3 fevrier 2025", date(2025, 2, 3)),
    ("5 February 2025, News", date(2025, 2, 5)),
])
def test_long_dates_in_italian_french_and_english(text, day):
    from spiders.intl_common import long_date

    assert long_date(text) == day


def test_garante_card_without_docweb_number_is_still_an_item(tmp_path):
    listing = (EXAMPLES_DIR / "garante-privacy" / "listing_ai.html").read_text(encoding="utf-8")
    page = tmp_path / "listing.html"
    page.write_text(re.sub(r"/docweb/\d+", "/scheda-intelligenza-artificiale", listing, count=1), encoding="utf-8")
    url = next(e.url for e in all_examples() if e.source_id == "garante-privacy" and e.case == "listing_ai")
    items, _ = parse_file(default_config(), "garante-privacy", page, url, FETCHED_AT)
    assert items and items[0].identifiers == {} and all(i.identifiers for i in items[1:])


@pytest.mark.parametrize(("raw", "moment"), [
    ("D:20241216115204+01'00'", "2024-12-16T11:52:04+01:00"),
    ("D:20231221093012-05'00'", "2023-12-21T09:30:12-05:00"),
    ("D:20240919", "2024-09-19T00:00:00+00:00"),   # no time, no offset: UTC
    ("D:20241316", None),                           # month 13
    ("", None),
])
def test_pdf_creation_dates(raw, moment):
    from spiders.pdf_text import pdf_date

    found = pdf_date(raw)
    assert (found.isoformat() if found else None) == moment


def test_roman_act_numbers():
    from spiders.intl_common import roman_to_int

    assert [roman_to_int(n) for n in ("DCCII", "CCCLXXXIV", "LXXI", "XIV", "N.")] == [702, 384, 71, 14, None]


@pytest.mark.parametrize(("celex", "title", "doc_type"), [
    ("32024R1689", "Regulation (EU) 2024/1689 of the European Parliament", "law"),
    ("32025R0204", "Commission Implementing Regulation (EU) 2025/204", "rule"),
    ("52021PC0206", "Proposal for a Regulation laying down harmonised rules on AI", "bill"),
    ("62019CJ0311", "Judgment of the Court", "judgment"),
])
def test_celex_numbers_give_the_document_type(celex, title, doc_type):
    from spiders.eur_lex import celex_doc_type

    assert celex_doc_type(celex, title) == doc_type
