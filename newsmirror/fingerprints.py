"""Fingerprints of article bodies, to recognise one story mirrored twice (syndicated copies, issue 16).

A fingerprint is a MinHash (datasketch 2.0.0's, computed here with numpy) of the body's shingles: runs of
:data:`SHINGLE_TOKENS` tokens, where a token is a word, or one character of Chinese,
Japanese or Korean text (those scripts do not separate words by spaces). Two bodies whose
shingle sets overlap by at least the threshold (Jaccard similarity) are one story: a new
headline or an added paragraph changes a few shingles, a different story from the same
template shares only the template's.

Fingerprints are stored in the ledger; :class:`FingerprintIndex` holds them in memory,
banded for locality-sensitive hashing, so a check costs about the same at 20,000
articles as at 20 (``bench/duplicates.py``). Pure Python and numpy: reader processes and benchmarks use it
without Scrapy.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

from newsmirror.store.ledger import StoredFingerprint

# Everything that decides a fingerprint's bits is fixed here: fingerprints are kept across
# runs, so a change to any of these (or to the hashing below) needs a new FINGERPRINT_SCHEME.
FINGERPRINT_SCHEME = "minhash-affine32-128-t4"
NUM_PERM = 128
_SEED = 1
SHINGLE_TOKENS = 4
# Below this many shingles a body says too little to tell one story from another
# (a photo caption, a one-line flash); it is neither checked nor indexed.
MIN_SHINGLES = 20

# One token: a run of letters and digits, or a single CJK ideograph, kana or hangul syllable.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
# The same tokens on text without CJK characters, where the alternation above never
# takes its first branch: a quarter cheaper, and most bodies have none (bench/duplicates.py).
_CJK_CHARACTER = re.compile(rf"[{_CJK}]")
_WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """Return the words (and CJK characters) of *text*, case- and width-folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return (_WORD if _CJK_CHARACTER.search(folded) is None else _TOKEN).findall(folded)


def shingles(text: str, size: int = SHINGLE_TOKENS) -> set[bytes]:
    """Return the set of *size*-token runs of *text*, UTF-8 encoded (for reading; fingerprints hash them faster)."""
    words = tokens(text)
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[start : start + size]).encode("utf-8") for start in range(len(words) - size + 1)}


# A 32-bit hash of each shingle, rolled over its tokens' CRC-32s: stable across processes
# and runs (unlike hash()), and computed with numpy rather than one string per shingle.
_ROLL = np.uint64(1_000_003)
_LOW_32 = np.uint64(0xFFFF_FFFF)


def shingle_hashes(text: str, size: int = SHINGLE_TOKENS) -> np.ndarray:
    """Return the distinct 32-bit hashes of *text*'s shingles, sorted (uint64 values below 2**32)."""
    words = tokens(text)
    # One join, one encode and one split for all tokens, then CRC-32 in C: cheaper than
    # looking each word up in a dict of the distinct ones. No token holds a NUL.
    token_hashes = np.fromiter(
        map(zlib.crc32, "\0".join(words).encode("utf-8").split(b"\0")), dtype=np.uint64, count=len(words)
    ) if words else np.zeros(0, dtype=np.uint64)
    count = len(words) - size + 1
    if count < 1:
        return _distinct(token_hashes)
    rolled = token_hashes[:count].copy()
    for offset in range(1, size):
        rolled *= _ROLL
        rolled += token_hashes[offset : offset + count]
        rolled &= _LOW_32
    return _distinct(rolled)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Return the distinct values of a uint64 array, sorted (np.unique's hash table costs 5x more here)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


# The MinHash is datasketch 2.0.0's "affine32" scheme, computed here: each shingle hash is
# mixed once by MurmurHash3's 32-bit finalizer, then permutation k maps it to
# a[k] * h + b[k] mod 2**32 (uint32 arithmetic wraps), and the signature keeps each
# permutation's minimum. a and b are datasketch's, drawn from numpy's legacy RandomState
# with the same seed, whose stream numpy keeps frozen (NEP 19). Fingerprints written while
# the crawl used datasketch itself are bit for bit the ones computed here:
# tests/test_duplicates.py checks it against a known answer recorded from datasketch
# 2.0.0, and against datasketch itself when it is installed (bench/requirements-bench.txt).
# Our own code because datasketch imports scipy: ~70 MB of the crawl's memory, for 20 lines.
def _draw_permutations() -> tuple[np.ndarray, np.ndarray]:
    """Return datasketch's affine32 permutation parameters (a odd, b) for NUM_PERM and _SEED."""
    generator = np.random.RandomState(_SEED)
    multipliers = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    offsets = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return multipliers, offsets


_MULTIPLIERS, _OFFSETS = _draw_permutations()
# Shingles permuted at a time: a block of 2,048 x 128 values (1 MB) stays in cache, and a
# very long body does not allocate its whole shingles x permutations matrix at once.
_BLOCK = 2048


def _murmur3_finalizer(values: np.ndarray) -> np.ndarray:
    """Return MurmurHash3's 32-bit finalizer (fmix32) of each uint32 value: a bijection that spreads bits."""
    values = values ^ (values >> np.uint32(16))
    values *= np.uint32(0x85EB_CA6B)
    values ^= values >> np.uint32(13)
    values *= np.uint32(0xC2B2_AE35)
    values ^= values >> np.uint32(16)
    return values


def minhash_signature(hashes: np.ndarray) -> np.ndarray:
    """Return the NUM_PERM-value MinHash (uint32) of a set of 32-bit hashes, as datasketch's affine32 gives it."""
    mixed = _murmur3_finalizer(np.asarray(hashes).astype(np.uint32))
    signature = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)  # datasketch's empty value
    permuted = np.empty((NUM_PERM, min(len(mixed), _BLOCK)), dtype=np.uint32)
    for start in range(0, len(mixed), _BLOCK):
        block = mixed[start : start + _BLOCK]
        out = permuted[:, : len(block)]
        # One pass for all permutations: a row per permutation, so the minimum runs along memory.
        np.multiply.outer(_MULTIPLIERS, block, out=out)
        out += _OFFSETS[:, np.newaxis]
        np.minimum(signature, out.min(axis=1), out=signature)
    return signature


def fingerprint_of(text: str) -> bytes | None:
    """Return the fingerprint (NUM_PERM * 4 bytes) of a body's text, or None when it is too short."""
    hashes = shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return None
    return minhash_signature(hashes).astype("<u4").tobytes()


def _signature_array(signature: bytes) -> np.ndarray:
    """Return a stored fingerprint as its NUM_PERM MinHash values."""
    if len(signature) != NUM_PERM * 4:
        raise ValueError(f"a fingerprint is {NUM_PERM * 4} bytes, not {len(signature)}")
    return np.frombuffer(signature, dtype="<u4").astype(np.uint32)


def similarity(first: bytes, second: bytes) -> float:
    """Return the estimated Jaccard similarity of two fingerprints' shingle sets (their share of equal values)."""
    return float((_signature_array(first) == _signature_array(second)).mean())


@dataclass(frozen=True)
class Match:
    """An earlier article a body is a copy of: the original, and how alike the closest one is."""

    original: str
    closest: str
    similarity: float
    in_flight: bool = False  # the original is one another worker is writing now, not yet in the ledger


def band_layout(threshold: float) -> tuple[int, int]:
    """Return (bands, rows) for LSH at *threshold*: the most rows per band whose S-curve turns at or below it.

    Two fingerprints share a band with probability 1 - (1 - s**rows)**bands for similarity
    s; that curve rises around (1 / bands) ** (1 / rows). Turning below the threshold keeps
    every copy a candidate; candidates are then checked on their estimate.
    """
    layout = (NUM_PERM, 1)
    for rows in range(1, 9):
        bands = NUM_PERM // rows
        if (1 / bands) ** (1 / rows) <= threshold:
            layout = (bands, rows)
    return layout


# Band keys: a band's rows rolled into 64 bits, the low 6 bits replaced by the band's number
# (at most 64 bands), so all bands share one sorted array.
_BAND_ROLL = np.uint64(0x9E37_79B9_7F4A_7C15)
_BAND_BITS = np.uint64(~np.uint64(63))
_GROWTH = 1024


class FingerprintIndex:
    """The fingerprints of every article mirrored so far, searchable by similarity (MinHash LSH).

    Compact on purpose: the signatures sit in one numpy matrix and the band keys in one
    sorted array (new rows wait in a short unsorted tail), 1.3 KB an article. datasketch's
    own MinHashLSH held 20,000 fingerprints in 171 MB and took 3.8 s to load them at each
    run's start (``bench/RESULTS.md``).
    """

    def __init__(self, threshold: float) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"the duplicate threshold must be between 0 and 1, not {threshold!r}")
        self.threshold = threshold
        self.bands, self.rows = band_layout(threshold)
        self._signatures = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self._keys = np.zeros((0, self.bands), dtype=np.uint64)
        self._urls: list[str | None] = []  # by row; None once replaced or discarded
        self._duplicate_of: list[str | None] = []
        self._schemes: list[str] = []
        self._row: dict[str, int] = {}
        self._size = 0
        self._sorted_keys = np.zeros(0, dtype=np.uint64)
        self._sorted_rows = np.zeros(0, dtype=np.int64)
        self._sorted_upto = 0  # rows below this are in the sorted arrays

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, canonical_url: object) -> bool:
        return canonical_url in self._row

    def _band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """Return the band keys (one per band) of each row of *signatures*."""
        banded = signatures[:, : self.bands * self.rows].astype(np.uint64).reshape(-1, self.bands, self.rows)
        keys = banded[:, :, 0].copy()
        for row in range(1, self.rows):
            keys = keys * _BAND_ROLL + banded[:, :, row]  # uint64 arrays wrap around, as a hash should
        return (keys & _BAND_BITS) | np.arange(self.bands, dtype=np.uint64)

    def add(self, stored: StoredFingerprint) -> None:
        """Add (or replace) one article's fingerprint."""
        self.add_many([stored])

    def add_many(self, found: list[StoredFingerprint]) -> None:
        """Add (or replace) fingerprints, later ones of a URL replacing earlier ones: a ledger's, at a run's start."""
        if not found:
            return
        for stored in found:
            self.discard(stored.canonical_url)
        if any(len(stored.signature) != NUM_PERM * 4 for stored in found):
            raise ValueError(f"a fingerprint is {NUM_PERM * 4} bytes")
        joined = b"".join(stored.signature for stored in found)
        signatures = np.frombuffer(joined, dtype="<u4").astype(np.uint32).reshape(len(found), NUM_PERM)
        needed = self._size + len(found)
        if needed > len(self._signatures):
            grow = max(_GROWTH, needed - len(self._signatures), self._size // 2)
            self._signatures = np.concatenate([self._signatures, np.zeros((grow, NUM_PERM), dtype=np.uint32)])
            self._keys = np.concatenate([self._keys, np.zeros((grow, self.bands), dtype=np.uint64)])
        self._signatures[self._size : needed] = signatures
        self._keys[self._size : needed] = self._band_keys(signatures)
        for offset, stored in enumerate(found):
            previous = self._row.get(stored.canonical_url)
            if previous is not None:
                self._urls[previous] = None  # a later line of the same batch replaces it
            self._urls.append(stored.canonical_url)
            self._duplicate_of.append(stored.duplicate_of)
            self._schemes.append(stored.scheme)
            self._row[stored.canonical_url] = self._size + offset
        self._size = needed
        if self._size - self._sorted_upto > max(_GROWTH, self._sorted_upto // 8):
            self._sort()

    def _sort(self) -> None:
        """Move the tail into the sorted band keys."""
        flat = self._keys[: self._size].ravel()
        order = np.argsort(flat)
        self._sorted_keys = flat[order]
        self._sorted_rows = order // self.bands
        self._sorted_upto = self._size

    def discard(self, canonical_url: str) -> None:
        """Remove an article's fingerprint, if it is indexed."""
        row = self._row.pop(canonical_url, None)
        if row is not None:
            self._urls[row] = None

    def get(self, canonical_url: str) -> StoredFingerprint | None:
        """Return an indexed article's fingerprint, or None."""
        row = self._row.get(canonical_url)
        if row is None:
            return None
        signature = self._signatures[row].astype("<u4").tobytes()
        return StoredFingerprint(canonical_url, signature, self._duplicate_of[row], self._schemes[row])

    def _candidates(self, keys: np.ndarray) -> np.ndarray:
        """Return the rows that share at least one band with *keys*."""
        found = []
        if self._sorted_upto:
            keys = np.sort(keys)  # sorted needles: searchsorted walks the haystack once, cache-friendly
            low = np.searchsorted(self._sorted_keys, keys, side="left")
            high = np.searchsorted(self._sorted_keys, keys, side="right")
            hits = np.flatnonzero(high > low)
            found += [self._sorted_rows[low[band] : high[band]] for band in hits.tolist()]
        if self._size > self._sorted_upto:
            tail = self._keys[self._sorted_upto : self._size]
            found.append(np.flatnonzero((tail == keys).any(axis=1)) + self._sorted_upto)
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def match(self, signature: bytes, own_url: str) -> Match | None:
        """Return the earlier story *signature* is a copy of, or None.

        The article's own earlier fingerprint (a refresh) and copies of the article itself
        never count. Of several matches the closest wins; its original is the answer, so
        a copy of a copy points at the first.
        """
        query = _signature_array(signature)
        rows = self._candidates(self._band_keys(query[np.newaxis, :])[0])
        if not len(rows):
            return None
        scores = (self._signatures[rows] == query).mean(axis=1)
        best: Match | None = None
        for row, score in zip(rows.tolist(), scores.tolist()):
            url = self._urls[row]
            if url is None or url == own_url or score < self.threshold:
                continue
            original = self._duplicate_of[row] or url
            if original != own_url and (best is None or score > best.similarity):
                best = Match(original, url, score)
        return best
