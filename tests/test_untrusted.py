"""Files and model records from strangers: every failure is a typed srcodec error, found from
headers before any pixel is decoded, in bounded time and memory."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

import encoders
import srcodec
from srcodec import cli, container
from srcodec.errors import ArgumentError, FormatError, ImageError, LimitError, SrcodecError, TimeLimitError, WeightsError

CODECS = [name for name in container.CODECS if encoders.get(name).available]


def _image(h=24, w=20, grey=False, seed=1):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w) if grey else (h, w, 3)).astype(np.uint8)


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    """Small valid files: every codec, grey and RGB, baseline and progressive JPEG."""
    files = {f"{codec}-rgb": srcodec.encode(_image(), scale=2, quality=50, codec=codec, model="bicubic") for codec in CODECS}
    files["jpeg-grey"] = srcodec.encode(_image(grey=True), scale=2, quality=50, model="bicubic")
    files["jpeg-progressive"] = srcodec.encode(
        _image(), scale=1, quality=50, model="bicubic", codec_options={"progressive": True}
    )
    return files


def _with_header(blob: bytes, **changes) -> bytes:
    header, payload = container.unpack(blob)
    return container.pack(dataclasses.replace(header, **changes), payload)


def _header_span(blob: bytes) -> tuple[int, int]:
    """Where the srcodec header lies in a file (magic to CRC, inclusive of the CRC)."""
    start = 6 if blob[:2] == container.SOI else 0
    _, used = container.decode_header(blob[start:])
    return start, start + used


def _recrc(blob: bytearray, start: int, end: int) -> bytes:
    """`blob` with its header CRC recomputed, so a mutation reaches the field checks."""
    blob[end - 4 : end] = struct.pack("<I", zlib.crc32(bytes(blob[start : end - 4])))
    return bytes(blob)


FOREIGN = {
    "png": lambda: _pil_bytes("PNG"),
    "gif": lambda: _pil_bytes("GIF"),
    "bmp": lambda: _pil_bytes("BMP"),
    "tiff": lambda: _pil_bytes("TIFF"),
    "jpeg": lambda: encoders.jpeg.encode(_image(12, 10), 50),
    "webp": lambda: encoders.webp.encode(_image(12, 10), 50),
    "avif": lambda: encoders.avif.encode(_image(12, 10), 50),
    "jxl": lambda: encoders.jxl.encode(_image(12, 10), 50),
    "zeros": lambda: bytes(300),
    "text": lambda: b"hello, world\n" * 20,
}


def _pil_bytes(fmt: str) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(_image(12, 10)).save(buffer, fmt)
    return buffer.getvalue()


def _fuzz_cases(corpus: dict[str, bytes], rng: random.Random):
    """(kind, bytes) for the structure-aware fuzz run: header fields behind a correct CRC,
    foreign payloads in both forms, every truncation, mutations inside the payload."""
    for name, blob in corpus.items():
        start, end = _header_span(blob)
        for position in range(start, end - 4):
            for value in {0, 1, 0x7F, 0x80, 0xFF, blob[position] ^ 1, rng.randrange(256)}:
                mutated = bytearray(blob)
                mutated[position] = value
                yield "header", _recrc(mutated, start, end)
        for n in range(len(blob)):
            yield "truncation", blob[:n]
        for _ in range(400):
            mutated = bytearray(blob)
            for _ in range(rng.randint(1, 4)):
                mutated[rng.randrange(end, len(blob))] = rng.randrange(256)
            yield "payload", bytes(mutated)
    for name, make in FOREIGN.items():
        payload = make()
        for codec in [c for c in CODECS if c != name]:  # a payload of the header's own codec is not foreign
            header = container.Header(scale=2, width=20, height=24, model="bicubic", codec=codec)
            head = container.encode_header(header)
            if codec == "jpeg":  # APP9 segment, then the foreign bytes in place of the JPEG's
                yield "foreign", container.SOI + container.APP9 + struct.pack(">H", len(head) + 2) + head + payload
            else:
                yield "foreign", head + payload


def test_structure_aware_fuzz_only_raises_typed_errors(corpus):
    rng = random.Random(0)
    counts: dict[str, dict[str, int]] = {}
    others = []
    started = time.perf_counter()
    for kind, data in _fuzz_cases(corpus, rng):
        tally = counts.setdefault(kind, {"cases": 0, "decoded": 0, "typed": 0})
        tally["cases"] += 1
        try:
            out = srcodec.decode(data)
        except SrcodecError:
            tally["typed"] += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test
            others.append((kind, type(exc).__name__, str(exc)[:100]))
            continue
        tally["decoded"] += 1
        assert out.dtype == np.uint8 and out.shape[:2] == (24, 20)
    seconds = time.perf_counter() - started
    print(f"\nfuzz: {counts}, others: {len(others)}, {seconds:.1f} s")
    assert not others, others[:5]
    assert sum(t["cases"] for t in counts.values()) > 5000
    assert counts["truncation"]["decoded"] == 0  # every truncation is noticed
    assert counts["foreign"]["decoded"] == 0


# ---- bombs: a payload bigger than its header says is refused before a pixel is decoded ----

def _bomb_payload(codec: str) -> bytes:
    """A real payload of `codec` that declares a huge image."""
    if codec == "jxl":  # flat images cost libjxl a few hundred bytes at any size (and 8 s to make at 8192x8192)
        return encoders.jxl.encode(np.zeros((2048, 2048), np.uint8), 10, effort=1)
    payload = bytearray(encoders.get(codec).encode(_image(16, 16), 50))
    if codec == "jpeg":  # the SOF's height and width
        sof = payload.index(b"\xff\xc0")
        payload[sof + 5 : sof + 9] = struct.pack(">HH", 65500, 65500)
    elif codec == "webp":  # VP8 frame header: 14-bit width and height after the start code
        code = payload.index(b"\x9d\x01\x2a")
        payload[code + 3 : code + 7] = struct.pack("<HH", 16383, 16383)
    elif codec == "avif":
        ispe = payload.index(b"ispe")
        payload[ispe + 8 : ispe + 16] = struct.pack(">II", 32768, 32768)
    return bytes(payload)


@pytest.mark.parametrize("codec", CODECS)
def test_a_payload_declaring_a_huge_image_is_refused_cheaply(codec):
    payload = _bomb_payload(codec)
    probe = encoders.get(codec).probe(payload)
    assert probe.width * probe.height >= 2048**2  # the bomb is real: its headers say so
    blob = container.pack(container.Header(scale=1, width=64, height=64, model="bicubic", codec=codec), payload)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(FormatError, match=f"payload is {probe.width}x{probe.height}, the header says 64x64"):
        srcodec.decode(blob)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 0.2 and peak < 2 * len(blob) + 2**20, (seconds, peak)
    # an honest header for the same payload is over the pixel limit, also before decoding
    honest = container.pack(
        container.Header(scale=1, width=probe.width, height=probe.height, model="bicubic", codec=codec), payload
    )
    started = time.perf_counter()
    with pytest.raises(LimitError, match="over the limit of 1000000"):
        srcodec.decode(honest, max_pixels=10**6)
    assert time.perf_counter() - started < 0.2


def test_a_jpeg_with_thousands_of_scans_is_refused():
    payload = encoders.jpeg.encode(_image(64, 64), 50, progressive=True)
    last_sos = payload.rindex(b"\xff\xda")
    scans = encoders.jpeg.probe(payload).scans
    repeat = payload[last_sos:-2]  # the last scan, header and data, up to EOI
    bomb = payload[:-2] + repeat * 2000 + payload[-2:]
    assert encoders.jpeg.probe(bomb).scans == scans + 2000
    blob = container.pack(container.Header(scale=1, width=64, height=64, model="bicubic"), bomb)
    started = time.perf_counter()
    with pytest.raises(LimitError, match=f"{scans + 2000} scans, over the limit of {srcodec.api.MAX_SCANS}"):
        srcodec.decode(blob)
    assert time.perf_counter() - started < 0.5
    assert srcodec.decode(container.pack(container.Header(scale=1, width=64, height=64, model="bicubic"), payload)).shape == (64, 64, 3)


# ---- extent: nothing after the payload, nothing read past what the format allows ----

@pytest.mark.parametrize("codec", CODECS)
def test_data_after_the_payload_is_refused(corpus, codec):
    blob = corpus[f"{codec}-rgb"]
    junk = blob + b"\x00" * 1000
    if codec == "jxl":  # a bare JPEG XL codestream does not say where it ends: only a checksum can
        assert srcodec.decode(junk).shape == (24, 20, 3)
        checked = srcodec.encode(_image(), scale=2, quality=50, codec=codec, model="bicubic", checksum=True)
        with pytest.raises(FormatError, match="payload CRC mismatch"):
            srcodec.decode(checked + b"\x00" * 1000)
        return
    for call in (srcodec.inspect, srcodec.decode):
        with pytest.raises(FormatError, match="1000 bytes of other data follow the"):
            call(junk)


@pytest.mark.parametrize("form", ["jpeg", "webp"])
def test_inspect_does_not_copy_junk(corpus, form):
    blob = corpus[f"{form}-rgb"] + bytes(20 * 2**20)
    tracemalloc.start()
    with pytest.raises(FormatError, match="bytes of other data"):
        srcodec.inspect(blob)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20


@pytest.mark.parametrize("codec", CODECS)
def test_pillows_truncated_images_switch_is_not_inherited(corpus, codec, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # as much ML code sets it
    blob = corpus[f"{codec}-rgb"]
    start, end = _header_span(blob)
    for n in range(end + 1, len(blob), max(1, (len(blob) - end) // 40)):
        with pytest.raises(FormatError):
            srcodec.decode(blob[:n])


def test_a_payload_checksum_detects_corruption_anywhere(corpus):
    plain = srcodec.encode(_image(), scale=2, quality=50, model="bicubic")
    blob = srcodec.encode(_image(), scale=2, quality=50, model="bicubic", checksum=True)
    assert len(blob) == len(plain) + 4 and srcodec.inspect(blob).payload_crc and not srcodec.inspect(plain).payload_crc
    assert np.array_equal(srcodec.decode(blob), srcodec.decode(plain))
    rng = random.Random(1)
    start = srcodec.inspect(blob).header_bytes
    silent = 0
    for _ in range(200):
        mutated = bytearray(blob)
        mutated[rng.randrange(start, len(blob))] ^= rng.randrange(1, 256)
        with pytest.raises(FormatError):
            srcodec.decode(bytes(mutated))
        unchecked = bytearray(plain)
        unchecked[rng.randrange(start - 4, len(plain))] ^= rng.randrange(1, 256)
        try:
            srcodec.decode(bytes(unchecked))
            silent += 1
        except FormatError:
            pass
    assert silent > 0  # without the checksum some corruption decodes: what the option is for


# ---- time and pixel limits ----

def test_a_decode_can_be_given_a_time_limit(corpus):
    with pytest.raises(TimeLimitError, match="longer than the 1e-09 s") as caught:
        srcodec.decode(corpus["jpeg-rgb"], timeout=1e-9)
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, LimitError)
    assert srcodec.decode(corpus["jpeg-rgb"], timeout=60).shape == (24, 20, 3)
    with pytest.raises(ArgumentError, match="timeout"):
        srcodec.decode(corpus["jpeg-rgb"], timeout=0)


def test_encode_and_restore_have_a_pixel_limit(tmp_path):
    # a PNG whose header says 2000x1000 and whose pixel data is cut: refused by size, unread
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((1000, 2000), np.uint8)).save(buffer, "PNG")
    path = tmp_path / "big.png"
    path.write_bytes(buffer.getvalue()[:100])
    with pytest.raises(LimitError, match="2000x1000 = 2000000 pixels, over the limit of 1000000"):
        srcodec.encode(path, max_pixels=10**6)
    with pytest.raises(ImageError, match="cannot read"):  # under the limit, it is read: and is cut
        srcodec.encode(path)
    with pytest.raises(LimitError, match="over the limit"):
        srcodec.encode(_image(100, 100), max_pixels=9999)
    with pytest.raises(LimitError, match="over the limit"):
        srcodec.restore(_image(100, 100), scale=4, model="bicubic", max_pixels=100 * 100 * 16 - 1)
    assert srcodec.restore(_image(100, 100), scale=4, model="bicubic", max_pixels=100 * 100 * 16).shape == (400, 400, 3)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_special_files_are_refused_not_read(tmp_path, capsys):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageError, match="not a regular file"):
        srcodec.encode(fifo)
    assert cli.main(["decode", "/dev/zero", "-o", str(tmp_path / "z.png")]) == 1
    assert "not a regular file: /dev/zero" in capsys.readouterr().err


def test_the_cli_reads_no_more_than_a_file_can_need(tmp_path, corpus, capsys):
    path = tmp_path / "big.sr.jpg"
    path.write_bytes(corpus["jpeg-rgb"] + bytes(2**20 + 100 * 8))
    assert cli.main(["decode", str(path), "--max-pixels", "100"]) == 1
    assert "more than a file of max_pixels pixels needs" in capsys.readouterr().err


def test_jxl_quality_100_is_lossless():
    image = _image(16, 16)
    assert np.array_equal(srcodec.decode(srcodec.encode(image, scale=1, quality=100, codec="jxl", model="bicubic")), image)


# ---- model records from strangers ----

BAD_CONFIGS = [
    ({"foo": 1}, "takes"),
    ({"depth": 1}, "'depth' takes integers in 2..64"),
    ({"filters": -1}, "'filters' takes integers"),
    ({"filters": 1e9}, "'filters' takes integers"),
    ({"depth": 10**9}, "'depth' takes integers"),
    ({"depth": 64, "filters": 256}, "over the limit"),
]


def _record_folder(tmp_path, records: dict[str, dict]):
    for model_id, fields in records.items():
        (tmp_path / f"{model_id}.weights.h5").write_bytes(b"not really weights")
        record = {"id": model_id, "family": "vdsr", "scales": [2], "weights": f"{model_id}.weights.h5", "sha256": "0" * 64}
        (tmp_path / f"{model_id}.json").write_text(json.dumps({**record, **fields}))
    return tmp_path


@pytest.fixture
def stranger_zoo(tmp_path, monkeypatch):
    from srcodec import zoo

    def use(records):
        monkeypatch.setenv(zoo.MODELS_ENV, str(_record_folder(tmp_path, records)))
        for name in ("_records", "_broken", "_broken_ids"):
            monkeypatch.setattr(zoo, name, {})
        return zoo

    return use


def test_broken_records_fail_only_the_files_that_name_them(stranger_zoo):
    records = {f"bad-{n}": {"config": config} for n, (config, _) in enumerate(BAD_CONFIGS)}
    records["bad-colour"] = {"colour": "rgb"}
    records["bad-family"] = {"family": "bicubic"}
    records["bad-path"] = {"weights": "../elsewhere.weights.h5"}
    records["bad-abs"] = {"weights": "/etc/passwd"}
    records["bad-scales"] = {"scales": "2"}
    records["bad-objective"] = {"objective": "beauty"}
    zoo = stranger_zoo(records)
    good = srcodec.encode(_image(), scale=2, model="bicubic")
    started = time.perf_counter()
    assert srcodec.decode(good).shape == (24, 20, 3)
    assert len(zoo.broken_records()) == len(records)
    for model_id in records:
        blob = _with_header(good, model=model_id, digest=bytes(8))
        with pytest.raises(WeightsError, match=f"{model_id}.json"):
            srcodec.decode(blob)
    assert time.perf_counter() - started < 5
    messages = zoo.broken_records()
    for n, (_, match) in enumerate(BAD_CONFIGS):
        assert match in messages[str(next(p for p in map(str, messages) if p.endswith(f"bad-{n}.json")))]
    assert "contradicts family 'vdsr'" in next(m for p, m in messages.items() if p.endswith("bad-colour.json"))
    assert "beside the record" in next(m for p, m in messages.items() if p.endswith("bad-abs.json"))


def test_weights_inside_the_package_do_not_make_a_model_shipped(tmp_path, monkeypatch, tiny_model):
    from srcodec import zoo

    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tiny_model.weights.parent)
    srcodec.register_model("tiny-inside", tiny_model.weights, family="srcnn", scales=[2], config=tiny_model.config)
    srcodec.unregister_model("tiny-inside")  # a registered model, wherever its weights lie
    with pytest.raises(srcodec.UnknownModelError):
        srcodec.unregister_model("vdsr-y-x2-codec")


def test_register_model_refuses_what_it_cannot_build(tiny_model):
    with pytest.raises(ArgumentError, match="family must be one of"):
        srcodec.register_model("x", tiny_model.weights, family="bicubic", scales=[2])
    with pytest.raises(ArgumentError, match="scales must be"):
        srcodec.register_model("x", tiny_model.weights, family="srcnn", scales=["2"])
    with pytest.raises(ArgumentError, match="cannot make a model record"):
        srcodec.register_model("x", tiny_model.weights, family="srcnn", scales=5)
    started = time.perf_counter()
    with pytest.raises(ArgumentError, match="'depth' takes integers"):
        srcodec.register_model("x", tiny_model.weights, family="vdsr", scales=[2], config={"depth": 10**9})
    assert time.perf_counter() - started < 1
    with pytest.raises(ArgumentError, match="only distortion models can be a default"):
        srcodec.register_model("x", tiny_model.weights, family="srcnn", scales=[2], config=tiny_model.config,
                               objective="perception", default=[2])
