"""The generic document reader: title, publication date, text and summary of any HTML document
page from what every page carries, not from a site's classes. Used when a source's own selectors
find nothing, and for document pages of sources that read only feeds or APIs.

Title: og:title, twitter:title, JSON-LD headline, the meta tags of Chinese government CMSs
(ArticleTitle), Dublin Core, then the page's h1, then <title> less the site's name.
Date: article:published_time, JSON-LD datePublished and the CMS meta tags (PubDate,
firstpublishedtime, publishdate …); a <time datetime> near the title; a labelled date in the text
(发布时间：, Published, Data …); a date next to the title; the URL; htmldate on the markup.
Moments with an offset are read on the source's calendar. Text: trafilatura.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import lxml.html

from crawler.generic.dates import first_date, labelled_dates, short_year_date, url_date
from crawler.generic.page import in_chrome, json_ld, meta, page_text, parse_html, text_of, title_parts
from crawler.normalize import clean_line, clean_text, first_paragraph, parse_date

# eli: the European Legislation Identifier's metadata (EUR-Lex, Légifrance, national gazettes).
TITLE_METAS = ("og:title", "twitter:title", "ArticleTitle", "dc.title", "dcterms.title", "citation_title",
               "eli:title")
DATE_METAS = (
    "article:published_time", "og:article:published_time", "eli:date_publication", "PubDate",
    "firstpublishedtime", "publishdate",
    "pubdate", "publish_date", "publish-date", "publication_date", "datePublished", "dc.date.issued",
    "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "citation_publication_date", "citation_date",
    "parsely-pub-date", "sailthru.date", "published_time", "release_date", "date", "DC.Date.Created",
)
SITE_METAS = ("og:site_name", "application-name", "SiteName", "twitter:site", "apple-mobile-web-app-title")
_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "blogposting", "legislation", "report",
                  "govermentservice", "pressrelease", "scholarlyarticle", "techarticle", "webpage")
# A soft error page (HTTP 200 with "not found") is no document.
_ERROR_TITLE = re.compile(r"^(?:40\d|50\d)\b|page not found|not found|页面不存在|找不到|无法找到|出错了|系统维护|"
                          r"pagina non trovata|page introuvable|access denied|service unavailable|"
                          r"temporarily unavailable|under maintenance|bad gateway|internal server error", re.I)
_NEAR_LINES = 6  # lines after the title a date shown beside it may be on
_DATE_LINE_CHARS = 90  # longer lines are prose, whose dates are not the publication's


@dataclass(frozen=True)
class GenericDocument:
    title: str
    published: date | None
    text: str
    summary: str
    clues: dict[str, str] = field(default_factory=dict)  # which clue gave each field


def read_document(html: str, url: str, tz: str = "UTC", month_first: bool = False,
                  dated_url: Callable[[str], date | None] = url_date) -> GenericDocument | None:
    """The document a page shows; None when it shows no title (or is an error page). dated_url reads
    the publication date a source's URLs carry (the shared patterns by default)."""
    root = parse_html(html)
    if root is None:
        return None
    clues: dict[str, str] = {}
    visible = page_text(root.body) if root.find("body") is not None else page_text(root)
    title, clues["title"] = choose_title(root, url, visible, tz)
    if not title or _ERROR_TITLE.search(title):
        return None
    published, clues["published"] = choose_date(root, url, title, visible, tz, month_first, dated_url)
    text = _without_heading(main_text(html, url) or _fallback_text(visible, title), title)
    description = meta(root, "og:description", "description", "dc.description", "twitter:description")
    summary = description if _describes(description, title, site_names(root, url)) else first_paragraph(text)
    return GenericDocument(title, published, text, summary, clues)


_SITE_WORDS = re.compile(r"official website|official site|home page|门户网站|官方网站|官网|网站首页", re.I)


def _describes(description: str, title: str, names: set[str]) -> bool:
    """A page's meta description is its summary when it says more than the title and is not the
    site's own blurb (repeated on every page)."""
    if len(description) < 40 or _SITE_WORDS.search(description):
        return False
    squashed, squashed_title = _squash(description), _squash(title)
    if squashed_title and (squashed in squashed_title or squashed_title in squashed and
                           len(squashed) < len(squashed_title) * 1.3):
        return False
    return not any(len(name) > 2 and squashed.startswith(name) for name in names)


# --- title -------------------------------------------------------------------------------------


_HOME_LINKS = re.compile(r"^(?:https?://[^/]+)?(?:\.{0,2}/)+(?:index\.s?html?)?$|^https?://[^/]+$", re.I)


def site_names(root: lxml.html.HtmlElement, url: str) -> set[str]:
    """The site's own name, as its meta tags, JSON-LD and home-link logo (its alt text) give it."""
    names = {meta(root, name) for name in SITE_METAS}
    for link in root.iter("a"):
        if _HOME_LINKS.match((link.get("href") or "").strip()):
            names.update(img.get("alt") or "" for img in link.iter("img"))
    for entry in json_ld(root):
        kind = str(entry.get("@type", "")).lower()
        if kind in ("website", "organization", "governmentorganization"):
            names.add(str(entry.get("name") or ""))
        publisher = entry.get("publisher")
        if isinstance(publisher, dict):
            names.add(str(publisher.get("name") or ""))
    return {_squash(name) for name in names if name}


def _squash(text: str) -> str:
    return re.sub(r"[\s@.\-_'’]", "", text.lower())


def _brand(url: str) -> str:
    """The host's own name: www.whitehouse.gov -> whitehouse."""
    host = re.sub(r"^https?://", "", url).split("/", 1)[0].split(":", 1)[0].lower()
    labels = [label for label in host.split(".") if label not in ("www", "gov", "com", "org", "net", "cn", "uk",
                                                                   "it", "fr", "eu", "int", "co", "edu", "va")]
    return labels[-1] if labels else host


def strip_site_name(title: str, names: set[str], url: str) -> str:
    """The title without the site's (and section's) name before or after it."""
    parts = title_parts(title)
    if len(parts) < 2:
        return clean_line(title)
    brand = _brand(url)

    def is_site(part: str) -> bool:
        squashed = _squash(part)
        return (any(squashed and (squashed in name or name in squashed) for name in names if len(name) > 2)
                or (len(brand) > 3 and brand in squashed))

    if "_" in title and re.search(r"[\u4e00-\u9fff]", title):
        return parts[0]  # TRS and similar: 标题_栏目_网站
    kept = list(parts)
    while len(kept) > 1 and is_site(kept[-1]):
        kept.pop()
    while len(kept) > 1 and is_site(kept[0]):
        kept.pop(0)
    if len(kept) == len(parts):
        return clean_line(title)  # no part is the site's: keep the whole (a title may hold a dash)
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return clean_line(title[start:end]) if 0 <= start < end else " ".join(kept)


def _headline(root: lxml.html.HtmlElement) -> str:
    for entry in json_ld(root):
        kind = entry.get("@type", "")
        kinds = [str(k).lower() for k in (kind if isinstance(kind, list) else [kind])]
        if any(k in _ARTICLE_TYPES for k in kinds):
            value = entry.get("headline") or (entry.get("name") if "webpage" not in kinds else "")
            if isinstance(value, str) and value.strip():
                return clean_line(value)
    return ""


def headings(root: lxml.html.HtmlElement, tag: str = "h1") -> list[str]:
    found = [text_of(h) for h in root.iter(tag) if not in_chrome(h)]
    return [text for text in found if len(text) >= 2]


def choose_title(root: lxml.html.HtmlElement, url: str, visible: str = "", tz: str = "UTC") -> tuple[str, str]:
    names = site_names(root, url)
    page_title = clean_line(root.findtext(".//title") or "")
    h1s = [h for h in headings(root) if _squash(h) not in names]
    candidates = [(meta(root, name), f"meta {name}") for name in TITLE_METAS[:2]]
    candidates.insert(2, (_headline(root), "json-ld headline"))
    candidates += [(meta(root, name), f"meta {name}") for name in TITLE_METAS[2:]]
    for value, clue in candidates:
        stripped = strip_site_name(value, names, url) if value else ""
        if len(stripped) < 4 or _squash(stripped) in names:
            continue
        shown = next((h for h in h1s if h in stripped or stripped in h), None)
        if shown is None and h1s and len(stripped) < 16 and len(h1s[0]) > len(stripped):
            continue  # a section's name ("Press release"), not the document's
        return stripped, clue
    in_title = [h for h in h1s if page_title and (h in page_title or _squash(h) in _squash(page_title))]
    if in_title or h1s:
        return (in_title or h1s)[0], "h1"
    above = _line_above_date(visible, tz)
    if above and above in [h for tag in ("h2", "h3", "h4", "h5") for h in headings(root, tag)]:
        return above, "heading above the date"
    stripped = strip_site_name(page_title, names, url)
    shown = [h for tag in ("h2", "h3") for h in headings(root, tag) if stripped and h in stripped]
    if shown:
        return max(shown, key=len), "heading in the title"
    if stripped and _squash(stripped) not in names and stripped in visible:
        return stripped, "title"
    parts = [p for p in title_parts(page_title) if len(p) >= 6 and p in visible and _squash(p) not in names]
    if parts:
        return max(parts, key=len), "title"
    return (above or stripped), "line above the date"


_BREADCRUMB = re.compile(r"[>›»]|首页|当前位置|您的位置|所在位置|Home\b", re.I)
_FIELD_LINE = re.compile(r"^[^\s：:]{1,8}[：:]")  # 来源：… 作者：… (a metadata line, not a title)


def _line_above_date(visible: str, tz: str) -> str:
    """Many Chinese government pages set the title as a line of its own above the date line."""
    lines = visible.split("\n")
    index = next((i for i, line in enumerate(lines) if len(line) <= 60 and first_date(line, tz)), None)
    if index is None:
        return ""
    for above in reversed(lines[max(0, index - 4):index]):
        above = above.strip()
        if (6 <= len(above) <= 200 and not _BREADCRUMB.search(above) and not _FIELD_LINE.match(above)
                and not first_date(above, tz)):
            return above
    return ""


# --- date --------------------------------------------------------------------------------------


def _read_date(value: str | None, tz: str, month_first: bool) -> date | None:
    """A date attribute's value: ISO moments on the source's calendar, numeric dates in the page's order."""
    if not value:
        return None
    if not re.search(r"\d{4}", value):
        return short_year_date(value, month_first)
    return first_date(value, tz, month_first) or parse_date(value, tz)


def _meta_date(root: lxml.html.HtmlElement, tz: str, month_first: bool) -> tuple[date | None, str]:
    for name in DATE_METAS:
        value = meta(root, name)
        found = _read_date(value, tz, month_first) if value and re.search(r"\d{4}", value) else None
        if found:
            return found, f"meta {name}"
    for entry in json_ld(root):
        for key in ("datePublished", "dateCreated", "uploadDate"):
            value = entry.get(key)
            found = _read_date(value, tz, month_first) if isinstance(value, str) else None
            if found:
                return found, f"json-ld {key}"
    return None, ""


# <time>, schema.org microdata and RDFa (Drupal, Liferay) dates: attributes themes rarely rename.
_DATED_ELEMENTS = ("//time[@datetime] | //*[@itemprop='datePublished'] | //*[@property='dc:date'] | "
                   "//*[@property='dc:created'] | //*[@property='dcterms:date'] | //*[@property='schema:datePublished']"
                   " | //*[@property='article:published_time']")


def _time_element(root: lxml.html.HtmlElement, tz: str, month_first: bool) -> tuple[date | None, str]:
    """The first <time datetime> (or microdata / RDFa publication date) outside the site's chrome."""
    for element in root.xpath(_DATED_ELEMENTS):
        if in_chrome(element):
            continue
        value = element.get("datetime") or element.get("content") or text_of(element)
        found = _read_date(value, tz, month_first)
        if found:
            return found, "time element"
    return None, ""


def choose_date(root: lxml.html.HtmlElement, url: str, title: str, visible: str, tz: str, month_first: bool,
                dated_url: Callable[[str], date | None] = url_date) -> tuple[date | None, str]:
    for reader in (_meta_date, _time_element):
        found, clue = reader(root, tz, month_first)
        if found:
            return found, clue
    at = _title_position(visible, title)
    labelled = labelled_dates(visible, tz, month_first)
    after_title = [d for d in labelled if d.at >= at]
    if after_title or labelled:
        best = min(after_title or labelled, key=lambda d: (d.rank, d.at))
        return best.day, "labelled date"
    if found := dated_url(url):
        return found, "url"
    if found := _date_line_near(visible, at, title, tz, month_first):
        return found, "date beside the title"
    return _htmldate(root), "htmldate"


def _date_line_near(visible: str, at: int, title: str, tz: str, month_first: bool) -> date | None:
    """A date on a short line (a dateline or byline, not prose) just after the title, else just before."""
    if at < 0:
        return None
    lines_after = visible[at + len(title):].split("\n")[:_NEAR_LINES]
    lines_before = visible[:at].split("\n")[-3:]
    for line in lines_after + list(reversed(lines_before)):
        if len(line) <= _DATE_LINE_CHARS and (found := first_date(line, tz, month_first)):
            return found
        if len(line) <= 10 and (found := short_year_date(line, month_first)):  # a line that is only "28/01/25"
            return found
    return None


def _title_position(visible: str, title: str) -> int:
    at = visible.find(title[:40])
    return at if at >= 0 else visible.find(title[:12]) if len(title) >= 12 else -1


def _htmldate(root: lxml.html.HtmlElement) -> date | None:
    """htmldate on the markup alone (no guessing from loose text): attributes, abbr, date classes."""
    from htmldate import find_date

    try:
        found = find_date(root, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError):
        return None
    return first_date(found) if found else None


# --- text --------------------------------------------------------------------------------------


def main_text(html: str, url: str) -> str:
    import trafilatura  # heavy; only pages read generically need it

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True, favor_recall=True,
                               deduplicate=False, with_metadata=False)
    return clean_text(text or "")


def _without_heading(text: str, title: str) -> str:
    """The body in paragraphs (trafilatura gives a line each), less the title and date lines it
    repeats at the top."""
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    while paragraphs and _is_heading_line(paragraphs[0], title):
        paragraphs.pop(0)
    # The title repeated as a line of the body's top (a centred title line): the text starts after
    # it, and what stands before it is the page's metadata table or banner.
    repeats = [i for i, p in enumerate(paragraphs[:_HEAD_LINES]) if _squash(p) == _squash(title)]
    return "\n\n".join(paragraphs[repeats[-1] + 1:] if repeats else paragraphs)


_HEAD_LINES = 12
_FIELD_VALUE = re.compile(r"^[^\s：:]{1,8}[：:]\s*\S")  # 来源：国务院办公厅, 索引号：000014349/2025-00012


def _is_heading_line(line: str, title: str) -> bool:
    """The title, a date line, a kicker (解读, News), a "- Type" / "- Date" field or a labelled
    metadata value (来源：…, 作者：…) above the text."""
    if line == title or len(line) <= 40 and first_date(line) or len(line) <= 60 and _FIELD_VALUE.match(line):
        return True
    # Not a salutation (各有关单位：) or a document number line (国办发〔2025〕1号): those are the text's.
    return len(line) <= 24 and not re.search(r"[.。:：,，;；!?！？\d]", line.removeprefix("- "))


def _fallback_text(visible: str, title: str) -> str:
    """The page's text from its title on, when trafilatura finds no main text."""
    at = _title_position(visible, title)
    return clean_text(visible[at + len(title):] if at >= 0 else visible)
