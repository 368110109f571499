"""JPEG through Pillow's libjpeg-turbo: optimized Huffman tables, no metadata segments unless asked."""

from __future__ import annotations

import functools
import io
import re
from typing import NamedTuple

import numpy as np

from encoders._common import EncoderError, Probe, check_quality, field, pil_decode, pil_metadata, pil_encode, pil_open, probe_view

NAME = "jpeg"
FORMAT = "JPEG"  # Pillow's plugin name
MAX_DIMENSION = 65500  # pixels a side the format takes
EXTENSION = ".jpg"
SUBSAMPLINGS = ("4:4:4", "4:2:2", "4:2:0")
# The most scans (`Probe.scans`) a caller should accept: libjpeg-turbo's default progressive
# script writes 10 scans for colour and 6 for grey, while a file repeating one scan thousands
# of times is small yet decodes for minutes. srcodec applies the policy; this module only counts.
MAX_SCANS = 100

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
    metadata: dict | None = None,
) -> bytes:
    """Encode uint8 HxW or HxWx3 to baseline (or progressive) JPEG; `metadata` as for
    `pil_encode` (an ICC profile in APP2 segments, EXIF and XMP in APP1).

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
        metadata=metadata,
    )
    return strip_jfif(data)


def decode(data: bytes) -> np.ndarray:
    return pil_decode(data, NAME, FORMAT, check)


def metadata(data: bytes) -> dict:
    return pil_metadata(data, NAME, FORMAT, check)


_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # DHT, JPG and DAC share the range
_NO_LENGTH = frozenset([0x01, *range(0xD0, 0xD8)])  # TEM, RST0-7 carry no segment
# re, unlike memoryview, searches any buffer. Inside entropy-coded data FF 00 is a stuffed FF byte
# and FF D0..D7 a restart marker; any other byte after FF starts a marker (FF: fill before it).
_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_FILL = re.compile(rb"\xff+")


def probe(data: bytes) -> Probe:
    """Width, height, end (just past EOI) and number of scans of a JPEG, read from its marker
    segments without decoding. Raises EncoderError for a missing or second frame header (SOF),
    height 0 (DNL), a scan before the frame, a bad segment length, or data that ends before EOI."""
    view = probe_view(data, NAME, check)
    size, pos, frame, scans = len(view), 2, None, 0
    while True:
        fill = _FILL.match(view, pos)  # the marker's FF and any fill bytes before it
        if fill is None:
            if pos < size:
                raise EncoderError(f"jpeg: expected a marker at offset {pos}, got byte 0x{view[pos]:02x}")
            raise EncoderError(f"jpeg: data ends at offset {size} without an EOI marker")
        start, pos = fill.end() - 1, fill.end() + 1
        if pos > size:
            raise EncoderError(f"jpeg: data ends at offset {size} without an EOI marker")
        code = view[pos - 1]
        if code == 0xD9:
            break
        if code in _NO_LENGTH:
            continue
        if code in (0x00, 0xD8):
            raise EncoderError(f"jpeg: unexpected marker FF {code:02X} at offset {start}")
        length = field(view, pos, 2, f"jpeg: length of marker FF {code:02X}")
        if length < 2 or pos + length > size:
            raise EncoderError(f"jpeg: segment FF {code:02X} at offset {start} has length {length}, {size - pos} bytes left")
        if code in _SOF:
            if frame is not None:
                raise EncoderError(f"jpeg: second frame header (FF {code:02X}) at offset {start}")
            frame = _frame(view, start, pos, length)
        elif code == 0xDA:
            count = view[pos + 2] if length > 2 else 0
            if frame is None:
                raise EncoderError(f"jpeg: scan (FF DA) at offset {start} before any frame header")
            if not 1 <= count <= 4 or length != 6 + 2 * count:
                raise EncoderError(f"jpeg: scan header at offset {start} has length {length} for {count} components")
            scans += 1
            pos = _scan_end(view, pos + length)
            continue
        pos += length
    if frame is None or not scans:
        raise EncoderError(f"jpeg: no {'frame header (SOF)' if frame is None else 'scan (SOS)'} before EOI")
    return Probe(*frame, pos, scans)


def _frame(view: memoryview, start: int, pos: int, length: int) -> tuple[int, int]:
    """(width, height) from the SOF segment whose length field is at `pos`."""
    count = view[pos + 7] if length >= 8 else 0
    if not count or length != 8 + 3 * count:
        raise EncoderError(f"jpeg: frame header at offset {start} has length {length} for {count} components")
    height, width = int.from_bytes(view[pos + 3 : pos + 5], "big"), int.from_bytes(view[pos + 5 : pos + 7], "big")
    if height == 0:
        raise EncoderError(f"jpeg: frame header at offset {start} has height 0 (set later by DNL), which is not supported")
    if width == 0:
        raise EncoderError(f"jpeg: frame header at offset {start} has width 0")
    return width, height


def _scan_end(view: memoryview, pos: int) -> int:
    """Offset of the marker after the entropy-coded data starting at `pos`."""
    found = _MARKER.search(view, pos)
    if found is None:
        raise EncoderError(f"jpeg: entropy-coded data from offset {pos} ends without a marker (no EOI)")
    return found.start()


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
