"""Sources that survive the real sites, end to end: a redesigned site still yields its documents
(marked generic, the source `degraded` with the selector that missed), hostile or broken XML is
refused or recorded, and every source reads a document page of its site, with the real
`regwatch` commands against loopback servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from crawler.middlewares import mirror_url
from crawler.parsing import read_headers
from tests.conftest import regwatch, write_config
from tests.drift import redesigned
from tests.examples_harness import EXAMPLES, FETCHED_AT, ROOT, all_examples
from tests.feeds import rss
from tests.loopback import Reply
from tests.source_site import default_config_copy, mirror_settings


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _sources(config: Path) -> dict[str, dict]:
    result = regwatch(config, "sources", "--json")
    assert result.returncode == 0, result.stderr
    return {source["id"]: source for source in json.loads(result.stdout)}


def _feed_source(site, path: str = "/feed.xml") -> dict:
    return {"id": "agency-news", "spider": "feed", "urls": [site.url(path)], "name": "Agency News",
            "jurisdiction": "US", "category": "guidance", "language": "en"}


def test_a_redesigned_site_keeps_its_documents_read_generically_and_the_source_is_degraded(site, tmp_path):
    for example in all_examples():
        if example.source_id == "guizhou-gov":
            body = redesigned(example.body.read_bytes(), "rename", "zh")
            headers = read_headers(example.body.with_name(example.body.name + ".headers")) or {
                "Content-Type": "text/html"}
            site.routes[mirror_url("", example.url)] = Reply(200, body, headers)
    config = default_config_copy(tmp_path, {"guizhou-gov"})
    crawl = regwatch(config, "crawl", *mirror_settings(site))
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert "read generically" in crawl.stdout
    items = _json_lines(regwatch(config, "queue", "--json").stdout)
    documents = [json.loads((EXAMPLES / "guizhou-gov" / f"{case}.expected.json").read_text(encoding="utf-8"))[0]
                 for case in ("ai-action-plan", "service-efficiency-opinion")]
    assert sorted((i["url"], i["title"], i["published"], i["identifiers"]) for i in items) == sorted(
        (d["url"], d["title"], d["published"], d["identifiers"]) for d in documents)  # 文号 from the text too
    assert {item["extraction"] for item in items} == {"generic"}
    guizhou = _sources(config)["guizhou-gov"]
    assert guizhou["status"] == "ok"
    assert guizhou["health"]["state"] == "degraded"
    assert "ul.NewsList li" in guizhou["health"]["reason"]  # the selector that missed
    assert {w["kind"] for w in guizhou["warnings"]} == {"selector_missed"}


def test_an_entity_bomb_feed_is_refused_and_stores_nothing(site, tmp_path):
    lol = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">{lol}]><rss version="2.0"><channel>'
            "<title>x</title><item><title>&lol9;</title><link>https://agency.example/a</link></item></channel></rss>")
    site.serve("/feed.xml", bomb, "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    assert regwatch(config, "crawl").returncode == 1
    source = _sources(config)["agency-news"]
    assert source["last_error"]["kind"] == "unparseable" and "entity" in source["last_error"]["message"]
    assert source["items"] == 0


def test_a_truncated_feed_keeps_its_recovered_entries_and_records_a_warning(site, tmp_path):
    whole = rss(site.base, 3)
    site.serve("/feed.xml", whole[: whole.rindex("<item>") + 40], "application/rss+xml")  # cut inside the last entry
    config = write_config(tmp_path, [_feed_source(site)])
    result = regwatch(config, "crawl")
    assert result.returncode == 0, result.stdout
    source = _sources(config)["agency-news"]
    assert source["status"] == "ok" and source["items"] == 2
    [warning] = source["warnings"]
    assert warning["kind"] == "malformed_feed" and "2 entries recovered" in warning["message"]
    assert warning["url"] == site.url("/feed.xml")


def _parse(source_id: str, body: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "regwatch", "--config", str(ROOT / "config.yaml"), "parse", source_id,
                           str(body), "--url", url, "--fetched-at", FETCHED_AT.isoformat(), *extra],
                          capture_output=True, text=True, timeout=120)


def test_a_feed_source_reads_a_document_page_of_its_site_generically(tmp_path):
    page = tmp_path / "press-release.html"
    page.write_text("""<!DOCTYPE html><html lang="en"><head><title>FTC Acts on AI Chatbots | Federal Trade
    Commission</title><meta property="og:site_name" content="Federal Trade Commission"><meta property="og:title"
    content="FTC Acts on AI Chatbots"></head><body><main><article><h1>FTC Acts on AI Chatbots</h1>
    <time datetime="2025-01-16T12:00:00Z">January 16, 2025</time><p>The Federal Trade Commission today announced
    an action against a company that marketed an AI chatbot with deceptive claims about its accuracy.</p></article>
    </main></body></html>""", encoding="utf-8")
    result = _parse("ftc-press", page, "https://www.ftc.gov/news-events/news/press-releases/2025/01/ftc-acts")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    [item] = _json_lines(result.stdout)
    assert (item["title"], item["published"], item["extraction"]) == (
        "FTC Acts on AI Chatbots", "2025-01-16", "generic")


def test_a_feed_of_a_source_under_another_url_is_read_as_a_feed(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss("https://www.ftc.gov", 2), encoding="utf-8")
    result = _parse("ftc-press", feed, "https://www.ftc.gov/feeds/press-release-consumer-protection.xml")
    assert result.returncode == 0, result.stderr
    assert [item["extraction"] for item in _json_lines(result.stdout)] == ["source", "source"]


def test_regwatch_parse_reports_a_selector_miss_and_never_a_traceback(tmp_path):
    [listing] = [e for e in all_examples() if str(e) == "guizhou-gov/qfbf-listing.html"]
    page = tmp_path / "listing.html"
    page.write_bytes(redesigned(listing.body.read_bytes(), "strip", "zh"))
    result = _parse("guizhou-gov", page, listing.url)
    assert result.returncode == 0, result.stderr
    assert "selector_missed" in result.stderr and "ul.NewsList li" in result.stderr
    assert "Traceback" not in result.stderr
    empty = tmp_path / "empty.json"
    empty.write_text('{"nothing": "here"}', encoding="utf-8")
    failed = _parse("whitehouse", empty, "https://www.whitehouse.gov/presidential-actions/2025/01/x/")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "https://www.whitehouse.gov/presidential-actions/2025/01/x/" in failed.stderr
    gone = tmp_path / "gone.html"
    gone.write_text("<html><head><title>Page not found | FTC</title></head><body><h1>Page not found</h1>"
                    "</body></html>", encoding="utf-8")
    soft_404 = _parse("ftc-press", gone, "https://www.ftc.gov/news-events/news/press-releases/2025/01/gone")
    assert soft_404.returncode == 1 and soft_404.stdout == ""
    assert "unparseable" in soft_404.stderr and "no document" in soft_404.stderr


HEADED_DECREE = (
    "N. DCCII", "", "DECRETO DEL PRESIDENTE DEL GOVERNATORATO", "",
    "recante “Linee guida in materia di intelligenza artificiale”", "",
    "IL PRESIDENTE DEL GOVERNATORATO", "vista la Legge sulle Fonti del diritto, 1° ottobre 2008, n. LXXI;",
    "HA PROMULGATO", "il seguente Decreto:", "Art. 1", "(Finalità)",
    "1. Le presenti Linee guida promuovono un impiego etico dell’intelligenza artificiale nello Stato.",
    "Art. 2", "(Entrata in vigore)", "1. Il presente Decreto entra in vigore il 1° gennaio 2025.", "",
    "Dal Palazzo del Governatorato, sedici dicembre duemilaventiquattro", "", "Fernando Card. Vérgez Alzaga",
)


def test_a_decree_pdf_read_without_its_listing_line_is_titled_by_its_subject_and_dated_by_its_text(tmp_path):
    from tests.make_example_pdfs import pdf_bytes

    pdf = tmp_path / "decree.pdf"
    pdf.write_bytes(pdf_bytes(HEADED_DECREE, {"Producer": "Microsoft Word"}))
    url = "https://www.vaticanstate.va/images/pdf/leggi-e-decreti/2024/N_DCCII_Linee_guida.pdf"
    for source_id in ("vatican-laws", "edpb"):  # its own PDF parser, and the generic PDF reader
        result = _parse(source_id, pdf, url)
        assert result.returncode == 0, result.stderr
        [item] = _json_lines(result.stdout)
        assert "Linee guida in materia di intelligenza artificiale" in item["title"]
        assert item["title"].startswith("N. DCCII - Decreto del Presidente del Governatorato")
        assert item["published"] == "2024-12-16"
