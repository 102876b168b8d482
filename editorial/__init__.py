"""The editorial workflow, apart from the crawl engine: triage decisions, the bulletin export, add by URL,
the editors' accounts and logins."""
