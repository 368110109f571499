"""WebP (lossy) through Pillow's libwebp."""

from __future__ import annotations

import numpy as np

from encoders._common import check_int, check_quality, pil_decode, pil_encode, require

NAME = "webp"
FORMAT = "WEBP"  # Pillow's plugin name
MAX_DIMENSION = 16383  # pixels a side the format takes
EXTENSION = ".webp"
INSTALL_HINT = "a Pillow built with WebP support (the PyPI wheels have it)"

try:
    from PIL import features as _features

    available = bool(_features.check("webp"))
except ImportError:  # pragma: no cover
    available = False


def _require() -> None:
    require(NAME, available, INSTALL_HINT)


def version() -> str:
    _require()
    from PIL import features

    return "libwebp " + str(features.version("webp"))


def check(data: bytes) -> bool:
    return bytes(data[:4]) == b"RIFF" and bytes(data[8:12]) == b"WEBP"


def encode(image: np.ndarray, /, quality: int = 75, *, method: int = 6) -> bytes:
    """Encode uint8 HxW or HxWx3 to lossy WebP; `method` 0 (fast) .. 6 (smallest)."""
    _require()
    quality = check_quality(quality, 0, 100)
    return pil_encode(image, FORMAT, MAX_DIMENSION, quality=quality, method=check_int("method", method, 0, 6), exif=b"", icc_profile=None)


def decode(data: bytes) -> np.ndarray:
    _require()
    return pil_decode(data, NAME, FORMAT, check)
