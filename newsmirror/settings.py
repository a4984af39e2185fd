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
# The ledger (SQLite). Empty: .newsmirror/<name of MIRROR_DIR>/state.sqlite in the folder that holds
# MIRROR_DIR, never inside it, since a site generator would publish it.
MIRROR_STATE = ""
# Post path under MIRROR_DIR. Fields: {categories} (folders, one per category),
# {title}, {slug}, {date} (a datetime in the article's zone, e.g. {date:%Y/%m}),
# {site}, {id} (8 hex digits from the canonical URL). Must end in ".md".
MIRROR_PATH_TEMPLATE = "{categories}/{title}.md"
# The post format, i.e. the tool that reads the posts: "hexo" (the older system's posts,
# byte for byte), "hugo" (.html content files) or "jekyll" (_posts/YYYY-MM-DD-slug.md);
# docs/formats/ shows each. A source in sources.toml may set its own `format`. Switching
# applies to articles new to the ledger: a post already written keeps its format and place.
MIRROR_FORMAT = "hexo"
# fsync each post and its folder before recording it: durable across power loss.
MIRROR_FSYNC = True
# Add a `link:` line (the article's canonical URL) to the front matter. Off by default
# so posts match the older system's format exactly.
MIRROR_FRONT_MATTER_LINK = False

# --- reading pages -------------------------------------------------------------------
# What to do with an article without a usable publish date: "drop" it (with a logged
# reason) or keep it dated "first-seen", the moment it was first mirrored (stable across runs).
MIRROR_UNDATED = "drop"
# Time zone for naive page, feed and sitemap times, per host suffix, e.g. {"example.de": "Europe/Berlin"}.
# Without an entry: the site module's zone, else Asia/Shanghai for Chinese pages, else UTC.
MIRROR_TIMEZONES: dict[str, str] = {}
# Worker processes that read (extract and clean) pages while the crawl fetches: "auto" is
# one per CPU this process may use (its affinity mask, cut to its cgroup CPU quota; none
# on a single CPU); 0 reads in the crawl's own process. Reading a real
# page costs far more CPU than fetching it, so one process caps a crawl at one core.
MIRROR_READER_PROCESSES = "auto"
# At most this many article requests wait in Scrapy's in-memory queue; the rest of a feed
# or sitemap waits on the spider and is handed over whenever the queue runs empty, so
# memory stays flat however long the listing is. 0 hands everything over at once.
MIRROR_SCHEDULER_BACKLOG = 500

# Site rules without Python (issue 16): a folder of FiveFilters Full-Text RSS site config
# files (example.com.txt for example.com and www.example.com; .example.com.txt for every
# host under it too), such as a clone of github.com/fivefilters/ftr-site-config. A rule's
# title/body/author/date XPaths are believed first, unless the page's structured data
# (or a long generic body) says otherwise; its strip lines clean the body, its
# find/replace lines the HTML, its http_header lines go out with requests (User-Agent
# excepted). Empty: off, and no post changes. `scrapy siterules check` tests the rules.
MIRROR_SITE_RULES = ""

# --- pipelines and the index -----------------------------------------------------------
ITEM_PIPELINES = {
    "newsmirror.pipelines.ExtractPipeline": 100,
    "newsmirror.pipelines.CleanPipeline": 200,
    "newsmirror.screening.PartialPipeline": 300,  # MIRROR_PARTIAL, below
    "newsmirror.screening.DuplicatePipeline": 400,  # MIRROR_DUPLICATES, below
    "newsmirror.images.ImageCopyPipeline": 500,  # off unless MIRROR_IMAGES
    "newsmirror.pipelines.WritePostPipeline": 900,
}
# --- teasers and syndicated copies (issue 16; per source: `partial`, `duplicates` in sources.toml) ---
# An article whose body is only part of it (its JSON-LD says isAccessibleForFree false, the
# page's body is much shorter than the feed's own HTML for it, or the body ends in a
# subscription wall): "keep" posts it and the index says `partial: <why>`; "skip" writes no
# post (counted `partial` in the run report) and a later run tries it again.
MIRROR_PARTIAL = "keep"
# One story mirrored twice (a wire story through several sources): each body's fingerprint is
# kept in the ledger and compared with every earlier one, across sources and runs. "keep"
# posts the copy and the index gives it `duplicate_of: <canonical URL of the first>`; "skip"
# writes no post, records its URLs as known (they lead to the first article) and counts it
# `duplicate` in the run report; "off" takes no fingerprint at all.
MIRROR_DUPLICATES = "keep"
# Two bodies whose shingle sets are at least this alike (Jaccard, estimated by MinHash) are one
# story. 0.5: on bench/duplicates.py's labelled pairs it finds 986 of 1,002 copies (a paragraph
# added, a dateline and credit line) and no pair of different stories (the closest is 0.27).
MIRROR_DUPLICATE_THRESHOLD = 0.5
# An article split over pages (rel="next", a "next page" / 下一页 link, ?page=2) is joined into
# one post, its pages in order. Later pages stay on the first page's host and extend its
# path; a link back to a page already taken (a loop) ends the chain with a logged reason; a
# page that fails fails the whole article. Off: each post is its first page, as before.
MIRROR_JOIN_PAGES = False
# At most this many pages are joined; an article with more is joined up to here and marked partial.
MIRROR_MAX_PAGES = 10
# `-O items.jsonl` writes the index other tools read: these fields, UTF-8 as is.
FEED_EXPORT_FIELDS = INDEX_FIELDS
FEED_EXPORT_ENCODING = "utf-8"

# --- local copies of images -----------------------------------------------------------
# Download each article's lead image and body images (with the article as Referer) and
# point the post at copies in its asset folder, "<post name>/" beside "<post name>.md",
# the layout of Hexo's `post_asset_folder: true`. Off: posts keep the remote URLs.
MIRROR_IMAGES = False
# Where downloaded images are kept between runs, so a second run fetches none again.
# Empty: .newsmirror/images in the folder that holds MIRROR_DIR; never inside MIRROR_DIR.
MIRROR_IMAGES_STORE = ""
# At most this many images per article are copied (lead image first); the rest stay remote.
MIRROR_IMAGES_PER_ARTICLE = 50
# An image larger than this many bytes is not copied (the download is cancelled).
MIRROR_IMAGES_MAXSIZE = 10 * 1024 * 1024
# Image CDNs often redirect (http to https, to a resized copy): follow them for images too.
MEDIA_ALLOW_REDIRECTS = True
# --- sources, feeds and the run report (scrapy crawl mirror) ----------------------------
# The sources file `scrapy crawl mirror` reads (TOML; docs/spiders.md: "The sources file").
MIRROR_SOURCES = "sources.toml"
# Seconds between progress lines (posts written/skipped/failed per source, pages); 0: none.
MIRROR_PROGRESS_INTERVAL = 60
# The end-of-run summary and JSON run report (newsmirror/report.py).
MIRROR_REPORT_ENABLED = True
# Where the JSON run report goes. Empty: beside LOG_FILE (x.log -> x.report.json) when
# set, else last-run.json beside the ledger (.newsmirror/<name of MIRROR_DIR>/).
MIRROR_REPORT = ""
# (RunReport is switched on in EXTENSIONS below, with the ledger.)

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
    # A site rule's http_header lines (MIRROR_SITE_RULES); off without rules that set one.
    # After CookiesMiddleware (700), which rewrites the Cookie header from its jar.
    "newsmirror.siterules.headers.SiteRuleHeadersMiddleware": 750,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsmirror.middlewares.BoundedRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newsmirror.middlewares.SafeMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "newsmirror.middlewares.GuardedRedirectMiddleware": 600,
    # Ends a refreshed article that answers 304 Not Modified quietly (before HttpError sees it).
    "newsmirror.incremental.NotModifiedMiddleware": 950,
    # List and feed requests marked meta["newsmirror_listing"] go out conditional (HTTP cache
    # beside the ledger, RFC 2616 policy, always revalidated); articles are never cached.
    "newsmirror.incremental.ListingCacheMiddleware": 900,
}

# --- the ledger, cron runs and scale-out --------------------------------------------------
# Every dict of components is defined once: a second assignment would silently replace the first.
EXTENSIONS = {
    "newsmirror.store.LedgerExtension": 0,  # takes the run lock and opens the ledger first
    "newsmirror.report.RunReport": 500,
    # An unexpected exception in a pipeline counts as a failed article (stats, report, exit code).
    "newsmirror.report.PipelineErrors": 500,
    "newsmirror.layout.LayoutAlarm": 500,  # see the layout-change alarm block below
}
# Drops article requests for articles already mirrored, before they are scheduled. 1000:
# first to see what a spider yields, so a known article costs no depth or referer work
# (a cron run over a long listing is mostly known articles).
SPIDER_MIDDLEWARES = {"newsmirror.incremental.KnownArticleMiddleware": 1000}
# (Its downloader middlewares are in DOWNLOADER_MIDDLEWARES above.)
# Fetch known articles again when dated within the last N days (0: never; -a refresh=N per run).
MIRROR_REFRESH_DAYS = 0
# `scrapy crawl` exits 3 when more than this share of the articles it tried failed.
MIRROR_MAX_FAILED_RATIO = 0.2
# Our `crawl` command: Scrapy's, plus that exit code and a one-line message for a held lock.
COMMANDS_MODULE = "newsmirror.commands"
# Scale-out: a Redis URL (or -s REDIS_URL=...) switches to the shared scheduler, dupefilter
# and ledger. Empty: one machine, SQLite ledger. The environment variable of the same name also works.
MIRROR_REDIS_URL = ""
# Prefix of every Redis key newsmirror writes (the ledger's and the scheduler's).
MIRROR_REDIS_PREFIX = "newsmirror"
# How long one worker's claim on an article lasts (s): others skip it meanwhile; after
# it, a run may try an article that failed again. Longer than the slowest fetch.
MIRROR_REDIS_SEEN_TTL = 3600
# Switches the scheduler, dupefilter and ledger to Redis when a Redis URL is set.
ADDONS = {"newsmirror.scaleout.ScaleOutAddon": 0}

# --- Scrapy housekeeping ------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"

# --- Layout-change alarm (issue 7) ---
# Warns at the end of a run about a site module whose own rules left a field empty on
# every article (its layout has probably changed), and records it in the stats.
# (Switched on in EXTENSIONS above.)
# Fewer articles of a site than this in a run are no evidence either way; 0 switches the alarm off.
LAYOUT_ALARM_MIN_ARTICLES = 3
