"""The generic readers as pure functions: dates in text and URLs, the document reader, the listing
reader, what a response is, and PDF subject lines."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.errors import Unparseable
from crawler.generic import sniff
from crawler.generic.dates import find_dates, labelled_dates, short_year_date, url_date
from crawler.generic.document import read_document
from crawler.generic.listing import read_listing, same_site
from crawler.generic.pdf import document_date, document_title, written_out_date


@pytest.mark.parametrize(("text", "expected"), [
    ("发布时间：2025年1月7日 10:30", date(2025, 1, 7)),
    ("二〇二五年一月七日", date(2025, 1, 7)),
    ("Published January 7, 2025", date(2025, 1, 7)),
    ("Roma, 30 gennaio 2025", date(2025, 1, 30)),
    ("Publié le 1er octobre 2025", date(2025, 10, 1)),
    ("Veröffentlicht am 7. Januar 2025", date(2025, 1, 7)),
    ("7 de enero de 2025", date(2025, 1, 7)),
    ("Data: 30/01/2025", date(2025, 1, 30)),
])
def test_dates_are_found_in_the_languages_of_the_sources(text, expected):
    assert next(find_dates(text)).day == expected


def test_numeric_dates_read_month_first_only_on_us_pages():
    assert next(find_dates("01/07/2025", month_first=True)).day == date(2025, 1, 7)
    assert next(find_dates("01/07/2025")).day == date(2025, 7, 1)
    assert short_year_date("28/01/25") == date(2025, 1, 28)


def test_an_iso_moment_is_read_on_the_sources_calendar():
    # 00:47 UTC on the 24th is still the 23rd in Washington.
    assert next(find_dates("2025-01-24T00:47:00Z", "America/New_York")).day == date(2025, 1, 23)


def test_labelled_dates_prefer_publication_labels_over_signing_dates():
    text = "成文日期：2025年1月20日\n发布时间：2025-01-24 10:30\n"
    assert [(d.rank, d.day) for d in labelled_dates(text, "Asia/Shanghai")] == [
        (0, date(2025, 1, 24)), (2, date(2025, 1, 20))]


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.cac.gov.cn/2025-01/03/c_1737588913206354.htm", date(2025, 1, 3)),
    ("https://www.guizhou.gov.cn/zwgk/202501/t20250107_86650321.html", date(2025, 1, 7)),
    ("https://www.cnnic.net.cn/n4/2025/0117/c88-11229.html", date(2025, 1, 17)),
    ("https://www.whitehouse.gov/briefings/2025/01/07/remarks/", date(2025, 1, 7)),
    ("https://www.reuters.com/technology/eu-ai-rules-2025-01-07/", date(2025, 1, 7)),
    ("https://www.tc260.org.cn/front/postDetail.html?id=20250103165937", date(2025, 1, 3)),
    ("https://www.gov.cn/zhengce/content/202501/content_7000415.htm", None),
])
def test_dates_in_urls(url, expected):
    assert url_date(url) == expected


WORDPRESS_POST = """<!DOCTYPE html><html lang="en-US"><head>
<title>Agency Acts on AI Safety &#8211; Example Agency</title>
<meta property="og:site_name" content="Example Agency">
<meta property="og:title" content="Agency Acts on AI Safety">
<meta property="article:published_time" content="2025-01-24T03:15:00+00:00">
</head><body><header><nav><a href="/">Home</a> <a href="/news/">News</a></nav></header>
<main><article><h1 class="x1">Agency Acts on AI Safety</h1><div class="x2">January 23, 2025</div>
<div class="x3"><p>The agency today issued guidance on the safe use of artificial intelligence in federal
programs, covering testing, transparency and human oversight of automated decisions.</p>
<p>Comments are due within sixty days of publication in the Federal Register.</p></div></article></main>
<footer>Example Agency, 1 Main St.</footer></body></html>"""

TRS_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>关于印发人工智能产业发展行动方案的通知_政策文件_示例省人民政府</title>
<meta name="ArticleTitle" content="关于印发人工智能产业发展行动方案的通知">
<meta name="PubDate" content="2025-01-22 16:30">
<meta name="ContentSource" content="示例省人民政府办公厅">
</head><body><div class="a"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
<div class="b">关于印发人工智能产业发展行动方案的通知</div><div class="c">发布时间：2025-01-22 来源：办公厅</div>
<div class="d"><p>各市、自治州人民政府，省政府各部门、各直属机构：</p>
<p>《示例省人工智能产业发展行动方案》已经省人民政府同意，现印发给你们，请认真贯彻落实。</p></div></body></html>"""


def test_a_wordpress_post_gives_title_without_site_name_and_the_day_in_washington():
    document = read_document(WORDPRESS_POST, "https://agency.example/news/ai-safety/", "America/New_York",
                             month_first=True)
    assert document.title == "Agency Acts on AI Safety"
    assert document.published == date(2025, 1, 23)  # 03:15 UTC on the 24th
    assert "human oversight" in document.text and document.summary.startswith("The agency today issued")
    assert document.clues == {"title": "meta og:title", "published": "meta article:published_time"}


def test_a_chinese_government_page_is_read_from_its_cms_meta_tags():
    document = read_document(TRS_PAGE, "https://www.example.gov.cn/zwgk/202501/t20250122_1.html", "Asia/Shanghai")
    assert document.title == "关于印发人工智能产业发展行动方案的通知"
    assert document.published == date(2025, 1, 22)
    assert "现印发给你们" in document.text


def test_without_meta_tags_the_title_is_the_line_above_the_labelled_date():
    page = TRS_PAGE.replace('<meta name="ArticleTitle" content="关于印发人工智能产业发展行动方案的通知">', "")
    page = page.replace('<meta name="PubDate" content="2025-01-22 16:30">', "")
    page = page.replace("<title>关于印发人工智能产业发展行动方案的通知_政策文件_示例省人民政府</title>",
                        "<title>示例省人民政府</title>")
    document = read_document(page, "https://www.example.gov.cn/art/1.html", "Asia/Shanghai")
    assert (document.title, document.published) == ("关于印发人工智能产业发展行动方案的通知", date(2025, 1, 22))
    assert document.clues["published"] == "labelled date"


def test_title_from_json_ld_headline_and_date_beside_the_title():
    page = """<html><head><title>Newsroom | Example Corp</title><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [{"@type": "NewsArticle", "headline": "Example Corp releases
    its AI model card"}, {"@type": "WebSite", "name": "Example Corp"}]}</script></head><body>
    <h2>Example Corp releases its AI model card</h2><p>Feb 3, 2025</p><p>Long text about the model card and
    the evaluations that were run before the release, in several paragraphs of prose.</p></body></html>"""
    document = read_document(page.replace("\n    ", " "), "https://corp.example/news/model-card", "UTC")
    assert document.title == "Example Corp releases its AI model card"
    assert document.published == date(2025, 2, 3)


def test_a_soft_error_page_is_no_document():
    page = "<html><head><title>Page not found | Example</title></head><body><h1>Page not found</h1></body></html>"
    assert read_document(page, "https://agency.example/gone", "UTC") is None


LONG_TITLE = "北京市人民政府办公厅关于印发《北京市推动“人工智能+”行动计划（2024—2025年）》的通知"
LISTING = f"""<html><head><title>政策文件</title></head><body>
<nav><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/about/">关于我们</a></nav>
<div class="q1"><ul class="q2">
 <li><a href="./202501/t20250124_1.html" title="{LONG_TITLE}">{LONG_TITLE[:30]}…</a><span>2025-01-24</span></li>
 <li><a href="./202501/t20250116_2.html">北京市人民政府关于数据出境管理的决定</a><span>2025-01-16</span></li>
 <li><a href="./202501/t20250110_3.html">北京市人民政府关于加快公共数据资源开发利用的实施意见</a>
   <span>2025-01-10</span></li>
</ul><div class="q3"><a href="index_1.html">下一页</a> <a href="index_2.html">2</a></div></div>
<footer><a href="/sitemap.html">网站地图</a> 2025-01-01</footer></body></html>"""


def test_listing_entries_are_the_repeated_dated_blocks_whatever_their_classes():
    entries = read_listing(LISTING, "https://www.beijing.gov.cn/zhengce/zhengcefagui/index.html", "Asia/Shanghai")
    assert [(e.url.rsplit("/", 1)[-1], e.published) for e in entries] == [
        ("t20250124_1.html", date(2025, 1, 24)), ("t20250116_2.html", date(2025, 1, 16)),
        ("t20250110_3.html", date(2025, 1, 10))]
    assert entries[0].title == LONG_TITLE  # the title attribute, not the cut text


def test_card_links_take_their_heading_and_tag_links_are_not_entries():
    page = """<html><body><main><div>
    <div><p>04/02/2025</p><h3><a href="/docweb/1">Newsletter del 4 febbraio 2025</a></h3>
      <a href="/search/tipologia/Newsletter">Newsletter</a>
      <a href="/search/argomento/IA">Intelligenza artificiale</a></div>
    <div><p>30/01/2025</p><h3><a href="/docweb/2">Il Garante blocca DeepSeek</a></h3>
      <a href="/search/tipologia/Comunicato">Comunicato stampa</a>
      <a href="/search/argomento/IA">Intelligenza artificiale</a></div>
    </div></main></body></html>"""
    entries = read_listing(page, "https://www.garanteprivacy.it/home/ricerca", "Europe/Rome")
    assert [(e.url.rsplit("/", 2)[-2:], e.title, e.published) for e in entries] == [
        (["docweb", "1"], "Newsletter del 4 febbraio 2025", date(2025, 2, 4)),
        (["docweb", "2"], "Il Garante blocca DeepSeek", date(2025, 1, 30))]


def test_a_listing_without_dates_is_its_largest_list_of_same_path_links():
    page = """<html><body><header><nav><a href="/docs">Docs</a><a href="/blog">Blog</a></nav></header>
    <main><h1>Blog</h1><section><a href="/blog/posts/kimi-k2">Kimi K2: Open Agentic Intelligence</a>
    <a href="/blog/posts/kimi-k1-5">Kimi k1.5: Scaling Reinforcement Learning</a></section></main></body></html>"""
    entries = read_listing(page, "https://platform.moonshot.ai/blog", "Asia/Shanghai")
    assert [(e.url.rsplit("/", 1)[-1], e.published) for e in entries] == [("kimi-k2", None), ("kimi-k1-5", None)]


def test_same_site_is_the_registered_domain():
    assert same_site("https://sousuo.www.gov.cn/search", "https://www.gov.cn/zhengce/1.htm")
    assert not same_site("https://www.beijing.gov.cn/a", "https://www.gov.cn/b")


@pytest.mark.parametrize(("head", "content_type", "url", "kind"), [
    (b'<?xml version="1.0"?>\n<!-- generator --><rss version="2.0">', "", "", "feed"),
    (b'\xef\xbb\xbf<feed xmlns="http://www.w3.org/2005/Atom">', "text/html", "", "feed"),
    (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', "", "", "feed"),
    (b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">', "", "",
     "sitemap"),
    (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">', "", "", "sitemap"),
    (b'{"results": []}', "text/html", "https://x/page.html", "json"),
    (b"%PDF-1.7\n", "application/octet-stream", "https://x/doc", "pdf"),
    (b"<!DOCTYPE html><html>", "application/json", "https://x/api.json", "html"),
    (b"plain words", "application/pdf", "https://x/file", "pdf"),
])
def test_a_response_is_what_its_body_says_before_its_headers_and_url(head, content_type, url, kind):
    assert sniff.response_kind(head, content_type, url) == kind


def test_xml_declaring_entities_is_refused_before_parsing():
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><rss/>'
    with pytest.raises(Unparseable, match="entity declarations"):
        sniff.refuse_entity_declarations(bomb, "https://x/feed.xml")
    legacy = b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd"><rss/>'
    sniff.refuse_entity_declarations(legacy, "https://x/feed.xml")  # an old RSS 0.91 DOCTYPE declares none


DECREE = """N. DCCII

DECRETO DEL PRESIDENTE DEL GOVERNATORATO

recante “Linee guida in materia di intelligenza artificiale”

IL PRESIDENTE DEL GOVERNATORATO

vista la Legge sulle Fonti del diritto, 1° ottobre 2008, n. LXXI;

Art. 1

1. Le presenti Linee guida promuovono un impiego etico dell’intelligenza artificiale.

Il presente Decreto entra in vigore il 1° gennaio 2025.

Dal Palazzo del Governatorato, sedici dicembre duemilaventiquattro

Fernando Card. Vérgez Alzaga"""


def test_a_decree_pdf_is_titled_by_its_subject_and_dated_by_its_signing_line():
    assert document_title(DECREE) == ("N. DCCII - Decreto del Presidente del Governatorato recante “Linee guida in "
                                      "materia di intelligenza artificiale”")
    # not the cited law's date in the recitals, nor the entry into force
    assert document_date(DECREE, "https://www.vaticanstate.va/images/pdf/N_DCCII.pdf", "Europe/Rome") == \
        date(2024, 12, 16)
    assert written_out_date("il primo ottobre duemilaotto") == date(2008, 10, 1)


def test_chinese_and_french_pdfs_keep_the_act_date_not_deadlines_or_printing_dates():
    notice = ("工业和信息化部办公厅\n\n工信厅科〔2025〕3号\n\n关于组织开展人工智能产业创新任务揭榜挂帅工作的通知\n\n"
              "各省、自治区、直辖市工业和信息化主管部门：\n\n请于2025年3月31日前报送。\n\n工业和信息化部办公厅\n\n"
              "2025年1月7日\n\n（此件公开发布）\n\n工业和信息化部办公厅 2025年1月8日印发")
    assert document_title(notice) == "关于组织开展人工智能产业创新任务揭榜挂帅工作的通知"
    assert document_date(notice, "", "Asia/Shanghai") == date(2025, 1, 7)
    deliberation = ("Délibération n° 2024-011 du 18 janvier 2024 portant adoption d'une recommandation\n\n"
                    "La Commission nationale de l'informatique et des libertés,\n\nVu la loi du 6 janvier 1978;")
    assert document_date(deliberation, "", "Europe/Paris") == date(2024, 1, 18)


def test_a_site_name_in_og_title_and_the_logo_is_not_the_documents_title():
    page = """<html><head><title>中国互联网络信息中心</title><meta property="og:title" content="中国互联网络信息中心">
    </head><body><div><a href="/"><img src="/logo.png" alt="中国互联网络信息中心"></a></div>
    <div class="t">第55次《中国互联网络发展状况统计报告》</div><div>发布时间：2025-01-17</div>
    <div><p>报告显示，截至2024年12月，我国网民规模达11.08亿人，互联网普及率达78.6%。</p></div></body></html>"""
    document = read_document(page, "https://www.cnnic.net.cn/n4/2025/0117/c88-11229.html", "Asia/Shanghai")
    assert (document.title, document.published) == ("第55次《中国互联网络发展状况统计报告》", date(2025, 1, 17))
