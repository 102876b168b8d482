"""Regenerate docs/screenshot-queue.png and docs/screenshot-item.png (run by hand):

    python -m tests.web.screenshots

Builds the sample queue (tests/web/sample.py) in a temporary folder, takes a few decisions,
serves the app on loopback and photographs it in headless Chromium."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from crawler.config import load_config
from crawler.storage import db
from editorial import triage
from tests.web import sample
from tests.web.server import serving

DOCS = Path(__file__).resolve().parents[2] / "docs"
CHROMIUM = "/usr/bin/chromium"


def _decide(config, ids: dict[str, int]) -> None:
    with db.open_session(config.database_url) as session:
        triage.accept(session, [ids["federal-register"]], "editor", "2025-01", "law")
        triage.accept(session, [ids["deepseek-news"]], "editor", "2025-01", "industry")
        triage.assign(session, [ids["tc260"]], "editor", "viewer")
        triage.set_editorial(session, ids["cac"], "editor", "网信办等四部门发布《人工智能生成合成内容标识办法》",
                             "办法要求服务提供者对人工智能生成合成内容添加显式标识和隐式标识，自2025年9月1日起施行。")
        triage.add_note(session, ids["cac"], "editor", "与 TC260 的配套强制性国家标准一并介绍。")
        session.commit()


def main(out: Path = DOCS) -> None:
    from web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        config = load_config(sample.sample_config(Path(folder)))
        with db.open_session(config.database_url) as session:
            ids = sample.build(session, config)
        _decide(config, ids)
        with serving(create_app(config)) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--lang=zh-CN"])
            page = browser.new_page(base_url=base, viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page.goto("/login")
            page.fill("input[name=name]", "editor")
            page.fill("input[name=password]", sample.PASSWORD)
            page.click("button[type=submit]")
            page.goto("/queue?status=all")
            page.keyboard.press("j")
            page.keyboard.press("j")
            page.locator(f"tr[data-id='{ids['tc260']}'] input[name=ids]").check()
            page.locator(f"tr[data-id='{ids['miit']}'] input[name=ids]").check()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(out / "screenshot-queue.png"))
            page.goto(f"/items/{ids['cac']}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "screenshot-item.png"), full_page=True)
            browser.close()
    print(f"wrote {out / 'screenshot-queue.png'} and {out / 'screenshot-item.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS)
