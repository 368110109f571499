"""JPEG XL through the pillow-jxl-plugin (libjxl)."""

from __future__ import annotations

import numpy as np

from encoders._common import (
    EncoderError, Probe, check_int, check_quality, field, pil_decode, pil_metadata, pil_encode, probe_view, read_boxes, require,
)

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


def encode(image: np.ndarray, /, quality: int = 75, *, effort: int = 7, metadata: dict | None = None) -> bytes:
    """Encode uint8 HxW or HxWx3 to a bare JPEG XL codestream (libjxl puts it in a container, with
    a 'jxll' level box, past 262144 pixels a side); `effort` 1 (fast) .. 9 (smallest).
    Quality 1..99 is lossy; 100 is mathematically lossless (libjxl distance 0, which libjxl
    accepts only in lossless mode): `decode` gives back the exact pixels."""
    _require()
    quality = check_quality(quality, 1, 100)
    effort = check_int("effort", effort, 1, 9)
    if metadata and metadata.get("icc_profile"):
        raise EncoderError("the JPEG XL backend (pillow-jxl-plugin) does not write ICC profiles: "
                           "drop the profile (metadata='none' in srcodec) or use another codec")
    return pil_encode(image, FORMAT, MAX_DIMENSION, quality=quality, effort=effort, lossless=quality == 100, metadata=metadata)


def decode(data: bytes) -> np.ndarray:
    _require()
    return pil_decode(data, NAME, FORMAT, check)


def metadata(data: bytes) -> dict:
    """EXIF and XMP; never an ICC profile, which `encode` cannot write (the profile libjxl
    reports on decoding describes the codestream's colour encoding, sRGB's by default)."""
    _require()
    found = pil_metadata(data, NAME, FORMAT, check)
    found.pop("icc_profile", None)
    return found


# SizeHeader (ISO/IEC 18181-1 A.2): a dimension that is not a small multiple of 8 is 1 + u(n),
# n chosen by a 2-bit selector; a nonzero 3-bit ratio derives the width from the height.
_SIZE_BITS = (9, 13, 18, 30)
_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}
_HEADER_BYTES = 12  # FF 0A, then at most 68 bits of SizeHeader and 5 of ImageMetadata
_JXLP_LAST = 0x80000000  # a jxlp box's index with this bit set is the codestream's last part


def probe(data: bytes) -> Probe:
    """Width, height and end of a JPEG XL image, read from its codestream's SizeHeader and
    orientation without decoding; width and height are swapped for orientations 5..8, which
    libjxl applies when decoding. `end` is None for a bare codestream (only decoding finds its
    end), the sum of the top-level boxes for a container. Raises EncoderError for a header cut
    off, a container without signature + ftyp or without a codestream (jxlc, or jxlp parts
    numbered 0, 1, ... with the last one marked), and JPEG reconstruction data (jbrd: Pillow
    then decodes the rebuilt JPEG, whose size ignores the orientation)."""
    view = probe_view(data, NAME, check)
    if view[:2] == b"\xff\x0a":
        return _codestream(bytes(view[:_HEADER_BYTES]), None)
    top, end = read_boxes(view, 0, len(view), "jxl", trailing=True)
    if len(top) < 2 or top[1].type != b"ftyp":
        raise EncoderError("jxl: the container's signature box is not followed by a complete 'ftyp' box")
    if any(box.type == b"jbrd" for box in top):
        raise EncoderError("jxl: JPEG reconstruction data ('jbrd' box) is not supported")
    parts = [box for box in top if box.type in (b"jxlc", b"jxlp")]
    if not parts:
        raise EncoderError(f"jxl: no complete codestream box (jxlc or jxlp) before offset {end}")
    if parts[0].type == b"jxlc":
        if len(parts) > 1:
            raise EncoderError(f"jxl: a jxlc box and {len(parts) - 1} more codestream boxes")
        return _codestream(bytes(view[parts[0].payload : min(parts[0].payload + _HEADER_BYTES, parts[0].end)]), end)
    header = bytearray()
    for number, part in enumerate(parts):
        index = field(view, part.payload, 4, "jxl: jxlp index", part.end) if part.type == b"jxlp" else -1
        if index & ~_JXLP_LAST != number or (index & _JXLP_LAST and number != len(parts) - 1):
            raise EncoderError(f"jxl: codestream box {part.type!r} at offset {part.start} is not jxlp part {number} ({index=})")
        start = part.payload + 4
        header += view[start : min(part.end, start + _HEADER_BYTES - len(header))]
    if not index & _JXLP_LAST:
        raise EncoderError(f"jxl: the last jxlp box before offset {end} is not marked last (the codestream is cut off)")
    return _codestream(bytes(header), end)


def _codestream(header: bytes, end: int | None) -> Probe:
    """Probe from the first bytes of a codestream (LSB-first bit fields after FF 0A)."""
    if header[:2] != b"\xff\x0a":
        raise EncoderError(f"jxl: the codestream starts with {header[:2].hex()}, not ff0a")
    bits, have, pos = int.from_bytes(header[2:], "little"), 8 * (len(header) - 2), 0

    def u(n: int) -> int:
        nonlocal pos
        if pos + n > have:
            raise EncoderError(f"jxl: the codestream header is cut off at byte {len(header)}: bit {pos} needs {n} more bits")
        pos += n
        return (bits >> (pos - n)) & ((1 << n) - 1)

    def dimension(small: int) -> int:
        return 8 * (1 + u(5)) if small else 1 + u(_SIZE_BITS[u(2)])

    small = u(1)
    height = dimension(small)
    ratio = u(3)
    if ratio:
        numerator, denominator = _RATIOS[ratio]
        width = height * numerator // denominator
    else:
        width = dimension(small)
    orientation = 1
    if not u(1) and u(1):  # ImageMetadata: not all_default, then extra_fields
        orientation = 1 + u(3)
    if orientation > 4:  # transposing orientations
        width, height = height, width
    return Probe(width, height, end)
