# newsmirror: every target installs what it needs first, so one command works on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The job `make mirror` runs: article URLs, one per line (replaced by sources.toml later).
URLS ?= urls.txt
MIRROR_DIR ?= mirror

.PHONY: install test demo mirror bench bench-quality clean

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
	$(BIN)/python -m pytest -o timeout=300 tests

demo: install
	$(BIN)/python -m newsmirror.demo --out demo-mirror

mirror: install
	@test -f "$(URLS)" || { echo "No $(URLS): put article URLs in it, one per line (or: make mirror URLS=path)"; exit 1; }
	$(BIN)/scrapy crawl article -a urls=$(URLS) -s MIRROR_DIR=$(MIRROR_DIR)

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/extract_speed.py

# The comparison extractors live in their own venv: measured against, never imported by, newsmirror.
COMPARE_VENV := bench/.venv-compare
$(COMPARE_VENV)/.installed: bench/requirements-compare.txt
	$(PYTHON) -m venv $(COMPARE_VENV)
	$(COMPARE_VENV)/bin/python -m pip install --quiet -r bench/requirements-compare.txt
	touch $@

bench-quality: $(VENV)/.installed-dev $(COMPARE_VENV)/.installed
	$(BIN)/python bench/quality.py --profile

clean:
	rm -rf $(VENV) $(COMPARE_VENV) bench/out tests/hexo/node_modules demo-mirror demo-mirror-index.jsonl demo-mirror.log .pytest_cache .hypothesis
