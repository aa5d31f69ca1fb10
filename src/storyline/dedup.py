"""Near-duplicate detection: MinHash signatures and LSH band keys over clean article bodies.

Syndicated copies and re-scrapes of one story differ in boilerplate, bylines and a sentence here or
there, so exact hashing (`clean.content_hash`) misses them. These functions are pure: the store keeps
the band keys in an indexed column and looks candidates up by key, then confirms each candidate with
`similarity`, so memory never grows with the corpus.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

__all__ = ["DedupConfig", "band_keys", "signature", "similarity"]

_WORDS = re.compile(r"\w+")
# datasketch's permutations come from this seed; changing it changes every stored signature.
_SEED = 1
_SCHEME = "affine32"
# Candidates are confirmed with `similarity`, so a false candidate costs one comparison while a
# missed one is a duplicate kept for good: bands and rows must find a pair at the threshold this surely.
_RECALL_AT_THRESHOLD = 0.99
_INTEGRATION_POINTS = 1001


@dataclass(frozen=True)
class DedupConfig:
    """Parameters of near-duplicate detection; bands and rows follow from threshold and num_perm.

    Five-word shingles: short enough that a re-scrape differing by a few lines keeps most shingles,
    long enough that two different reports on the same event (same names, same places, same stock
    phrases) share few.
    """

    threshold: float = 0.8
    num_perm: int = 128
    shingle_words: int = 5

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")
        if self.num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, got {self.num_perm}")
        if self.shingle_words < 1:
            raise ValueError(f"shingle_words must be at least 1, got {self.shingle_words}")

    @property
    def bands(self) -> int:
        return _bands_rows(self.threshold, self.num_perm)[0]

    @property
    def rows(self) -> int:
        return _bands_rows(self.threshold, self.num_perm)[1]


@lru_cache(maxsize=32)
def _bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands × rows giving the fewest false candidates while still finding pairs at the threshold.

    Two texts of Jaccard s share a band with probability P(s) = 1 - (1 - s^r)^b. Among the splits
    with P(threshold) ≥ 0.99 this takes the one with the smallest false-positive area (P integrated
    below the threshold), the criterion datasketch's MinHashLSH weighs against misses; datasketch's
    equal weighting would miss a third of the pairs right at the threshold. When no split reaches
    that recall (very few permutations), the one with the highest recall is taken.
    """
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)])
    bands, rows = pairs[:, :1].astype(float), pairs[:, 1:].astype(float)
    below = np.linspace(0.0, threshold, _INTEGRATION_POINTS)
    false_positive = np.trapezoid(1.0 - (1.0 - below**rows) ** bands, below, axis=1)
    recall = 1.0 - (1.0 - threshold ** pairs[:, 1]) ** pairs[:, 0]
    eligible = recall >= _RECALL_AT_THRESHOLD
    best = int(np.argmin(np.where(eligible, false_positive, np.inf))) if eligible.any() else int(np.argmax(recall))
    return int(pairs[best, 0]), int(pairs[best, 1])


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed-seed permutations, made once per size instead of once per article."""
    a, b = MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME).permutations
    return a, b


def _shingles(text: str, width: int) -> set[bytes]:
    """Word shingles of the casefolded text; punctuation and spacing never matter."""
    words = _WORDS.findall(text.casefold())
    if len(words) <= width:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + width]).encode() for i in range(len(words) - width + 1)}


def signature(text: str, config: DedupConfig = DedupConfig()) -> bytes:
    """MinHash of the text's word shingles, packed as little-endian uint32 (4 bytes per permutation).

    The hash function (SHA-1) and permutation seed are fixed, so the same text gives the same bytes in
    every process and on every machine.
    """
    minhash = MinHash(
        num_perm=config.num_perm, seed=_SEED, permutations=_permutations(config.num_perm), scheme=_SCHEME
    )
    shingles = _shingles(text, config.shingle_words)
    if shingles:
        minhash.update_batch(shingles)
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


def _unpack(sig: bytes) -> np.ndarray:
    if len(sig) % 4:
        raise ValueError(f"a signature is a whole number of uint32 values, got {len(sig)} bytes")
    return np.frombuffer(sig, dtype="<u4")


def band_keys(sig: bytes, config: DedupConfig = DedupConfig()) -> list[str]:
    """One short key per LSH band: texts sharing any key are near-duplicate candidates.

    A key is "<rows>r<band>:<16 hex digits of the band's hash>"; naming rows and band keeps keys from
    different configurations and bands apart in one index column.
    """
    values = _unpack(sig)
    if len(values) != config.num_perm:
        raise ValueError(f"signature has {len(values)} values, config expects {config.num_perm}")
    rows = config.rows
    keys = []
    for band in range(config.bands):
        chunk = values[band * rows : (band + 1) * rows].tobytes()
        keys.append(f"{rows}r{band}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return keys


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    left, right = _unpack(a), _unpack(b)
    if len(left) != len(right):
        raise ValueError(f"signatures differ in length ({len(left)} and {len(right)} values)")
    return float(np.count_nonzero(left == right)) / len(left)
