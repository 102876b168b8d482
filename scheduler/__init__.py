"""The background service: scheduled crawls in child processes, source health, and alerts."""
