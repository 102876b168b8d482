"""What every HTML page carries whatever its classes are called: meta tags, JSON-LD, headings,
`<time>` elements and its visible text. Shared by the generic document and listing readers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import lxml.html
from lxml import etree

from crawler.normalize import clean_line

# Elements whose text is never the document's.
_NOISE = ("script", "style", "noscript", "template", "select", "option", "svg", "iframe", "button")
_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "section",
           "article", "header", "footer", "main", "blockquote", "table", "ul", "ol", "dd", "dt", "time")


def parse_html(html: str | bytes) -> lxml.html.HtmlElement | None:
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    noise = [element for element in root.iter(*_NOISE)
             if element.tag != "script" or element.get("type") != "application/ld+json"]
    for element in noise:
        if element.getparent() is not None:
            element.drop_tree()
    return root


def meta(root: lxml.html.HtmlElement, *names: str) -> str:
    """The first non-empty <meta name|property|itemprop=…> content among names (any case)."""
    wanted = [name.lower() for name in names]
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        content = clean_line(element.get("content"))
        if key in wanted and content and key not in found:
            found[key] = content
    return next((found[name] for name in wanted if name in found), "")


def json_ld(root: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """The JSON-LD objects of a page, @graph members flattened."""
    objects: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if script.get("type") != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        objects.extend(_flatten(data))
    return objects


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        yield data
        yield from _flatten(data.get("@graph"))


def text_of(element: lxml.html.HtmlElement) -> str:
    """All text under an element on one line, a space between elements (as a browser lays out
    "<div>Product</div><h3>Title</h3>")."""
    return clean_line(" ".join(element.itertext()))


def page_text(element: lxml.html.HtmlElement) -> str:
    """The visible text of an element, a line per block, ld+json scripts left out."""
    lines: list[str] = []
    current: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        if not isinstance(node.tag, str) or node.tag == "script":
            current.append(node.tail or "")
            return
        block = node.tag in _BLOCKS
        if block:
            lines.append("".join(current))
            current.clear()
        current.append(node.text or "")
        for child in node:
            walk(child)
        if block:
            lines.append("".join(current))
            current.clear()
        current.append(node.tail or "")

    walk(element)
    lines.append("".join(current))
    return "\n".join(line for line in (clean_line(line) for line in lines) if line)


def in_chrome(element: lxml.html.HtmlElement) -> bool:
    """Inside the site's navigation, header band or footer (by tag or ARIA role, not by class)."""
    for ancestor in element.iterancestors():
        role = (ancestor.get("role") or "").lower()
        if ancestor.tag in ("nav", "footer", "aside") or role in ("navigation", "contentinfo", "banner", "menu"):
            return True
        if ancestor.tag == "header" and not any(a.tag in ("article", "main") for a in ancestor.iterancestors()):
            return True
    return False


_SEPARATORS = re.compile(r"\s+[|｜–—-]\s+|\s*[_｜|]\s*|\s+::\s+|\s*－\s*|\s*--\s*|\s+·\s+")


def title_parts(title: str) -> list[str]:
    return [part for part in (clean_line(p) for p in _SEPARATORS.split(title)) if part]
