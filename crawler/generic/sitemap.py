"""Sitemaps (sitemaps.org urlset and sitemapindex, with Google News and image extensions) read
with a parser that resolves no entities and fetches nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from crawler.errors import Unparseable
from crawler.normalize import clean_line, parse_date

NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
                   "recover": True, "remove_comments": True}


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: date | None = None
    title: str = ""               # news:title
    published: date | None = None  # news:publication_date
    language: str | None = None   # news:language


@dataclass(frozen=True)
class Sitemap:
    is_index: bool                 # a sitemapindex: entries are other sitemaps
    entries: list[SitemapEntry]


def read_sitemap(body: bytes, url: str, tz: str = "UTC") -> Sitemap:
    try:
        root = etree.fromstring(body, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as error:
        raise Unparseable(f"sitemap is not XML ({error})", url=url) from error
    if root is None or etree.QName(root).localname not in ("urlset", "sitemapindex"):
        raise Unparseable("not a sitemap (no urlset or sitemapindex)", url=url)
    is_index = etree.QName(root).localname == "sitemapindex"
    entries = []
    for node in root:
        if not isinstance(node.tag, str) or etree.QName(node).localname not in ("url", "sitemap"):
            continue
        loc = clean_line(_child_text(node, "loc"))
        if loc:
            entries.append(_entry(node, loc, tz))
    return Sitemap(is_index, entries)


def _entry(node: etree._Element, loc: str, tz: str) -> SitemapEntry:
    news = next((child for child in node if isinstance(child.tag, str) and etree.QName(child).localname == "news"),
                None)
    lastmod = parse_date(_child_text(node, "lastmod"), tz)
    if news is None:
        return SitemapEntry(loc, lastmod)
    publication = next((c for c in news if isinstance(c.tag, str) and etree.QName(c).localname == "publication"),
                       None)
    language = _child_text(publication, "language") if publication is not None else ""
    return SitemapEntry(loc, lastmod, clean_line(_child_text(news, "title")),
                        parse_date(_child_text(news, "publication_date"), tz), language or None)


def _child_text(node: etree._Element | None, name: str) -> str:
    if node is None:
        return ""
    for child in node:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return "".join(child.itertext())
    return ""
