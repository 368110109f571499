"""JPEG through Pillow's libjpeg-turbo: optimized Huffman tables, no metadata segments."""

from __future__ import annotations

import functools
import io
from typing import NamedTuple

import numpy as np

from encoders._common import EncoderError, check_quality, pil_decode, pil_encode, pil_open

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


class Coding(NamedTuple):
    """How a JPEG was coded, read from its headers."""

    chroma_subsampling: int | None  # times coarser than luma, coarser axis (1: 4:4:4, 2: 4:2:2/4:2:0); None: grey
    quality: int  # the libjpeg quality (1..100) whose quantization tables are nearest the file's


def coding(data: bytes) -> Coding:
    """Chroma subsampling (frame header) and quality (quantization tables) of a JPEG."""
    with pil_open(data, NAME, FORMAT, check, "read the headers of") as im:
        components = im.layer  # (id, horizontal, vertical, table) sampling factors
        tables = im.quantization
    subsampling = None
    if len(components) == 3:
        _, y_h, y_v, _ = components[0]
        subsampling = max(max(y_h // h, y_v // v) for _, h, v, _ in components[1:])
    luma_table = components[0][3] if components else 0  # the table the first (Y) component uses
    luma = np.asarray(tables.get(luma_table, ()), dtype=np.int64)
    if luma.shape != (64,):
        raise EncoderError("jpeg has no 8x8 luma quantization table")
    quality = 1 + int(np.abs(_libjpeg_luma_tables() - luma).sum(axis=1).argmin())
    return Coding(subsampling, quality)


@functools.cache
def _libjpeg_luma_tables() -> np.ndarray:
    """The luma quantization table this encoder writes at each quality 1..100, shape (100, 64)."""
    from PIL import Image

    blank = np.zeros((8, 8), np.uint8)
    rows = []
    for quality in range(1, 101):
        with Image.open(io.BytesIO(encode(blank, quality))) as im:
            rows.append(im.quantization[0])
    return np.asarray(rows, dtype=np.int64)


def strip_jfif(data: bytes) -> bytes:
    """Drop a JFIF APP0 segment that directly follows SOI."""
    if data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00":
        length = int.from_bytes(data[4:6], "big")
        return data[:2] + data[4 + length :]
    return data
