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
EXTENSIONS = {"crawler.extension.RunRecorder": 0}

# Each source is its own crawler: extensions that add timers or files per crawler cost more than
# they tell here (Regwatch keeps its own run record).
EXTENSIONS.update({
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.memusage.MemoryUsage": None,
    "scrapy.extensions.feedexport.FeedExporter": None,
    "scrapy.extensions.spiderstate.SpiderState": None,
})
DOWNLOAD_HANDLERS = {"s3": None, "ftp": None}
STATS_DUMP = False
