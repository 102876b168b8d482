"""The generic listing reader: the entries of a listing page found without its classes, as the
page's repeated blocks that each link to a document page on the same site with a date near the
link. Used when a source's entry selector finds nothing.

A list is a run of same-tag siblings (<li>s, table rows, cards) that each hold a link to a
document of the site; the innermost such lists whose blocks mostly show a date are the listing.
In a block, the title link is the one in a heading, else the one with the longest text (a card's
tag and category links are shorter). A listing that shows no dates is read from its largest list
whose links share a path. Navigation, header bands and footers count only when nothing else does
(a documentation site's news list is its sidebar).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from crawler.generic.dates import find_dates, url_date
from crawler.generic.page import in_chrome, parse_html, text_of

LinkReader = Callable[[lxml.html.HtmlElement], str | None]
_VAGUE_LINK_TEXT = re.compile(r"^(?:阅读全文|查看详情|详情|详细|更多|全文|查看|点击查看|read more|more|learn more|"
                              r"continue reading|details|view|»|›|>+|\.\.\.|…)$", re.I)
_PAGINATION = re.compile(r"^(?:\d{1,3}|下一页|上一页|首页|尾页|末页|next|previous|prev|last|first|‹|›|«|»)$", re.I)
_NOT_DOCUMENTS = re.compile(r"^(?:javascript:|mailto:|tel:|#)|\.(?:jpg|jpeg|png|gif|css|js|zip|rar)$", re.I)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
MIN_TITLE_CHARS = 6
MIN_UNDATED_LIST = 2
_SINGLE_BLOCK_DEPTH = 4  # levels above a link its date may be, in a listing of one


@dataclass(frozen=True)
class ListingEntry:
    url: str
    title: str
    published: date | None
    shown: str  # the block's text: what a source may read more from (a document number, a type)


@dataclass
class _List:
    container: lxml.html.HtmlElement
    entries: list[ListingEntry]
    chrome: bool

    @property
    def dated(self) -> bool:
        return sum(e.published is not None for e in self.entries) * 2 >= len(self.entries)


def read_listing(html: str, url: str, tz: str = "UTC", month_first: bool = False,
                 link_of: LinkReader | None = None) -> list[ListingEntry]:
    """The listing's entries in page order; [] when the page shows none."""
    root = parse_html(html)
    if root is None:
        return []
    links = _document_links(root, url, link_of)
    every = _lists(links, tz, month_first)
    lists = _innermost([found for found in every if len(found.entries) >= 2])
    for allow_chrome in (False, True):
        usable = [found for found in lists if allow_chrome or not found.chrome]
        chosen = [found for found in usable if found.dated]
        if chosen:  # a list of one beside lists of the same shape (a year's archive holding one issue)
            shapes = {_path(found.container) for found in chosen}
            chosen += [found for found in every if len(found.entries) == 1 and found.dated
                       and _path(found.container) in shapes and found not in chosen]
        else:
            chosen = _dated_singles(links, tz, month_first, allow_chrome)
        if not chosen:
            undated = [found for found in usable if len(found.entries) >= MIN_UNDATED_LIST and _shared_path(found)]
            chosen = [max(undated, key=lambda f: len(f.entries))] if undated else []
        if chosen:
            return _in_page_order(chosen, links)
    return []


def _document_links(root: lxml.html.HtmlElement, page_url: str,
                    link_of: LinkReader | None) -> dict[lxml.html.HtmlElement, str]:
    """Links to other pages of the same site (a source's link_of reads links that are not hrefs)."""
    page = urldefrag(page_url).url
    found = {}
    for link in root.iter("a"):
        href = (link_of(link) if link_of else None) or (link.get("href") or "").strip()
        if not href or _NOT_DOCUMENTS.search(href):
            continue
        target = urldefrag(urljoin(page_url, href)).url
        if target == page or not target.startswith(("http://", "https://")) or not same_site(target, page_url):
            continue
        if _PAGINATION.match(text_of(link)) or _is_ancestor_path(target, page_url):
            continue
        found[link] = target
    return found


def _lists(links: dict[lxml.html.HtmlElement, str], tz: str, month_first: bool) -> list[_List]:
    """Every run of same-tag siblings holding document links, with each block read as an entry."""
    blocks: dict[tuple[lxml.html.HtmlElement, str], dict[lxml.html.HtmlElement, list]] = defaultdict(dict)
    for link in links:
        child = link
        for parent in link.iterancestors():
            blocks[(parent, child.tag)].setdefault(child, []).append(link)
            child = parent
    found = []
    for (container, _tag), members in blocks.items():
        entries = [entry for block, block_links in members.items()
                   if (entry := _entry(block, block_links, links, tz, month_first)) is not None]
        if entries:
            found.append(_List(container, entries, in_chrome(container) or container.tag in ("nav", "footer", "aside")))
    return found


def _innermost(lists: list[_List]) -> list[_List]:
    """A list whose blocks hold another dated list (sections of a page, each a list) gives way to it."""
    inner = {found.container for found in lists if sum(e.published is not None for e in found.entries) >= 2}
    return [found for found in lists
            if not any(container is not found.container and found.container in set(container.iterancestors())
                       for container in inner)]


def _dated_singles(links: dict[lxml.html.HtmlElement, str], tz: str, month_first: bool,
                   allow_chrome: bool) -> list[_List]:
    """A listing of one entry: the nearest ancestor of a link that shows a date is its block."""
    blocks: dict[lxml.html.HtmlElement, list[lxml.html.HtmlElement]] = defaultdict(list)
    for link in links:
        if not allow_chrome and in_chrome(link):
            continue
        for depth, ancestor in enumerate(link.iterancestors()):
            if depth >= _SINGLE_BLOCK_DEPTH or ancestor.tag in ("body", "main", "html"):
                break
            if next(find_dates(text_of(ancestor), tz, month_first), None):
                blocks[ancestor].append(link)
                break
    found = []
    for block, block_links in blocks.items():
        entry = _entry(block, block_links, links, tz, month_first)
        if entry is not None and entry.published is not None:
            found.append(_List(block, [entry], False))
    return found


def _path(element: lxml.html.HtmlElement) -> str:
    return "/".join(reversed([element.tag] + [a.tag for a in element.iterancestors()]))


def _entry(block: lxml.html.HtmlElement, block_links: list[lxml.html.HtmlElement],
           links: dict[lxml.html.HtmlElement, str], tz: str, month_first: bool) -> ListingEntry | None:
    link = max(block_links, key=lambda a: (_in_heading(a, block), len(_title(a, block))))
    title = _title(link, block)
    if len(title) < MIN_TITLE_CHARS:
        return None
    shown = text_of(block)
    published = _block_date(block, shown, title, tz, month_first) or url_date(links[link])
    return ListingEntry(links[link], title, published, shown)


def _in_heading(link: lxml.html.HtmlElement, block: lxml.html.HtmlElement) -> bool:
    inside = next(link.iter(*_HEADINGS), None) is not None
    for ancestor in link.iterancestors():
        if ancestor.tag in _HEADINGS:
            return True
        if ancestor is block:
            break
    return inside


def _title(link: lxml.html.HtmlElement, block: lxml.html.HtmlElement) -> str:
    """A card-link's heading; else the link's title attribute when it is the longer (lists cut
    long titles), else its text; a vague link ("阅读全文") takes the block's heading."""
    heading = next((text_of(h) for h in link.iter(*_HEADINGS) if text_of(h)), "")
    if heading:
        return heading
    text = _text_without_dates(link)
    attribute = " ".join((link.get("title") or "").split())
    if len(attribute) > len(text) or (attribute and text.endswith(("...", "…"))):
        text = attribute
    if not text or _VAGUE_LINK_TEXT.match(text):
        text = next((text_of(h) for h in block.iter(*_HEADINGS, "strong", "b") if text_of(h)), text)
    return text


def _text_without_dates(link: lxml.html.HtmlElement) -> str:
    """A link's text less a date shown at its start or end ("DeepSeek-R1 发布 2025/01/20"), but not a
    date that is part of the title ("Provvedimento del 30 gennaio 2025", "Legge …, 13 maggio 2023")."""
    text = text_of(link)
    for time in link.iter("time"):
        if shown := text_of(time):
            text = text.replace(shown, " ")
    dates = list(find_dates(text))
    if dates and dates[0].at == 0:
        text = text[dates[0].end:]
    elif dates and dates[-1].end >= len(text.rstrip(" )]）")):
        before, after = text[:dates[-1].at], text[dates[-1].end:]
        bracketed = before.rstrip().endswith(("(", "（", "[")) and after.strip() in (")", "）", "]")
        if bracketed:
            text = before.rstrip()[:-1]
        elif not _JOINS_DATE.search(before):
            text = before
    return " ".join(text.strip(" -–—|·").split())


# A date after these words belongs to the title: "del 30 gennaio 2025", "of 5 February 2025", "…, 2025".
_JOINS_DATE = re.compile(r"(?:,|\b(?:del|dell'|della|dal|of|on|from|dated|du|de|le|di|vom|am|des|den))\s*$|[于至]\s*$",
                         re.I)


def _block_date(block: lxml.html.HtmlElement, shown: str, title: str, tz: str, month_first: bool) -> date | None:
    for time in block.iter("time"):
        found = next(find_dates(time.get("datetime") or text_of(time), tz, month_first), None)
        if found:
            return found.day
    # A date in the title ("Provvedimento del 30 gennaio 2025") counts only when the block shows no other.
    rest = shown.replace(title, " ") if title in shown else shown
    found = next(find_dates(rest, tz, month_first), None) or next(find_dates(shown, tz, month_first), None)
    return found.day if found else None


def _shared_path(found: _List) -> bool:
    """Document links of one list share the first segment of their path (/news/…, /articles/…)."""
    firsts = {urlsplit(e.url).path.strip("/").split("/")[0] for e in found.entries}
    return len(firsts) == 1


def _in_page_order(chosen: list[_List], links: dict[lxml.html.HtmlElement, str]) -> list[ListingEntry]:
    order: dict[str, int] = {}
    for index, url in enumerate(links.values()):
        order.setdefault(url, index)
    entries: dict[str, ListingEntry] = {}
    for found in chosen:
        for entry in found.entries:
            entries.setdefault(entry.url, entry)
    return sorted(entries.values(), key=lambda e: order.get(e.url, 0))


def _is_ancestor_path(target: str, page_url: str) -> bool:
    """A link up the page's own path (a section's home) is navigation, not a document."""
    target_path = urlsplit(target).path.rstrip("/")
    page_path = urlsplit(page_url).path.rstrip("/")
    return bool(target_path) and page_path.startswith(target_path + "/") and not urlsplit(target).query


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the bundled list: no network


@lru_cache(maxsize=4096)
def site_of(url: str) -> str:
    """The registered domain: www.gov.cn and sousuo.www.gov.cn are one site, beijing.gov.cn another."""
    host = urlsplit(url).hostname or ""
    parts = _extractor()(host)
    return ".".join(p for p in (parts.domain, parts.suffix) if p) or host


def same_site(url: str, other: str) -> bool:
    return site_of(url) == site_of(other)
