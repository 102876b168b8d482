"""Scrapy spiders: one module per source or source family, on the shared bases in base.py."""
