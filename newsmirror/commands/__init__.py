"""newsmirror's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` with an exit code cron can alert on."""
