"""JPEG through Pillow's libjpeg-turbo: optimized Huffman tables, no metadata segments."""

from __future__ import annotations

import numpy as np

from encoders._common import EncoderError, check_quality, pil_decode, pil_encode

NAME = "jpeg"
FORMAT = "JPEG"  # Pillow's plugin name
MAX_DIMENSION = 65500  # pixels a side the format takes
EXTENSION = ".jpg"
SUBSAMPLINGS = ("4:4:4", "4:2:2", "4:2:0")

try:
    from PIL import features as _features

    available = bool(_features.check("jpg"))
except ImportError:  # pragma: no cover - Pillow is a core dependency
    available = False


def version() -> str:
    from PIL import features

    turbo = "libjpeg-turbo " if features.check("libjpeg_turbo") else "libjpeg "
    return turbo + str(features.version("jpg"))


def check(data: bytes) -> bool:
    return bytes(data[:3]) == b"\xff\xd8\xff"


def encode(
    image: np.ndarray,
    /,
    quality: int = 75,
    *,
    progressive: bool = False,
    subsampling: str = "4:2:0",
) -> bytes:
    """Encode uint8 HxW or HxWx3 to baseline (or progressive) JPEG.

    The JFIF APP0 segment is left out (18 bytes): decoders take three components numbered
    1, 2, 3 as YCbCr without it.
    """
    quality = check_quality(quality)
    if subsampling not in SUBSAMPLINGS:
        raise EncoderError(f"subsampling must be one of {SUBSAMPLINGS}, got {subsampling!r}")
    data = pil_encode(
        image,
        FORMAT,
        MAX_DIMENSION,
        quality=quality,
        optimize=True,
        progressive=bool(progressive),
        subsampling=subsampling,
    )
    return strip_jfif(data)


def decode(data: bytes) -> np.ndarray:
    return pil_decode(data, NAME, FORMAT, check)


def strip_jfif(data: bytes) -> bytes:
    """Drop a JFIF APP0 segment that directly follows SOI."""
    if data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00":
        length = int.from_bytes(data[4:6], "big")
        return data[:2] + data[4 + length :]
    return data
