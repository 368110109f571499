"""The srcodec file format: every byte of it lives here (spec: docs/container.md).

Two forms carry the same header:

* JPEG inner codec: the file IS a JPEG of the small image. The header rides in an APP9 segment
  right after SOI, so any JPEG viewer shows the small image.
* other inner codecs: a framed file, ``header || payload``, the header starting with the magic.

Header (all integers unsigned; multi-byte fixed fields little-endian)::

    magic      4  b"srcd"
    version    1  1
    flags      1  bits 0-2 codec (0 jpeg, 1 webp, 2 avif, 3 jxl); bit 3 grey image;
                  bit 4 weights digest present; bit 5 sampling parameters present;
                  bit 6 payload CRC present; bit 7 zero
    scale      1  1..8
    width      LEB128, 1..4 bytes, canonical, 1..2**28-1
    height     LEB128, likewise
    model      1-byte length n (1..32) + n ASCII bytes [a-z0-9._-], first one [a-z0-9]
    digest     8  first 8 bytes of the SHA-256 of the model's weights   (if bit 4)
    seed       4  uint32                                                  (if bit 5)
    temperature 2 uint16, thousandths                                    (if bit 5)
    payload crc 4 CRC-32 (zlib) of the inner codec's bytes                (if bit 6)
    crc        4  CRC-32 (zlib) of every header byte before it

Parsing is strict and bounded: any deviation raises `FormatError` (or its subclass
`UnsupportedVersionError`); nothing is allocated from an unchecked length.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from srcodec.errors import FormatError, UnsupportedVersionError

MAGIC = b"srcd"
VERSION = 1
SOI = b"\xff\xd8"
APP9 = b"\xff\xe9"
CODECS = ("jpeg", "webp", "avif", "jxl")  # position is the on-disk id: append only
MAX_SCALE = 8
MAX_DIMENSION = 2**28 - 1
DIGEST_BYTES = 8
MODEL_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")

_FLAG_GREY = 0x08
_FLAG_DIGEST = 0x10
_FLAG_SAMPLING = 0x20
_FLAG_PAYLOAD_CRC = 0x40
_FLAG_RESERVED = 0x80


@dataclass(frozen=True)
class Header:
    """What a srcodec file says about itself."""

    scale: int
    width: int
    height: int
    model: str
    codec: str = "jpeg"
    grey: bool = False
    digest: bytes | None = None
    seed: int | None = None
    temperature: float | None = None
    payload_crc: int | None = None  # CRC-32 of the payload, when the encoder was asked to carry one

    def __post_init__(self) -> None:
        if self.codec not in CODECS:
            raise FormatError(f"codec must be one of {CODECS}, got {self.codec!r}")
        for name, value, high in (
            ("scale", self.scale, MAX_SCALE),
            ("width", self.width, MAX_DIMENSION),
            ("height", self.height, MAX_DIMENSION),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise FormatError(f"{name} must be an integer in 1..{high}, got {value!r}")
        if not isinstance(self.model, str) or not MODEL_ID.fullmatch(self.model):
            raise FormatError(
                f"model id must match {MODEL_ID.pattern} (at most 32 characters), got {self.model!r}"
            )
        if self.digest is not None and (
            not isinstance(self.digest, bytes) or len(self.digest) != DIGEST_BYTES
        ):
            raise FormatError(f"digest must be {DIGEST_BYTES} bytes, got {self.digest!r}")
        if (self.seed is None) != (self.temperature is None):
            raise FormatError("seed and temperature go together: give both or neither")
        if self.seed is not None:
            if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
                raise FormatError(f"seed must be an integer in 0..2**32-1, got {self.seed!r}")
            milli = round(self.temperature * 1000)
            if not 0 <= milli < 2**16:
                raise FormatError(f"temperature must be in 0..65.535, got {self.temperature!r}")
        if self.payload_crc is not None and (
            isinstance(self.payload_crc, bool) or not isinstance(self.payload_crc, int) or not 0 <= self.payload_crc < 2**32
        ):
            raise FormatError(f"payload_crc must be an integer in 0..2**32-1, got {self.payload_crc!r}")


def _leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


class _Reader:
    """Bounds-checked cursor over untrusted bytes."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            raise FormatError(f"truncated {self.what}: {field} needs {n} byte(s) at offset {self.pos}")
        chunk = bytes(self.data[self.pos : self.pos + n])  # small: header fields only
        self.pos += n
        return chunk

    def byte(self, field: str) -> int:
        return self.take(1, field)[0]

    def leb128(self, field: str) -> int:
        value = 0
        for i in range(4):
            byte = self.byte(field)
            value |= (byte & 0x7F) << (7 * i)
            if not byte & 0x80:
                if byte == 0 and i > 0:
                    raise FormatError(f"{field} is not canonically encoded")
                return value
        raise FormatError(f"{field} is longer than 4 bytes")


def encode_header(header: Header) -> bytes:
    """Serialize `header` (magic through CRC)."""
    flags = CODECS.index(header.codec)
    flags |= _FLAG_GREY if header.grey else 0
    flags |= _FLAG_DIGEST if header.digest is not None else 0
    flags |= _FLAG_SAMPLING if header.seed is not None else 0
    flags |= _FLAG_PAYLOAD_CRC if header.payload_crc is not None else 0
    model = header.model.encode("ascii")
    body = bytearray(MAGIC)
    body += bytes([VERSION, flags, header.scale])
    body += _leb128(header.width) + _leb128(header.height)
    body += bytes([len(model)]) + model
    if header.digest is not None:
        body += header.digest
    if header.seed is not None:
        body += struct.pack("<IH", header.seed, round(header.temperature * 1000))
    if header.payload_crc is not None:
        body += struct.pack("<I", header.payload_crc)
    body += struct.pack("<I", zlib.crc32(body))
    return bytes(body)


def decode_header(data: bytes) -> tuple[Header, int]:
    """Parse a header at the start of `data`; return it and the number of bytes it took."""
    reader = _Reader(data, "srcodec header")
    if reader.take(len(MAGIC), "magic") != MAGIC:
        raise FormatError("not a srcodec header (bad magic)")
    version = reader.byte("version")
    if version != VERSION:
        raise UnsupportedVersionError(f"format version {version} is not supported (this library reads {VERSION})")
    flags = reader.byte("flags")
    scale = reader.byte("scale")
    width = reader.leb128("width")
    height = reader.leb128("height")
    n = reader.byte("model id length")
    if not 1 <= n <= 32:
        raise FormatError(f"model id length must be 1..32, got {n}")
    model_bytes = reader.take(n, "model id")
    digest = reader.take(DIGEST_BYTES, "weights digest") if flags & _FLAG_DIGEST else None
    seed = temperature = None
    if flags & _FLAG_SAMPLING:
        seed, milli = struct.unpack("<IH", reader.take(6, "sampling parameters"))
        temperature = milli / 1000
    payload_crc = None
    if flags & _FLAG_PAYLOAD_CRC:
        (payload_crc,) = struct.unpack("<I", reader.take(4, "payload CRC"))
    end = reader.pos
    (crc,) = struct.unpack("<I", reader.take(4, "CRC"))
    if crc != zlib.crc32(data[:end]):
        raise FormatError("header CRC mismatch: the file is corrupted")
    # Checked after the CRC, so a corrupted byte is reported as corruption.
    if flags & _FLAG_RESERVED:
        raise FormatError(f"reserved flag bits are set (flags 0x{flags:02x})")
    codec = flags & 0x07
    if codec >= len(CODECS):
        raise FormatError(f"unknown inner codec id {codec}")
    try:
        model = model_bytes.decode("ascii")
    except UnicodeDecodeError:
        raise FormatError("model id is not ASCII") from None
    header = Header(
        scale=scale,
        width=width,
        height=height,
        model=model,
        codec=CODECS[codec],
        grey=bool(flags & _FLAG_GREY),
        digest=digest,
        seed=seed,
        temperature=temperature,
        payload_crc=payload_crc,
    )
    return header, reader.pos


def payload_crc(payload: bytes) -> int:
    """The CRC-32 a header's `payload_crc` carries for `payload` (the inner codec's bytes)."""
    return zlib.crc32(payload)


def pack(header: Header, payload: bytes) -> bytes:
    """Build a srcodec file from its header and the inner codec's bytes."""
    head = encode_header(header)
    if header.codec != "jpeg":
        return head + payload
    if payload[:2] != SOI:
        raise FormatError("JPEG payload must start with SOI")
    segment_length = 2 + len(head)  # the length field counts itself
    return SOI + APP9 + struct.pack(">H", segment_length) + head + payload[2:]


def unpack(data: bytes) -> tuple[Header, bytes]:
    """Split a srcodec file into its header and the inner codec's bytes (strictly; the payload
    CRC, when the header carries one, is checked).

    `data` may be a memoryview: the framed form's payload is then a view of it, not a copy.
    """
    if not isinstance(data, memoryview):
        data = bytes(data)
    if data[:2] == SOI:
        if len(data) < 6:
            raise FormatError(f"truncated file: {len(data)} bytes")
        if data[2:4] != APP9:
            raise FormatError("a JPEG without a srcodec segment (not encoded by srcodec)")
        (segment_length,) = struct.unpack(">H", data[4:6])
        end = 4 + segment_length
        if end > len(data):
            raise FormatError("truncated file: the srcodec segment runs past the end")
        header, used = decode_header(data[6:end])
        if used != segment_length - 2:
            raise FormatError(f"srcodec segment length {segment_length} does not match its header ({used + 2})")
        if header.codec != "jpeg":
            raise FormatError(f"a JPEG file whose header names the {header.codec} codec")
        payload = SOI + data[end:]
    elif data[: len(MAGIC)] == MAGIC:
        header, used = decode_header(data)
        if header.codec == "jpeg":
            raise FormatError("framed file with a jpeg payload (jpeg uses the APP9 form)")
        payload = data[used:]
    else:
        raise FormatError("not a srcodec file (neither a JPEG nor the srcodec magic)")
    if len(payload) <= 2:
        raise FormatError("truncated file: no image payload")
    if header.payload_crc is not None and payload_crc(payload) != header.payload_crc:
        raise FormatError("payload CRC mismatch: the image data is corrupted")
    return header, payload


SUFFIXES = frozenset({".jpg", ".jpeg", ".srcd"})  # file name suffixes of srcodec files (JPEG form, framed form)


def is_srcodec_file(path) -> bool:
    """Whether the file at `path` starts as a srcodec file (either form); reads 10 bytes."""
    with open(path, "rb") as f:
        head = f.read(10)
    return head.startswith(MAGIC) or (head[:4] == SOI + APP9 and head[6:10] == MAGIC)
