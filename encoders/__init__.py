"""Standard image codecs behind one small interface.

Each codec is one module (``jpeg``, ``webp``, ``avif``, ``jxl``) with the same members::

    NAME: str                 # "jpeg", ...
    EXTENSION: str            # ".jpg", ...
    available: bool           # the backend imported
    version() -> str          # backend library and version
    check(data) -> bool       # do the bytes start with this codec's magic?
    encode(image, /, quality, **options) -> bytes   # uint8 HxW or HxWx3
    decode(data) -> numpy.ndarray                    # uint8 HxW or HxWx3
    metadata(data) -> dict    # {"icc_profile"/"exif"/"xmp": bytes} the file carries (encode's metadata=)
    probe(data) -> Probe      # width, height, end, scans from the headers alone, never decoding

A codec whose backend is missing still imports; using it raises `BackendMissing`, which names
what to install. This package knows nothing of srcodec.
"""

from __future__ import annotations

from types import ModuleType

from encoders._common import METADATA_KEYS, BackendMissing, EncoderError, Probe, as_metadata
from encoders import avif, jpeg, jxl, webp

__all__ = ["METADATA_KEYS", "as_metadata", "BackendMissing", "EncoderError", "Probe", "CODECS", "get", "sniff", "fit_budget"]

CODECS: dict[str, ModuleType] = {m.NAME: m for m in (jpeg, webp, avif, jxl)}


def get(name: str) -> ModuleType:
    """Return the codec module called `name`; raise `EncoderError` for an unknown name."""
    try:
        return CODECS[name]
    except (KeyError, TypeError):
        raise EncoderError(f"codec must be one of {sorted(CODECS)}, got {name!r}") from None


def fit_budget(encode, budget: int, low: int = 1, high: int = 100) -> tuple[int, bytes] | None:
    """The (quality, bytes) of the highest quality in low..high whose `encode(quality)` is at
    most `budget` bytes, or None when even `low` is too big. Bisects: size grows with quality."""
    best = None
    while low <= high:
        mid = (low + high) // 2
        data = encode(mid)
        if len(data) <= budget:
            best, low = (mid, data), mid + 1
        else:
            high = mid - 1
    return best


def sniff(data: bytes) -> ModuleType | None:
    """Return the codec whose magic bytes start `data`, or None."""
    for module in CODECS.values():
        if module.check(data):
            return module
    return None
