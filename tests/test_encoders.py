import numpy as np
import pytest

import encoders
from encoders import jpeg

AVAILABLE = [name for name, m in encoders.CODECS.items() if m.available]


@pytest.mark.parametrize("name", AVAILABLE)
def test_round_trip_rgb_and_grey(name, photo, grey_photo):
    codec = encoders.get(name)
    for image in (photo, grey_photo):
        data = codec.encode(image, 90)
        assert isinstance(data, bytes)
        assert codec.check(data)
        assert encoders.sniff(data) is codec
        out = codec.decode(data)
        assert out.dtype == np.uint8 and out.shape[:2] == image.shape[:2]
        ref = image if out.ndim == image.ndim else np.repeat(image[..., None], 3, axis=2)
        assert np.abs(out.astype(int) - ref).mean() < 6


@pytest.mark.parametrize("name", AVAILABLE)
def test_lower_quality_is_smaller(name, photo):
    codec = encoders.get(name)
    assert len(codec.encode(photo, 20)) < len(codec.encode(photo, 90))


@pytest.mark.parametrize("quality", [0, 101, -5, 2.5, "50", True, None])
def test_jpeg_quality_is_validated_not_clamped(quality, photo):
    with pytest.raises(encoders.EncoderError, match="quality"):
        jpeg.encode(photo, quality)


def test_jpeg_carries_no_metadata_segment(photo):
    data = jpeg.encode(photo, 50)
    assert data[:2] == b"\xff\xd8"
    assert data[2:4] == b"\xff\xdb"  # straight to the quantization tables: no APP0/JFIF
    assert b"JFIF" not in data and b"Exif" not in data


def test_jpeg_options(photo):
    baseline = jpeg.encode(photo, 60)
    progressive = jpeg.encode(photo, 60, progressive=True)
    assert b"\xff\xc2" in progressive and b"\xff\xc2" not in baseline
    assert len(jpeg.encode(photo, 60, subsampling="4:4:4")) > len(baseline)
    with pytest.raises(encoders.EncoderError, match="subsampling"):
        jpeg.encode(photo, 60, subsampling="4:1:1")


def test_jpeg_coding_is_read_from_the_headers(photo, grey_photo):
    for subsampling, factor in (("4:4:4", 1), ("4:2:2", 2), ("4:2:0", 2)):
        for quality in (1, 37, 80, 100):
            assert jpeg.coding(jpeg.encode(photo, quality, subsampling=subsampling)) == (factor, quality)
    assert jpeg.coding(jpeg.encode(grey_photo, 60)) == (None, 60)
    with pytest.raises(encoders.EncoderError):
        jpeg.coding(b"\xff\xd8\xff\x00 not a frame")


def renumber_luma_table(data: bytes, new_id: int) -> bytes:
    """`data` with quantization table 0 stored and referenced as table `new_id` (a valid JPEG)."""
    out, pos = bytearray(data), 2
    while out[pos + 1] != 0xDA:  # up to the scan
        length = int.from_bytes(out[pos + 2 : pos + 4], "big")
        if out[pos + 1] == 0xDB:  # DQT: (precision/id byte, 64 or 128 table bytes)*
            at = pos + 4
            while at < pos + 2 + length:
                if out[at] & 0x0F == 0:
                    out[at] |= new_id
                at += 1 + 64 * (1 + (out[at] >> 4))
        elif out[pos + 1] == 0xC0:  # SOF0: components (id, sampling, table) from byte 10
            for at in range(pos + 12, pos + 2 + length, 3):
                if out[at] == 0:
                    out[at] = new_id
        pos += 2 + length
    return bytes(out)


def test_jpeg_coding_reads_the_table_luma_uses(photo):
    data = renumber_luma_table(jpeg.encode(photo, 37), 2)
    assert jpeg.decode(data).shape == photo.shape  # still a JPEG every decoder reads
    assert jpeg.coding(data) == (2, 37)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 4), np.uint8), np.zeros((0, 4), np.uint8), [[1, 2]]])
def test_bad_arrays_are_refused(bad):
    with pytest.raises(encoders.EncoderError):
        jpeg.encode(bad, 50)


def test_unknown_codec_named_in_error():
    with pytest.raises(encoders.EncoderError, match="'png'"):
        encoders.get("png")


def test_garbage_raises_encoder_error():
    with pytest.raises(encoders.EncoderError):
        jpeg.decode(b"\xff\xd8\xff\xdb" + b"\x00" * 20)
    with pytest.raises(encoders.EncoderError):
        jpeg.decode(b"not a jpeg")


def test_missing_backend_says_what_to_install(monkeypatch, photo):
    from encoders import jxl

    monkeypatch.setattr(jxl, "available", False)
    with pytest.raises(encoders.BackendMissing, match="pip install pillow-jxl-plugin"):
        jxl.encode(photo, 50)
    with pytest.raises(ImportError):  # BackendMissing is also an ImportError
        jxl.decode(b"\xff\x0a")


def test_every_codec_has_the_same_members():
    for module in encoders.CODECS.values():
        for member in ("NAME", "EXTENSION", "available", "version", "check", "encode", "decode"):
            assert hasattr(module, member), (module.NAME, member)
        assert isinstance(module.FORMAT, str) and module.MAX_DIMENSION >= 16383
        if module.available:
            assert module.version().split()[-1][0].isdigit()  # "libwebp 1.6.0": a library and a version


@pytest.mark.parametrize("name", AVAILABLE)
def test_decoders_take_only_their_own_format(name, photo):
    from PIL import Image
    import io

    png = io.BytesIO()
    Image.fromarray(photo).save(png, "PNG")
    with pytest.raises(encoders.EncoderError):
        encoders.get(name).decode(png.getvalue())


def test_option_values_are_validated():
    image = np.zeros((8, 8, 3), np.uint8)
    for call in (lambda: encoders.webp.encode(image, 50, method="fast"), lambda: encoders.avif.encode(image, 50, speed=11),
                 lambda: encoders.jxl.encode(image, 50, effort=0), lambda: encoders.avif.encode(image, 50, subsampling="x")):
        with pytest.raises(encoders.EncoderError):
            call()


def test_dimension_limits_are_checked_before_the_backend():
    with pytest.raises(encoders.EncoderError, match="16383"):
        encoders.webp.encode(np.zeros((1, 16384), np.uint8), 50)
    with pytest.raises(encoders.EncoderError, match="65500"):
        encoders.jpeg.encode(np.zeros((1, 65501), np.uint8), 50)
