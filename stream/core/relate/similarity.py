"""Near-duplicate similarity of two 64-bit SimHash signatures.

Uses ``stream.core.normalize.fingerprint.similarity`` when the normalize stage provides it, so the
whole service agrees on one definition; the local fallback is the same measure.
"""

from __future__ import annotations

_MASK64 = (1 << 64) - 1


def _hamming_similarity(a: int, b: int) -> float:
    """1 - (differing bits / 64): 1.0 for equal signatures, about 0.5 for unrelated texts."""
    return 1.0 - ((a ^ b) & _MASK64).bit_count() / 64.0


try:  # pragma: no cover - depends on which stages are installed
    from stream.core.normalize.fingerprint import NEAR_DUPLICATE_THRESHOLD
    from stream.core.normalize.fingerprint import similarity as _normalize_similarity
except ImportError:  # pragma: no cover
    _normalize_similarity = None
    NEAR_DUPLICATE_THRESHOLD = 0.85  # at most 9 of 64 bits differ

simhash_similarity = _normalize_similarity or _hamming_similarity
