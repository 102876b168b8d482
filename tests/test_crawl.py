"""End-to-end crawls: the real `regwatch crawl` and Scrapy engine against a loopback server."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import regwatch, write_config
from tests.feeds import rss
from tests.loopback import Reply


def _feed_source(site, source_id="agency-news", path="/feed.xml", **extra) -> dict:
    return {
        "id": source_id,
        "spider": "feed",
        "urls": [site.url(path)],
        "name": "Agency News",
        "authority": "Example Agency",
        "jurisdiction": "US",
        "category": "guidance",
        "language": "en",
        **extra,
    }


def _queue(config: Path, *args: str) -> list[dict]:
    result = regwatch(config, "queue", "--json", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _sources(config: Path) -> dict[str, dict]:
    result = regwatch(config, "sources", "--json")
    assert result.returncode == 0, result.stderr
    return {s["id"]: s for s in json.loads(result.stdout)}


def test_feed_crawl_stores_normalized_items_and_archives_every_response(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 3), "application/rss+xml; charset=UTF-8")
    config = write_config(tmp_path, [_feed_source(site)])
    result = regwatch(config, "crawl")
    assert result.returncode == 0, result.stderr
    items = _queue(config)
    assert len(items) == 3
    by_url = {item["url"]: item for item in items}
    first = by_url[f"{site.base}/news/notice-0/"]  # tracking parameter gone
    assert first["published"] == "2025-01-15"
    assert first["jurisdiction"] == "US" and first["authority"] == "Example Agency"
    assert first["relevance"]["terms"][:2] == ["artificial intelligence", "AI"]
    assert first["status"] == "new" and first["id"]
    [warc] = list((tmp_path / "regwatch-data" / "archive" / "agency-news").glob("*.warc.gz"))
    with warc.open("rb") as stream:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stream)]
    assert ("response", site.url("/feed.xml")) in records and ("request", site.url("/feed.xml")) in records
    show = regwatch(config, "show", str(first["id"]), "--evidence")
    assert warc.name in show.stdout and "Notice 0 on artificial intelligence" in show.stdout


def test_default_user_agent_names_regwatch_with_contact_url(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 1), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    regwatch(config, "crawl")
    agent = site.hits("/feed.xml")[0].headers["user-agent"]
    assert agent.startswith("Regwatch/") and "+https://" in agent


def test_scrapy_setting_override_applies_to_the_run(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 1), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    regwatch(config, "crawl", "-s", "USER_AGENT=TestAgent/9")
    assert site.hits("/feed.xml")[0].headers["user-agent"] == "TestAgent/9"


def test_unchanged_feed_costs_one_conditional_request(site, tmp_path):
    site.routes["/feed.xml"] = Reply(
        200, rss(site.base, 5).encode(), {"Content-Type": "application/rss+xml"}, etag='"v1"'
    )
    config = write_config(tmp_path, [_feed_source(site)])
    assert regwatch(config, "crawl").returncode == 0
    second = regwatch(config, "crawl")
    assert second.returncode == 0, second.stderr
    hits = site.hits("/feed.xml")
    assert len(hits) == 2 and hits[1].headers.get("if-none-match") == '"v1"'
    assert len(_queue(config)) == 5
    assert _sources(config)["agency-news"]["status"] == "ok"


def test_changed_entry_becomes_updated_item(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 2), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    regwatch(config, "crawl")
    site.serve(
        "/feed.xml", rss(site.base, 2).replace("item 1 about", "item 1, corrected, about"), "application/rss+xml"
    )
    regwatch(config, "crawl")
    updated = _queue(config, "--status", "updated")
    assert [i["url"] for i in updated] == [f"{site.base}/news/notice-1/"]
    assert "corrected" in updated[0]["summary"]


def test_replay_answers_from_the_archive_without_the_network(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 4), "application/rss+xml")
    (tmp_path / "rec").mkdir()
    recorded = write_config(tmp_path / "rec", [_feed_source(site)])
    regwatch(recorded, "crawl")
    archive = tmp_path / "rec" / "regwatch-data" / "archive"
    site.routes.clear()  # the network now answers nothing but 404s
    replay_dir = tmp_path / "replay"
    replay_dir.mkdir()
    replayed = write_config(replay_dir, [_feed_source(site)])
    result = regwatch(replayed, "crawl", "--replay", str(archive))
    assert result.returncode == 0, result.stderr
    assert len(_queue(replayed)) == 4
    assert site.requests[-1].path == "/feed.xml" and len(site.hits("/feed.xml")) == 1  # only the recording


def test_request_missing_from_replay_archive_is_an_error_not_a_fetch(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 1), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site), _feed_source(site, "other-feed", "/other.xml")])
    regwatch(config, "crawl", "agency-news")
    result = regwatch(config, "crawl", "--replay", str(tmp_path / "regwatch-data" / "archive"))
    assert result.returncode == 1
    other = _sources(config)["other-feed"]
    assert other["status"] == "failed"
    assert "not in the replay archive" in other["last_error"]["message"]
    assert site.hits("/other.xml") == []


def test_one_broken_source_does_not_stop_the_others(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 3), "application/rss+xml")
    site.serve("/broken.xml", "oops", "text/plain", status=500)
    config = write_config(tmp_path, [_feed_source(site), _feed_source(site, "broken-feed", "/broken.xml")])
    result = regwatch(config, "crawl")
    assert result.returncode == 1
    sources = _sources(config)
    assert sources["agency-news"]["status"] == "ok" and sources["agency-news"]["items"] == 3
    assert sources["broken-feed"]["status"] == "failed"
    assert sources["broken-feed"]["last_error"] == {
        "kind": "fetch_failed",
        "message": "HTTP 500",
        "url": site.url("/broken.xml"),
    }
    assert "broken-feed" in result.stdout


def test_malformed_feed_is_recorded_as_unparseable(site, tmp_path):
    site.serve("/feed.xml", "<rss><channel><item><title>unclosed", "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    assert regwatch(config, "crawl").returncode == 1
    error = _sources(config)["agency-news"]["last_error"]
    assert error["kind"] == "unparseable" and error["url"] == site.url("/feed.xml")


def test_oversized_response_is_refused(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 200), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)], crawl={"max_response_mb": 0.01})
    assert regwatch(config, "crawl").returncode == 1
    error = _sources(config)["agency-news"]["last_error"]
    assert error["kind"] == "fetch_failed" and "larger than" in error["message"]
    assert _sources(config)["agency-news"]["items"] == 0


def test_http_429_with_retry_after_waits_then_succeeds(site, tmp_path):
    answers = iter(
        [
            Reply(429, b"slow down", {"Retry-After": "1"}),
            Reply(200, rss(site.base, 2).encode(), {"Content-Type": "application/rss+xml"}),
        ]
    )
    site.routes["/feed.xml"] = lambda request: next(answers)
    config = write_config(tmp_path, [_feed_source(site)])
    started = time.monotonic()
    result = regwatch(config, "crawl")
    assert result.returncode == 0, result.stderr
    hits = site.hits("/feed.xml")
    assert len(hits) == 2 and time.monotonic() - started >= 1
    assert len(_queue(config)) == 2


def test_http_429_asking_for_a_long_wait_is_rate_limited(site, tmp_path):
    site.serve("/feed.xml", "slow down", "text/plain", status=429, headers={"Retry-After": "3600"})
    config = write_config(tmp_path, [_feed_source(site)])
    assert regwatch(config, "crawl").returncode == 1
    error = _sources(config)["agency-news"]["last_error"]
    assert error["kind"] == "rate_limited" and "3600" in error["message"]


def test_timeout_is_recorded_with_the_url(site, tmp_path):
    site.routes["/feed.xml"] = Reply(
        200, rss(site.base, 1).encode(), {"Content-Type": "application/rss+xml"}, delay_s=3
    )
    config = write_config(tmp_path, [_feed_source(site)], crawl={"timeout_s": 1, "retries": 0})
    assert regwatch(config, "crawl").returncode == 1
    error = _sources(config)["agency-news"]["last_error"]
    assert error["kind"] == "fetch_failed" and "timed out" in error["message"]


def test_redirect_loop_is_recorded(site, tmp_path):
    site.routes["/feed.xml"] = Reply(302, b"", {"Location": site.url("/loop.xml")})
    site.routes["/loop.xml"] = Reply(302, b"", {"Location": site.url("/feed.xml")})
    config = write_config(tmp_path, [_feed_source(site)])
    assert regwatch(config, "crawl").returncode == 1
    assert "redirect loop" in _sources(config)["agency-news"]["last_error"]["message"]


def test_robots_txt_disallow_is_reported_as_blocked(site, tmp_path):
    site.serve("/robots.txt", "User-agent: *\nDisallow: /\n", "text/plain")
    site.serve("/feed.xml", rss(site.base, 1), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)], crawl={"obey_robots": True})
    assert regwatch(config, "crawl").returncode == 1
    source = _sources(config)["agency-news"]
    assert source["status"] == "blocked" and "robots.txt" in source["last_error"]["message"]
    assert site.hits("/feed.xml") == []


def test_source_suddenly_yielding_zero_items_is_an_error(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 3), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    regwatch(config, "crawl")
    empty = rss(site.base, 0)
    site.serve("/feed.xml", empty, "application/rss+xml")
    assert regwatch(config, "crawl").returncode == 1
    error = _sources(config)["agency-news"]["last_error"]
    assert error == {"kind": "empty", "message": "source yielded 0 items, last run had 3", "url": site.url("/feed.xml")}
    assert len(_queue(config)) == 3  # nothing stored is lost


def test_gbk_page_with_wrong_charset_is_decoded(site, tmp_path):
    body = (
        '<html><head><meta charset="utf-8"><title>关于人工智能生成合成内容标识办法的通知</title></head><body>'
        "<article><h1>关于人工智能生成合成内容标识办法的通知</h1><p>"
        + "为了规范人工智能生成合成内容标识，维护国家安全和社会公共利益。" * 5
        + "</p></article></body></html>"
    ).encode("gbk")
    site.serve("/notice.html", body, "text/html; charset=utf-8")
    source = {
        "id": "cn-page",
        "spider": "page",
        "urls": [site.url("/notice.html")],
        "jurisdiction": "CN",
        "language": "zh",
    }
    config = write_config(tmp_path, [source])
    assert regwatch(config, "crawl").returncode == 0
    [item] = _queue(config)
    assert item["title"] == "关于人工智能生成合成内容标识办法的通知"
    assert "人工智能" in item["relevance"]["terms"]


def test_page_watch_change_flags_the_item_updated(site, tmp_path):
    text = "<p>" + "The AI Office publishes guidance for providers of general-purpose AI models. " * 4 + "</p>"
    site.serve(
        "/page.html", f"<html><head><title>AI Office</title></head><body><article>{text}</article></body></html>"
    )
    config = write_config(tmp_path, [{"id": "ai-office", "spider": "page", "urls": [site.url("/page.html")]}])
    regwatch(config, "crawl")
    regwatch(config, "crawl")
    assert _queue(config, "--status", "updated") == []
    site.serve(
        "/page.html",
        f"<html><head><title>AI Office</title></head><body><article>{text}"
        "<p>New: the second draft of the Code of Practice is published today for consultation.</p>"
        "</article></body></html>",
    )
    regwatch(config, "crawl")
    [updated] = _queue(config, "--status", "updated")
    assert updated["title"] == "AI Office"


def test_killed_crawl_run_again_stores_every_item_exactly_once(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 40), "application/rss+xml")
    page = "<html><head><title>Slow page</title></head><body><article><p>" + "AI guidance text. " * 30 + "</p>"
    site.routes["/slow.html"] = Reply(200, page.encode(), {"Content-Type": "text/html"}, delay_s=4)
    slow = {"id": "slow-page", "spider": "page", "urls": [site.url("/slow.html")]}
    config = write_config(tmp_path, [_feed_source(site), slow], crawl={"timeout_s": 10})
    child = subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(config), "crawl"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = tmp_path / "regwatch-data" / "regwatch.db"
    deadline, stored = time.monotonic() + 30, 0
    while time.monotonic() < deadline and stored < 40:
        time.sleep(0.05)
        try:
            stored = sqlite3.connect(database).execute("select count(*) from documents").fetchone()[0]
        except sqlite3.OperationalError:
            stored = 0
    child.send_signal(signal.SIGKILL)  # the slow source is still waiting for its page
    child.wait()
    assert stored == 40
    result = regwatch(config, "crawl")
    assert result.returncode == 0, result.stderr
    urls = [i["url"] for i in _queue(config)]
    assert len(urls) == 41 == len(set(urls))
    history = sqlite3.connect(database).execute(
        "select source_id, status from crawl_runs order by source_id, id").fetchall()
    assert history == [("agency-news", "ok"), ("agency-news", "ok"), ("slow-page", "failed"), ("slow-page", "ok")]


def test_bad_config_names_the_source_and_field(tmp_path):
    config = write_config(
        tmp_path, [{"id": "bad-source", "spider": "feed", "urls": ["ftp://nope"], "schedule": {"interval": "1x"}}]
    )
    result = regwatch(config, "sources")
    assert result.returncode == 2
    assert "source 'bad-source'" in result.stderr and "schedule.interval" in result.stderr
    assert "Traceback" not in result.stderr


def test_commands_work_from_another_directory(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 1), "application/rss+xml")
    project = tmp_path / "project"
    project.mkdir()
    config = write_config(project, [_feed_source(site)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "regwatch", "--config", str(config), "crawl"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (project / "regwatch-data" / "regwatch.db").exists()
    assert not (elsewhere / "regwatch-data").exists()


def test_json_api_follows_next_page_and_stops_at_max_pages(site, tmp_path):
    def documents(request):
        page = 2 if "page=2" in request.path else 3 if "page=3" in request.path else 1
        next_url = site.url(f"/api/documents.json?page={page + 1}") if page < 3 else None
        result = {"document_number": f"2025-0000{page}", "title": f"AI notice {page}", "type": "Notice",
                  "publication_date": "2025-01-15", "html_url": site.url(f"/d/{page}"), "agencies": []}
        body = {"count": 3, "total_pages": 3, "results": [result], **({"next_page_url": next_url} if next_url else {})}
        return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    site.fallback = documents
    source = {"id": "federal-register", "spider": "federal_register", "query": "artificial intelligence",
              "urls": {"documents": site.url("/api/documents.json")}, "options": {"slice_days": 400}}
    config = write_config(tmp_path, [source], crawl={"max_pages": 2, "lookback_days": 30})
    result = regwatch(config, "crawl", "-s", "REGWATCH_NOW=2025-01-20T12:00:00Z")
    assert result.returncode == 0, result.stderr
    assert sorted(i["identifiers"]["fr_document_number"] for i in _queue(config)) == ["2025-00001", "2025-00002"]
    first = site.requests[0].path
    assert "conditions[publication_date][gte]=2024-12-21" in first.replace("%5B", "[").replace("%5D", "]")


def test_storage_failure_fails_the_run_and_loses_nothing(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 3), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    assert regwatch(config, "crawl").returncode == 0
    database = sqlite3.connect(tmp_path / "regwatch-data" / "regwatch.db")
    database.execute("CREATE TRIGGER refuse BEFORE INSERT ON documents BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    database.commit()
    site.serve("/feed.xml", rss(site.base, 5), "application/rss+xml")
    failed = regwatch(config, "crawl")
    assert failed.returncode == 1
    error = _sources(config)["agency-news"]["last_error"]
    assert error["kind"] == "store_failed" and "disk says no" in error["message"]
    assert error["url"].startswith(site.base)
    assert len(_queue(config)) == 3
    database.execute("DROP TRIGGER refuse")
    database.commit()
    assert regwatch(config, "crawl").returncode == 0  # no validators kept from the failed run
    assert len(_queue(config)) == 5


def test_unexpected_pipeline_exception_fails_the_run(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 2), "application/rss+xml")
    config = write_config(tmp_path, [_feed_source(site)])
    (tmp_path / "exploding.py").write_text(
        "class ExplodingPipeline:\n    def process_item(self, item):\n        raise RuntimeError('boom')\n")
    pipelines = json.dumps({"crawler.pipelines.NormalizePipeline": 100, "exploding.ExplodingPipeline": 150})
    result = regwatch(config, "crawl", "-s", f"ITEM_PIPELINES={pipelines}")
    assert result.returncode == 1
    error = _sources(config)["agency-news"]["last_error"]
    assert error["kind"] == "processing_failed" and "RuntimeError: boom" in error["message"]
    assert error["url"] == site.url("/feed.xml")
