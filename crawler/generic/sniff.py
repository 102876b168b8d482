"""What a response is, read from its body first, then its Content-Type, then its URL: a feed
(RSS, Atom, RDF), a sitemap (urlset, sitemapindex, news sitemap), other XML, JSON, PDF, HTML or
plain text. And the XML Regwatch refuses to parse: documents that declare entities."""

from __future__ import annotations

import re

from crawler.errors import Unparseable

FEED, SITEMAP, XML, JSON, PDF, HTML, TEXT, OTHER = "feed", "sitemap", "xml", "json", "pdf", "html", "text", "other"
XML_KINDS = (FEED, SITEMAP, XML)
_SNIFF_BYTES = 4096
_LEADING = b"\xef\xbb\xbf \t\r\n"
_COMMENTS = re.compile(rb"<!--.*?-->", re.S)
_ROOT = re.compile(rb"<(?![?!/])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ROOT_KINDS = {b"rss": FEED, b"feed": FEED, b"rdf": FEED, b"urlset": SITEMAP, b"sitemapindex": SITEMAP,
               b"html": HTML}
_CONTENT_TYPES = (
    (re.compile(r"(rss|atom|rdf)\+xml", re.I), FEED), (re.compile(r"json", re.I), JSON),
    (re.compile(r"pdf", re.I), PDF), (re.compile(r"html", re.I), HTML), (re.compile(r"xml", re.I), XML),
    (re.compile(r"^text/", re.I), TEXT),
)
_EXTENSIONS = ((re.compile(r"\.pdf$", re.I), PDF), (re.compile(r"\.json$", re.I), JSON),
               (re.compile(r"\.(rss|atom)$|/feed/?$", re.I), FEED), (re.compile(r"sitemap[^/]*\.xml$", re.I), SITEMAP),
               (re.compile(r"\.xml$", re.I), XML), (re.compile(r"\.s?html?$", re.I), HTML))


def response_kind(body: bytes, content_type: str = "", url: str = "") -> str:
    """feed | sitemap | xml | json | pdf | html | text | other."""
    head = body[:_SNIFF_BYTES].lstrip(_LEADING)
    if head.startswith(b"%PDF-"):
        return PDF
    if head[:1] in (b"{", b"["):
        return JSON
    if head.startswith(b"<"):
        root = xml_root(head)
        if root in _ROOT_KINDS:
            return _ROOT_KINDS[root]
        if head[:200].lower().startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<p")):
            return HTML
        if head.startswith(b"<?xml") and root:
            return XML
    for pattern, kind in _CONTENT_TYPES:
        if content_type and pattern.search(content_type):
            return kind
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pattern, kind in _EXTENSIONS:
        if pattern.search(path):
            return kind
    return HTML if head.startswith(b"<") else TEXT if _is_text(head) else OTHER


def xml_root(head: bytes) -> bytes | None:
    """The lower-cased local name of the first element (past the declaration, comments, DOCTYPE)."""
    prolog = _COMMENTS.sub(b"", head)
    prolog = re.sub(rb"<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", b"", prolog, flags=re.S | re.I)
    match = _ROOT.search(prolog)
    return match.group(1).lower() if match else None


def refuse_entity_declarations(body: bytes, url: str) -> None:
    """XML that declares entities (billion laughs, external entities) is refused before any parser
    sees it: no feed, sitemap or XML API the sources use needs them."""
    head = body[:64 * 1024]
    doctype = _DOCTYPE.search(head)
    if doctype and _ENTITY_DECLARATION.search(head, doctype.start()):
        raise Unparseable("XML with entity declarations (<!ENTITY …>) refused: a document that needs "
                          "them is not a feed, sitemap or API answer, and expanding them is an attack", url=url)


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return b"\x00" not in head[:512]
    return True
