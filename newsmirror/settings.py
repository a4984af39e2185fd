"""newsmirror's settings: the defaults a careful operator would choose.

Every setting can be changed per run with ``-s NAME=VALUE``.  The MIRROR_* settings
are newsmirror's own; the others are Scrapy's, set here on purpose.
"""

from newsmirror.items import INDEX_FIELDS

BOT_NAME = "newsmirror"
SPIDER_MODULES = ["newsmirror.spiders"]
NEWSPIDER_MODULE = "newsmirror.spiders"

# --- where posts go ----------------------------------------------------------------
# Folder that receives the posts; a Hexo user points it at source/_posts.
MIRROR_DIR = "mirror"
# The ledger (SQLite). Empty: .newsmirror/state.sqlite in the folder that holds
# MIRROR_DIR, never inside it, since a site generator would publish it.
MIRROR_STATE = ""
# Post path under MIRROR_DIR. Fields: {categories} (folders, one per category),
# {title}, {slug}, {date} (a datetime in the article's zone, e.g. {date:%Y/%m}),
# {site}, {id} (8 hex digits from the canonical URL). Must end in ".md".
MIRROR_PATH_TEMPLATE = "{categories}/{title}.md"
# fsync each post and its folder before recording it: durable across power loss.
MIRROR_FSYNC = True
# Add a `link:` line (the article's canonical URL) to the front matter. Off by default
# so posts match the older system's format exactly.
MIRROR_FRONT_MATTER_LINK = False

# --- reading pages -------------------------------------------------------------------
# What to do with an article without a usable publish date: "drop" it (with a logged
# reason) or keep it dated "first-seen", the moment it was first mirrored (stable across runs).
MIRROR_UNDATED = "drop"
# Time zone for naive page times, per host suffix, e.g. {"example.de": "Europe/Berlin"}.
# Without an entry: the site module's zone, else Asia/Shanghai for Chinese pages, else UTC.
MIRROR_TIMEZONES: dict[str, str] = {}

# --- pipelines and the index -----------------------------------------------------------
ITEM_PIPELINES = {
    "newsmirror.pipelines.ExtractPipeline": 100,
    "newsmirror.pipelines.CleanPipeline": 200,
    "newsmirror.pipelines.WritePostPipeline": 900,
}
# `-O items.jsonl` writes the index other tools read: these fields, UTF-8 as is.
FEED_EXPORT_FIELDS = INDEX_FIELDS
FEED_EXPORT_ENCODING = "utf-8"

# --- politeness --------------------------------------------------------------------------
# Say who we are and how to reach the operator; replace the contact URL with yours.
# "{contact}" is replaced by MIRROR_CONTACT (see the hostile-network block below).
USER_AGENT = "newsmirror/0.1 (+{contact})"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
# News pages are rarely above a few MB; anything far larger is not an article.
# The cap applies to the decompressed body too (Scrapy's HttpCompressionMiddleware).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# --- hostile networks and hostile pages (issue 6) -------------------------------------------
# How site owners reach the operator: a contact page or mailto: URL, sent in the
# User-Agent. Unattended runs (the spiders below) refuse to start while it is unset or a
# placeholder; a run by hand sends the project's URL instead.
MIRROR_CONTACT = ""
MIRROR_CONTACT_REQUIRED = ["mirror"]
# robots.txt rules are matched against this product token, not the whole User-Agent.
ROBOTSTXT_USER_AGENT = "newsmirror"
# robots.txt Crawl-delay is honoured up to this many seconds per request to a host.
MIRROR_CRAWL_DELAY_MAX = 60.0
# Never fetch private, loopback, link-local or metadata addresses, nor non-http(s)
# URLs, whatever link or redirect leads there. Hosts listed here are let through
# (names or literal addresses, as written in URLs); proxies in the environment are too.
MIRROR_ADDRESS_GUARD = True
MIRROR_ALLOWED_HOSTS: list[str] = []
# What DNS answers is checked too, by the resolver every connection uses.
TWISTED_DNS_RESOLVER = "newsmirror.middlewares.GuardedResolver"
# Retries: 1 s, 2 s, 4 s... apart (at most MIRROR_RETRY_BACKOFF_MAX); a Retry-After
# header of a 429/503 is obeyed up to MIRROR_RETRY_AFTER_MAX, above it the article
# fails at once. No retry starts once MIRROR_RETRY_BUDGET seconds have passed since the
# first attempt, and a retry's timeout is cut to what is left.
MIRROR_RETRY_BACKOFF = 1.0
MIRROR_RETRY_BACKOFF_MAX = 30.0
MIRROR_RETRY_AFTER_MAX = 60.0
MIRROR_RETRY_BUDGET = 180.0
# A request that runs out of retries is reported once, with its reason, by whoever
# made it (the article errback, the robots.txt line, Scrapy's "Error downloading").
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# A redirect chain longer than this is not a news site's doing.
REDIRECT_MAX_TIMES = 10
DOWNLOADER_MIDDLEWARES = {
    # First, so every request (redirect hops, retries, dont_filter, robots.txt) meets it.
    "newsmirror.middlewares.AddressGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsmirror.middlewares.PoliteRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "newsmirror.middlewares.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsmirror.middlewares.BoundedRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newsmirror.middlewares.SafeMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "newsmirror.middlewares.GuardedRedirectMiddleware": 600,
}

# --- Scrapy housekeeping ------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
