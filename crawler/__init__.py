"""Regwatch core: configuration, candidate items, normalization, storage, pipelines and CLI."""

__version__ = "0.1.0"
