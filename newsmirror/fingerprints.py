"""Fingerprints of article bodies, to recognise one story mirrored twice (syndicated copies, issue 16).

A fingerprint is a MinHash (datasketch) of the body's shingles: runs of
:data:`SHINGLE_TOKENS` tokens, where a token is a word, or one character of Chinese,
Japanese or Korean text (those scripts do not separate words by spaces). Two bodies whose
shingle sets overlap by at least the threshold (Jaccard similarity) are one story: a new
headline or an added paragraph changes a few shingles, a different story from the same
template shares only the template's.

Fingerprints are stored in the ledger; :class:`FingerprintIndex` holds them in memory,
banded by MinHash LSH, so a check costs the same at 20,000 articles as at 20
(``bench/duplicates.py``). Pure Python and numpy: reader processes and benchmarks use it
without Scrapy.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from newsmirror.store.ledger import StoredFingerprint

# Everything that decides a fingerprint's bits is fixed here: fingerprints are kept across
# runs, so a change to any of these (or to datasketch's hashing) needs a new FINGERPRINT_SCHEME.
FINGERPRINT_SCHEME = "minhash-affine32-128-t4"
NUM_PERM = 128
_SEED = 1
_DATASKETCH_SCHEME = "affine32"  # 4 bytes a permutation: 512 bytes a fingerprint
SHINGLE_TOKENS = 4
# Below this many shingles a body says too little to tell one story from another
# (a photo caption, a one-line flash); it is neither checked nor indexed.
MIN_SHINGLES = 20

# One token: a run of letters and digits, or a single CJK ideograph, kana or hangul syllable.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def tokens(text: str) -> list[str]:
    """Return the words (and CJK characters) of *text*, case- and width-folded."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


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
    """Return the distinct 32-bit hashes of *text*'s shingles (uint64 values below 2**32)."""
    words = tokens(text)
    # News text repeats its words: each distinct one is hashed once.
    codes = {word: zlib.crc32(word.encode("utf-8")) for word in set(words)}
    token_hashes = np.fromiter(map(codes.__getitem__, words), dtype=np.uint64, count=len(words))
    count = len(words) - size + 1
    if count < 1:
        return np.unique(token_hashes)
    rolled = token_hashes[:count].copy()
    for offset in range(1, size):
        rolled = (rolled * _ROLL + token_hashes[offset : offset + count]) & _LOW_32
    return np.unique(rolled)


# Drawing NUM_PERM permutations costs more than applying them: drawn once, shared by all.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_DATASKETCH_SCHEME).permutations


def fingerprint_of(text: str) -> bytes | None:
    """Return the fingerprint (NUM_PERM * 4 bytes) of a body's text, or None when it is too short."""
    hashes = shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return None
    minhash = MinHash(
        num_perm=NUM_PERM, seed=_SEED, hashfunc=int,  # the shingle hashes are hashes already
        permutations=_PERMUTATIONS, scheme=_DATASKETCH_SCHEME
    )
    minhash.update_batch(hashes.tolist())
    return minhash.hashvalues.astype("<u4").tobytes()


def _minhash(signature: bytes) -> LeanMinHash:
    """Rebuild a MinHash from a stored fingerprint."""
    if len(signature) != NUM_PERM * 4:
        raise ValueError(f"a fingerprint is {NUM_PERM * 4} bytes, not {len(signature)}")
    values = np.frombuffer(signature, dtype="<u4").astype(np.uint32)
    return LeanMinHash(seed=_SEED, hashvalues=values, scheme=_DATASKETCH_SCHEME)


def similarity(first: bytes, second: bytes) -> float:
    """Return the estimated Jaccard similarity of two fingerprints' shingle sets."""
    return float(_minhash(first).jaccard(_minhash(second)))


@dataclass(frozen=True)
class Match:
    """An earlier article a body is a copy of: the original, and how alike the closest one is."""

    original: str
    closest: str
    similarity: float


class FingerprintIndex:
    """The fingerprints of every article mirrored so far, searchable by similarity (MinHash LSH)."""

    def __init__(self, threshold: float) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"the duplicate threshold must be between 0 and 1, not {threshold!r}")
        self.threshold = threshold
        # LSH finds candidates above about the threshold; each is then checked on its estimate.
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._entries: dict[str, tuple[StoredFingerprint, LeanMinHash]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, canonical_url: object) -> bool:
        return canonical_url in self._entries

    def add(self, stored: StoredFingerprint) -> None:
        """Add (or replace) one article's fingerprint."""
        self.discard(stored.canonical_url)
        minhash = _minhash(stored.signature)
        self._lsh.insert(stored.canonical_url, minhash)
        self._entries[stored.canonical_url] = (stored, minhash)

    def discard(self, canonical_url: str) -> None:
        """Remove an article's fingerprint, if it is indexed."""
        if self._entries.pop(canonical_url, None) is not None:
            self._lsh.remove(canonical_url)

    def get(self, canonical_url: str) -> StoredFingerprint | None:
        """Return an indexed article's fingerprint, or None."""
        entry = self._entries.get(canonical_url)
        return entry[0] if entry else None

    def match(self, signature: bytes, own_url: str) -> Match | None:
        """Return the earlier story *signature* is a copy of, or None.

        The article's own earlier fingerprint (a refresh) and copies of the article itself
        never count. Of several matches the closest wins; its original is the answer, so
        a copy of a copy points at the first.
        """
        minhash = _minhash(signature)
        best: Match | None = None
        for candidate in self._lsh.query(minhash):
            stored, other = self._entries[candidate]
            if candidate == own_url or stored.original == own_url:
                continue
            score = float(minhash.jaccard(other))
            if score >= self.threshold and (best is None or score > best.similarity):
                best = Match(stored.original, candidate, score)
        return best
