import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srcodec import container
from srcodec.container import Header
from srcodec.errors import FormatError, SrcodecError, UnsupportedVersionError

model_ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,31}", fullmatch=True)

headers = st.builds(
    Header,
    scale=st.integers(1, container.MAX_SCALE),
    width=st.integers(1, container.MAX_DIMENSION),
    height=st.integers(1, container.MAX_DIMENSION),
    model=model_ids,
    codec=st.sampled_from(container.CODECS),
    grey=st.booleans(),
    digest=st.none() | st.binary(min_size=8, max_size=8),
).flatmap(
    lambda h: st.one_of(
        st.just(h),
        st.builds(
            lambda seed, milli: Header(**{**h.__dict__, "seed": seed, "temperature": milli / 1000}),
            st.integers(0, 2**32 - 1),
            st.integers(0, 2**16 - 1),
        ),
    )
)

JPEG_PAYLOAD = b"\xff\xd8\xff\xdb" + bytes(range(60)) + b"\xff\xd9"


def payload_for(header: Header) -> bytes:
    return JPEG_PAYLOAD if header.codec == "jpeg" else b"PAYLOAD-" + header.codec.encode()


@given(headers)
def test_header_round_trip(header):
    data = container.encode_header(header)
    parsed, used = container.decode_header(data + b"trailing")
    assert parsed == header
    assert used == len(data)


@given(headers)
def test_file_round_trip(header):
    payload = payload_for(header)
    data = container.pack(header, payload)
    assert container.unpack(data) == (header, payload)
    if header.codec == "jpeg":
        assert data[:2] == b"\xff\xd8" and data[2:4] == b"\xff\xe9"  # still a JPEG, APP9 first
    else:
        assert data[:4] == b"srcd"


@given(headers, st.data())
def test_a_payload_crc_catches_any_change_to_the_payload(header, data):
    import dataclasses

    payload = payload_for(header)
    header = dataclasses.replace(header, payload_crc=container.payload_crc(payload))
    blob = container.pack(header, payload)
    assert container.unpack(blob) == (header, payload)
    assert len(blob) == len(container.pack(dataclasses.replace(header, payload_crc=None), payload)) + 4
    position = data.draw(st.integers(len(blob) - len(payload) + (2 if header.codec == "jpeg" else 0), len(blob) - 1))
    mutated = bytearray(blob)
    mutated[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(FormatError, match="payload CRC mismatch"):
        container.unpack(bytes(mutated))


def test_header_sizes_are_as_documented():
    # The numbers docs/container.md states.
    bicubic = container.encode_header(Header(2, 512, 512, "bicubic"))
    assert len(bicubic) == 4 + 1 + 1 + 1 + 2 + 2 + 1 + 7 + 4 == 23
    with_digest = container.encode_header(Header(2, 512, 512, "vdsr-y", digest=b"12345678"))
    assert len(with_digest) == 30
    sampled = container.encode_header(Header(4, 100, 100, "pixelcnn", digest=b"12345678", seed=1, temperature=0.8))
    assert len(sampled) == 4 + 3 + 1 + 1 + 1 + 8 + 8 + 6 + 4
    jpeg_file = container.pack(Header(2, 512, 512, "bicubic"), JPEG_PAYLOAD)
    assert len(jpeg_file) - len(JPEG_PAYLOAD) == 4 + 23


def test_leb128_widths():
    for value, width in ((1, 1), (127, 1), (128, 2), (16383, 2), (16384, 3), (container.MAX_DIMENSION, 4)):
        assert len(container._leb128(value)) == width


SAMPLE = container.pack(Header(3, 1000, 700, "vdsr-y", digest=bytes(range(8))), JPEG_PAYLOAD)
SAMPLE_FRAMED = container.pack(Header(2, 64, 48, "bicubic", codec="avif"), b"\x00\x00\x00\x1cftypavif")
HEADER_END = len(SAMPLE) - len(JPEG_PAYLOAD) + 2


@pytest.mark.parametrize("data", [SAMPLE, SAMPLE_FRAMED], ids=["jpeg", "framed"])
def test_every_truncation_of_the_header_is_a_format_error(data):
    header_len = len(data) - len(container.unpack(data)[1]) + (2 if data[:2] == b"\xff\xd8" else 0)
    for n in range(header_len + 1):  # the whole header, and nothing after it
        with pytest.raises(FormatError):
            container.unpack(data[:n])


def test_every_single_bit_flip_in_the_header_is_caught():
    for byte in range(HEADER_END):
        for bit in range(8):
            mutated = bytearray(SAMPLE)
            mutated[byte] ^= 1 << bit
            with pytest.raises(FormatError):
                container.unpack(bytes(mutated))


@settings(max_examples=300)
@given(st.data())
def test_random_header_mutations_are_format_errors(data):
    mutated = bytearray(SAMPLE)
    positions = data.draw(st.lists(st.integers(4, HEADER_END - 1), min_size=1, max_size=6, unique=True))
    for pos in positions:
        mutated[pos] = data.draw(st.integers(0, 255).filter(lambda b, old=mutated[pos]: b != old))
    with pytest.raises(FormatError):
        container.unpack(bytes(mutated))


def _rebuild(body_without_crc: bytes) -> bytes:
    """A header with a valid CRC, so the check under test is not the CRC one."""
    return body_without_crc + struct.pack("<I", zlib.crc32(body_without_crc))


def test_unknown_version_is_its_own_error():
    body = bytearray(container.encode_header(Header(2, 8, 8, "bicubic"))[:-4])
    body[4] = 2
    with pytest.raises(UnsupportedVersionError, match="version 2"):
        container.decode_header(_rebuild(bytes(body)))


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda b: b.__setitem__(5, b[5] | 0x80), "reserved"),
        (lambda b: b.__setitem__(5, (b[5] & ~0x07) | 0x05), "codec id"),
        (lambda b: b.__setitem__(6, 0), "scale"),
        (lambda b: b.__setitem__(6, 9), "scale"),
    ],
)
def test_field_checks_behind_a_valid_crc(mutate, message):
    body = bytearray(container.encode_header(Header(2, 8, 8, "bicubic"))[:-4])
    mutate(body)
    with pytest.raises(FormatError, match=message):
        container.decode_header(_rebuild(bytes(body)))


def test_non_canonical_and_zero_dimensions_are_refused():
    head = container.MAGIC + bytes([1, 0, 2])
    tail = bytes([7]) + b"bicubic"
    with pytest.raises(FormatError, match="canonical"):
        container.decode_header(_rebuild(head + b"\x88\x00" + b"\x08" + tail))
    with pytest.raises(FormatError, match="width"):
        container.decode_header(_rebuild(head + b"\x00" + b"\x08" + tail))
    with pytest.raises(FormatError, match="longer than 4"):
        container.decode_header(_rebuild(head + b"\x80\x80\x80\x80\x01" + b"\x08" + tail))


def test_bad_model_ids_are_refused():
    for bad in ("", "UPPER", "-lead", "a" * 33, "spa ce", "ünï"):
        with pytest.raises(FormatError):
            Header(2, 8, 8, bad)


def test_plain_jpeg_and_other_files_are_named_as_such():
    with pytest.raises(FormatError, match="without a srcodec segment"):
        container.unpack(JPEG_PAYLOAD)
    with pytest.raises(FormatError, match="not a srcodec file"):
        container.unpack(b"\x89PNG\r\n\x1a\n" + bytes(20))


def test_jpeg_codec_must_use_the_app9_form():
    head = container.encode_header(Header(2, 8, 8, "bicubic"))
    with pytest.raises(FormatError, match="APP9"):
        container.unpack(head + JPEG_PAYLOAD)


def test_segment_length_must_match_the_header():
    data = bytearray(SAMPLE)
    length = struct.unpack(">H", data[4:6])[0]
    data[4:6] = struct.pack(">H", length + 1)
    with pytest.raises(FormatError):
        container.unpack(bytes(data))


def test_header_validation_on_write():
    with pytest.raises(FormatError, match="seed and temperature"):
        Header(2, 8, 8, "m", seed=1)
    with pytest.raises(FormatError, match="temperature"):
        Header(2, 8, 8, "m", seed=1, temperature=70.0)
    with pytest.raises(FormatError, match="width"):
        Header(2, 0, 8, "m")
    with pytest.raises(FormatError, match="digest"):
        Header(2, 8, 8, "m", digest=b"short")


@settings(max_examples=300)
@given(st.sampled_from([b"", b"srcd", b"srcd\x01", b"\xff\xd8", b"\xff\xd8\xff\xe9", SAMPLE[:12], SAMPLE_FRAMED[:10]]),
       st.binary(max_size=200))
def test_random_bytes_after_valid_prefixes_never_crash(prefix, data):
    try:
        container.unpack(prefix + data)
    except SrcodecError:
        pass
