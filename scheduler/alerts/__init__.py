"""Alerts: rules from config.yaml matched against new items, delivered through apprise."""
