"""Chinese sources of the default config (issue 5), crawled end to end against a local copy of the
sites made of their example files; plus their bad-input cases and the shared number parsers."""

from __future__ import annotations

import json

import pytest

from crawler.middlewares import mirror_url
from crawler.normalize import parse_date
from spiders.cn_common import (
    case_numbers,
    cn_doc_type,
    doc_numbers,
    labelled_fields,
    standard_numbers,
    text_dates,
)
from tests.conftest import regwatch, write_config
from tests.examples_harness import NOT_SERVED_PREFIXES, ROOT, all_examples
from tests.loopback import Reply
from tests.source_site import default_config_copy, mirror_settings, serve_examples

SOURCES = {"tc260", "cac", "gov-cn-policy", "spc-news", "wechat", "guizhou-gov", "beijing-gov", "shanghai-gov",
           "miit", "cnnic", "deepseek-news", "bj-internet-court", "hz-internet-court", "gz-internet-court",
           "ciplawyer", "iflytek-news", "moonshot-news"}
EXAMPLES = ROOT / "tests" / "examples"


# Examples the default config does not request (another bridge, an article added by hand).
# Pages no configured listing links: read by `regwatch parse` and add by URL (the generic reader's
# CMS cases among them).
NOT_CRAWLED = {"rsshub-feed", "court-article", "gbk-misdeclared-document", "trs-policy-interpretation",
               "docusaurus-news-en", "front-post-detail"}


def expected_urls(source_id: str) -> set[str]:
    """Every item URL the source's crawled examples produce (what a crawl must store)."""
    return {item["url"] for e in all_examples()
            if e.source_id == source_id and not e.case.startswith(NOT_SERVED_PREFIXES) and e.case not in NOT_CRAWLED
            for item in json.loads(e.expected_path.read_text(encoding="utf-8"))}


def test_default_config_crawls_the_chinese_sources(site, tmp_path):
    serve_examples(site, SOURCES)
    config = default_config_copy(tmp_path, SOURCES)
    result = regwatch(config, "crawl", *mirror_settings(site))
    statuses = {s["id"]: s for s in json.loads(regwatch(config, "sources", "--json").stdout)}
    assert {s: statuses[s]["status"] for s in SOURCES} == dict.fromkeys(SOURCES, "ok"), result.stdout
    items = [json.loads(line) for line in regwatch(config, "queue", "--json", "--limit", "500").stdout.splitlines()]
    for source_id in SOURCES:
        assert {i["url"] for i in items if i["source"] == source_id} == expected_urls(source_id), source_id
    draft = next(i for i in items if i["url"].endswith("3bb57023c00a464faf4c2f7b9a5524c7"))
    assert draft["doc_type"] == "draft_standard" and draft["language"] == "zh"
    unit = [r for r in site.requests if "/front/page/build/unit" in r.path]
    assert unit[0].headers["referer"] == "https://www.miit.gov.cn/zwgk/zcwj/wjfb/tz/index.html"
    cases = next(i for i in items if i["url"].endswith("/zixun/xiangqing/452911.html"))
    assert cases["identifiers"]["court"] == "北京互联网法院; 广州互联网法院"


def test_internet_court_news_carries_case_number_court_and_stage(site, tmp_path):
    courts = {"bj-internet-court", "hz-internet-court", "gz-internet-court"}
    serve_examples(site, courts)
    config = default_config_copy(tmp_path, courts)
    regwatch(config, "crawl", *mirror_settings(site))
    items = {i["url"]: i for i in queued(config)}
    appeal = items["https://www.netcourt.gov.cn/news/fydt/202501/t20250124_10332.html"]
    assert appeal["identifiers"] == {"case_number": "（2024）浙01民终10332号; （2024）浙0192民初1587号",
                                     "court": "杭州市中级人民法院; 杭州互联网法院",
                                     "procedure": "second_instance; first_instance"}
    assert (appeal["doc_type"], appeal["category"], appeal["published"]) == ("judgment", "court", "2025-01-24")
    voice = items["https://www.bjinternetcourt.gov.cn/details.html?id=2871"]
    assert voice["identifiers"]["procedure"] == "first_instance" and voice["jurisdiction"] == "CN-BJ"
    assert voice["summary"].startswith("北京互联网法院一审宣判一起涉AI生成声音人格权侵权案")
    enforcement = items["https://www.gzinternetcourt.gov.cn/article-detail-6266.html"]
    assert enforcement["identifiers"]["procedure"] == "enforcement"
    assert enforcement["published"] == "2025-01-10"  # 发布时间：2025年01月10日 10:05:47


def source_status(config, source_id: str) -> dict:
    return next(s for s in json.loads(regwatch(config, "sources", "--json").stdout) if s["id"] == source_id)


def queued(config) -> list[dict]:
    return [json.loads(line) for line in regwatch(config, "queue", "--json").stdout.splitlines()]


# --- bad input and limits ------------------------------------------------------------------------


def test_wechat_verification_page_after_redirect_is_blocked_and_stores_nothing(site, tmp_path):
    article = "https://mp.weixin.qq.com/s/Xk2pR7mVw9LdQ3nHc5TbZA"
    captcha = ("https://mp.weixin.qq.com/mp/wappoc_appmsgcaptcha?poc_token=HPxKq2eAd3f8kLmN&target_url="
               "%2Fs%2FXk2pR7mVw9LdQ3nHc5TbZA")
    site.routes["/https/mp.weixin.qq.com/s/Xk2pR7mVw9LdQ3nHc5TbZA"] = Reply(302, b"", {"Location": captcha})
    site.serve("/https/" + captcha.split("://", 1)[1], (EXAMPLES / "wechat" / "blocked-verification.html").read_bytes())
    config = write_config(tmp_path, [{"id": "wechat", "spider": "wechat", "language": "zh", "jurisdiction": "CN",
                                      "urls": {"article_court": article}}])
    result = regwatch(config, "crawl", "-s", f"REGWATCH_MIRROR={site.base}")
    status = source_status(config, "wechat")
    assert status["status"] == "blocked", result.stdout
    assert "环境异常" in status["last_error"]["message"]
    assert queued(config) == []


def test_wechat_verification_page_served_in_place_of_the_article_is_blocked(site, tmp_path):
    site.serve("/https/mp.weixin.qq.com/s/Xk2pR7mVw9LdQ3nHc5TbZA",
               (EXAMPLES / "wechat" / "blocked-verification.html").read_bytes())
    config = write_config(tmp_path, [{"id": "wechat", "spider": "wechat",
                                      "urls": {"article": "https://mp.weixin.qq.com/s/Xk2pR7mVw9LdQ3nHc5TbZA"}}])
    regwatch(config, "crawl", "-s", f"REGWATCH_MIRROR={site.base}")
    assert source_status(config, "wechat")["status"] == "blocked"
    assert queued(config) == []


def test_gbk_page_declared_as_utf8_is_decoded_by_what_the_bytes_are():
    from crawler.parsing import parse_file
    from tests.examples_harness import FETCHED_AT, default_config

    page = EXAMPLES / "guizhou-gov" / "gbk-misdeclared-document.html"
    assert "charset=utf-8" in (EXAMPLES / "guizhou-gov" / "gbk-misdeclared-document.html.headers").read_text()
    assert b'<meta charset="utf-8">' in page.read_bytes()
    page.read_bytes().decode("gbk")  # the bytes really are GBK
    url = (EXAMPLES / "guizhou-gov" / "gbk-misdeclared-document.html.url").read_text().strip()
    [item], _ = parse_file(default_config(), "guizhou-gov", page, url, FETCHED_AT)
    assert item.title == "贵州省人民政府办公厅关于推进数据要素市场化配置改革的实施意见"
    assert item.identifiers["doc_number"] == "黔府办发〔2024〕31号"


# The page Ruishu (瑞数), the bot wall of many Chinese government sites, sends instead of the content:
# a cookie-setting bootstrap script, with HTTP 412 or 200.
RUISHU_WALL = (b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
               b'<meta id="9DhefwqGPrzGxEp9hPaoag" content="OXCAsmTbhLpSYnsNNFCdr_dEJg8DVs1eSCNe7CSNzHm8Zmz">'
               b'<script type="text/javascript" r="m">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=61793;'
               b'$_ts.cd="qEWrrrQlqGWfqqwqqWlqqqAlcAlqr1";</script>'
               b'<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.a4ae01f.js" r="m">'
               b'</script></head><body></body></html>')


@pytest.mark.parametrize("status", [412, 200])
def test_government_bot_wall_is_reported_blocked_not_parsed(site, tmp_path, status):
    listing = "https://www.miit.gov.cn/zwgk/zcwj/wjfb/tz/index.html"
    site.routes[mirror_url("", listing)] = Reply(status, RUISHU_WALL, {"Content-Type": "text/html"})
    config = write_config(tmp_path, [{"id": "miit", "spider": "miit", "language": "zh", "jurisdiction": "CN",
                                      "urls": {"listing_notices": listing}}])
    result = regwatch(config, "crawl", "-s", f"REGWATCH_MIRROR={site.base}")
    status_row = source_status(config, "miit")
    assert status_row["status"] == "blocked", result.stdout
    assert status_row["last_error"]["url"] == listing
    assert queued(config) == []


def test_gbk_listing_without_any_charset_declaration_is_decoded(site, tmp_path):
    # Short GBK pages with no declaration are guessed as Korean (cp949) by detection alone.
    courts = {"hz-internet-court"}
    served = serve_examples(site, courts)
    listing = next(e for e in served if e.case == "news-listing")
    body = listing.body.read_text(encoding="utf-8").replace(
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">', "")
    assert "charset" not in body
    site.routes[mirror_url("", listing.url)] = Reply(200, body.encode("gbk"), {"Content-Type": "text/html"})
    config = default_config_copy(tmp_path, courts)
    regwatch(config, "crawl", *mirror_settings(site))
    titles = {i["title"] for i in queued(config)}
    assert "杭州中院二审维持首例生成式AI平台“奥特曼”LoRA模型侵权案判决" in titles


def test_source_with_proxy_sends_its_requests_through_the_proxy(site, tmp_path):
    # A plain HTTP proxy gets the absolute URI in the request line; the loopback server answers it.
    listing, detail = "http://www.tc260.org.cn/portal/suggestion", "http://www.tc260.org.cn/portal/suggestion-detail/"
    site.routes[listing] = Reply(200, (EXAMPLES / "tc260" / "suggestions.html").read_bytes(),
                                 {"Content-Type": "text/html; charset=utf-8"})
    for case, page_id in (("draft-genai-security", "3bb57023c00a464faf4c2f7b9a5524c7"),
                          ("draft-ethics-guide", "9a0e1f4c6d7b4e2f8a3c5b1d2e4f6a7b")):
        site.routes[detail + page_id] = Reply(200, (EXAMPLES / "tc260" / f"{case}.html").read_bytes(),
                                              {"Content-Type": "text/html; charset=utf-8"})
    config = write_config(tmp_path, [{"id": "tc260", "spider": "tc260", "language": "zh", "jurisdiction": "CN",
                                      "proxy": site.base, "urls": {"listing_drafts": listing}}])
    result = regwatch(config, "crawl")
    assert source_status(config, "tc260")["status"] == "ok", result.stdout
    assert [r.path for r in site.requests][:1] == [listing]
    assert len(site.hits(detail + "3bb57023c00a464faf4c2f7b9a5524c7")) == 1
    assert len(queued(config)) == 2


# --- shared parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "number", "court", "procedure"), [
    ("（2024）浙01民终10332号", "（2024）浙01民终10332号", "杭州市中级人民法院", "second_instance"),
    ("(2024) 鄂0192知民初968号", "（2024）鄂0192知民初968号", "武汉东湖新技术开发区人民法院", "first_instance"),
    ("（2023）京0491民初12142号", "（2023）京0491民初12142号", "北京互联网法院", "first_instance"),
    ("（2023）最高法知民终2573号", "（2023）最高法知民终2573号", "最高人民法院", "second_instance"),
    ("（2022）沪0115民初13290号之一", "（2022）沪0115民初13290号之一", "上海市基层人民法院（沪0115）",
     "first_instance"),
    ("（2024）京民申1号", "（2024）京民申1号", "北京市高级人民法院", "retrial_review"),
    ("（2025）粤0192执456号", "（2025）粤0192执456号", "广州互联网法院", "enforcement"),
])
def test_case_numbers_give_court_and_procedure(text, number, court, procedure):
    [case] = case_numbers(f"该案案号为{text}，已审结。")
    assert (case.number, case.court, case.procedure) == (number, court, procedure)


def test_document_numbers_are_not_case_numbers():
    text = "根据国办发〔2021〕15号和法释〔2020〕17号"
    assert case_numbers(text) == []
    assert doc_numbers(text) == ["国办发〔2021〕15号", "法释〔2020〕17号"]


def test_doc_numbers_trim_the_sentence_before_the_issuing_office():
    assert doc_numbers("国务院办公厅关于印发国办发〔2024〕5号 国家互联网信息办公室令第15号") == [
        "国办发〔2024〕5号", "国家互联网信息办公室令第15号"]


def test_standard_numbers_accept_em_dash_and_practice_guides():
    assert standard_numbers("GB/T 45438—2025、GB 45438-2025、TC260-PG-20241A 和 TC260-003") == [
        "GB/T 45438-2025", "GB 45438-2025", "TC260-PG-20241A", "TC260-003"]


@pytest.mark.parametrize(("title", "doc_type"), [
    ("关于开展2025年度检查工作的通知", "notice"),
    ("人工智能生成合成内容标识办法", "rule"),
    ("关于印发《人工智能生成合成内容标识办法》的通知", "rule"),
    ("网络数据安全管理条例", "law"),
    ("数据出境安全评估办法（征求意见稿）", "proposed_rule"),
    ("关于国家标准《网络安全技术 X》征求意见稿征求意见的通知", "draft_standard"),
    ("北京市推动“人工智能+”行动计划实施方案", "guidance"),
    ("《网络安全技术 X》等3项网络安全国家标准发布", "standard"),
    ("北京互联网法院审结首例AI文生图著作权案", "judgment"),
    ("第55次《中国互联网络发展状况统计报告》", "report"),
    ("国新办举行新闻发布会", "news"),
    ("人工智能生成合成内容标识方法", "notice"),  # 方法 is not 法
    ("互联网信息服务深度合成管理规定", "rule"),
    ("关于印发《促进人工智能产业发展行动方案》的通知", "guidance"),
    ("“AI文生图”著作权侵权纠纷案一审判决书", "judgment"),
    ("最高人民法院召开新闻发布会", "news"),
    ("关于发布《网络安全技术 生成式人工智能服务安全基本要求》等3项国家标准的公告", "standard"),
])
def test_chinese_titles_map_to_doc_types(title, doc_type):
    assert cn_doc_type(title) == doc_type


def test_labelled_fields_read_padded_labels_and_next_cell_values():
    cells = ["标\u00a0\u00a0题：", "关于…的意见", "发文字号：国办发〔2026〕28号", "成文日期：", "2026年09月25日"]
    assert labelled_fields(cells) == {
        "标题": "关于…的意见", "发文字号": "国办发〔2026〕28号", "成文日期": "2026年09月25日"}


@pytest.mark.parametrize(("shown", "day"), [
    ("2025-01-07", "2025-01-07"), ("2025年1月7日", "2025-01-07"), ("2025/01/07", "2025-01-07"),
    ("发布时间：2025年01月07日 10:30", "2025-01-07"), ("发布日期：2025-01-15", "2025-01-15"),
    ("2025.01.24", "2025-01-24"), ("2025-01-17-17:40:00", "2025-01-17"), ("【发布时间】2025/1/7", "2025-01-07"),
    ("二〇二四年十二月二十日", "2024-12-20"), ("二〇二五年一月三十一日", "2025-01-31"),
])
def test_chinese_date_forms_are_read_as_calendar_days(shown, day):
    assert parse_date(shown, "Asia/Shanghai").isoformat() == day


def test_signature_date_is_the_closing_date_line_of_a_judgment():
    text = "判决如下：……\n\n审判长　王某某\n\n二〇二四年十二月二十日\n\n书记员　陈某"
    assert text_dates(text) == {"signed": "二〇二四年十二月二十日"}
    assert "signed" not in text_dates("2025年1月7日，北京互联网法院发布典型案例。\n\n（责任编辑：张某）")


def test_ai_next_to_chinese_characters_counts_for_relevance():
    from crawler.relevance import score

    assert score("北京互联网法院一审宣判全国首例AI生成声音人格权侵权案", "").terms == ["AI"]
    assert score("MAIL 与 FAIR 原则", "").terms == []
