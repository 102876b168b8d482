"""The `regwatch` command line, on top of everything: the crawl core, the spiders, the service, the web app
and the editorial workflow. Thin commands that call functions; the only place that composes the packages."""
