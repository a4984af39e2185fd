"""Syndicated copies (issue 16): how well fingerprints tell one story from two, and what a check costs.

Usage: python bench/duplicates.py [--corpus ../shared/corpus] [--articles 20000] [--checks 2000] [--cache FILE] [--cost-only]
       python bench/duplicates.py --rss [CODE_ROOT]

1. The labelled set, built here from the corpus pages' bodies as a crawl extracts them
   (``newsmirror.pipelines.read_article``; sets sina, zh-news, en-news, multilang):
   - duplicates: each body re-edited (a paragraph of another story of the same language
     added in its middle; the headline is not fingerprinted, so a new one changes nothing),
     and each body syndicated (a wire dateline before it, a credit line after it, and
     one paragraph dropped);
   - not duplicates: every pair of two different pages of one host (two stories from one
     template), the same stories wrapped in one synthetic template block of their
     language, and every pair of pages across the whole corpus (false positives at scale).
   For each threshold: copies found, and false matches, by the MinHash estimate
   (newsmirror.fingerprints, what the crawl uses), the exact Jaccard similarity of the shingle sets, and
   a hand-written 64-bit SimHash (the option measured against the library).
2. The cost: an index of N (default 20,000) fingerprints of distinct synthetic stories
   (with the corpus bodies' word statistics), then ``--checks`` checks of new bodies,
   half of them copies; fingerprinting and the index lookup timed apart, and the same
   check done by the hand-written SimHash with a linear scan.

0. Before either: every corpus body (whole, halves, and three times over) fingerprinted by
   newsmirror.fingerprints and by datasketch 2.0.0 (bench/requirements-bench.txt), which the
   crawl used before: the fingerprints must be equal, bit for bit, or the bench stops.

Prints the tables that ``bench/RESULTS.md`` keeps. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scrapy.http import HtmlResponse

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from quality import default_corpus, html_to_text, load_cases  # noqa: E402

from newsmirror.fingerprints import (  # noqa: E402
    MIN_SHINGLES,
    FingerprintIndex,
    StoredFingerprint,
    fingerprint_of,
    shingles,
    similarity,
    tokens,
)
from newsmirror.pipelines import ArticleDropped, read_article  # noqa: E402

SETS = ("sina", "zh-news", "en-news", "multilang")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# What a template often leaves inside a cleaned body: a related-links and newsletter block.
TEMPLATE = {
    False: "Read more: our newsletter brings the day's top stories to your inbox every morning. "
    "Sign up now and follow us on social media for breaking news, analysis and opinion. "
    "Copyright 2026 The Example Gazette. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
    True: "更多精彩内容请关注本站微信公众号，每日推送最新财经资讯与深度分析。"
    "版权所有，未经授权不得转载、摘编或利用其它方式使用上述作品。责任编辑：王小明",
}


def is_cjk(text: str) -> bool:
    """Tell whether most tokens of *text* are CJK characters."""
    words = tokens(text[:2000])
    return sum(len(word) == 1 and word >= "\u3040" for word in words) > len(words) / 2


def corpus_bodies(corpus: Path, cache: Path | None = None) -> list[dict]:
    """Return every corpus page whose extracted body is long enough to fingerprint (kept in *cache*)."""
    if cache is not None and cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    bodies = []
    for case in load_cases(corpus, SETS):
        try:
            item = read_article(HtmlResponse(case["url"], body=case["body"]), undated="first-seen")
        except ArticleDropped:
            continue
        text = html_to_text(item.body_html or "")
        paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
        if len(shingles(text)) >= MIN_SHINGLES and len(paragraphs) >= 3:
            host = case["url"].split("/")[2]
            bodies.append({"case": case["case"], "host": host, "paragraphs": paragraphs, "cjk": is_cjk(text)})
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    return bodies


def join(paragraphs: list[str]) -> str:
    return "\n".join(paragraphs)


def re_edited(body: dict, other: dict) -> str:
    """The story re-edited: one paragraph (of another story in its language) added in its middle."""
    paragraphs = list(body["paragraphs"])
    added = max(other["paragraphs"], key=len)
    paragraphs.insert(len(paragraphs) // 2, added)
    return join(paragraphs)


def syndicated(body: dict) -> str:
    """The story as another portal runs it: a dateline and a credit line, one paragraph dropped."""
    paragraphs = list(body["paragraphs"])
    del paragraphs[-2]
    if body["cjk"]:
        return join(["新华社北京电", *paragraphs, "（来源：新华社）"])
    return join(["LONDON (Reuters) -", *paragraphs, "Reporting by Jane Doe; Editing by John Roe"])


# --- the hand-written option: a 64-bit SimHash of the same shingles ------------------------


def simhash(text: str) -> int:
    """Return the 64-bit SimHash of *text*'s shingles (Charikar), written out by hand."""
    weights = [0] * 64
    for shingle in shingles(text):
        value = int.from_bytes(hashlib.blake2b(shingle, digest_size=8).digest(), "little")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def simhash_alike(first: int, second: int, threshold: float) -> bool:
    """SimHash's similarity is 1 - Hamming distance / 64; compared with the same thresholds."""
    return 1 - (first ^ second).bit_count() / 64 >= threshold


def exact(first: str, second: str) -> float:
    a, b = shingles(first), shingles(second)
    return len(a & b) / len(a | b) if a | b else 0.0


def labelled_pairs(bodies: list[dict]) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Return (duplicates, not duplicates): (kind, text, text) each."""
    rng = random.Random(16)
    by_language = {flag: [body for body in bodies if body["cjk"] == flag] for flag in (False, True)}
    duplicates = []
    for body in bodies:
        pool = [other for other in by_language[body["cjk"]] if other is not body]
        duplicates.append(("re-edited", join(body["paragraphs"]), re_edited(body, rng.choice(pool))))
        duplicates.append(("syndicated", join(body["paragraphs"]), syndicated(body)))
    different = []
    by_host: dict[str, list[dict]] = {}
    for body in bodies:
        by_host.setdefault(body["host"], []).append(body)
    for group in by_host.values():
        for first, second in itertools.combinations(group, 2):
            different.append(("same host", join(first["paragraphs"]), join(second["paragraphs"])))
    for flag, group in by_language.items():
        for first, second in zip(group[::2], group[1::2]):
            block = TEMPLATE[flag]
            different.append(("one template", join([*first["paragraphs"], block]), join([*second["paragraphs"], block])))
    return duplicates, different


def accuracy(bodies: list[dict]) -> None:
    duplicates, different = labelled_pairs(bodies)
    kinds = sorted({kind for kind, _, _ in duplicates + different})
    print(f"\nLabelled pairs: {len(duplicates)} duplicates, {len(different)} different stories "
          f"({', '.join(f'{kind}: {sum(k == kind for k, _, _ in duplicates + different)}' for kind in kinds)})")
    scored = []
    for label, pairs in (("dup", duplicates), ("diff", different)):
        for kind, first, second in pairs:
            a, b = fingerprint_of(first), fingerprint_of(second)
            minhash = similarity(a, b) if a and b else 0.0
            scored.append((label, kind, minhash, exact(first, second), simhash(first), simhash(second)))
    print("\n| threshold | MinHash: copies found | MinHash: false matches | exact Jaccard: found | exact: false | SimHash (hand-written): found | SimHash: false |")
    print("|---|---|---|---|---|---|---|")
    n_dup = sum(row[0] == "dup" for row in scored)
    n_diff = len(scored) - n_dup
    for threshold in THRESHOLDS:
        cells = []
        for test in (
            lambda row: row[2] >= threshold,
            lambda row: row[3] >= threshold,
            lambda row: simhash_alike(row[4], row[5], threshold),
        ):
            found = sum(test(row) for row in scored if row[0] == "dup")
            false = sum(test(row) for row in scored if row[0] == "diff")
            cells += [f"{found}/{n_dup}", f"{false}/{n_diff}"]
        print(f"| {threshold} | " + " | ".join(cells) + " |")
    print("\nLowest MinHash estimate of a duplicate, by kind; highest of a different story, by kind:")
    for kind in kinds:
        values = [row[2] for row in scored if row[1] == kind]
        label = next(row[0] for row in scored if row[1] == kind)
        print(f"  {kind} ({label}): min {min(values):.3f}, median {statistics.median(values):.3f}, max {max(values):.3f}")

    # Every pair of the corpus: how often two different stories pass the threshold.
    signatures = [fingerprint_of(join(body["paragraphs"])) for body in bodies]
    matrix = np.frombuffer(b"".join(signatures), dtype="<u4").reshape(len(signatures), -1)
    pairs = len(bodies) * (len(bodies) - 1) // 2
    estimates = []
    for row in range(len(bodies)):
        estimates.append((matrix[row + 1 :] == matrix[row]).mean(axis=1))
    flat = np.concatenate(estimates)
    print(f"\nAll {pairs} pairs of the {len(bodies)} corpus bodies (different stories, but for pages stored twice):")
    for threshold in THRESHOLDS:
        print(f"  >= {threshold}: {int((flat >= threshold).sum())} pairs")
    top = sorted(
        ((float(value), first, first + 1 + second) for first, row in enumerate(estimates) for second, value in enumerate(row)),
        reverse=True,
    )[:5]
    for value, first, second in top:
        print(f"  closest: {value:.3f} {bodies[first]['case']} ~ {bodies[second]['case']}")


def exactness(bodies: list[dict]) -> None:
    """Check that our MinHash gives datasketch 2.0.0's affine32 signatures, bit for bit, on every corpus body."""
    from datasketch import MinHash

    from newsmirror.fingerprints import NUM_PERM, minhash_signature, shingle_hashes

    permutations = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").permutations
    texts = []
    for body in bodies:
        paragraphs = body["paragraphs"]
        texts += [join(paragraphs), join(paragraphs[: len(paragraphs) // 2]), join(paragraphs[1:]), join(paragraphs * 3)]
    ours, theirs, compared = 0.0, 0.0, 0
    for text in texts:
        hashes = shingle_hashes(text)
        if len(hashes) < MIN_SHINGLES:
            continue
        started = time.process_time()
        mine = minhash_signature(hashes)
        middle = time.process_time()
        reference = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=int, permutations=permutations, scheme="affine32")
        reference.update_batch(hashes.tolist())
        theirs += time.process_time() - middle
        ours += middle - started
        if mine.tobytes() != reference.hashvalues.astype(np.uint32).tobytes():
            sys.exit(f"our MinHash differs from datasketch's on a body of {len(hashes)} shingles: stopping")
        compared += 1
    print(f"MinHash exactness: {compared} signatures of {len(texts)} texts from the corpus bodies identical to "
          f"datasketch 2.0.0's, bit for bit (MinHash step: ours {ours / compared * 1e3:.3f} ms a body on average, "
          f"datasketch's {theirs / compared * 1e3:.3f} ms)")


def synthetic_story(rng: random.Random, vocabulary: list[str], length: int) -> str:
    return " ".join(rng.choices(vocabulary, k=length))


def cost(bodies: list[dict], articles: int, checks: int) -> None:
    rng = random.Random(20000)
    vocabulary = sorted({word for body in bodies if not body["cjk"] for word in tokens(join(body["paragraphs"]))})
    lengths = [len(tokens(join(body["paragraphs"]))) for body in bodies if not body["cjk"]]
    stories = [synthetic_story(rng, vocabulary, rng.choice(lengths)) for _ in range(articles)]
    started = time.perf_counter()
    index = FingerprintIndex(0.5)
    for number, story in enumerate(stories):
        signature = fingerprint_of(story)
        assert signature is not None
        index.add(StoredFingerprint(f"https://example.com/{number}", signature))
    built = time.perf_counter() - started
    # Loading a ledger's fingerprints (no shingling): what a run does when it starts.
    stored = [index.get(f"https://example.com/{number}") for number in range(articles)]
    del index
    started = time.perf_counter()
    reloaded = FingerprintIndex(0.5)
    reloaded.add_many(stored)
    load = time.perf_counter() - started
    # Memory of the index itself (traced apart: tracing slows what it traces).
    tracemalloc.start()
    measured = FingerprintIndex(0.5)
    measured.add_many(stored)
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del measured

    new = []
    for number in range(checks):
        if number % 2:
            words = stories[rng.randrange(articles)].split()
            words[len(words) // 2 : len(words) // 2] = synthetic_story(rng, vocabulary, 40).split()
            new.append((" ".join(words), True))
        else:
            new.append((synthetic_story(rng, vocabulary, rng.choice(lengths)), False))
    fingerprinting, lookup, right = [], [], 0
    # CPU time of this process: on a shared machine, wall time measures the neighbours too.
    for number, (text, is_copy) in enumerate(new):
        started = time.process_time()
        signature = fingerprint_of(text)
        middle = time.process_time()
        found = reloaded.match(signature, f"https://new.example/{number}") if signature else None
        done = time.process_time()
        fingerprinting.append(middle - started)
        lookup.append(done - middle)
        right += (found is not None) == is_copy
    print(f"\nCost at {articles} mirrored articles (CPU time per check) (median body {statistics.median(lengths)} words), {checks} checks, half copies:")
    print(f"  index built from bodies in {built:.1f} s; from stored fingerprints (a run's start) in {load:.2f} s; "
          f"memory {memory / 1e6:.1f} MB")
    for name, values in (("fingerprint (shingles + MinHash)", fingerprinting), ("index lookup (LSH + estimate)", lookup),
                         ("whole check", [a + b for a, b in zip(fingerprinting, lookup)])):
        ordered = sorted(values)
        print(f"  {name}: median {statistics.median(values) * 1e3:.3f} ms, p95 {ordered[int(len(ordered) * .95)] * 1e3:.3f} ms, "
              f"mean {statistics.fmean(values) * 1e3:.3f} ms")
    print(f"  answers right: {right}/{checks}")
    parts(new)
    library_lsh(stored, new, reloaded.threshold)
    # The hand-written option: SimHash, each check a linear scan of every stored hash.
    sample = new[:200]
    started = time.perf_counter()
    hashes = [simhash(story) for story in stories[:2000]]
    per_hash = (time.perf_counter() - started) / 2000
    hashes = hashes * (articles // 2000)
    started = time.perf_counter()
    for text, _ in sample:
        value = simhash(text)
        any(simhash_alike(value, other, 0.8) for other in hashes)
    per_check = (time.perf_counter() - started) / len(sample)
    print(f"  hand-written SimHash: {per_hash * 1e3:.2f} ms to hash a body; a check with a linear scan of "
          f"{articles}: {per_check * 1e3:.2f} ms")


def parts(new: list) -> None:
    """Time the parts of a fingerprint apart, on the same new bodies: tokens, shingle hashes, MinHash."""
    from newsmirror.fingerprints import minhash_signature, shingle_hashes

    tokenising, hashing, permuting = [], [], []
    for text, _ in new:
        started = time.process_time()
        tokens(text)
        tokenised = time.process_time()
        hashes = shingle_hashes(text)  # tokens again, then the hashes
        hashed = time.process_time()
        minhash_signature(hashes)
        done = time.process_time()
        tokenising.append(tokenised - started)
        hashing.append(max(0.0, (hashed - tokenised) - (tokenised - started)))
        permuting.append(done - hashed)
    print("  parts of a fingerprint (medians): " + ", ".join(
        f"{name} {statistics.median(values) * 1e3:.3f} ms"
        for name, values in (("tokens", tokenising), ("shingle hashes", hashing), ("MinHash (permutations + min)", permuting))
    ))


# What the crawl process holds before and after the duplicate check starts: Scrapy and lxml
# imported (as every crawl has them), then the fingerprint module, one body fingerprinted
# and an index built. Run in a fresh interpreter so nothing else is loaded.
_RSS_PROBE = """
import re, sys
def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if line.startswith(("VmRSS", "VmHWM")))
    return "RSS %.1f MB, peak %.1f MB" % tuple(int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))
import scrapy, lxml.html
print("  scrapy + lxml imported:", status())
from newsmirror.fingerprints import FingerprintIndex, fingerprint_of
print("  + newsmirror.fingerprints imported:", status())
FingerprintIndex(0.5).add_many([])
assert fingerprint_of(" ".join("word%d" % (number % 97) for number in range(600)))
print("  + one body fingerprinted:", status(), "; datasketch imported:", "datasketch" in sys.modules,
      "; scipy imported:", "scipy" in sys.modules)
"""


def crawl_rss(code_root: Path) -> None:
    """Print the RSS (VmRSS, VmHWM) of a fresh process with Scrapy and lxml, then the duplicate check, from *code_root*."""
    import subprocess

    print(f"\nCrawl-process memory with the duplicate check on (code of {code_root}):")
    subprocess.run([sys.executable, "-c", _RSS_PROBE], check=True, cwd=code_root)


def library_lsh(stored: list, new: list, threshold: float) -> None:
    """The same index as datasketch's own MinHashLSH: load time, memory and lookup (what we measured against)."""
    from datasketch import LeanMinHash, MinHashLSH

    def lean(signature: bytes) -> LeanMinHash:
        values = np.frombuffer(signature, dtype="<u4").astype(np.uint32)
        return LeanMinHash(seed=1, hashvalues=values, scheme="affine32")

    started = time.perf_counter()
    lsh, kept = MinHashLSH(threshold=threshold, num_perm=128), {}
    for entry in stored:
        kept[entry.canonical_url] = minhash = lean(entry.signature)
        lsh.insert(entry.canonical_url, minhash)
    load = time.perf_counter() - started
    del lsh, kept
    tracemalloc.start()
    lsh, kept = MinHashLSH(threshold=threshold, num_perm=128), {}
    for entry in stored:
        kept[entry.canonical_url] = minhash = lean(entry.signature)
        lsh.insert(entry.canonical_url, minhash)
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    lookups = []
    for text, _ in new[:500]:
        query = lean(fingerprint_of(text))
        started = time.process_time()
        found = [key for key in lsh.query(query) if query.jaccard(kept[key]) >= threshold]
        lookups.append(time.process_time() - started)
    print(f"  datasketch MinHashLSH (same fingerprints): loaded in {load:.2f} s, memory {memory / 1e6:.1f} MB, "
          f"lookup median {statistics.median(lookups) * 1e3:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--cost-only", action="store_true", help="skip the labelled pairs; measure the cost alone")
    parser.add_argument("--rss", type=Path, nargs="?", const=REPO_ROOT, metavar="CODE_ROOT",
                        help="only print the crawl process's memory with the check on (of another checkout's code, if given)")
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "bench" / "out" / "duplicate-bodies.json",
                        help="the extracted corpus bodies, kept between runs (delete it after changing extraction)")
    args = parser.parse_args()
    if args.rss:
        crawl_rss(args.rss)
        return
    started = time.perf_counter()
    bodies = corpus_bodies(args.corpus, args.cache)
    print(f"{len(bodies)} corpus bodies long enough to fingerprint "
          f"({sum(body['cjk'] for body in bodies)} Chinese/Japanese/Korean), read in {time.perf_counter() - started:.0f} s")
    exactness(bodies)
    if not args.cost_only:
        accuracy(bodies)
    cost(bodies, args.articles, args.checks)


if __name__ == "__main__":
    main()
