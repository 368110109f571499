"""`probe`: each codec's size and extent read from its own headers, never decoding pixels."""

import base64
import io
import os
import random
import time
import tracemalloc
import zlib

import numpy as np
import pytest

import encoders
from encoders import EncoderError, Probe, avif, jpeg, jxl, webp

CODECS = [m for m in (jpeg, webp, avif, jxl) if m.available]
SHAPES = [(1, 1), (1, 1, 3), (5, 7, 3), (17, 33), (33, 17, 3), (480, 640), (480, 640, 3)]
JUNK = b"\x00\x01 trailing junk"  # neither a marker, a chunk nor a whole box

# encoders.jxl.encode(np.zeros((8192, 8192), np.uint8), 10, effort=1), zlib-compressed: 650
# bytes declaring 8192x8192; decoding it costs ~330 MB and seconds, encoding it ~10 s. Set
# SRCODEC_SLOW=1 to run test_jxl_bomb_is_what_the_encoder_writes, which checks it anew.
JXL_BOMB = zlib.decompress(base64.b64decode(
    "eNr7z/XrP6NnobKDGAczwwFGjgYGIGJkGAUDCrr9uRgauKYGHuONO/e15ufCw0m3jpW2bbu1bcMkUU0NjTvO5zt6DjLLpcr6"
    "MIoyVKQFXGL32+n7sT944r06K4FJfjb3uJmtbBfPLH3ruPjXy8eZJeVnvk53eM6jyN9ypDqzZJ6V7fdWflYVm4vz7C24Nct+"
    "1POwHD7FcER4a9PPptrr//9/OS7CYJC55fOmiVNmTum8Uc5Ia3nGKSoMAGP4f0A="
))


def image(shape: tuple[int, ...]) -> np.ndarray:
    """Smooth gradients with a little noise (fast to encode, not flat)."""
    y, x = np.mgrid[: shape[0], : shape[1]]
    channels = [x * 255 // shape[1], y * 255 // shape[0], (x + y) % 256][: 1 if len(shape) == 2 else 3]
    noise = np.random.default_rng(0).integers(0, 16, shape[:2])
    out = np.dstack([np.clip(c + noise, 0, 255) for c in channels]).astype(np.uint8)
    return out[..., 0].copy() if len(shape) == 2 else out


def pillow(array: np.ndarray, fmt: str, **params) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **params)
    return buffer.getvalue()


def exif(orientation: int) -> bytes:
    from PIL import Image

    tags = Image.Exif()
    tags[0x0112] = orientation
    return tags.tobytes()


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


JXL_SIGNATURE = box(b"JXL ", b"\r\n\x87\n")
JXL_FTYP = box(b"ftyp", b"jxl \x00\x00\x00\x00jxl ")


def jxl_container(codestream: bytes) -> bytes:
    return JXL_SIGNATURE + JXL_FTYP + box(b"jxlc", codestream)


def jxlp(index: int, part: bytes) -> bytes:
    return box(b"jxlp", index.to_bytes(4, "big") + part)


def riff(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "little") + payload + b"\x00" * (len(payload) & 1)


def vp8x(width: int, height: int, flags: int = 0) -> bytes:
    return chunk(b"VP8X", bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))


def patch(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value) :]


def small_files() -> dict[str, tuple]:
    """(codec, data) of small fresh files in each layout a codec module reads."""
    rgb = image((5, 7, 3))
    makers = {
        "jpeg": (jpeg, lambda: jpeg.encode(rgb, 50)),
        "jpeg-progressive": (jpeg, lambda: jpeg.encode(rgb, 50, progressive=True)),
        "webp-vp8": (webp, lambda: webp.encode(rgb, 50)),
        "webp-vp8l": (webp, lambda: pillow(rgb, "WEBP", lossless=True)),
        "webp-vp8x": (webp, lambda: pillow(rgb, "WEBP", quality=50, exif=exif(1))),
        "avif": (avif, lambda: avif.encode(rgb, 50)),
        "avif-alpha": (avif, lambda: pillow(np.dstack([rgb, rgb[..., 0]]), "AVIF")),
        "jxl-jxlc": (jxl, lambda: jxl_container(jxl.encode(rgb, 50))),
        "jxl-jxlp": (jxl, lambda: pillow(rgb, "JXL", quality=50, exif=exif(1))),  # libjxl splits it around Exif
    }
    return {name: (codec, make()) for name, (codec, make) in makers.items() if codec.available}


SMALL = small_files()
needs = {m: pytest.mark.skipif(not m.available, reason=f"{m.NAME} backend missing") for m in (webp, avif, jxl)}


def test_every_codec_probes_and_probe_is_exported():
    assert encoders.Probe is Probe and "Probe" in encoders.__all__
    assert "probe(data) -> Probe" in encoders.__doc__
    assert Probe._fields == ("width", "height", "end", "scans") and Probe(1, 2, None).scans == 1
    for module in encoders.CODECS.values():
        assert callable(module.probe), module.NAME
    assert jpeg.MAX_SCANS == 100


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("codec", CODECS, ids=lambda m: m.NAME)
def test_probe_gives_the_decoded_size(codec, shape):
    data = codec.encode(image(shape), 50)
    found = codec.probe(data)
    assert type(found) is Probe
    assert (found.height, found.width) == codec.decode(data).shape[:2] == shape[:2]
    assert found.end == (None if codec is jxl else len(data))  # encoders.jxl writes bare codestreams
    assert found.scans == 1


@pytest.mark.parametrize("name", sorted(SMALL))
def test_probe_gives_the_decoded_size_in_every_layout(name):
    codec, data = SMALL[name]
    assert codec.probe(data) == (7, 5, len(data), 10 if name == "jpeg-progressive" else 1)
    assert codec.decode(data).shape[:2] == (5, 7)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_probe_takes_any_byte_buffer(name):
    codec, data = SMALL[name]
    expected = codec.probe(data)
    assert codec.probe(bytearray(data)) == expected
    assert codec.probe(memoryview(b"xx" + data)[2:]) == expected
    if len(data) % 2 == 0:  # a buffer of another item format is read as its bytes
        assert codec.probe(np.frombuffer(data, np.uint16)) == expected
    for bad in ("text", 5, None):
        with pytest.raises(EncoderError, match="bytes-like"):
            codec.probe(bad)
    with pytest.raises(EncoderError, match="magic"):
        codec.probe(b"\x89PNG\r\n\x1a\n" + data)


@pytest.mark.parametrize(
    ("options", "shape", "scans"),
    [({}, (33, 17, 3), 1), ({"subsampling": "4:4:4"}, (33, 17, 3), 1), ({}, (33, 17), 1),
     # libjpeg-turbo's default progressive scripts: 10 scans for colour, 6 for grey
     ({"progressive": True}, (33, 17, 3), 10), ({"progressive": True, "subsampling": "4:4:4"}, (640, 480, 3), 10),
     ({"progressive": True}, (33, 17), 6), ({"progressive": True}, (1, 1), 6)],
)
def test_jpeg_counts_scans(options, shape, scans):
    data = jpeg.encode(image(shape), 80, **options)
    assert jpeg.probe(data) == (shape[1], shape[0], len(data), scans)
    assert jpeg.decode(data).shape[:2] == shape[:2]


@pytest.mark.parametrize("repeats", [1, 3, 500])
def test_jpeg_counts_a_repeated_last_scan(repeats):
    data = jpeg.encode(image((33, 17, 3)), 80, progressive=True)
    last_scan = data[data.rfind(b"\xff\xda") : -2]
    crafted = data[:-2] + last_scan * repeats + b"\xff\xd9"
    assert jpeg.probe(crafted) == (17, 33, len(crafted), 10 + repeats)
    if repeats == 3:  # still a JPEG the decoder takes, only slower
        assert jpeg.decode(crafted).shape == (33, 17, 3)


def test_jpeg_probe_is_fast_on_a_large_file():
    from skimage import data as samples

    data = jpeg.encode(np.tile(samples.astronaut(), (2, 2, 1)), 100)
    assert len(data) > 626_000
    start = time.perf_counter()
    assert jpeg.probe(data) == (1024, 1024, len(data), 1)
    assert time.perf_counter() - start < 0.05


def test_jpeg_fill_bytes_before_markers_are_allowed():
    data = SMALL["jpeg"][1]
    filled = data[:2] + b"\xff\xff\xff" + data[2:-2] + b"\xff\xff" + data[-2:]
    assert jpeg.probe(filled) == (7, 5, len(filled), 1)


def test_jpeg_restart_markers_belong_to_the_scan():
    data = pillow(image((33, 17, 3)), "JPEG", quality=80, restart_marker_blocks=1)  # 6 MCUs: 5 RSTs
    assert sum(data.count(bytes([0xFF, code])) for code in range(0xD0, 0xD8)) == 5
    assert jpeg.probe(data) == (17, 33, len(data), 1)
    with_tem = data[:2] + b"\xff\x01" + data[2:]  # TEM (and RSTn) outside a scan: a marker with no segment
    assert jpeg.probe(with_tem) == (17, 33, len(with_tem), 1)


def test_jpeg_refusals():
    data = SMALL["jpeg"][1]
    sof = data.index(b"\xff\xc0")
    length = int.from_bytes(data[sof + 2 : sof + 4], "big")
    cases = {
        "height 0": patch(data, sof + 5, b"\x00\x00"),
        "width 0": patch(data, sof + 7, b"\x00\x00"),
        "second frame header": data[: sof + 2 + length] + data[sof : sof + 2 + length] + data[sof + 2 + length :],
        "before any frame header": data[:sof] + data[sof + 2 + length :],
        "for 3 components": patch(data, sof + 2, (length + 1).to_bytes(2, "big")),
        "no EOI": data[:-2],
        "no frame header": b"\xff\xd8\xff\xd9",
        "expected a marker at offset 6, got byte 0x00": b"\xff\xd8\xff\xdb\x00\x02\x00\xff\xd9",
        "unexpected marker FF D8": b"\xff\xd8\xff\xd8\xff\xd9",
    }
    for message, bad in cases.items():
        with pytest.raises(EncoderError, match=message):
            jpeg.probe(bad)


@needs[webp]
def test_webp_refusals():
    vp8 = SMALL["webp-vp8"][1]
    image_chunk = vp8[12:]
    assert webp.probe(riff(vp8x(7, 5), image_chunk)) == (7, 5, 12 + 18 + len(image_chunk), 1)
    cases = {
        "RIFF size [0-9]+ runs past the data": patch(vp8, 4, (len(vp8) - 6).to_bytes(4, "little")),
        "holds no chunk": patch(vp8, 4, (4).to_bytes(4, "little")),
        "runs past the RIFF": riff(vp8x(7, 5), image_chunk[:-2]),
        "animation": riff(vp8x(7, 5, flags=0x02), image_chunk),
        "animation \\(ANIM": riff(vp8x(7, 5), chunk(b"ANIM", bytes(6)), image_chunk),
        "canvas 8x5 differs": riff(vp8x(8, 5), image_chunk),
        "first chunk is b'ICCP'": riff(chunk(b"ICCP", bytes(4)), image_chunk),
        "no image chunk": riff(vp8x(7, 5), chunk(b"EXIF", bytes(4))),
        "start code": patch(vp8, 23, b"\x00"),
        "key frame": patch(vp8, 20, bytes([vp8[20] | 1])),
        "VP8X chunk at offset": riff(image_chunk, vp8x(7, 5)),
    }
    for message, bad in cases.items():
        with pytest.raises(EncoderError, match=message):
            webp.probe(bad)


@needs[avif]
def test_avif_takes_the_primary_item_and_its_stored_size():
    rgb = image((5, 7, 3))
    rotated = pillow(rgb, "AVIF", exif=exif(6))  # Pillow writes the orientation as irot
    assert rotated[rotated.index(b"irot") + 4] == 3  # 270 degrees anticlockwise: an odd angle
    # Pillow's decoder returns the stored pixels and reports the rotation as EXIF orientation
    assert avif.decode(rotated).shape == (5, 7, 3) and avif.probe(rotated) == (7, 5, len(rotated), 1)
    alpha = SMALL["avif-alpha"][1]
    assert alpha.count(b"infe") == 2 and b"auxC" in alpha
    pitm = alpha.index(b"pitm")
    with pytest.raises(EncoderError, match="primary item 9 has no 'ipma' entry"):
        avif.probe(patch(alpha, pitm + 8, b"\x00\x09"))


def with_wide_ipma(data: bytes) -> bytes:
    """A libavif file (ipma, the last box in iprp and meta, of version 0 flags 0; iloc version 0
    with 4-byte offsets and no base) with its ipma rewritten as version 1 flags 1: 32-bit item
    ids, 16-bit property indices; the boxes around it grow and iloc's offsets move to match."""
    ipma, meta, iprp, iloc = (data.index(kind) - 4 for kind in (b"ipma", b"meta", b"iprp", b"iloc"))
    assert data[ipma + 8 : ipma + 12] == bytes(4) and data[iloc + 12 : iloc + 14] == b"\x44\x00"
    pos, entries = ipma + 16, []
    for _ in range(int.from_bytes(data[ipma + 12 : ipma + 16], "big")):
        count = data[pos + 2]
        indices = [(byte & 0x80) << 8 | byte & 0x7F for byte in data[pos + 3 : pos + 3 + count]]
        entries.append(data[pos : pos + 2].rjust(4, b"\x00") + bytes([count]) + b"".join(i.to_bytes(2, "big") for i in indices))
        pos += 3 + count
    new = box(b"ipma", b"\x01\x00\x00\x01" + len(entries).to_bytes(4, "big") + b"".join(entries))
    meta_end = meta + int.from_bytes(data[meta : meta + 4], "big")
    assert ipma + int.from_bytes(data[ipma : ipma + 4], "big") == meta_end
    delta = len(new) - (meta_end - ipma)
    out = bytearray(data[:ipma] + new + data[meta_end:])
    for at in (meta, iprp):
        out[at : at + 4] = (int.from_bytes(out[at : at + 4], "big") + delta).to_bytes(4, "big")
    pos = iloc + 16
    for _ in range(int.from_bytes(data[iloc + 14 : iloc + 16], "big")):
        pos += 6
        for _ in range(int.from_bytes(out[pos - 2 : pos], "big")):
            out[pos : pos + 4] = (int.from_bytes(out[pos : pos + 4], "big") + delta).to_bytes(4, "big")
            pos += 8
    return bytes(out)


@needs[avif]
def test_avif_wide_ipma():
    data = with_wide_ipma(SMALL["avif-alpha"][1])
    assert avif.decode(data).shape == (5, 7, 3)  # libavif reads it too
    assert avif.probe(data) == (7, 5, len(data), 1)
    pitm = data.index(b"pitm")  # the alpha item's entry comes second: found only if the first is read right
    assert avif.probe(patch(data, pitm + 8, b"\x00\x02")) == (7, 5, len(data), 1)


@needs[avif]
def test_avif_refusals():
    data = SMALL["avif"][1]
    meta = data.index(b"meta") - 4
    mdat = data.index(b"mdat") - 4
    cases = {
        "cropped": data.replace(b"pixi", b"clap", 1),
        "image sequences": data + box(b"moov", b""),
        "expected one 'meta' box, found 2": data[:mdat] + data[meta:mdat] + data[mdat:],
        "data at offset [0-9]+ \\(length [0-9]+\\) runs past the boxes' end": data[:mdat],  # cut between boxes: the primary item's data is gone
        "has no ispe": data.replace(b"ispe", b"ispf", 1),
        "expected one 'meta' box, found 0": patch(data, meta, (4).to_bytes(4, "big")),  # smaller than a header
        "complete 'ftyp'": patch(data, 0, (4000).to_bytes(4, "big")),
    }
    for message, bad in cases.items():
        with pytest.raises(EncoderError, match=message):
            avif.probe(bad)


@needs[jxl]
@pytest.mark.parametrize(
    "shape",
    # aspect ratios 1:1, 12:10, 4:3, 3:2, 16:9, 5:4, 2:1 and none; multiples of 8 up to 256 a side
    # take the short form; 8193 and 262145 need the 18- and 30-bit fields
    [(1, 1), (8, 8), (16, 8), (264, 8), (256, 256), (33, 33), (10, 12), (480, 640), (20, 30), (5, 7), (90, 160),
     (40, 50), (7, 14), (7, 3000), (3000, 7), (8193, 1), (1, 262145)],
    ids=str,
)
def test_jxl_size_header_at_many_sizes(shape):
    data = jxl.encode(np.full(shape, 128, np.uint8), 50)
    bare = data[:2] == b"\xff\x0a"  # libjxl needs a container (a jxll level box) past 2**18 a side
    assert bare == (max(shape) <= 2**18)
    assert jxl.probe(data) == (shape[1], shape[0], None if bare else len(data), 1)
    assert jxl.decode(data).shape == shape


@needs[jxl]
def test_jxl_containers():
    bare = jxl.encode(image((5, 7, 3)), 50)
    assert jxl.probe(jxl_container(bare)) == (7, 5, len(bare) + 40, 1)
    real = pillow(image((5, 7, 3)), "JXL", quality=50, use_container=True)  # libjxl's own: one jxlc
    assert real[36:40] == b"jxlc" and jxl.probe(real) == (7, 5, len(real), 1)
    split = JXL_SIGNATURE + JXL_FTYP + b"".join(jxlp(i, bare[i : i + 1]) for i in range(6))
    split += box(b"Exif", bytes(6)) + jxlp(6 | 1 << 31, bare[6:])
    assert jxl.probe(split) == (7, 5, len(split), 1)
    assert jxl.decode(split).shape == (5, 7, 3)
    cases = {
        "not marked last": split[: split.rindex(b"jxlp") - 4],
        "is not jxlp part 1": JXL_SIGNATURE + JXL_FTYP + jxlp(0, bare[:3]) + jxlp(2 | 1 << 31, bare[3:]),
        "a jxlc box and 1 more": jxl_container(bare) + jxlp(0 | 1 << 31, bare),
        "jbrd": jxl_container(bare) + box(b"jbrd", bytes(8)),
        "no complete codestream box": JXL_SIGNATURE + JXL_FTYP + box(b"Exif", bytes(6)),
        "complete 'ftyp'": JXL_SIGNATURE + box(b"jxlc", bare),
        "not ff0a": jxl_container(b"\x00" + bare),
    }
    for message, bad in cases.items():
        with pytest.raises(EncoderError, match=message):
            jxl.probe(bad)


def pack(fields: list[tuple[int, int]]) -> bytes:
    """(bit count, value) fields written LSB first, as JPEG XL headers are, padded to a byte."""
    value, width = 0, 0
    for size, field in fields:
        value, width = value | field << width, width + size
    return value.to_bytes((width + 7) // 8, "little")


def dimension(size: int, selector: int) -> list[tuple[int, int]]:
    return [(2, selector), ((9, 13, 18, 30)[selector], size - 1)]


@pytest.mark.parametrize(
    ("fields", "size"),
    [([(1, 1), (5, 0), (3, 0), (5, 31), (1, 1)], (256, 8)),  # the short form: multiples of 8
     *[([(1, 0), *dimension(height, selector), (3, 0), *dimension(width, 3 - selector), (1, 1)], (width, height))
       for selector, (width, height) in enumerate([(2**30, 512), (262144, 8192), (8192, 262144), (512, 2**30)])],
     # the seven aspect ratios from a height of 90, rounded down as the spec says
     *[([(1, 0), *dimension(90, 0), (3, ratio), (1, 1)], (width, 90))
       for ratio, width in enumerate([90, 108, 120, 135, 160, 112, 180], 1)],
     ([(1, 0), *dimension(90, 0), (3, 7), (1, 0), (1, 1), (3, 5)], (90, 180)),  # orientation 6 swaps
     ([(1, 0), *dimension(90, 0), (3, 7), (1, 0), (1, 1), (3, 3)], (180, 90)),  # orientation 4 does not
     ([(1, 0), *dimension(90, 0), (3, 7), (1, 0), (1, 0), (3, 5)], (180, 90))],  # no extra fields: no orientation
)
def test_jxl_size_header_fields(fields, size):
    assert jxl.probe(b"\xff\x0a" + pack(fields)) == (*size, None, 1)


def with_orientation(codestream: bytes, orientation: int) -> bytes:
    """An all-default-metadata JPEG XL codestream rewritten with `orientation`: the one
    ImageMetadata bit becomes 25 bits (extra_fields, orientation, the defaults spelled out,
    bits_per_sample 8 in its 6-bit form), so everything after moves by exactly 3 bytes."""
    bits, pos = int.from_bytes(codestream[2:], "little"), 0

    def take(n: int) -> int:
        nonlocal pos
        pos += n
        return (bits >> (pos - n)) & ((1 << n) - 1)

    small = take(1)
    dimension = (lambda: take(5)) if small else (lambda: take((9, 13, 18, 30)[take(2)]))
    dimension()
    if not take(3):
        dimension()
    assert (bits >> pos) & 1  # all_default
    fields = [(1, 0), (1, 1), (3, orientation - 1), (1, 0), (1, 0), (1, 0), (1, 0), (2, 3), (6, 7), (1, 1),
              (2, 0), (1, 1), (1, 1), (1, 1), (2, 0)]
    metadata, width = 0, 0
    for size, value in fields:
        metadata, width = metadata | value << width, width + size
    out = bits & ((1 << pos) - 1) | metadata << pos | (bits >> (pos + 1)) << (pos + width)
    return codestream[:2] + out.to_bytes(len(codestream) + 1, "little")


# EXIF orientation: how the stored pixels become the displayed ones
ORIENTED = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
            5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
            7: lambda a: a[::-1, ::-1].transpose(1, 0, 2), 8: lambda a: np.rot90(a, 1)}


@needs[jxl]
@pytest.mark.parametrize("orientation", range(1, 9))
def test_jxl_orientation_is_applied_as_libjxl_does(orientation):
    rgb = image((17, 33, 3))
    data = with_orientation(jxl.encode(rgb, 95), orientation)
    decoded = jxl.decode(data)
    assert jxl.probe(data) == ((17, 33) if orientation > 4 else (33, 17)) + (None, 1)
    assert decoded.shape[:2] == ((33, 17) if orientation > 4 else (17, 33))
    # the pixels show the crafted header says what it should (a wrong transform is off by >= 48)
    assert np.abs(decoded.astype(int) - ORIENTED[orientation](rgb)).mean() < 6


@pytest.mark.parametrize("name", sorted(SMALL))
def test_trailing_bytes_are_not_counted(name):
    codec, data = SMALL[name]
    assert codec.probe(data + JUNK) == codec.probe(data)
    assert codec.probe(data + JUNK).end == len(data)


@needs[jxl]
def test_bare_jxl_has_no_end():
    data = jxl.encode(image((5, 7, 3)), 50)
    assert jxl.probe(data + JUNK) == jxl.probe(data) == (7, 5, None, 1)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_truncation_anywhere_is_refused(name):
    codec, data = SMALL[name]
    for cut in range(len(data)):
        with pytest.raises(EncoderError):
            codec.probe(data[:cut])


@needs[jxl]
@pytest.mark.parametrize(
    ("shape", "header"),
    # FF 0A, then SizeHeader and ImageMetadata bits: 1+2+9+3 and all_default (16: 2 bytes) for
    # 7x5 RGB; grey adds extra_fields = 0 (17: 3 bytes); 8x8 takes the short form (10: 2 bytes)
    [((5, 7, 3), 4), ((5, 7), 5), ((8, 8, 3), 4)],
)
def test_bare_jxl_truncated_in_its_header_is_refused(shape, header):
    data = jxl.encode(image(shape), 50)
    for cut in range(header):
        with pytest.raises(EncoderError):
            jxl.probe(data[:cut])
    assert jxl.probe(data[:header]) == (shape[1], shape[0], None, 1)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_mutations_raise_only_encoder_error(name):
    codec, data = SMALL[name]
    rng = random.Random(0)
    results = {"probe": 0, "refused": 0}
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.8:
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            else:
                at = rng.randrange(len(mutated))
                mutated[at : at + rng.randint(1, 8)] = rng.randbytes(rng.randint(0, 8))
        try:
            found = codec.probe(bytes(mutated))
        except EncoderError:
            results["refused"] += 1
            continue
        results["probe"] += 1
        assert type(found) is Probe and found.width >= 1 and found.height >= 1 and found.scans >= 1
        assert found.end is None or found.end <= len(mutated)
    assert results["probe"] and results["refused"]  # both outcomes were reached


def bombs() -> dict[str, tuple]:
    """Small real files patched to declare a huge size: (codec, data, (width, height))."""
    out = {}
    if jpeg.available:
        data = SMALL["jpeg"][1]
        sof = data.index(b"\xff\xc0")
        out["jpeg"] = (jpeg, patch(data, sof + 5, (65500).to_bytes(2, "big") * 2), (65500, 65500))
    if webp.available:
        data = SMALL["webp-vp8"][1]
        huge = patch(data, 26, (0x3FFF).to_bytes(2, "little") * 2)
        out["webp-vp8"] = (webp, huge, (16383, 16383))
        out["webp-vp8x"] = (webp, riff(vp8x(16383, 16383), huge[12:]), (16383, 16383))
    if avif.available:
        data = SMALL["avif"][1]
        out["avif"] = (avif, patch(data, data.index(b"ispe") + 8, (32768).to_bytes(4, "big") * 2), (32768, 32768))
    if jxl.available:
        out["jxl"] = (jxl, JXL_BOMB, (8192, 8192))
    return out


@pytest.mark.parametrize("name", sorted(bombs()))
def test_bombs_probe_to_their_declared_size_quickly_and_in_little_memory(name):
    codec, data, size = bombs()[name]
    tracemalloc.start()
    try:
        start = time.perf_counter()
        found = codec.probe(data)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found[:2] == size
    assert elapsed < 0.05 and peak < 1_000_000, (elapsed, peak)


@needs[jxl]
@pytest.mark.skipif(not os.environ.get("SRCODEC_SLOW"), reason="encodes and decodes 8192x8192 (~15 s); set SRCODEC_SLOW=1")
def test_jxl_bomb_is_what_the_encoder_writes():
    data = jxl.encode(np.zeros((8192, 8192), np.uint8), 10, effort=1)
    assert jxl.probe(data) == jxl.probe(JXL_BOMB) == (8192, 8192, None, 1)
    assert jxl.decode(JXL_BOMB).shape == (8192, 8192)


def test_probe_needs_no_backend(monkeypatch):
    monkeypatch.setattr(jxl, "available", False)
    assert jxl.probe(JXL_BOMB) == (8192, 8192, None, 1)


@needs[jxl]
@pytest.mark.parametrize("shape", [(33, 17, 3), (33, 17)], ids=str)
def test_jxl_quality_100_is_lossless(shape):
    rgb = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    assert np.array_equal(jxl.decode(jxl.encode(rgb, 100)), rgb)


@needs[jxl]
def test_backend_runtime_errors_become_encoder_errors():
    from encoders._common import pil_encode

    with pytest.raises(EncoderError, match="incorrect way"):  # libjxl: distance 0 needs lossless mode
        pil_encode(np.zeros((4, 4, 3), np.uint8), "JXL", jxl.MAX_DIMENSION, quality=100, lossless=False)
