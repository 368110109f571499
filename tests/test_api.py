import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import encoders
import srcodec
from srcodec import api, container, metrics, resample
from srcodec.errors import (
    ArgumentError,
    CodecUnavailableError,
    FormatError,
    ImageError,
    LimitError,
    SrcodecError,
    UnknownModelError,
    WeightsError,
)


def test_round_trip_is_a_viewable_jpeg_of_the_small_image(photo):
    blob = srcodec.encode(photo, scale=2, quality=80)
    assert isinstance(blob, bytes)
    with Image.open(io.BytesIO(blob)) as im:  # any JPEG reader shows the small image
        assert im.format == "JPEG" and im.size == (64, 48)
    out = srcodec.decode(blob)
    assert out.dtype == np.uint8 and out.shape == photo.shape
    assert metrics.psnr_rgb(photo, out) > 24


def test_bicubic_decode_is_bicubic_upsampling_of_the_payload(photo):
    blob = srcodec.encode(photo, scale=2, quality=70, model="bicubic")
    header, payload = container.unpack(blob)
    expected = resample.to_uint8(resample.upsample(encoders.jpeg.decode(payload), 2))
    assert np.array_equal(srcodec.decode(blob), expected)


def test_inspect_reads_the_header(photo):
    blob = srcodec.encode(photo[:95, :127], scale=3, quality=55, model="bicubic")
    info = srcodec.inspect(blob)
    assert (info.width, info.height, info.scale, info.lr_width, info.lr_height) == (127, 95, 3, 43, 32)
    assert (info.codec, info.model, info.grey, info.digest) == ("jpeg", "bicubic", False, None)
    assert info.file_bytes == len(blob) == info.header_bytes + info.payload_bytes
    # the APP9 marker and length, then the header; 127 and 95 take one LEB128 byte each
    assert info.header_bytes == 4 + len(container.encode_header(container.Header(3, 127, 95, "bicubic"))) == 25


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.integers(1, 40), w=st.integers(1, 40), scale=st.integers(1, 4), grey=st.booleans())
def test_any_size_round_trips_to_its_exact_size(h, w, scale, grey):
    rng = np.random.default_rng(h * 1000 + w)
    image = rng.integers(0, 256, (h, w) if grey else (h, w, 3)).astype(np.uint8)
    out = srcodec.decode(srcodec.encode(image, scale=scale, quality=90))
    assert out.shape == image.shape and out.dtype == np.uint8
    if min(h, w) >= 4 * scale:  # big enough that edge padding barely weighs in the mean
        # the restored picture is the original's: its mean colour survives
        assert np.abs(out.mean(axis=(0, 1)) - image.mean(axis=(0, 1))).max() < 12


def test_scale_larger_than_the_image_works():
    image = np.full((1, 1, 3), (200, 10, 90), np.uint8)
    out = srcodec.decode(srcodec.encode(image, scale=8, quality=100))
    assert out.shape == (1, 1, 3)
    assert np.abs(out.astype(int) - image).max() <= 8


@pytest.mark.parametrize("codec", [n for n, m in encoders.CODECS.items() if m.available and n != "jpeg"])
def test_other_inner_codecs_use_the_framed_container(codec, photo):
    blob = srcodec.encode(photo, scale=2, quality=80, codec=codec)
    assert blob[:4] == b"srcd"
    assert srcodec.inspect(blob).codec == codec
    assert srcodec.decode(blob).shape == photo.shape


def test_grey_stays_grey_and_is_coded_as_one_channel(grey_photo):
    blob = srcodec.encode(grey_photo, scale=2, quality=80)
    assert srcodec.inspect(blob).grey
    with Image.open(io.BytesIO(blob)) as im:
        assert im.mode == "L"
    assert srcodec.decode(blob).shape == grey_photo.shape


def test_scale_1_is_plain_jpeg_plus_header(photo):
    blob = srcodec.encode(photo, scale=1, quality=60, model="bicubic")
    header = container.encode_header(container.Header(1, 128, 96, "bicubic"))
    assert len(blob) == len(encoders.jpeg.encode(photo, 60)) + 4 + len(header)
    assert np.array_equal(srcodec.decode(blob), encoders.jpeg.decode(container.unpack(blob)[1]))


# ---- inputs -------------------------------------------------------------------------------

def test_paths_and_pil_images(tmp_path, photo):
    path = tmp_path / "x.png"
    Image.fromarray(photo).save(path)
    from_path = srcodec.encode(path, scale=2, quality=50)
    assert from_path == srcodec.encode(str(path), scale=2, quality=50)
    assert from_path == srcodec.encode(Image.fromarray(photo), scale=2, quality=50)
    assert from_path == srcodec.encode(photo, scale=2, quality=50)


def test_exif_orientation_is_applied(tmp_path, photo):
    path = tmp_path / "rotated.jpg"
    im = Image.fromarray(photo)  # 128 wide, 96 high
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    im.save(path, exif=exif, quality=98, subsampling=0)
    out = srcodec.decode(srcodec.encode(path, scale=1, quality=98))
    assert out.shape == (128, 96, 3)
    assert metrics.psnr_rgb(np.rot90(photo, -1), out) > 35  # turned clockwise, not the other way
    assert metrics.psnr_rgb(np.rot90(photo, 1), out) < 20


def test_opaque_alpha_is_lossless_to_drop(photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    assert srcodec.encode(rgba, scale=2, quality=50) == srcodec.encode(photo, scale=2, quality=50)


def test_transparency_is_refused_unless_flattened(photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 128, np.uint8)])
    with pytest.raises(ImageError, match="alpha='flatten'"):
        srcodec.encode(rgba, scale=2, quality=50)
    flat = srcodec.decode(srcodec.encode(rgba, scale=2, quality=95, alpha="flatten"))
    assert flat.mean() > photo.mean() + 20  # composited onto white
    with pytest.raises(ImageError, match="alpha must be"):
        srcodec.encode(photo, alpha="drop")


def test_palette_cmyk_16bit_and_bilevel_inputs(photo):
    palette = Image.fromarray(photo).convert("P")
    assert metrics.psnr_rgb(photo, srcodec.decode(srcodec.encode(palette, scale=1, quality=95))) > 25
    cmyk = Image.fromarray(photo).convert("CMYK")
    assert metrics.psnr_rgb(photo, srcodec.decode(srcodec.encode(cmyk, scale=1, quality=95))) > 35
    wide = photo.astype(np.uint16) * 257
    assert srcodec.encode(wide, scale=2, quality=50) == srcodec.encode(photo, scale=2, quality=50)
    assert srcodec.encode(wide.astype(">u2"), scale=2, quality=50) == srcodec.encode(photo, scale=2, quality=50)
    grey16 = Image.fromarray((photo[..., 0].astype(np.uint16) * 257))
    assert grey16.mode.startswith("I;16")
    assert srcodec.inspect(srcodec.encode(grey16, scale=2, quality=50)).grey
    bilevel = Image.fromarray(photo[..., 0] > 128)
    assert srcodec.decode(srcodec.encode(bilevel, scale=1, quality=90)).shape == photo.shape[:2]


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.zeros((4, 4, 3), np.float32), "dtype"),
        (np.zeros((4, 4, 3), np.int16), "dtype"),
        (np.zeros((4, 4, 5), np.uint8), "shape"),
        (np.zeros((0, 4, 3), np.uint8), "1x1"),
        (np.zeros((2, 2, 2, 3), np.uint8), "shape"),
        ([[1, 2], [3, 4]], "numpy array"),
    ],
)
def test_bad_images_are_refused_clearly(bad, match):
    with pytest.raises(ImageError, match=match):
        srcodec.encode(bad, scale=2, quality=50)


def test_missing_and_unreadable_paths(tmp_path):
    with pytest.raises(FileNotFoundError):
        srcodec.encode(tmp_path / "nope.png")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"hello")
    with pytest.raises(ImageError, match="not an image"):
        srcodec.encode(junk)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"scale": 0}, "scale"),
        ({"scale": 9}, "scale"),
        ({"scale": 2.0}, "scale"),
        ({"quality": 0}, "quality"),
        ({"quality": 101}, "quality"),
        ({"codec": "png"}, "codec"),
        ({"seed": 3}, "sampled"),
        ({"model": 5}, "model"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, match, photo):
    with pytest.raises(ArgumentError, match=match):
        srcodec.encode(photo, **kwargs)


def test_unknown_model_on_encode(photo):
    with pytest.raises(UnknownModelError, match="nosuch"):
        srcodec.encode(photo, model="nosuch")


def test_missing_backend_is_a_clear_error(monkeypatch, photo):
    monkeypatch.setattr(encoders.jxl, "available", False)
    with pytest.raises(CodecUnavailableError, match="pillow-jxl-plugin"):
        srcodec.encode(photo, codec="jxl")


# ---- untrusted bytes --------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_blob():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (24, 20, 3)).astype(np.uint8)
    return srcodec.encode(image, scale=2, quality=50)


def test_every_truncation_raises_a_typed_error(small_blob):
    for n in range(len(small_blob)):
        with pytest.raises(FormatError):
            srcodec.decode(small_blob[:n])


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_payload_corruption_never_escapes_as_another_error(data, small_blob):
    blob = bytearray(small_blob)
    start = srcodec.inspect(small_blob).header_bytes
    for pos in data.draw(st.lists(st.integers(start, len(blob) - 1), min_size=1, max_size=4)):
        blob[pos] = data.draw(st.integers(0, 255))
    try:
        out = srcodec.decode(bytes(blob))
    except SrcodecError:
        return
    assert out.shape == (24, 20, 3)


def _with_header(blob: bytes, **changes) -> bytes:
    header, payload = container.unpack(blob)
    return container.pack(container.Header(**{**header.__dict__, **changes}), payload)


def test_unknown_model_in_a_file(small_blob):
    with pytest.raises(UnknownModelError, match="nosuch"):
        srcodec.decode(_with_header(small_blob, model="nosuch"))


def test_header_and_payload_must_agree(small_blob):
    with pytest.raises(FormatError, match="payload is 10x12, the header says 100x12"):
        srcodec.decode(_with_header(small_blob, width=200))


def test_pixel_limit_refuses_before_decoding(small_blob, monkeypatch):
    bomb = _with_header(small_blob, width=2**28 - 1, height=2**28 - 1)
    with pytest.raises(LimitError, match="max_pixels"):
        srcodec.decode(bomb)
    with pytest.raises(LimitError):
        srcodec.decode(small_blob, max_pixels=100)
    monkeypatch.setattr(api, "MAX_PIXELS", 100)
    assert srcodec.MAX_PIXELS == 100
    with pytest.raises(LimitError):
        srcodec.decode(small_blob)


def test_the_package_pixel_limit_is_the_setting(small_blob, monkeypatch):
    monkeypatch.setattr(srcodec, "MAX_PIXELS", 100)  # where users set it
    assert api.MAX_PIXELS == 100 and "MAX_PIXELS" not in vars(srcodec)
    with pytest.raises(LimitError, match="over the limit of 100"):
        srcodec.decode(small_blob)
    monkeypatch.undo()
    assert srcodec.MAX_PIXELS == api.MAX_PIXELS == 2**27
    assert srcodec.decode(small_blob).shape == (24, 20, 3)


def test_pillows_own_pixel_limit_is_a_limit_not_a_corrupt_file(photo, monkeypatch):
    from PIL import Image

    blob = srcodec.encode(photo, scale=1, quality=60, model="bicubic")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # errors past 2x: as a 180 MP payload would
    with pytest.raises(LimitError, match="MAX_IMAGE_PIXELS"):
        srcodec.decode(blob)


def test_every_error_is_a_srcodec_error_and_a_builtin():
    assert issubclass(FormatError, ValueError) and issubclass(FormatError, SrcodecError)
    assert issubclass(UnknownModelError, LookupError)
    assert issubclass(WeightsError, OSError)
    assert issubclass(CodecUnavailableError, ImportError)


# ---- zoo models ---------------------------------------------------------------------------

def test_registered_model_decodes_files_that_name_it(tiny_model, photo):
    from srcodec.inference import super_resolve

    h, w = photo.shape[:2]
    blob = srcodec.encode(photo, scale=2, quality=80, model="tiny-srcnn")
    info = srcodec.inspect(blob)
    assert info.model == "tiny-srcnn" and info.digest == tiny_model.sha256[:16]
    out = srcodec.decode(blob)
    assert out.shape == photo.shape
    lr = encoders.jpeg.decode(container.unpack(blob)[1])
    assert np.array_equal(out, super_resolve(lr, 2, tiny_model, chroma_radius=4)[:h, :w])  # 4:2:0, q80: 2 x 2
    assert not np.array_equal(out, srcodec.restore(lr, scale=2, model="tiny-srcnn")[:h, :w])
    assert not np.array_equal(out, resample.to_uint8(resample.upsample(lr, 2))[:h, :w])  # the network really ran
    assert "tiny-srcnn" in [r.id for r in srcodec.list_models()]
    # above CHROMA_MAX_QUALITY chroma is left to bicubic upsampling, as `restore` does
    blob = srcodec.encode(photo, scale=2, quality=90, model="tiny-srcnn")
    lr = encoders.jpeg.decode(container.unpack(blob)[1])
    assert np.array_equal(srcodec.decode(blob), srcodec.restore(lr, scale=2, model="tiny-srcnn")[:h, :w])


def test_model_scales_are_enforced(tiny_model, photo):
    with pytest.raises(UnknownModelError, match="serves scales"):
        srcodec.encode(photo, scale=4, model="tiny-srcnn")


def test_file_for_other_weights_is_refused(tiny_model, photo):
    blob = srcodec.encode(photo, scale=2, quality=80, model="tiny-srcnn")
    with pytest.raises(WeightsError, match="encoded for"):
        srcodec.decode(_with_header(blob, digest=b"\x00" * 8))


def test_tampered_weights_are_refused(tiny_model, photo):
    blob = srcodec.encode(photo, scale=2, quality=80, model="tiny-srcnn")
    with open(tiny_model.weights, "ab") as f:
        f.write(b"tamper")
    srcodec.zoo._loaded.clear()
    with pytest.raises(WeightsError, match="do not match"):
        srcodec.decode(blob)


def test_register_refuses_bad_records(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"x")
    with pytest.raises(SrcodecError, match="family"):
        srcodec.register_model("m1", path, family="nosuch", scales=[2])
    with pytest.raises(SrcodecError, match="scales"):
        srcodec.register_model("m1", path, family="srcnn", scales=[0])
    with pytest.raises(SrcodecError, match="model id"):
        srcodec.register_model("Bad Id", path, family="srcnn", scales=[2])
    with pytest.raises(WeightsError, match="not found"):
        srcodec.register_model("m1", tmp_path / "missing.h5", family="srcnn", scales=[2])


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_tiled_output_equals_untiled(tiny_model, photo, grey_photo, scale):
    from srcodec.inference import super_resolve

    tiny_model = srcodec.zoo.ModelRecord(**{**tiny_model.__dict__, "scales": (1, 2, 3)})
    noise = np.random.default_rng(0).integers(0, 256, (60, 70, 3)).astype(np.uint8)  # no smooth region to hide in
    for image in (photo, grey_photo, noise):
        lr = resample.downsample(image, scale)
        for record in (tiny_model, srcodec.zoo.BICUBIC):
            for chroma_radius in (0, scale, 2 * scale):
                whole = super_resolve(lr, scale, record, tile=4096, chroma_radius=chroma_radius)
                tiled = super_resolve(lr, scale, record, tile=17, chroma_radius=chroma_radius)
                assert whole.shape == tiled.shape
                assert np.abs(whole.astype(int) - tiled).max() <= 1
    bicubic = resample.to_uint8(resample.upsample(lr, scale))  # the untiled reference itself
    assert np.array_equal(super_resolve(lr, scale, srcodec.zoo.BICUBIC, tile=17), bicubic)


@pytest.fixture(params=[{"scale": 2}, {"scale": 3}, {"scale": 4}, {"scale": 1, "unshuffle": 2}], ids=["x2", "x3", "x4", "x1-fold2"])
def tiny_rgb_model(request, tmp_path):
    """A tiny SRResNet (low-resolution RGB in, `scale` times larger RGB out; x1: a restorer
    whose body runs on the input folded by 2), seeded, registered."""
    import keras

    from srcodec import nets

    keras.utils.set_random_seed(11)
    config = {**request.param, "blocks": 1, "filters": 4}
    net = nets.build("srgan", config)
    net.tail.set_weights([w * 300 for w in net.tail.get_weights()])  # a visible residual, not ~0
    path = tmp_path / "rgb.weights.h5"
    net.save_weights(path)
    yield srcodec.register_model("tiny-srgan", path, family="srgan", scales=[config["scale"]], config=config)
    srcodec.unregister_model("tiny-srgan")


def test_the_low_resolution_rgb_path(tiny_rgb_model, photo, grey_photo):
    from srcodec.inference import super_resolve

    scale = tiny_rgb_model.scales[0]
    noise = np.random.default_rng(0).integers(0, 256, (60, 70, 3)).astype(np.uint8)
    for image in (photo, grey_photo, noise):
        lr = resample.downsample(image, scale)
        whole = super_resolve(lr, scale, tiny_rgb_model, tile=4096, precision="float32")
        tiled = super_resolve(lr, scale, tiny_rgb_model, tile=16, precision="float32")
        assert whole.shape == (lr.shape[0] * scale, lr.shape[1] * scale) + lr.shape[2:] and whole.dtype == np.uint8
        assert np.abs(whole.astype(int) - tiled).max() <= 1
        nearest = np.kron(lr, np.ones((scale, scale) + (1,) * (lr.ndim - 2), np.uint8))
        assert (whole != nearest).mean() > 0.1  # the network ran: not the bare residual base
    flat = np.full((9, 11), 77, np.uint8)  # grey in, grey out, through the RGB network
    out = srcodec.decode(srcodec.encode(flat, scale=scale, model="tiny-srgan", quality=95))
    assert out.shape == (9, 11) and out.dtype == np.uint8
    with pytest.raises(ArgumentError, match=f"scales must be \\[{scale}\\]"):
        srcodec.register_model("tiny-srgan-bad", tiny_rgb_model.weights, family="srgan", scales=[scale, 8],
                               config=tiny_rgb_model.config)


def test_restore_without_container(photo):
    lr = resample.downsample(photo, 2)
    out = srcodec.restore(lr, scale=2, model="bicubic")
    assert out.shape == (96, 128, 3)
    assert metrics.psnr_rgb(photo, out) > 25
    rgba = np.dstack([lr, np.full(lr.shape[:2], 128, np.uint8)])
    with pytest.raises(ImageError, match="alpha='flatten'"):  # the advice it gives is an argument it takes
        srcodec.restore(rgba, scale=2, model="bicubic")
    assert srcodec.restore(rgba, scale=2, model="bicubic", alpha="flatten").shape == (96, 128, 3)


def test_a_framed_payload_of_another_format_is_refused(photo):
    png = io.BytesIO()
    Image.fromarray(photo[:48, :64]).save(png, "PNG")
    forged = container.pack(container.Header(2, 128, 96, "bicubic", codec="webp"), png.getvalue())
    with pytest.raises(FormatError, match="not webp"):
        srcodec.decode(forged)


def test_more_argument_checks(photo):
    with pytest.raises(ArgumentError, match="method"):
        srcodec.encode(photo, codec="webp", codec_options={"method": "fast"})
    with pytest.raises(ImageError, match="16383"):
        srcodec.encode(np.zeros((1, 20000, 3), np.uint8), scale=1, codec="webp")
    for bad in (None, 3, io.StringIO("text")):
        with pytest.raises(ArgumentError, match="bytes|binary"):
            srcodec.decode(bad)
    with pytest.raises(FileNotFoundError):
        srcodec.decode("no-such-file.jpg")
    with pytest.raises(ArgumentError, match="max_pixels"):
        srcodec.decode(srcodec.encode(photo), max_pixels="a")


@pytest.mark.parametrize("mode", ["RGBa", "La"])
def test_premultiplied_alpha_is_not_dropped(photo, mode):
    im = Image.fromarray(np.dstack([photo, np.full(photo.shape[:2], 100, np.uint8)]), "RGBA")
    im = im.convert("RGBa") if mode == "RGBa" else im.convert("LA").convert("La")
    with pytest.raises(ImageError, match="transparency"):
        srcodec.encode(im)


def test_unreadable_and_bomb_files(tmp_path, photo):
    path = tmp_path / "cut.png"
    Image.fromarray(photo).save(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ImageError, match="cannot read"):
        srcodec.encode(path)


def test_register_validates_the_record(tmp_path, tiny_model):
    path = tiny_model.weights
    with pytest.raises(ArgumentError, match="sha256"):
        srcodec.register_model("m2", path, family="srcnn", scales=[2], sha256="abc")
    with pytest.raises(ArgumentError, match=r"family must be one of \('srcnn'"):
        srcodec.register_model("m2", path, family="bicubic", scales=[2])
    with pytest.raises(ArgumentError, match=r"srcnn config takes \['filters', 'kernels', 'scale'\], not \['bogus'\]"):
        srcodec.register_model("m2", path, family="srcnn", scales=[2], config={"bogus": 1})
    with pytest.raises(ArgumentError, match=r"'filters' takes integers in 1\.\.256, got \[4, 1000000000\]"):
        srcodec.register_model("m2", path, family="srcnn", scales=[2], config={"filters": [4, 10**9]})
    with pytest.raises(ArgumentError, match="already registered"):
        srcodec.register_model("tiny-srcnn", path, family="srcnn", scales=[2], config=tiny_model.config)


def test_grey_through_a_network_model(tiny_model, grey_photo):
    out = srcodec.decode(srcodec.encode(grey_photo, scale=2, quality=90, model="tiny-srcnn"))
    assert out.shape == grey_photo.shape and out.dtype == np.uint8


def test_auto_picks_the_default_model_per_scale(tmp_path, tiny_model):
    from srcodec import zoo

    srcodec.register_model("zz-default", tiny_model.weights, family="srcnn", scales=[2, 3],
                           config=tiny_model.config, default=[2])
    try:
        assert zoo.resolve("auto", 2).id == "zz-default"  # over the shipped default, whatever the ids
        assert zoo.resolve("auto", 3).id != "zz-default"  # serves x3, but is not the default there
        with pytest.raises(ArgumentError, match="default scales"):
            srcodec.register_model("tiny-bad", tiny_model.weights, family="srcnn", scales=[2], default=[4])
        with pytest.raises(ArgumentError, match="'zz-default' already is"):  # two registered defaults: ambiguous
            srcodec.register_model("aa-default", tiny_model.weights, family="srcnn", scales=[2],
                                   config=tiny_model.config, default=[2], default_qualities=(50, 60))
    finally:
        srcodec.unregister_model("zz-default")


def fresh_zoo(monkeypatch, folder):
    """The zoo as if `folder` were the package's weights folder, read afresh."""
    from srcodec import zoo

    monkeypatch.setattr(zoo, "WEIGHTS_DIR", folder)
    for name in ("_records", "_broken", "_broken_ids"):
        monkeypatch.setattr(zoo, name, {})
    return zoo


def test_a_broken_zoo_record_fails_only_the_files_naming_it(tmp_path, monkeypatch, photo):
    zoo = fresh_zoo(monkeypatch, tmp_path)
    (tmp_path / "bad.json").write_text('{"id": "bad"}')
    for _ in range(2):  # named every time, not only the first
        with pytest.raises(WeightsError, match="bad.json"):
            zoo.get("bad")
    assert [r.id for r in srcodec.list_models()] == ["bicubic"]
    assert list(zoo.broken_records()) == [str(tmp_path / "bad.json")]
    assert srcodec.decode(srcodec.encode(photo, model="bicubic")).shape == photo.shape  # the rest works
    record = {"family": "srcnn", "scales": [2], "weights": "w.weights.h5", "sha256": "0" * 64, "default": [2]}
    (tmp_path / "bad.json").write_text(json.dumps({"id": "m-one", **record}))
    (tmp_path / "two.json").write_text(json.dumps({"id": "m-two", **record}))
    zoo = fresh_zoo(monkeypatch, tmp_path)
    assert [r.id for r in srcodec.list_models()] == ["bicubic", "m-one"]
    with pytest.raises(WeightsError, match="two.json.*would be the default at scale 2"):
        zoo.get("m-two")


def test_a_superseded_model_names_a_current_one(tmp_path, monkeypatch):
    zoo = fresh_zoo(monkeypatch, tmp_path)
    record = {"family": "srcnn", "scales": [2], "weights": "w.weights.h5", "sha256": "0" * 64}
    (tmp_path / "new.json").write_text(json.dumps({"id": "m-new", **record, "default": [2]}))
    (tmp_path / "old.json").write_text(json.dumps({"id": "m-old", **record, "superseded_by": "m-new"}))
    assert zoo.get("m-old").superseded_by == "m-new" and zoo.resolve("auto", 2).id == "m-new"
    (tmp_path / "new.json").write_text(json.dumps({"id": "m-new", **record}))
    for bad in ({"superseded_by": "m-gone"}, {"superseded_by": "m-new", "default": [2]}):
        zoo = fresh_zoo(monkeypatch, tmp_path)
        (tmp_path / "old.json").write_text(json.dumps({"id": "m-old", **record, **bad}))
        with pytest.raises(WeightsError, match="old.json.*superseded_by"):
            zoo.get("m-old")
        assert zoo.get("m-new").id == "m-new"


def test_auto_can_depend_on_the_jpeg_quality(tiny_model, photo):
    from srcodec import zoo

    srcodec.register_model("tiny-x5", tiny_model.weights, family="srcnn", scales=[5], config=tiny_model.config,
                           default=[5], default_qualities=(10, 75))
    try:
        assert zoo.resolve("auto", 5, quality=75).id == "tiny-x5"
        assert zoo.resolve("auto", 5, quality=90).id == "bicubic"  # outside its range
        assert zoo.resolve("auto", 5).id == "bicubic"  # quality unknown (restore)
        assert srcodec.inspect(srcodec.encode(photo, scale=5, quality=50)).model == "tiny-x5"
        assert srcodec.inspect(srcodec.encode(photo, scale=5, quality=np.int64(50))).model == "tiny-x5"
        assert srcodec.inspect(srcodec.encode(photo, scale=5, quality=95)).model == "bicubic"
        if encoders.webp.available:  # measured on JPEG only: not another codec's default
            assert srcodec.inspect(srcodec.encode(photo, scale=5, quality=50, codec="webp")).model == "bicubic"
        with pytest.raises(ArgumentError, match="default_qualities"):
            srcodec.register_model("tiny-bad", tiny_model.weights, family="srcnn", scales=[5], default=[5],
                                   default_qualities=(80, 20))
    finally:
        srcodec.unregister_model("tiny-x5")


def test_precision_choices(tiny_model, photo, monkeypatch):
    from srcodec import inference

    blob = srcodec.encode(photo, scale=2, quality=80, model="tiny-srcnn")
    full = srcodec.decode(blob, precision="float32")
    half = srcodec.decode(blob, precision="bfloat16")
    assert np.abs(full.astype(int) - half).max() <= 2
    with pytest.raises(ArgumentError, match="precision"):
        srcodec.decode(blob, precision="half")
    monkeypatch.setenv("SRCODEC_PRECISION", "float32")
    assert inference.resolve_precision() == "float32"
    assert np.array_equal(srcodec.decode(blob), full)
    monkeypatch.setenv("SRCODEC_PRECISION", "fp8")
    with pytest.raises(ArgumentError, match="SRCODEC_PRECISION"):
        srcodec.restore(photo, scale=2, model="tiny-srcnn")


def test_a_network_being_built_does_not_stall_other_threads(tiny_model, photo):
    import threading

    from srcodec import inference, zoo

    zoo.load(tiny_model, inference.resolve_precision())  # the precision decode will ask for
    blob = srcodec.encode(photo, scale=2, quality=60, model="tiny-srcnn")
    done = []

    def work():  # record lookups, the bicubic decoder and a network already built
        zoo.resolve("auto", 2)
        done.append(srcodec.decode(srcodec.encode(photo, scale=2, quality=60, model="bicubic")).shape)
        done.append(srcodec.decode(blob).shape)

    with zoo._build_lock:  # as while another thread builds a network
        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive() and len(done) == 2


@pytest.fixture
def toy_sampled(tmp_path, monkeypatch):
    """A registered model of the toy sampled family (tests/toy_sampled.py)."""
    import keras
    import toy_sampled

    from srcodec import nets
    from srcodec.nets import sampling

    monkeypatch.setitem(nets.TABLE, "toy", toy_sampled.FAMILY)
    keras.utils.set_random_seed(5)
    net = nets.build("toy", {"scale": 2})
    path = tmp_path / "toy.weights.h5"
    net.save_weights(path)
    with pytest.raises(ArgumentError, match="default temperature"):
        srcodec.register_model("toy-x", path, family="toy", scales=[2], config={"scale": 2}, sampler=1)
    with pytest.raises(ArgumentError, match="sampler version 99"):
        srcodec.register_model("toy-x", path, family="toy", scales=[2], config={"scale": 2}, temperature=1.0,
                               sampler=99)
    yield srcodec.register_model("toy-x2", path, family="toy", scales=[2], config={"scale": 2}, temperature=0.8,
                                 sampler=sampling.SAMPLER_VERSION, objective="perception")
    srcodec.unregister_model("toy-x2")


def test_a_sampled_model_draws_reproducibly_from_the_headers_seed_and_temperature(toy_sampled, photo):
    from srcodec.inference import super_resolve

    blob = srcodec.encode(photo, scale=2, quality=60, model="toy-x2", seed=7)
    info = srcodec.inspect(blob)
    assert (info.seed, info.temperature) == (7, 0.8)  # the record's default temperature, written down
    first = srcodec.decode(blob)
    assert np.array_equal(first, srcodec.decode(blob, precision="bfloat16"))  # sampled: float32 whatever is asked
    assert not np.array_equal(first, srcodec.decode(_with_header(blob, seed=8)))  # another seed, another picture
    assert not np.array_equal(first, srcodec.decode(_with_header(blob, temperature=1.5)))
    greedy = [srcodec.decode(_with_header(blob, seed=s, temperature=0.0)) for s in (1, 2)]
    assert np.array_equal(*greedy)  # temperature 0: the most likely levels, whatever the seed
    lr = encoders.jpeg.decode(container.unpack(blob)[1])
    record = srcodec.zoo.get("toy-x2")
    whole = super_resolve(lr, 2, record, tile=4096, seed=7, temperature=0.8)
    for tile in (16, 23):  # tiles draw what the whole image draws at each absolute position
        assert np.array_equal(super_resolve(lr, 2, record, tile=tile, seed=7, temperature=0.8), whole)
    assert np.array_equal(whole[:96, :128], first)
    restored = srcodec.restore(lr, scale=2, model="toy-x2", seed=7)
    assert np.array_equal(restored, whole)
    with pytest.raises(FormatError, match="must carry a seed"):
        srcodec.decode(_with_header(blob, seed=None, temperature=None))
    with pytest.raises(FormatError, match="cannot carry a seed"):
        srcodec.decode(_with_header(srcodec.encode(photo, model="bicubic"), seed=1, temperature=1.0))


def test_the_sampler_is_a_pure_function_of_its_key():
    from srcodec.nets import sampling

    u = sampling.uniform(3, np.arange(4, 8), np.arange(10, 15), 1)
    assert u.shape == (4, 5) and np.all((u > 0) & (u < 1))
    assert np.array_equal(u[1:3, 2:4], sampling.uniform(3, np.arange(5, 7), np.arange(12, 14), 1))  # by position
    assert not np.array_equal(u, sampling.uniform(4, np.arange(4, 8), np.arange(10, 15), 1))
    assert not np.array_equal(u, sampling.uniform(3, np.arange(4, 8), np.arange(10, 15), 2))
    big = sampling.uniform(0, np.arange(300), np.arange(300), 0)
    assert abs(big.mean() - 0.5) < 0.01 and abs(big.std() - 12**-0.5) < 0.01  # uniform
    logits = np.log(np.array([0.2, 0.5, 0.3] + [1e-12] * 253))[None, None].repeat(200, 0).repeat(200, 1)
    drawn = sampling.draw(logits, 0, 1.0, (0, 0), 0)
    assert abs((drawn == 1).mean() - 0.5) < 0.01 and abs((drawn == 0).mean() - 0.2) < 0.01
    assert np.all(sampling.draw(logits, 0, 0.0, (0, 0), 0) == 1)


def test_list_models_reads_as_one_line_per_model():
    models = srcodec.list_models()
    assert isinstance(models, list) and all(isinstance(r, srcodec.ModelRecord) for r in models)
    lines = repr(models).splitlines()
    assert len(lines) == len(models) and all(len(line) < 100 for line in lines)
    assert lines[0] == "[<ModelRecord bicubic: bicubic, scales 1,2,3,4,5,6,7,8>,"
    assert " <ModelRecord vdsr-y-x1-codec-v2: vdsr, scales 1, default for x1 (jpeg q1-90)>," in lines
    assert repr(srcodec.zoo.get("vdsr-y-clean")) == (
        "<ModelRecord vdsr-y-clean: vdsr, scales 2,3,4, superseded by vdsr-y-clean-v2>"
    )


def test_the_package_ships_its_type_information():
    import tomllib
    from pathlib import Path

    root = Path(srcodec.__file__).parent
    assert (root / "py.typed").is_file()
    pyproject = tomllib.loads((root.parent / "pyproject.toml").read_text())
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["srcodec"]


def test_decode_and_inspect_take_paths_and_file_objects(photo, tmp_path):
    data = srcodec.encode(photo, model="bicubic")
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    expected = srcodec.decode(data)
    with open(path, "rb") as f:
        assert np.array_equal(srcodec.decode(f), expected)
    assert np.array_equal(srcodec.decode(path), expected)
    assert np.array_equal(srcodec.decode(str(path)), expected)
    assert srcodec.inspect(io.BytesIO(data)) == srcodec.inspect(data)
    # never more than a file within max_pixels can hold, even from an endless stream
    endless = type("Zeros", (), {"read": lambda self, n=-1: bytes(n if n >= 0 else 10**9)})()
    with pytest.raises(LimitError, match="more than a file of max_pixels"):
        srcodec.decode(endless, max_pixels=1000)
    with pytest.raises(ArgumentError, match="regular file"):
        srcodec.decode(tmp_path)


def test_open_gives_a_pil_image(photo, grey_photo, tmp_path):
    for image, mode in ((photo, "RGB"), (grey_photo, "L")):
        path = tmp_path / f"{mode}.jpg"
        path.write_bytes(srcodec.encode(image, model="bicubic"))
        picture = srcodec.open(path)
        assert isinstance(picture, Image.Image) and picture.mode == mode
        assert np.array_equal(np.asarray(picture), srcodec.decode(path))


def test_batches_keep_order_share_the_model_and_report_errors(tiny_model, photo):
    import threading

    images = [np.roll(photo, 7 * k, axis=1) for k in range(7)]
    files = list(srcodec.encode_many(images, workers=3, scale=2, quality=60, model="tiny-srcnn"))
    assert files == [srcodec.encode(im, scale=2, quality=60, model="tiny-srcnn") for im in images]
    threads = set()
    real = api.decode

    def spy(data, **options):
        threads.add(threading.get_ident())
        return real(data, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("srcodec.batch.decode", spy)
        decoded = list(srcodec.decode_many(iter(files), workers=3))
    assert len(threads) > 1  # really in parallel ...
    for data, image in zip(files, decoded):  # ... and the same pixels as one at a time
        assert np.array_equal(image, srcodec.decode(data))
    many = list(srcodec.decode_many(files * 3, workers=16))  # 16 threads on one network: bit-identical
    assert all(np.array_equal(a, b) for a, b in zip(many, decoded * 3))
    mixed = [files[0], b"not a file", files[1]]
    with pytest.raises(FormatError):
        list(srcodec.decode_many(mixed, workers=2))
    out = list(srcodec.decode_many(mixed, workers=2, errors="return"))
    assert isinstance(out[1], FormatError) and np.array_equal(out[2], decoded[1])
    with pytest.raises(ArgumentError, match="workers"):
        next(srcodec.decode_many(files, workers=0))


def test_batches_hold_a_bounded_number_of_items(photo):
    drawn = []

    def source():
        for k in range(40):
            drawn.append(k)
            yield photo

    results = srcodec.encode_many(source(), workers=2, model="bicubic")
    next(results)
    assert len(drawn) <= 2 * 2 + 1  # read ahead by at most twice the workers
    results.close()


@pytest.fixture(scope="module")
def icc_profile():
    """A wide-gamut RGB profile: Pillow's sRGB profile with its red primary moved out (a
    phone's Display P3 differs from sRGB the same way), its profile ID cleared."""
    import struct

    from PIL import ImageCms

    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[84:100] = bytes(16)
    count = struct.unpack(">I", icc[128:132])[0]
    tags = {bytes(icc[132 + 12 * k : 136 + 12 * k]): struct.unpack(">II", icc[136 + 12 * k : 144 + 12 * k]) for k in range(count)}
    offset = tags[b"rXYZ"][0] + 8  # after the 'XYZ ' type and its reserved bytes: X, Y, Z as s15.16
    x = struct.unpack(">i", icc[offset : offset + 4])[0]
    icc[offset : offset + 4] = struct.pack(">i", int(x * 1.08))
    ImageCms.ImageCmsProfile(io.BytesIO(bytes(icc)))  # still a profile lcms reads
    return bytes(icc)


@pytest.mark.parametrize("codec", ["jpeg", "webp", "avif", "jxl"])
def test_the_icc_profile_travels_and_counts(photo, tmp_path, codec, icc_profile):
    if not encoders.get(codec).available:
        pytest.skip(f"{codec} backend missing")
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x010F], exif[0x0112] = "PhoneMaker", 6  # a make, and "rotate 90" (applied to the pixels)
    Image.fromarray(photo).save(path, quality=95, icc_profile=icc_profile, exif=exif.tobytes())
    plain = srcodec.encode(path, model="bicubic", codec=codec, metadata="none")
    assert srcodec.metadata(plain) == {}
    if codec == "jxl":  # its backend cannot write a profile: asked to keep one, encode says so
        with pytest.raises(ArgumentError, match="does not write ICC profiles"):
            srcodec.encode(path, model="bicubic", codec=codec)
    else:
        kept = srcodec.encode(path, model="bicubic", codec=codec)  # default: the ICC profile
        assert srcodec.metadata(kept) == {"icc_profile": icc_profile}
        assert len(kept) >= len(plain) + len(icc_profile)  # its bytes are in the file's size
        assert np.array_equal(srcodec.decode(kept), srcodec.decode(plain))  # the pixels do not change
        picture = srcodec.open(kept)
        assert picture.info["icc_profile"] == icc_profile and picture.size == (96, 128)  # rotated
        everything = srcodec.encode(path, model="bicubic", codec=codec, metadata="all")
        restored_exif = Image.Exif()
        restored_exif.load(srcodec.metadata(everything)["exif"])
        assert restored_exif.get(0x010F) == "PhoneMaker" and 0x0112 not in restored_exif
    with pytest.raises(ArgumentError, match="metadata must be one of"):
        srcodec.encode(path, model="bicubic", codec=codec, metadata="exif")
    assert srcodec.metadata(srcodec.encode(photo, model="bicubic", codec=codec)) == {}  # arrays carry none
