"""`spider: feed`: any RSS or Atom URL, no code needed (name, authority, jurisdiction in config)."""

from spiders.base import FeedSpider


class GenericFeedSpider(FeedSpider):
    name = "feed"
