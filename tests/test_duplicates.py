"""Syndicated copies (issue 16): one story through several sources is recognised, across runs and workers.

Fingerprints offline first (copies, different stories of one template, Chinese), then
real crawls against the loopback server: ``MIRROR_DUPLICATES=keep`` marks the copy in
the index and changes no post, ``skip`` writes none and never fetches it again, a copy of
a copy points at the first, and the Redis ledger shares fingerprints between workers.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsmirror import fingerprints
from newsmirror.fingerprints import FINGERPRINT_SCHEME, FingerprintIndex, fingerprint_of, similarity
from newsmirror.store import Ledger, LedgerError, StoredFingerprint
from tests.support.crawl import read_tree, run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.test_scaleout import redis_url  # noqa: F401 - the real redis-server fixture

WIRE = "wire.example.com"
PORTAL = "portal.example.org"
SITEMAP_HOST = "maps.example.net"
_WORDS = (
    "harbour council vote bridge tram budget minister river storm flood rescue museum school "
    "hospital election mayor factory port rail market shares bank rate inflation drought farmers "
    "harvest court ruling police strike union teachers nurses airport runway tunnel ferry island "
    "coast festival library stadium club league season record heat wave power grid solar wind "
    "turbine plant emissions climate summit treaty border trade tariff export import steel"
).split()


def paragraphs(seed: int, count: int) -> list[str]:
    """Return *count* paragraphs of one made-up story (the same seed, the same story)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(_WORDS) for _ in range(45)).capitalize() + "." for _ in range(count)]


STORY = paragraphs(1, 8)
ADDED = paragraphs(2, 1)[0]
RE_EDITED = [*STORY[:4], ADDED, *STORY[4:]]  # a new paragraph in the middle
# A copy of the copy: one more paragraph added, the first of the original dropped.
RE_RE_EDITED = [*RE_EDITED[1:], paragraphs(3, 1)[0]]
OTHER_STORY = paragraphs(4, 8)
TEMPLATE_BLOCK = "Read more: sign up for our newsletter and follow the Gazette on social media for breaking news."


def page(title: str, date: str, body: list[str], *, template: bool = False) -> bytes:
    """Return an article page: a header, the body's paragraphs, a footer."""
    text = "".join(f"<p>{paragraph}</p>" for paragraph in body)
    if template:
        text += f"<p>{TEMPLATE_BLOCK}</p>"
    return (
        f"<html><head><title>{title}</title><meta property='article:published_time' content='{date}'></head>"
        f"<body><nav><a href='/'>Home</a></nav><h1>{title}</h1><article>{text}</article>"
        "<footer>Contact us</footer></body></html>"
    ).encode()


# --- fingerprints, offline ----------------------------------------------------------------


def test_a_re_edited_story_is_alike_and_two_stories_of_one_template_are_not() -> None:
    original = fingerprint_of("\n".join(STORY))
    copy = fingerprint_of("\n".join(RE_EDITED))
    other = fingerprint_of("\n".join([*OTHER_STORY, TEMPLATE_BLOCK]))
    same_template = fingerprint_of("\n".join([*STORY, TEMPLATE_BLOCK]))
    assert original and copy and other and same_template
    assert similarity(original, copy) > 0.7
    assert similarity(same_template, other) < 0.2
    assert fingerprint_of("Too short to say anything.") is None


def test_chinese_text_is_shingled_by_characters() -> None:
    story = (
        "国家统计局今天发布数据显示，十一月份全国居民消费价格同比上涨百分之零点二，环比下降百分之零点一。"
        "其中城市上涨百分之零点三，农村持平；食品价格下降百分之一点二，非食品价格上涨百分之零点五。"
        "专家表示，随着扩大内需政策持续发力，预计明年物价将保持温和回升态势，市场供需总体平衡。"
    )
    copy = "新华社北京电 " + story + "记者补充报道：部分地区蔬菜价格因天气原因有所波动。"
    other = (
        "本市今年第一场雪如期而至，气象部门提醒市民注意交通安全，出行尽量选择公共交通工具。"
        "环卫部门连夜出动铲雪车和工作人员，确保主要道路畅通，学校和幼儿园正常开学。"
        "据预报，未来三天气温将继续下降，最低气温可达零下十度，请市民做好防寒保暖措施。"
    )
    first, second, third = fingerprint_of(story), fingerprint_of(copy), fingerprint_of(other)
    assert first and second and third  # no spaces, yet plenty of shingles: one per character run
    assert similarity(first, second) > 0.6 and similarity(first, third) < 0.1


# Latin, accented and fullwidth letters, digits, underscores, punctuation, ideographs,
# kana and hangul: what a body's text is made of.
_TEXT = st.text(st.sampled_from("ab Zé_-9,.\u00a0\uff21\uff11\u4e2d\u6587\u3042\u30a2\uac00\u2019!\n"), max_size=40)


@given(_TEXT)
def test_the_word_only_tokenizer_gives_the_general_one_s_tokens(text: str) -> None:
    """Fingerprints are kept across runs: the fast path for text without CJK must not change one token."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", text).casefold()
    assert fingerprints.tokens(text) == fingerprints._TOKEN.findall(folded)


def test_a_copy_of_a_copy_points_at_the_first_even_when_only_the_copy_is_alike() -> None:
    base = paragraphs(5, 4)
    drift = [*base, *paragraphs(6, 4)]  # half new: alike to base only loosely
    further = [*paragraphs(6, 4), *paragraphs(7, 4)]  # alike to drift, not to base
    first, second, third = (fingerprint_of("\n".join(text)) for text in (base, drift, further))
    assert first and second and third
    index = FingerprintIndex(0.3)
    index.add(StoredFingerprint("https://a.example/1", first, None, FINGERPRINT_SCHEME))
    match = index.match(second, "https://b.example/2")
    assert match is not None and match.original == "https://a.example/1"
    index.add(StoredFingerprint("https://b.example/2", second, match.original, FINGERPRINT_SCHEME))
    assert similarity(first, third) < 0.3 <= similarity(second, third)
    found = index.match(third, "https://c.example/3")
    assert found is not None and (found.original, found.closest) == ("https://a.example/1", "https://b.example/2")
    # An article is never a copy of itself, nor of a copy of itself (a refresh).
    assert index.match(first, "https://a.example/1") is None


def test_fingerprinting_imports_neither_datasketch_nor_scipy() -> None:
    # The MinHash is our own numpy code: the crawl must not pay for datasketch and the scipy
    # it imports (about 70 MB of memory and a second), not even after the first body.
    code = (
        "import sys; from newsmirror.fingerprints import FingerprintIndex, fingerprint_of; "
        f"FingerprintIndex(0.5); assert fingerprint_of({' '.join(paragraphs(1, 6))!r}); "
        "assert 'datasketch' not in sys.modules and 'scipy' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


# Recorded from datasketch 2.0.0 (MinHash(num_perm=128, seed=1, scheme="affine32"), as the
# crawl used it before newsmirror computed the MinHash itself): fingerprints already in
# ledgers must stay comparable, so these hold without datasketch installed.
_DATASKETCH_PERMUTATIONS_SHA256 = "b14750dd0abf30bb02469d6062895f1dee4f3bf2ef2d0a91310e8dafee9dc551"
_DATASKETCH_SMALL_SET = ([0, 1, 2, 0xFFFF_FFFF, 123456789, 2**31], "98c54f5d5d70c51be50fe85898a354ccda95ebde5bdf41e38410365895ee6854")
_DATASKETCH_FINGERPRINTS = {
    "story": "141b5d68635fb3079040e3887d507dbeaa7213287642540c7bbf081ce15a30ff",
    "zh": "9ff08a0af18ddae51cdf8432474d0bfb4613993d3683b88541cc7c62c427d74b",
}
_ZH_FLASH = (
    "国家统计局今天发布数据显示，十一月份全国居民消费价格同比上涨百分之零点二，环比下降百分之零点一。"
    "其中城市上涨百分之零点三，农村持平。"
)


def test_fingerprints_are_bit_for_bit_the_ones_datasketch_2_0_0_gave() -> None:
    from newsmirror import fingerprints

    drawn = fingerprints._MULTIPLIERS.astype("<u4").tobytes() + fingerprints._OFFSETS.astype("<u4").tobytes()
    assert hashlib.sha256(drawn).hexdigest() == _DATASKETCH_PERMUTATIONS_SHA256
    values, expected = _DATASKETCH_SMALL_SET
    signature = fingerprints.minhash_signature(np.array(values, dtype=np.uint64))
    assert hashlib.sha256(signature.astype("<u4").tobytes()).hexdigest() == expected
    for name, text in (("story", "\n".join(STORY)), ("zh", _ZH_FLASH)):
        found = fingerprint_of(text)
        assert found is not None and hashlib.sha256(found).hexdigest() == _DATASKETCH_FINGERPRINTS[name], name


def test_the_minhash_equals_datasketch_on_sets_of_every_size() -> None:
    datasketch = pytest.importorskip("datasketch", reason="datasketch (bench/requirements-bench.txt) is not installed")
    from newsmirror.fingerprints import NUM_PERM, minhash_signature

    reference = datasketch.MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")
    rng = np.random.default_rng(16)
    # Sizes across the block the permutations are applied in (2,048), and the 32-bit extremes.
    for size in (1, 20, 357, 2047, 2048, 2049, 5000, 20000):
        hashes = np.unique(rng.integers(0, 2**32, size, dtype=np.uint64))
        hashes[0] = 0
        hashes[-1] = 2**32 - 1
        expected = datasketch.MinHash(
            num_perm=NUM_PERM, seed=1, hashfunc=int, permutations=reference.permutations, scheme="affine32"
        )
        expected.update_batch(hashes.tolist())
        assert (minhash_signature(hashes) == expected.hashvalues).all(), size


def test_sqlite_ledger_keeps_fingerprints_and_migrates_a_v3_ledger(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE posts (canonical_url TEXT PRIMARY KEY, post_path TEXT NOT NULL, path_key TEXT NOT NULL UNIQUE,"
        " content_sha256 TEXT NOT NULL, published TEXT, first_seen TEXT NOT NULL, written TEXT NOT NULL, etag TEXT,"
        " last_modified TEXT, status TEXT NOT NULL DEFAULT 'new', format TEXT NOT NULL DEFAULT 'hexo');"
        "CREATE TABLE aliases (url TEXT PRIMARY KEY, canonical_url TEXT NOT NULL);"
    )
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("schema_version", "3"), ("mirror_dir", str((tmp_path / "m").resolve()))])
    db.commit()
    db.close()
    ledger = Ledger(path, tmp_path / "m")
    ledger.open()
    assert ledger.fingerprints_after(0) == ([], 0)
    signature = fingerprint_of("\n".join(STORY))
    assert signature is not None
    first = StoredFingerprint("https://a.example/1", signature, None, FINGERPRINT_SCHEME)
    ledger.record_fingerprint(first)
    found, position = ledger.fingerprints_after(0)
    assert found == [first] and ledger.fingerprints_after(position) == ([], position)
    # Replaced (a refresh): read again by whoever has read up to before it.
    ledger.record_fingerprint(StoredFingerprint("https://a.example/1", signature, "https://z.example/", FINGERPRINT_SCHEME))
    again, _ = ledger.fingerprints_after(position)
    assert [entry.duplicate_of for entry in again] == ["https://z.example/"]
    assert ledger.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("4",)
    ledger.close()


# --- crawls -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    files = {
        f"{WIRE}/story.html": page("Storm closes the harbour", "2024-07-01T08:00:00Z", STORY, template=True),
        f"{WIRE}/other.html": page("Council passes the budget", "2024-07-01T09:00:00Z", OTHER_STORY, template=True),
        f"{PORTAL}/copy.html": page("Harbour shut as storm hits", "2024-07-01T10:00:00Z", RE_EDITED),
        f"{PORTAL}/copy-of-copy.html": page("Storm: harbour stays shut", "2024-07-01T11:00:00Z", RE_RE_EDITED),
    }
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(site: LocalSite, out: Path, *urls: str, index: str = "index.jsonl", **settings: str):
    return run_crawl(
        "article",
        "-a",
        "url=" + ",".join(urls),
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(out), "MIRROR_REPORT": str(out.parent / "report.json"), **settings},
        index=out.parent / index,
    )


def by_url(result) -> dict[str, dict]:
    return {item["url"]: item for item in result.items}


def test_keep_marks_copies_across_runs_and_changes_no_post(site: LocalSite, tmp_path: Path) -> None:
    story, other = f"http://{WIRE}/story.html", f"http://{WIRE}/other.html"
    copy, copy_of_copy = f"http://{PORTAL}/copy.html", f"http://{PORTAL}/copy-of-copy.html"
    out = tmp_path / "mirror"
    first = by_url(crawl(site, out, story, other))
    assert first[story]["duplicate_of"] is None and first[other]["duplicate_of"] is None  # one template, two stories
    second = by_url(crawl(site, out, copy))  # another run, another site
    assert second[copy]["duplicate_of"] == story and second[copy]["status"] == "new"
    third = by_url(crawl(site, out, copy_of_copy))
    assert third[copy_of_copy]["duplicate_of"] == story  # a copy of a copy points at the first
    posted = read_tree(out)
    assert len([name for name in posted if name.endswith(".md")]) == 4  # keep: every copy posted

    # The same articles with the check off: byte for byte the same posts.
    plain = tmp_path / "plain"
    crawl(site, plain, story, other, index="plain.jsonl", MIRROR_DUPLICATES="off")
    crawl(site, plain, copy, copy_of_copy, index="plain.jsonl", MIRROR_DUPLICATES="off")
    assert read_tree(plain) == posted


def test_skip_writes_no_post_counts_the_copy_and_never_fetches_it_again(site: LocalSite, tmp_path: Path) -> None:
    story, copy = f"http://{WIRE}/story.html", f"http://{PORTAL}/copy.html"
    out = tmp_path / "mirror"
    crawl(site, out, story, MIRROR_DUPLICATES="skip")
    result = crawl(site, out, copy, MIRROR_DUPLICATES="skip")
    item = by_url(result)[copy]
    assert (item["status"], item["duplicate_of"], item["post_path"]) == ("duplicate", story, None)
    assert [name for name in read_tree(out) if name.endswith(".md")] == [
        name for name in read_tree(out) if name.endswith(".md") and "Storm" in name
    ]
    assert len([name for name in read_tree(out) if name.endswith(".md")]) == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["sources"][0]["posts"] == {"duplicate": 1}
    assert "1 duplicate" in result.log and "is a copy of " + story in result.log

    since = len(site.requests())
    again = crawl(site, out, copy, MIRROR_DUPLICATES="skip")
    assert not [entry for entry in site.requests()[since:] if entry["path"] == "/copy.html"]
    assert again.stat("newsmirror/skipped/known") == 1


def test_sources_file_sets_duplicates_per_source(site: LocalSite, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "wire"\ntype = "urls"\nurls = ["http://{WIRE}/story.html"]\n\n'
        f'[[source]]\nname = "portal"\ntype = "urls"\nurls = ["http://{PORTAL}/copy.html"]\nduplicates = "skip"\n',
        encoding="utf-8",
    )
    out = tmp_path / "mirror"
    settings = {"MIRROR_SOURCES": str(sources), "MIRROR_DIR": str(out), "CONCURRENT_REQUESTS": "1"}
    # One at a time, in file order, so the wire story is the first.
    result = run_crawl("mirror", env=site.proxy_env(), settings=settings, index=tmp_path / "index.jsonl")
    items = by_url(result)
    assert items[f"http://{PORTAL}/copy.html"]["status"] == "duplicate"
    assert items[f"http://{WIRE}/story.html"]["status"] == "new"

    bad = tmp_path / "bad.toml"
    bad.write_text(f'[[source]]\ntype = "urls"\nurls = ["http://{WIRE}/a"]\nduplicates = "drop"\n', encoding="utf-8")
    refused = run_crawl("mirror", settings={"MIRROR_SOURCES": str(bad), "MIRROR_DIR": str(out)}, check=False)
    assert refused.returncode != 0 and "bad.toml:4: 'duplicates' must be one of keep, skip, off, not 'drop'" in refused.log


def test_workers_sharing_a_redis_ledger_share_fingerprints(site: LocalSite, redis_url: str, tmp_path: Path) -> None:  # noqa: F811
    story, copy = f"http://{WIRE}/story.html", f"http://{PORTAL}/copy.html"
    crawl(site, tmp_path / "w1" / "mirror", story, MIRROR_REDIS_URL=redis_url)
    result = crawl(site, tmp_path / "w2" / "mirror", copy, MIRROR_REDIS_URL=redis_url, MIRROR_DUPLICATES="skip")
    assert by_url(result)[copy]["duplicate_of"] == story and by_url(result)[copy]["status"] == "duplicate"
    from newsmirror.store.redis import RedisLedger

    ledger = RedisLedger(redis_url, tmp_path / "w3")
    ledger.open()
    found, _ = ledger.fingerprints_after(0)
    assert [(entry.canonical_url, entry.duplicate_of) for entry in found] == [(story, None), (copy, story)]
    assert ledger.find(copy) is not None and ledger.find(copy).canonical_url == story  # known: leads to the first
    ledger.close()


def test_of_two_workers_checking_copies_at_once_exactly_one_sees_the_other(redis_url: str, tmp_path: Path) -> None:  # noqa: F811
    from newsmirror.store import redis as redis_store

    first, second = (redis_store.RedisLedger(redis_url, tmp_path / name) for name in ("w1", "w2"))
    first.open(), second.open()
    story = StoredFingerprint("https://wire.example.com/story", fingerprint_of(" ".join(STORY)), None, FINGERPRINT_SCHEME)
    copy = StoredFingerprint("https://portal.example.org/copy", fingerprint_of(" ".join(RE_EDITED)), None, FINGERPRINT_SCHEME)
    # Neither has recorded anything: the claims are all they can see of each other.
    assert first.claim_fingerprint(story, "worker-1") == []
    assert second.claim_fingerprint(copy, "worker-2") == [story]
    assert first.fingerprints_after(0) == ([], 0)
    # A worker's release leaves another worker's claim on the same URL alone ...
    second.release_fingerprint(story.canonical_url, "worker-2")
    assert [claim.canonical_url for claim in second.claim_fingerprint(copy, "worker-2")] == [story.canonical_url]
    # ... and its own goes: recorded first, then released, so it is never out of sight.
    first.record_fingerprint(story)
    first.release_fingerprint(story.canonical_url, "worker-1")
    assert second.claim_fingerprint(copy, "worker-2") == []
    assert second.fingerprints_after(0)[0] == [story]


def test_a_claim_of_a_worker_that_died_is_dropped(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from newsmirror.store import redis as redis_store

    ledger = redis_store.RedisLedger(redis_url, tmp_path / "w1")
    ledger.open()
    dead = StoredFingerprint("https://wire.example.com/story", fingerprint_of(" ".join(STORY)), None, FINGERPRINT_SCHEME)
    live = StoredFingerprint("https://portal.example.org/copy", fingerprint_of(" ".join(OTHER_STORY)), None, FINGERPRINT_SCHEME)
    ledger.claim_fingerprint(dead, "worker-that-died")
    assert ledger.claim_fingerprint(live, "worker-2") == [dead]
    monkeypatch.setattr(redis_store, "CLAIM_SECONDS", 0)  # a claim from an earlier second is too old
    time.sleep(1.1)
    assert ledger.claim_fingerprint(live, "worker-2") == []
    assert ledger.server.hkeys("newsmirror:fingerprint-claims") == [live.canonical_url]


def test_a_copy_of_an_article_another_worker_is_writing_is_marked_and_still_posted(
    site: LocalSite, redis_url: str, tmp_path: Path  # noqa: F811
) -> None:
    from newsmirror.store.redis import RedisLedger

    story, copy = f"http://{WIRE}/story.html", f"http://{PORTAL}/copy.html"
    other_worker = RedisLedger(redis_url, tmp_path / "w1")
    other_worker.open()
    # Worker 1 has checked the story and is writing its post: claimed, not yet recorded.
    writing = StoredFingerprint(story, fingerprint_of("\n".join(STORY)), None, FINGERPRINT_SCHEME)
    assert other_worker.claim_fingerprint(writing, "worker-1") == []
    result = crawl(site, tmp_path / "w2" / "mirror", copy, MIRROR_REDIS_URL=redis_url, MIRROR_DUPLICATES="skip")
    item = by_url(result)[copy]
    # Known as a copy, yet posted: the original may still fail, and the story must not be lost.
    assert (item["duplicate_of"], item["status"]) == (story, "new") and item["post_path"]
    assert "which another worker is writing now" in result.log
    found, _ = other_worker.fingerprints_after(0)
    assert [(entry.canonical_url, entry.duplicate_of) for entry in found] == [(copy, story)]
    # Worker 2's own claim ended with its run; worker 1's stands until it records.
    assert other_worker.server.hkeys("newsmirror:fingerprint-claims") == [story]
    other_worker.close()


def test_the_redis_ledger_keeps_one_fingerprint_per_article_however_often_it_is_rewritten(
    redis_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    import redis

    from newsmirror.store.redis import RedisLedger

    first, second = (fingerprint_of("\n".join(paragraphs(seed, 3))) for seed in (11, 12))
    assert first and second
    ledger = RedisLedger(redis_url, tmp_path / "w1")
    ledger.open()
    reader = RedisLedger(redis_url, tmp_path / "w2")
    reader.open()
    ledger.record_fingerprint(StoredFingerprint("https://a.example/1", first, None, FINGERPRINT_SCHEME))
    _, position = reader.fingerprints_after(0)
    for _ in range(50):  # refreshes of one article, then a new one
        ledger.record_fingerprint(StoredFingerprint("https://b.example/新闻", first, "https://a.example/1", FINGERPRINT_SCHEME))
    ledger.record_fingerprint(StoredFingerprint("https://a.example/1", second, None, FINGERPRINT_SCHEME))
    server = redis.Redis.from_url(redis_url, decode_responses=True)
    assert server.zcard("newsmirror:fingerprint-order") == 2 and server.hlen("newsmirror:fingerprint-values") == 2
    assert not server.exists("newsmirror:fingerprints")
    # A worker that had read up to *position* sees both writes since, each article once, latest last.
    found, after = reader.fingerprints_after(position)
    assert [(entry.canonical_url, entry.signature) for entry in found] == [
        ("https://b.example/新闻", first), ("https://a.example/1", second)
    ]
    assert reader.fingerprints_after(after) == ([], after)
    everything, _ = reader.fingerprints_after(0)
    assert [entry.canonical_url for entry in everything] == ["https://b.example/新闻", "https://a.example/1"]
    ledger.close()
    reader.close()


def test_a_v4_redis_ledger_s_fingerprint_list_is_folded_into_one_per_article(redis_url: str, tmp_path: Path) -> None:  # noqa: F811
    import redis

    from newsmirror.store.redis import REDIS_SCHEMA_VERSION, RedisLedger

    first, second = (fingerprint_of("\n".join(paragraphs(seed, 3))) for seed in (13, 14))
    assert first and second
    server = redis.Redis.from_url(redis_url, decode_responses=True)
    server.hset("newsmirror:meta", "schema_version", "4")
    lines = [
        ["minhash-affine32-128-t4", "https://a.example/1", None, first.hex()],
        ["minhash-affine32-128-t4", "https://b.example/新闻", "https://a.example/1", first.hex()],
        ["minhash-affine32-128-t4", "https://a.example/1", None, second.hex()],  # a refresh
    ]
    server.rpush("newsmirror:fingerprints", *(json.dumps(line, ensure_ascii=False) for line in lines))
    for _ in range(2):  # the second open finds it done
        ledger = RedisLedger(redis_url, tmp_path / "w1")
        ledger.open()
        found, _ = ledger.fingerprints_after(0)
        assert [(entry.canonical_url, entry.signature, entry.duplicate_of) for entry in found] == [
            ("https://b.example/新闻", first, "https://a.example/1"), ("https://a.example/1", second, None)
        ]
        ledger.close()
    assert server.hget("newsmirror:meta", "schema_version") == str(REDIS_SCHEMA_VERSION)
    assert not server.exists("newsmirror:fingerprints")
    server.hset("newsmirror:meta", "schema_version", str(REDIS_SCHEMA_VERSION + 1))
    with pytest.raises(LedgerError, match="has schema version 6"):
        RedisLedger(redis_url, tmp_path / "w1").open()


def test_a_worker_s_start_reads_every_fingerprint_of_a_large_redis_ledger(redis_url: str, tmp_path: Path) -> None:  # noqa: F811
    from newsmirror.store.redis import RedisLedger

    signature = fingerprint_of("\n".join(paragraphs(15, 3)))
    assert signature
    ledger = RedisLedger(redis_url, tmp_path / "w1")
    ledger.open()
    urls = [f"https://a.example/{number}" for number in range(2500)]  # more than one read's chunk
    for url in urls:
        ledger.record_fingerprint(StoredFingerprint(url, signature, None, FINGERPRINT_SCHEME))
    found, position = ledger.fingerprints_after(0)
    assert [entry.canonical_url for entry in found] == urls and position == 2500
    assert ledger.fingerprints_after(1999)[0] == found[1999:]
    ledger.close()
