"""Scrapy project settings shared by every source; config.yaml's crawl block is layered on top
(see crawler.runner.source_settings) and `-s NAME=VALUE` on top of that."""

BOT_NAME = "regwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening ports in a crawler
LOG_LEVEL = "WARNING"
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
# Components that would do nothing here (no allowed_domains, HTTP auth, HTTP cache, depth limits;
# Regwatch keeps its own counters) are left out: each is built once per source's crawler.
DOWNLOADER_MIDDLEWARES.update({
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
})
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
# Spiders yield one batch per response (crawler.pipelines.ScrapedBatch), so Scrapy's 100
# parallel item slots per response would be 100 idle asyncio tasks.
CONCURRENT_ITEMS = 4
EXTENSIONS = {"crawler.extension.RunRecorder": 0}

# Each source is its own crawler: extensions that add timers or files per crawler cost more than
# they tell here (Regwatch keeps its own run record).
EXTENSIONS.update({
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.memusage.MemoryUsage": None,
    "scrapy.extensions.feedexport.FeedExporter": None,
    "scrapy.extensions.spiderstate.SpiderState": None,
    "scrapy.extensions.memdebug.MemoryDebugger": None,
    "scrapy.extensions.closespider.CloseSpider": None,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.logcount.LogCount": None,
})
DOWNLOAD_HANDLERS = {"s3": None, "ftp": None}
STATS_DUMP = False
