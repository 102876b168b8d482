"""Scrapy project settings shared by every source; config.yaml's crawl block is layered on top
(see crawler.runner.base_settings) and `-s NAME=VALUE` on top of that."""

BOT_NAME = "regwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening ports in a crawler
LOG_LEVEL = "WARNING"
DOWNLOADER = "crawler.downloader.PoliteDownloader"  # keeps CONCURRENT_REQUESTS_PER_DOMAIN (see there)
REDIRECT_MAX_TIMES = 10
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

ITEM_PIPELINES = {
    "crawler.pipelines.NormalizePipeline": 100,
    "crawler.pipelines.RunDedupePipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}
# Process_response runs from high to low: the recorder (950) sees the raw response first,
# Retry-After (560) acts before Scrapy's own retries (550).
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.RetryAfterMiddleware": 560,
    "crawler.middlewares.WarcRecordMiddleware": 950,
    "crawler.middlewares.WarcReplayMiddleware": 960,
}
# Scrapy's built-in components, only those that do something here: no allowed_domains, HTTP auth,
# HTTP cache or depth limits, and Regwatch keeps its own run record instead of Scrapy's log stats,
# telnet console or memory watch. Listing them (not disabling them with None) also spares every
# crawl importing their modules (twisted.conch, aiohttp...).
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": 700,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
}
SPIDER_MIDDLEWARES_BASE = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": 700,
}
EXTENSIONS_BASE = {"scrapy.extensions.corestats.CoreStats": 0}
# Spiders yield one batch per response (crawler.pipelines.ScrapedBatch), so Scrapy's 100
# parallel item slots per response would be 100 idle asyncio tasks.
CONCURRENT_ITEMS = 4
EXTENSIONS = {"crawler.extension.RunRecorder": 0}
_HTTP = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
DOWNLOAD_HANDLERS_BASE = {"http": _HTTP, "https": _HTTP}  # no s3, ftp, file or data URLs
STATS_DUMP = False
