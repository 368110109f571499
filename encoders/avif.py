"""AVIF through Pillow's libavif (Pillow 11.3 and newer ship it in their wheels)."""

from __future__ import annotations

import numpy as np

from encoders._common import check_int, check_quality, pil_decode, pil_encode, require

NAME = "avif"
FORMAT = "AVIF"  # Pillow's plugin name
MAX_DIMENSION = 32768  # pixels a side the format takes
EXTENSION = ".avif"
INSTALL_HINT = "Pillow>=11.3 with AVIF support: pip install 'pillow>=11.3'"

try:
    from PIL import features as _features

    available = bool(_features.check("avif"))
except (ImportError, ValueError):  # older Pillow does not know the feature name
    available = False


def _require() -> None:
    require(NAME, available, INSTALL_HINT)


def version() -> str:
    _require()
    from PIL import features

    return "libavif " + str(features.version("avif"))


def check(data: bytes) -> bool:
    return bytes(data[4:8]) == b"ftyp" and bytes(data[8:12]) in (b"avif", b"avis")


def encode(image: np.ndarray, /, quality: int = 60, *, speed: int = 6, subsampling: str = "4:2:0") -> bytes:
    """Encode uint8 HxW or HxWx3 to AVIF; `speed` 0 (slowest, smallest) .. 10."""
    _require()
    quality = check_quality(quality, 0, 100)
    return pil_encode(image, FORMAT, MAX_DIMENSION, quality=quality, speed=check_int("speed", speed, 0, 10), subsampling=subsampling)


def decode(data: bytes) -> np.ndarray:
    _require()
    return pil_decode(data, NAME, FORMAT, check)
