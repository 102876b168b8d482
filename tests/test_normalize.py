from datetime import date

import pytest

from crawler.encoding import decode_body
from crawler.normalize import canonical_url, first_paragraph, html_to_text, parse_date
from crawler.relevance import score


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2025年1月7日", "Asia/Shanghai", date(2025, 1, 7)),
        ("发布时间：2025年01月07日 10:30", "Asia/Shanghai", date(2025, 1, 7)),
        ("2025 年 1 月 15 日", "Asia/Shanghai", date(2025, 1, 15)),
        ("2025-01-07", "UTC", date(2025, 1, 7)),
        ("2025/01/07", "Asia/Shanghai", date(2025, 1, 7)),
        ("January 7, 2025", "America/New_York", date(2025, 1, 7)),
        ("Jan. 7, 2025", "America/New_York", date(2025, 1, 7)),
        ("7 January 2025", "Europe/London", date(2025, 1, 7)),
        ("Published: September 30th, 2025", "America/New_York", date(2025, 9, 30)),
        # RFC 822 feed stamp in UTC: the evening before on the source's own (Washington) calendar
        ("Wed, 08 Jan 2025 03:30:00 +0000", "America/New_York", date(2025, 1, 7)),
        ("Wed, 08 Jan 2025 03:30:00 GMT", "UTC", date(2025, 1, 8)),
        # An ISO stamp with an offset is moved to the source's zone; a bare date is taken as is
        ("2025-01-07T20:00:00Z", "Asia/Shanghai", date(2025, 1, 8)),
        ("2025-01-20T19:30:00-05:00", "America/New_York", date(2025, 1, 20)),
        ("30 gennaio 2025", "Europe/Rome", date(2025, 1, 30)),
        ("12 février 2025", "Europe/Paris", date(2025, 2, 12)),
    ],
)
def test_parse_date_gives_the_sources_calendar_day(text, tz, expected):
    languages = ("it",) if "gennaio" in text else ("fr",) if "février" in text else ()
    assert parse_date(text, tz, languages) == expected


def test_parse_date_of_nonsense_is_none():
    assert parse_date("no date here", "UTC", ("en",)) is None
    assert parse_date("2025-02-30", "UTC") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://WWW.Example.gov/news/1?utm_source=rss&utm_medium=feed#top", "https://www.example.gov/news/1"),
        ("https://example.gov/a?b=2&a=1&fbclid=xyz", "https://example.gov/a?a=1&b=2"),
        ("https://example.gov:443/a", "https://example.gov/a"),
        ("http://example.gov", "http://example.gov/"),
        (
            "https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1&sn=abc&chksm=zz&scene=21#wechat_redirect",
            "https://mp.weixin.qq.com/s?__biz=MzA&idx=1&mid=1&sn=abc",
        ),
        ("https://example.gov/path with space", "https://example.gov/path%20with%20space"),
    ],
)
def test_canonical_url_drops_tracking_and_fragment(url, expected):
    assert canonical_url(url) == expected


def test_html_to_text_keeps_paragraphs_and_drops_scripts():
    html = "<p>First &amp; foremost.</p><script>alert(1)</script><div>Second<br>line</div>"
    assert html_to_text(html) == "First & foremost.\n\nSecond\n\nline"


def test_first_paragraph_skips_short_lines():
    text = (
        "Home\n\nJanuary 7, 2025\n\nThe Commission today adopted rules on the use of artificial intelligence in hiring."
    )
    assert first_paragraph(text).startswith("The Commission today adopted")


def test_relevance_matches_ai_as_a_whole_word_only():
    assert score("Haiti aid said", "Email the maintainer").terms == []
    result = score("New AI rules", "Rules on generative models and 人工智能 and 深度合成.")
    assert result.terms == ["AI", "generative", "人工智能", "深度合成"]
    assert 0.9 < result.score < 1.0


def test_relevance_title_counts_twice():
    assert score("Algorithm notice", "").score > score("Notice", "about an algorithm").score


def test_gbk_page_declared_as_utf8_is_decoded():
    page = '<html><meta charset="utf-8"><title>生成式人工智能服务管理暂行办法</title></html>'
    text, encoding = decode_body(page.encode("gbk"), "utf-8")
    assert "生成式人工智能服务管理暂行办法" in text and encoding == "gb18030"


def test_gb2312_declared_page_with_gbk_only_characters_is_decoded():
    page = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><p>（2024）浙01民终10332号 镕</p>'
    text, _ = decode_body(page.encode("gbk"), None)
    assert "镕" in text


def test_windows_1252_bill_text_declared_latin1_is_decoded():
    text, _ = decode_body("An Act concerning “artificial intelligence” – §1".encode("cp1252"), "iso-8859-1")
    assert "“artificial intelligence” – §1" in text
