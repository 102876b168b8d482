"""Scrapy settings that copy fast.

Every Scrapy crawler deep-copies the process settings (about 2,400 objects, 5 ms), and Regwatch
builds one crawler per source, so 200 sources spent a second copying. Setting values are almost
all immutable (strings, numbers, class paths), so only containers are copied here.
"""

from __future__ import annotations

import copy
from typing import Any

from scrapy.settings import BaseSettings, Settings, SettingsAttribute

_IMMUTABLE = (str, bytes, int, float, bool, type(None), type, frozenset)


def _copy_value(value: Any, memo: dict[int, Any]) -> Any:
    if isinstance(value, BaseSettings):
        return _copy_into(value, BaseSettings.__new__(type(value)), memo)
    if isinstance(value, _IMMUTABLE) or callable(value):
        return value
    return copy.deepcopy(value, memo)


def _copy_into(source: BaseSettings, clone: BaseSettings, memo: dict[int, Any]) -> BaseSettings:
    clone.__dict__.update(source.__dict__)
    attributes = {}
    for name, attribute in source.attributes.items():
        copied = SettingsAttribute.__new__(SettingsAttribute)
        copied.value, copied.priority = _copy_value(attribute.value, memo), attribute.priority
        attributes[name] = copied
    clone.attributes = attributes
    return clone


class CrawlerSettings(Settings):
    """Settings whose copy() (taken by each Crawler) copies containers only, not every value."""

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlerSettings:
        return _copy_into(self, CrawlerSettings.__new__(CrawlerSettings), memo)
