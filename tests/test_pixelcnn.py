"""The PixelCNN family (Pixel Recursive Super Resolution): its orders of generation are what
the masks say, its draws are what the teacher-forced pass predicts, and its files decode
reproducibly, tiled or not."""

import numpy as np
import pytest

import srcodec
from srcodec import nets
from srcodec.nets import pixelcnn, sampling

TINY = {"scale": 2, "blocks": 1, "filters": 4, "layers": 2, "width": 2}


@pytest.fixture(scope="module")
def tiny():
    import keras

    keras.utils.set_random_seed(11)
    return nets.build("pixelcnn", TINY)


def _value(k: int, s: int = 2) -> tuple[int, int, int]:
    """(sub-pixel row, column, channel) of value k of a low-resolution pixel."""
    (i, j), c = divmod(k // 3, s), k % 3
    return i, j, c


def test_the_parallel_order_lets_value_k_read_only_the_values_before_it(tiny):
    rng = np.random.default_rng(0)
    lr, hr = rng.random((1, 5, 6, 3), np.float32), rng.random((1, 10, 12, 3), np.float32)
    base = np.asarray(tiny([lr, hr])[0])
    assert base.shape == (1, 5, 6, 12, 256)
    for k in range(12):
        i, j, c = _value(k)
        changed = hr.copy()
        changed[0, i::2, j::2, c] = rng.random((5, 6))
        moved = np.abs(np.asarray(tiny([lr, changed])[0]) - base).max(axis=(0, 1, 2, 4)) > 1e-6
        assert not moved[: k + 1].any()  # not itself, nor any earlier value, anywhere in the image
        assert moved[k + 1 :].all()  # every later one reads it


def test_drawing_at_temperature_zero_picks_what_the_teacher_forced_pass_predicts(tiny):
    lr = np.random.default_rng(1).random((1, 7, 5, 3), np.float32)
    drawn = tiny.sample(lr, seed=0, temperature=0.0, origin=(0, 0))
    assert drawn.shape == (1, 14, 10, 3)
    logits = np.asarray(tiny([lr, drawn])[0])
    assert np.array_equal(logits.argmax(-1), tiny.target_levels(drawn))


def test_the_untrained_conditioning_is_the_bilinear_upsample():
    """The learned conditioning logits start at zero, so the conditioning's mean is the bilinear
    base (a Laplace centred on it: the mean is its centre, away from the 0/255 edges), in the
    output's own pixel order."""
    import keras

    from srcodec.nets.johnson import upsample_bilinear

    keras.utils.set_random_seed(5)
    net = nets.build("pixelcnn", {**TINY, "scale": 3})
    lr = np.random.default_rng(2).uniform(0.3, 0.7, (1, 5, 6, 3)).astype(np.float32)
    mean = np.asarray(net(lr))
    assert mean.shape == (1, 15, 18, 3)
    np.testing.assert_allclose(mean, np.asarray(upsample_bilinear(lr, 3)), atol=1e-4)


def test_draws_are_reproducible_and_seeded(tiny):
    lr = np.random.default_rng(2).random((1, 6, 6, 3), np.float32)
    a, b = (tiny.sample(lr, seed=5, temperature=1.0, origin=(0, 0)) for _ in range(2))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, tiny.sample(lr, seed=6, temperature=1.0, origin=(0, 0)))
    assert not np.array_equal(a, tiny.sample(lr, seed=5, temperature=1.0, origin=(2, 0)))  # keyed on position


def test_the_raster_order_reads_only_values_above_and_to_the_left():
    import keras

    keras.utils.set_random_seed(12)
    net = pixelcnn.RasterPixelCNN(conditioning_channels=3, blocks=1, filters=4, layers=4, width=4, dilations=(1, 2))
    net.build((None, None, None, 3))
    rng = np.random.default_rng(3)
    condition, target = rng.random((2, 9, 10, 3), np.float32), rng.random((2, 9, 10, 1), np.float32)
    base = np.asarray(net([condition, target])[0])
    order = np.arange(90).reshape(9, 10)
    for r, c in [(0, 0), (3, 4), (4, 0), (8, 9)]:
        changed = target.copy()
        changed[:, r, c] = rng.random((2, 1))
        moved = np.abs(np.asarray(net([condition, changed])[0]) - base).max(axis=(0, 3, 4)) > 1e-6
        assert not moved[order <= r * 10 + c].any()
        assert moved[order > r * 10 + c].any() or (r, c) == (8, 9)
    # the incremental sampler (vertical stack per row, horizontal per value) agrees with the full pass
    drawn = net.sample(condition, [0, 1], temperature=0.0)
    logits = np.asarray(net([condition, drawn[..., None] / 255.0])[0])[..., 0, :]
    assert np.array_equal(logits.argmax(-1), drawn)
    assert not np.array_equal(*net.sample(condition[:1].repeat(2, 0), [3, 4], temperature=1.0))  # per-image seeds


def test_per_image_seeds_broadcast_in_the_sampler():
    one = sampling.uniform(7, np.arange(3), np.arange(4), 0)
    many = sampling.uniform(np.array([6, 7], np.uint64).reshape(2, 1, 1), np.arange(3), np.arange(4), 0)
    assert many.shape == (2, 3, 4) and np.array_equal(many[1], one) and not np.array_equal(many[0], one)


@pytest.fixture
def registered(tiny, tmp_path):
    path = tmp_path / "tiny-pixelcnn.weights.h5"
    tiny.save_weights(path)
    yield srcodec.register_model("tiny-pixelcnn", path, family="pixelcnn", scales=[2], config=tiny.get_config(),
                                 temperature=1.0, sampler=sampling.SAMPLER_VERSION, objective="perception")
    srcodec.unregister_model("tiny-pixelcnn")


def test_a_pixelcnn_file_decodes_the_same_tiled_or_not(registered, photo):
    import encoders

    from srcodec import container
    from srcodec.inference import super_resolve

    blob = srcodec.encode(photo, scale=2, quality=60, model="tiny-pixelcnn", seed=3, temperature=0.9)
    assert (srcodec.inspect(blob).seed, srcodec.inspect(blob).temperature) == (3, 0.9)
    decoded = srcodec.decode(blob)
    assert decoded.shape == photo.shape and np.array_equal(decoded, srcodec.decode(blob))
    lr = encoders.jpeg.decode(container.unpack(blob)[1])
    record = srcodec.zoo.get("tiny-pixelcnn")
    whole = super_resolve(lr, 2, record, tile=4096, seed=3, temperature=0.9)
    for tile in (24, 38):  # margins of half the receptive field: the draws do not see the cut
        assert np.array_equal(super_resolve(lr, 2, record, tile=tile, seed=3, temperature=0.9), whole)


def test_a_training_run_writes_a_sampled_record(tmp_path):
    """Teacher-forced likelihood training (both outputs) through `srcodec train`'s loop; the
    record carries the default temperature and the sampler version."""
    import json

    from PIL import Image

    from srcodec import train

    rng = np.random.default_rng(4)
    for name in ("tr", "va"):
        (tmp_path / "data" / name).mkdir(parents=True)
        Image.fromarray((rng.random((40, 48, 3)) * 255).astype(np.uint8)).save(tmp_path / "data" / name / "0.png")
    config = train.TrainConfig(model_id="tiny-pcnn", family="pixelcnn", net={k: v for k, v in TINY.items() if k != "scale"},
                               scales=(2,), train_sets=("tr",), val_set="va", codec="jpeg", qualities=(30, 60),
                               variants=1, patch=8, batch=2, steps=4, val_every=2, loss="cross_entropy", lr=1e-2,
                               objective="perception", temperature=0.8, precision="float32")
    record = json.loads(train.train(config, tmp_path / "data", tmp_path / "run").read_text())
    assert (record["temperature"], record["sampler"], record["objective"]) == (0.8, sampling.SAMPLER_VERSION, "perception")
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["loss"] < log[0]["loss"] and 0 < log[-1]["val_psnr"]["x2"] < 50


def test_the_command_line_writes_the_seed_and_temperature(registered, photo, tmp_path, capsys):
    from PIL import Image

    from srcodec.cli import main

    Image.fromarray(photo).save(tmp_path / "p.png")
    out = tmp_path / "p.sr.jpg"
    assert main(["encode", str(tmp_path / "p.png"), "-s", "2", "-m", "tiny-pixelcnn", "--seed", "9",
                 "--temperature", "0.7", "-o", str(out)]) == 0
    info = srcodec.inspect(out.read_bytes())
    assert (info.seed, info.temperature) == (9, 0.7)
    assert main(["encode", str(tmp_path / "p.png"), "-s", "2", "-m", "bicubic", "--seed", "9", "-o",
                 str(tmp_path / "b.sr.jpg")]) != 0  # a deterministic model refuses a seed
    assert "sampled models" in capsys.readouterr().err


def test_the_ambiguity_experiment_places_digits_and_counts_ink():
    from benchmarks import ambiguity

    digits = np.zeros((2, 28, 28), np.uint8)
    digits[:, 10:15, 12:14] = 200
    canvas = ambiguity.place(digits, np.array([0, 1]))
    ink = ambiguity.corner_ink(canvas)
    assert ink[0, 0] == ink[1, 1] == ink[0, 2] == ink[1, 2] == 200 * 10 and ink[0, 1] == ink[1, 0] == 0
    lifted = ambiguity.lift(digits)
    assert lifted.shape == (2, 56, 56, 3)
    # every canvas pixel sits over the digit pixel it would hold in either corner
    assert np.array_equal(lifted[1, :28, :28, 0] * 255, digits[1]) and np.array_equal(lifted[1, 28:, 28:, 0] * 255, digits[1])
    assert lifted[0, 5, 7, 1] == lifted[0, 5, 40, 1] and lifted[0, 5, 7, 2] == lifted[0, 40, 7, 2]  # row, column


def test_the_sampled_benchmark_scores_every_temperature_on_one_payload(registered, photo, vgg16):
    from benchmarks import sampled

    table = sampled.score([photo], "tiny-pixelcnn", 60, [1.0, 0.5], ["bicubic"])
    assert set(table) == {"tiny-pixelcnn T=1.0", "tiny-pixelcnn T=0.5", "bicubic"}
    assert set(table["bicubic"]) == {"psnr", "ssim", "consistency", "ssimulacra2", "vgg"}
    assert table["bicubic"]["consistency"] < table["tiny-pixelcnn T=1.0"]["consistency"]  # an untrained sampler
    timing = sampled.timing(photo, "tiny-pixelcnn", 60)
    assert timing["parallel_steps"] == 12 and timing["raster_steps"] == 3 * 768 * 512
    assert timing["raster_s"] > timing["decode_s"] > 0
