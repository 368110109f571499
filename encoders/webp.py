"""WebP (lossy) through Pillow's libwebp."""

from __future__ import annotations

import numpy as np

from encoders._common import EncoderError, Probe, check_int, check_quality, field, pil_decode, pil_metadata, pil_encode, probe_view, require

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


def encode(image: np.ndarray, /, quality: int = 75, *, method: int = 6, metadata: dict | None = None) -> bytes:
    """Encode uint8 HxW or HxWx3 to lossy WebP; `method` 0 (fast) .. 6 (smallest)."""
    _require()
    quality = check_quality(quality, 0, 100)
    return pil_encode(image, FORMAT, MAX_DIMENSION, quality=quality, method=check_int("method", method, 0, 6),
                      metadata=metadata)


def decode(data: bytes) -> np.ndarray:
    _require()
    return pil_decode(data, NAME, FORMAT, check)


def metadata(data: bytes) -> dict:
    return pil_metadata(data, NAME, FORMAT, check)


def probe(data: bytes) -> Probe:
    """Width, height and end (8 + the RIFF size, padded to even) of a still WebP, read from its
    chunk headers without decoding. Raises EncoderError for a RIFF size or chunk that runs past
    the data, a first chunk other than VP8X/VP8/VP8L, an animation (VP8X flag, ANIM, ANMF), a
    VP8X canvas that disagrees with its image, or a bad VP8/VP8L frame header."""
    view = probe_view(data, NAME, check)
    riff = field(view, 4, 4, "webp: RIFF size", byteorder="little")
    stop = 8 + riff
    end = stop + (riff & 1)
    if end > len(view):
        raise EncoderError(f"webp: RIFF size {riff} runs past the data ({len(view)} bytes)")
    if riff < 12:
        raise EncoderError(f"webp: RIFF size {riff} holds no chunk ('WEBP' and a chunk header need 12)")
    pos, canvas, image = 12, None, None
    while pos < stop:
        kind = bytes(view[pos : pos + 4])
        size = field(view, pos + 4, 4, f"webp: size of chunk {kind!r}", stop, "little")
        body = pos + 8
        if body + size > stop:
            raise EncoderError(f"webp: chunk {kind!r} at offset {pos} (size {size}) runs past the RIFF's end at {stop}")
        if kind in (b"ANIM", b"ANMF"):
            raise EncoderError(f"webp: animation ({kind.decode()} chunk at offset {pos}) is not supported")
        if kind == b"VP8X":
            if pos != 12:
                raise EncoderError(f"webp: VP8X chunk at offset {pos}, not first")
            canvas = _vp8x(view, body, size)
        elif kind in (b"VP8 ", b"VP8L") and image is None:
            image = (_vp8 if kind == b"VP8 " else _vp8l)(view, body, size)
        elif pos == 12:
            raise EncoderError(f"webp: first chunk is {kind!r}; expected VP8X, 'VP8 ' or VP8L")
        pos = body + size + (size & 1)
    if image is None:
        raise EncoderError("webp: no image chunk ('VP8 ' or VP8L)")
    if canvas is not None and canvas != image:
        raise EncoderError(f"webp: VP8X canvas {canvas[0]}x{canvas[1]} differs from the image's {image[0]}x{image[1]}")
    return Probe(*image, end)


def _vp8x(view: memoryview, body: int, size: int) -> tuple[int, int]:
    if size != 10:
        raise EncoderError(f"webp: VP8X chunk has size {size}, expected 10")
    if view[body] & 0x02:
        raise EncoderError("webp: animation (VP8X flag) is not supported")
    width = 1 + int.from_bytes(view[body + 4 : body + 7], "little")
    return width, 1 + int.from_bytes(view[body + 7 : body + 10], "little")


def _vp8(view: memoryview, body: int, size: int) -> tuple[int, int]:
    """A lossy frame: 3-byte frame tag, start code 9D 01 2A, 14-bit width and height (the top
    two bits of each are a scaling hint the decoder ignores)."""
    if size < 10:
        raise EncoderError(f"webp: 'VP8 ' chunk has size {size}, its frame header needs 10")
    tag = int.from_bytes(view[body : body + 3], "little")
    if tag & 1 or (tag >> 1) & 7 > 3 or not (tag >> 4) & 1 or tag >> 5 >= size:
        raise EncoderError(f"webp: 'VP8 ' frame tag 0x{tag:06x} is not a shown key frame of profile 0..3 that fits the chunk")
    if view[body + 3 : body + 6] != b"\x9d\x01\x2a":
        raise EncoderError(f"webp: 'VP8 ' start code at offset {body + 3} is {view[body + 3 : body + 6].hex()}, not 9d012a")
    width = int.from_bytes(view[body + 6 : body + 8], "little") & 0x3FFF
    height = int.from_bytes(view[body + 8 : body + 10], "little") & 0x3FFF
    if not width or not height:
        raise EncoderError(f"webp: 'VP8 ' frame is {width}x{height}")
    return width, height


def _vp8l(view: memoryview, body: int, size: int) -> tuple[int, int]:
    """A lossless frame: signature 2F, then LSB first 14 bits width - 1, 14 bits height - 1,
    1 bit alpha, 3 bits version (0)."""
    if size < 5 or view[body] != 0x2F:
        raise EncoderError(f"webp: VP8L chunk at offset {body - 8} lacks the 5-byte header with signature 2f")
    bits = int.from_bytes(view[body + 1 : body + 5], "little")
    if bits >> 29:
        raise EncoderError(f"webp: VP8L version {bits >> 29}, expected 0")
    return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
