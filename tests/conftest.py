"""Shared test set-up: warnings are errors, the shared corpus, and real crawls in subprocesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.crawl import REPO_ROOT

CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"


def pytest_configure(config: pytest.Config) -> None:
    """Make every warning an error, so a deprecated API in our code fails the suite."""
    config.addinivalue_line("filterwarnings", "error")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """Return ``../shared/corpus``, or skip the test with the reason when it is absent."""
    if not (CORPUS_DIR / "pages").is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS_DIR}; corpus tests need ../shared/corpus")
    return CORPUS_DIR
