# newsmirror: every target installs what it needs first, so one command works on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The job `make mirror` runs: every enabled source of this file (docs/spiders.md: "The sources file").
SOURCES ?= sources.toml
MIRROR_DIR ?= mirror
# The demo's post format: make demo FORMAT=hugo (docs/formats/).
FORMAT ?= hexo
# How site owners reach whoever runs the mirror (a URL or mailto:); the User-Agent carries it.
CONTACT ?= $(MIRROR_CONTACT)

.PHONY: install test demo mirror bench bench-full bench-quality clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

tests/hexo/node_modules/.package-lock.json: tests/hexo/package.json tests/hexo/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js 20+ and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	cd tests/hexo && npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed

test: $(VENV)/.installed-dev tests/hexo/node_modules/.package-lock.json
	$(BIN)/python -m pytest -o timeout=300 -n auto --dist loadfile tests

demo: install
	$(BIN)/python -m newsmirror.demo --out demo-mirror --format $(FORMAT)

mirror: install
	@test -n "$(CONTACT)" || { echo "make mirror: say how site owners can reach you, e.g. make mirror CONTACT=mailto:you@example.org (or export MIRROR_CONTACT)"; exit 2; }
	$(BIN)/scrapy crawl mirror -s MIRROR_SOURCES=$(SOURCES) -s MIRROR_DIR=$(MIRROR_DIR) -s MIRROR_CONTACT=$(CONTACT)

# The comparison extractors live in their own venv: measured against, never imported by, newsmirror.
COMPARE_VENV := bench/.venv-compare
$(COMPARE_VENV)/.installed: bench/requirements-compare.txt
	$(PYTHON) -m venv $(COMPARE_VENV)
	# The pip that venv ships (23.x) trips over newspaper4k's lxml[html-clean] extras.
	$(COMPARE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COMPARE_VENV)/bin/python -m pip install --quiet -r bench/requirements-compare.txt
	touch $@

bench-quality: $(VENV)/.installed-dev $(COMPARE_VENV)/.installed
	$(BIN)/python bench/quality.py --profile

# The issue-15 figures side by side, in about 10 minutes here: CPU per page and per stage
# (bench/extract_speed.py); the crawl beside raw Scrapy and trafilatura (bench/throughput.py,
# BENCH_ARTICLES articles, BENCH_ROUNDS rounds); peak memory of the process tree at each of
# BENCH_MEMORY_SIZES over the sitemap and over one feed, each memory run ending after
# BENCH_STOP_AFTER posts (the whole listing is still fetched, read and waiting; 0 crawls
# every article); the no-op re-run at BENCH_NOOP known articles over a URL file and a feed
# (bench/noop_rerun.py, wall and CPU, the list's time apart). `make bench-full` runs the
# full sizes (2,000 articles x 3 rounds, every memory run to its end: about 90 min here).
# BENCH_ARGS passes more flags to bench/throughput.py.
BENCH_ARTICLES ?= 300
BENCH_ROUNDS ?= 1
BENCH_MEMORY_SIZES ?= 2000,20000
BENCH_STOP_AFTER ?= 2000
BENCH_NOOP ?= 20000
bench: $(VENV)/.installed-dev $(COMPARE_VENV)/.installed $(VENV)/.installed-bench
	$(BIN)/python bench/extract_speed.py
	$(BIN)/python -u bench/throughput.py --articles $(BENCH_ARTICLES) --rounds $(BENCH_ROUNDS) \
		--rss-sizes $(BENCH_MEMORY_SIZES) --listing both --stop-after $(BENCH_STOP_AFTER) --noop-rows 0 $(BENCH_ARGS)
	$(BIN)/python -u bench/noop_rerun.py --articles $(BENCH_NOOP) --rounds 3 --crawled 20 --listing both

bench-full:
	$(MAKE) bench BENCH_ARTICLES=2000 BENCH_ROUNDS=3 BENCH_STOP_AFTER=0

$(VENV)/.installed-bench: bench/requirements-bench.txt $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -r bench/requirements-bench.txt
	touch $@

clean:
	rm -rf $(VENV) $(COMPARE_VENV) bench/out tests/hexo/node_modules demo-mirror demo-mirror-index.jsonl demo-mirror.log .pytest_cache .hypothesis
