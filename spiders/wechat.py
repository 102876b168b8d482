"""WeChat public-account articles (mp.weixin.qq.com): bridge feeds and article pages.

`urls` holds RSS bridge feeds (RSSHub /wechat/... routes, wechat2rss /feed/<id>.xml; the entries
are stored as the bridge gives them, with the account name from the channel title) and article
URLs added by hand (https://mp.weixin.qq.com/s/<id>), read from the page: title, account, publish
time (the `ct` Unix timestamp in the page's script, else createTime / publish_time), text.
`options.fetch_articles: true` also fetches each new article a bridge names; since 2025 WeChat
answers most fetches from outside its app with a verification page (环境异常), which is
reported as blocked, never stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.errors import NoDocument, SourceBlocked, Unparseable
from crawler.generic.document import GenericDocument
from crawler.items import CandidateItem
from crawler.normalize import clean_line, html_to_text, parse_timestamp
from spiders.base import FeedSpider, Result, text_of
from spiders.cn_common import case_identifiers, cn_doc_type, lead_paragraph

WECHAT_HOST = "mp.weixin.qq.com"
BLOCKED_PATHS = ("wappoc_appmsgcaptcha", "/mp/verify")
DELETED = ("该内容已被发布者删除", "此内容因违规无法查看")
# Lines bridges append to each article body: location, "read the original", "open in WeChat".
BRIDGE_NOISE = re.compile(r"^\s*(?:📍发表于[：:].*|🔗️?\s*阅读原文.*|在微信中打开)$", re.M)


def script_var(html: str, name: str) -> str | None:
    """A value from the page's inline script: var ct = "1736301600"; window.ct = '…'; createTime = '…'."""
    match = re.search(rf"""(?:var\s+|window\.){name}\s*=\s*(?:"([^"]*)"|'([^']*)'|(\d+))""", html)
    return next((g for g in match.groups() if g), None) if match else None


class WeChatSpider(FeedSpider):
    name = "wechat"

    @property
    def fetch_details(self) -> bool:  # type: ignore[override]
        return bool(self.source.options.get("fetch_articles"))

    def is_index(self, url: str) -> bool:
        # An article URL in `urls` is the document itself, not an index of others.
        return urlsplit(url).hostname != WECHAT_HOST and super().is_index(url)

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        return self.parse_detail if urlsplit(url).hostname == WECHAT_HOST else self.parse_feed

    def parse_feed(self, response: Response) -> Iterator[Result]:
        account = clean_line(response.xpath(
            "//*[local-name()='channel' or local-name()='feed']/*[local-name()='title']/text()").get())
        for item in super().parse_feed(response):
            if isinstance(item, CandidateItem):
                item.authority = item.authority or account or None
                item.identifiers = {**item.identifiers, "wechat_account": account}
            yield item

    def entry_item(self, response: Response, entry: Any) -> CandidateItem | None:
        item = super().entry_item(response, entry)
        if item is None:
            return None
        text = BRIDGE_NOISE.sub("", item.text or item.summary).strip()
        item.text, item.summary = text, lead_paragraph(text)
        item.doc_type = cn_doc_type(item.title, "news")
        item.identifiers = {**item.identifiers, **self.case_identifiers(item.title, text)}
        return item

    def case_identifiers(self, title: str, text: str) -> dict[str, str]:
        """Court accounts (options.case_numbers): case_number, court, procedure."""
        return case_identifiers(f"{title}\n{text}") if self.source.options.get("case_numbers") else {}

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        html = response.text
        if any(path in response.url for path in BLOCKED_PATHS):
            raise SourceBlocked("WeChat answered with its verification page (环境异常)", url=response.url)
        body = response.css("#js_content").get()
        if body is None:
            if any(marker in html for marker in DELETED):
                raise NoDocument("the article was deleted by its publisher (该内容已被发布者删除)", url=response.url)
            if "环境异常" in html or "去验证" in html:
                raise SourceBlocked("WeChat answered with its verification page (环境异常)", url=response.url)
            raise Unparseable("article page without #js_content", url=response.url)
        text = html_to_text(body)
        fields = self.page_fields(response, response.css("meta[property='og:title']::attr(content)").get()
                                  or text_of(response.css("#activity-name")) or script_var(html, "msg_title"), text)
        summary = response.css("meta[name=description]::attr(content)").get() or lead_paragraph(text)
        yield self.merge_hint(response, self.item(response, text=text, summary=summary, **fields))

    def page_fields(self, response: Response, title: str, text: str) -> dict[str, Any]:
        """What an article page says of itself outside its body: account, publish time (the `ct`
        timestamp in its script), type and case numbers from the title and text."""
        html = response.text
        title = clean_line(title)
        account = clean_line(text_of(response.css("#js_name")) or text_of(response.css(".wx_follow_nickname"))
                             or script_var(html, "nickname"))
        published = (parse_timestamp(script_var(html, "ct"), self.source.timezone)
                     or self.date(script_var(html, "createTime") or script_var(html, "publish_time")
                                  or text_of(response.css("#publish_time"))))
        return {"title": title, "published": published, "authority": account or None,
                "doc_type": cn_doc_type(title, "news"),
                "identifiers": {"wechat_account": account,
                                "wechat_author": clean_line(response.css("meta[name=author]::attr(content)").get()),
                                **self.case_identifiers(title, text)}}

    def from_generic_document(self, response: Response, document: GenericDocument) -> CandidateItem:
        fields = self.page_fields(response, document.title, document.text)
        fields["published"] = fields["published"] or document.published
        return self.item(response, text=document.text, summary=lead_paragraph(document.text),
                         extraction="generic", **fields)
