"""JPEG XL through the pillow-jxl-plugin (libjxl)."""

from __future__ import annotations

import numpy as np

from encoders._common import check_int, check_quality, pil_decode, pil_encode, require

NAME = "jxl"
FORMAT = "JXL"  # Pillow's plugin name
MAX_DIMENSION = 2**30  # pixels a side the format takes
EXTENSION = ".jxl"
INSTALL_HINT = "pillow-jxl-plugin: pip install pillow-jxl-plugin"

try:
    import pillow_jxl  # noqa: F401  (registers the JXL plugin with Pillow)

    available = True
except ImportError:
    available = False


def _require() -> None:
    require(NAME, available, INSTALL_HINT)


def version() -> str:
    _require()
    from importlib.metadata import version as dist_version

    return "pillow-jxl-plugin " + dist_version("pillow-jxl-plugin")


def check(data: bytes) -> bool:
    return bytes(data[:2]) == b"\xff\x0a" or bytes(data[:12]) == b"\x00\x00\x00\x0cJXL \r\n\x87\n"


def encode(image: np.ndarray, /, quality: int = 75, *, effort: int = 7) -> bytes:
    """Encode uint8 HxW or HxWx3 to lossy JPEG XL; `effort` 1 (fast) .. 9 (smallest)."""
    _require()
    quality = check_quality(quality, 1, 100)
    return pil_encode(image, FORMAT, MAX_DIMENSION, quality=quality, effort=check_int("effort", effort, 1, 9), lossless=False)


def decode(data: bytes) -> np.ndarray:
    _require()
    return pil_decode(data, NAME, FORMAT, check)
