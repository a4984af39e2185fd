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
USER_AGENT = "newsmirror/0.1 (+https://github.com/newsmirror/newsmirror)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
# News pages are rarely above a few MB; anything far larger is not an article.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024

# --- Scrapy housekeeping ------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"

# --- Layout-change alarm (issue 7) ---
# Warns at the end of a run about a site module whose own rules left a field empty on
# every article (its layout has probably changed), and records it in the stats.
# Added to any EXTENSIONS set above, so another block's extensions are never dropped.
EXTENSIONS = {**globals().get("EXTENSIONS", {}), "newsmirror.layout.LayoutAlarm": 500}
# Fewer articles of a site than this in a run are no evidence either way; 0 switches the alarm off.
LAYOUT_ALARM_MIN_ARTICLES = 3
