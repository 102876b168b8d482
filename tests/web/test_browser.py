"""End to end in Debian's headless Chromium (Playwright) against the app on a real uvicorn server
on loopback: one browser and one server per session over a fixture-built database."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date, timedelta

import docx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from crawler.config import load_config
from crawler.storage import db
from crawler.storage.models import TriageState
from tests.loopback import LoopbackSite, Reply
from tests.web import sample
from tests.web.server import serving

CHROMIUM = "/usr/bin/chromium"
NOTICE_PATH = "/court/notice-2025-01-21.html"
NOTICE_TITLE = "Loopback District Court: standing order on the use of generative AI in filings"
EDITORIAL_SUMMARY = "办法要求对人工智能生成合成内容添加显式和隐式标识，2025年9月1日起施行。"
NOTICE_HTML = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{NOTICE_TITLE}</title>
<meta property="article:published_time" content="2025-01-21T09:00:00-05:00"></head><body><main><article>
<h1>{NOTICE_TITLE}</h1><p>January 21, 2025</p>
<p>Counsel who use generative artificial intelligence tools to draft filings must certify that every citation
was checked by a person. This standing order applies to all civil and criminal matters before the court.</p>
<p>Filings prepared with the help of a large language model must say so on their first page.</p>
</article></main></body></html>""".encode()


@pytest.fixture(scope="session")
def live(built_site, tmp_path_factory):
    """(base URL, config, document ids, loopback site) for the whole browser session."""
    folder, ids = built_site
    copy = tmp_path_factory.mktemp("web-live") / "site"
    shutil.copytree(folder, copy)
    config = load_config(copy / "config.yaml")
    config.web.allow_private_urls = True  # add by URL fetches the loopback site below
    from web.app import create_app

    with LoopbackSite() as site:
        site.routes[NOTICE_PATH] = Reply(body=NOTICE_HTML, headers={"Content-Type": "text/html; charset=utf-8"})
        with serving(create_app(config)) as base:
            yield base, config, ids, site


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def _page(browser, base: str, user: str) -> Page:
    context = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", sample.PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/queue"))
    return page


@pytest.fixture
def editor_page(browser, live):
    page = _page(browser, live[0], "editor")
    yield page
    page.context.close()


@pytest.fixture
def viewer_page(browser, live):
    page = _page(browser, live[0], "viewer")
    yield page
    page.context.close()


def _status(config, document_id: int) -> TriageState:
    with db.open_session(config.database_url) as session:
        return session.get(TriageState, document_id)


def _row(page: Page, document_id: int):
    return page.locator(f"tr[data-id='{document_id}']")


def test_log_in_filter_and_search(editor_page, live):
    page, ids = editor_page, live[2]
    page.goto("/queue?status=all")  # whatever other tests decided
    expect(_row(page, ids["cac"])).to_be_visible()
    page.select_option("select[name=jurisdiction]", "US")
    page.click("#filters button[type=submit]")
    expect(_row(page, ids["federal-register"])).to_be_visible()
    expect(_row(page, ids["cac"])).to_have_count(0)
    page.goto("/queue?status=all")
    page.keyboard.press("/")
    page.keyboard.type("标识")
    page.keyboard.press("Enter")
    expect(_row(page, ids["cac"])).to_be_visible()
    expect(_row(page, ids["deepseek-news"])).to_have_count(0)
    expect(_row(page, ids["cac"]).locator("a.title mark", has_text="标识").first).to_be_visible()


def test_accept_into_a_section_with_the_keyboard(editor_page, live):
    page, config, ids = editor_page, live[1], live[2]
    page.goto("/queue?q=DeepSeek")
    page.fill("#month", "2025-01")
    page.select_option("#section", "industry")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    expect(_row(page, ids["deepseek-news"])).to_have_class(re.compile("current"))
    page.keyboard.press("a")
    expect(_row(page, ids["deepseek-news"]).locator("[data-role=status]")).to_have_text("已采用")
    state = _status(config, ids["deepseek-news"])
    assert (state.status, state.bulletin_month, state.section) == ("accepted", "2025-01", "industry")


def test_reject_with_a_reason(editor_page, live):
    page, config, ids = editor_page, live[1], live[2]
    page.once("dialog", lambda dialog: dialog.accept("not about AI regulation"))
    _row(page, ids["gov-uk"]).locator("button[data-act=reject]").click()
    expect(_row(page, ids["gov-uk"]).locator("[data-role=status]")).to_have_text("已排除")
    page.goto(f"/items/{ids['gov-uk']}")
    expect(page.locator("ol.history")).to_contain_text("not about AI regulation")
    assert _status(config, ids["gov-uk"]).status == "rejected"


def test_bulk_accept_a_selection(editor_page, live):
    page, config, ids = editor_page, live[1], live[2]
    chosen = [ids["tc260"], ids["bj-internet-court"]]
    for document_id in chosen:
        _row(page, document_id).locator("input[name=ids]").check()
    expect(page.locator("#selected-count")).to_contain_text("2")
    page.fill("#month", "2025-01")
    page.select_option("#section", "law")
    page.click("#bulk-accept")
    page.wait_for_url(re.compile(r"/queue"))
    for document_id in chosen:
        state = _status(config, document_id)
        assert (state.status, state.bulletin_month, state.section) == ("accepted", "2025-01", "law")
        expect(_row(page, document_id)).to_have_count(0)  # the "new" tab no longer lists them


def test_add_by_url_queues_the_page_and_reports_a_duplicate(editor_page, live):
    page, site = editor_page, live[3]
    url = site.base + NOTICE_PATH
    page.goto("/add")
    page.fill("input[name=url]", url)
    page.click("form[action='/add'] button")
    result = page.locator("#add-result")
    expect(result).to_be_visible(timeout=60_000)
    result.locator("a").click()
    expect(page.locator("h1.item-title")).to_have_text(NOTICE_TITLE)
    expect(page.locator("#original-link")).to_have_attribute("href", url)
    page.goto("/add")
    page.fill("input[name=url]", url)
    page.click("form[action='/add'] button")
    expect(page.locator("#add-result")).to_contain_text("已存在", timeout=60_000)


def test_export_the_month_as_markdown_and_docx(editor_page, live):
    page, ids = editor_page, live[2]
    page.goto(f"/items/{ids['cac']}")
    page.fill("#editorial input[name=title]", "网信办等四部门发布《人工智能生成合成内容标识办法》")
    page.fill("#editorial textarea[name=summary]", EDITORIAL_SUMMARY)
    page.click("#editorial button")
    page.select_option("#accept-form select[name=section]", "law")
    page.fill("#accept-form input[name=month]", "2025-01")
    page.click("#accept-form button")
    expect(page.locator("#item-status")).to_have_text("已采用")
    page.goto("/export?month=2025-01")
    with page.expect_download() as md_download:
        page.click("#download-md")
    markdown = open(md_download.value.path(), encoding="utf-8").read()
    assert "导读" in markdown and "网信办等四部门发布《人工智能生成合成内容标识办法》" in markdown
    assert "2025 年 1 月 14 日" in markdown and EDITORIAL_SUMMARY in markdown
    with page.expect_download() as docx_download:
        page.click("#download-docx")
    with open(docx_download.value.path(), "rb") as stream:
        document = docx.Document(io.BytesIO(stream.read()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "网信办等四部门发布《人工智能生成合成内容标识办法》" in text and "国家互联网信息办公室" in text


def test_viewer_cannot_decide(viewer_page, live):
    page, config, ids = viewer_page, live[1], live[2]
    expect(page.locator("#decide")).to_have_count(0)
    expect(page.locator("button[data-act]")).to_have_count(0)
    page.keyboard.press("j")
    page.keyboard.press("a")
    status = page.evaluate("""async (id) => {
        const body = new URLSearchParams({ids: id, action: 'accept', month: '2025-01', section: 'law'});
        const r = await fetch('/decide', {method: 'POST', body,
            headers: {'X-CSRF-Token': document.body.dataset.csrf, 'Accept': 'application/json'}});
        return r.status; }""", str(ids["miit"]))
    assert status == 403
    assert _status(config, ids["miit"]).status == "new"
    page.goto(f"/items/{ids['miit']}")
    expect(page.locator("#accept-form")).to_have_count(0)


def test_hostile_title_is_displayed_inertly(editor_page, live):
    page, ids = editor_page, live[2]
    hostile = ids["whitehouse"]
    dialogs, loads = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("response", lambda response: loads.append(response.url))  # CSP-blocked loads get none
    blocked = []
    page.on("requestfailed", lambda request: blocked.append((request.url, request.failure)))
    page.reload()
    expect(_row(page, hostile).locator("a.title")).to_contain_text('<script>document.body.dataset.pwned="title"')
    page.goto(f"/items/{hostile}")
    expect(page.locator("h1.item-title")).to_have_text(sample.HOSTILE_TITLE)
    expect(page.locator("#original-link")).to_have_text(sample.HOSTILE_URL)
    assert page.locator("#original-link").evaluate("node => node.tagName") == "CODE"
    frame = page.frame_locator("iframe.archive")
    expect(frame.locator("h1")).to_have_text("Archived copy")
    page.locator("#original-link").click()
    assert page.evaluate("document.body.dataset.pwned") is None
    assert dialogs == [] and not [url for url in loads if "/leak/" in url]
    assert blocked and all("/leak/" in url and failure == "csp" for url, failure in blocked), blocked


def test_snooze_with_the_keyboard(editor_page, live):
    page, config, ids = editor_page, live[1], live[2]
    until = (date.today() + timedelta(days=10)).isoformat()
    page.goto("/queue?q=Anthropic")
    page.once("dialog", lambda dialog: dialog.accept(until))
    page.keyboard.press("j")
    page.keyboard.press("s")
    expect(_row(page, ids["anthropic-news"]).locator("[data-role=status]")).to_have_text("暂缓")
    state = _status(config, ids["anthropic-news"])
    assert (state.status, state.snooze_until.isoformat()) == ("snoozed", until)
