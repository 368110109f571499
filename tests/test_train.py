import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import srcodec
from srcodec import resample, train


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Two tiny 'data sets' cut from scikit-image's photos."""
    from skimage import data as skdata

    root = tmp_path_factory.mktemp("data")
    for name, image in (("tr", skdata.astronaut()), ("va", skdata.coffee())):
        (root / name).mkdir()
        for i in range(3):
            Image.fromarray(image[i * 60 : i * 60 + 64, i * 50 : i * 50 + 72]).save(root / name / f"{i}.png")
    return root


def _trained_weights(record: dict, folder):
    """The weights a run wrote into `folder`, for the zoo record `record`."""
    from srcodec import nets

    net = nets.build(record["family"], record["config"])
    net.load_weights(folder / record["weights"])
    return net.get_weights()


def tiny_config(**changes):
    base = dict(
        model_id="tiny-vdsr", family="vdsr", net={"depth": 3, "filters": 4}, scales=(1, 2), train_sets=("tr",),
        val_set="va", codec="jpeg", qualities=(30, 60), variants=1, patch=24, batch=4, steps=6, val_every=3,
        precision="float32",
    )
    return train.TrainConfig(**{**base, **changes})


def test_recipes_with_unknown_keys_are_refused(tmp_path):
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"model_id": "x", "family": "vdsr", "stepz": 5}))
    with pytest.raises(srcodec.ArgumentError, match="stepz"):
        train.TrainConfig.from_json(recipe)


@pytest.mark.parametrize("recipe", sorted(train.RECIPES.glob("*.json")), ids=lambda path: path.stem)
def test_every_recipe_reads_and_starts_from_a_shipped_model(recipe):
    """Shipped models' recipes are checked against their records (test_shipped); this covers the
    prepared ones too (feature-loss and SRGAN runs not shipped yet)."""
    config = train.TrainConfig.from_json(recipe)
    assert config.model_id == recipe.stem
    if config.init:
        assert srcodec.zoo.get(config.init).family == config.family


def test_pairs_are_what_the_decoder_computes(photo):
    inp, tgt = train.make_pair(photo, 2, "jpeg", 40)
    lr = resample.degrade(photo, 2, "jpeg", 40)
    decoder_view = resample.upsample(resample.rgb_to_ycbcr(lr), 2)[..., 0]  # as inference does it
    assert np.abs(inp * 255 - decoder_view).max() < 1e-3
    assert np.abs(tgt * 255 - resample.rgb_to_ycbcr(photo)[..., 0]).max() < 1e-3


def test_batches_are_repeatable_and_augmented(photo):
    sampler = train.PatchSampler([photo], tiny_config(scales=(2,)))
    a, b = sampler.batch(5), sampler.batch(5)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert a[0].shape == (4, 24, 24, 1) and a[0].dtype == np.float32
    assert not np.array_equal(sampler.batch(6)[0], a[0])


def test_run_resume_and_ship(data, tmp_path):
    out = tmp_path / "run"
    assert train.train(tiny_config(), data, out, log=lambda m: None, until=3) is None
    with pytest.raises(srcodec.ArgumentError, match="steps, val_every differ"):  # not the same run any more
        train.train(tiny_config(steps=9, val_every=4), data, out, until=4)
    messages = []
    record_path = train.train(tiny_config(), data, out, log=messages.append)
    progress = [m.split(",")[0] for m in messages if m.startswith("step ")]
    assert progress == ["step 4/6", "step 5/6"]  # a sign of life between validations, counted from the resume
    assert all(m.endswith(" s/step") for m in messages if m.startswith("step "))
    resumed = json.loads(record_path.read_text())
    straight = json.loads(train.train(tiny_config(), data, tmp_path / "straight", log=lambda m: None).read_text())
    for a, b in zip(_trained_weights(resumed, out), _trained_weights(straight, tmp_path / "straight")):
        assert np.array_equal(a, b)  # resuming gives the very same weights
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log] == [3, 6] and set(log[-1]["val_psnr"]) == {"x1", "x2"}
    record = resumed
    assert record["training"]["steps"] == 6 and record["training"]["config"]["codec"] == "jpeg"
    # the record is what the zoo takes: register it and decode a file that names it
    srcodec.register_model(record["id"], record_path.parent / record["weights"], family=record["family"],
                           scales=record["scales"], config=record["config"], sha256=record["sha256"])
    try:
        image = np.asarray(Image.open(data / "va" / "0.png"))
        blob = srcodec.encode(image, scale=2, quality=50, model="tiny-vdsr")
        assert srcodec.decode(blob).shape == image.shape
    finally:
        srcodec.unregister_model("tiny-vdsr")


def test_low_resolution_pairs_are_uint8_and_aligned(photo):
    lr, hr = train.make_pair(photo, 3, "jpeg", 40, "lowres")
    assert lr.dtype == hr.dtype == np.uint8 and lr.shape == (32, 42, 3) and hr.shape == (96, 126, 3)
    assert np.array_equal(lr, resample.degrade(photo, 3, "jpeg", 40)[:, :42]) and np.array_equal(hr, photo[:, :126])
    sampler = train.PatchSampler([photo], tiny_config(family="srgan", net={"blocks": 1, "filters": 4}, scales=(3,),
                                                      patch=8))
    x, y = sampler.batch(2)
    assert x.shape == (4, 8, 8, 3) and y.shape == (4, 24, 24, 3) and x.dtype == y.dtype == np.float32
    # each target patch is the one its input patch was made from: downsampled, they agree
    assert all(np.abs(resample.downsample(yi * 255, 3) - xi * 255).mean() < 12 for xi, yi in zip(x, y))


def test_a_low_resolution_rgb_family_trains_and_decodes(data, tmp_path):
    config = tiny_config(model_id="tiny-srgan", family="srgan", net={"blocks": 1, "filters": 4}, scales=(2,), patch=12,
                         loss="l1", steps=4, val_every=2)
    record_path = train.train(config, data, tmp_path / "run", log=lambda m: None)
    record = json.loads(record_path.read_text())
    assert record["config"] == {"scale": 2, "blocks": 1, "filters": 4} and record["objective"] == "distortion"
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log] == [2, 4] and 15 < log[-1]["val_psnr"]["x2"] < 50
    srcodec.register_model(record["id"], record_path.parent / record["weights"], family="srgan", scales=[2],
                           config=record["config"], sha256=record["sha256"])
    try:
        image = np.asarray(Image.open(data / "va" / "0.png"))
        assert srcodec.decode(srcodec.encode(image, scale=2, model="tiny-srgan")).shape == image.shape
    finally:
        srcodec.unregister_model("tiny-srgan")


def test_adjustable_clipping_bounds_each_update():
    import keras

    opt = train.run._optimizer(tiny_config(optimizer="sgd-clip", lr=0.5, clip_theta=0.01))
    var = keras.Variable(np.zeros(3, np.float32))
    opt.apply([keras.ops.convert_to_tensor(np.array([100.0, -100.0, 0.001], np.float32))], [var])
    # gradients are clipped to theta/lr = 0.02, so the first step moves at most lr * 0.02
    assert np.allclose(np.asarray(var), [-0.01, 0.01, -0.0005], atol=1e-7)


def test_inference_never_imports_training_code():
    # bicubic decoding loads no Keras at all; network decoding loads Keras but no training code
    code = (
        "import sys, numpy as np, srcodec;"
        "x = np.zeros((8, 8, 3), np.uint8);"
        "srcodec.decode(srcodec.encode(x, model='bicubic'));"
        "bad = [m for m in ('srcodec.train', 'keras', 'tensorflow') if m in sys.modules];"
        "[srcodec.decode(srcodec.encode(x, model=r.id, scale=r.scales[0])) for r in srcodec.list_models()];"
        "bad += [m for m in ('srcodec.train', 'srcodec.perceptual', 'benchmarks') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_recipes_parse():
    for path in sorted(train.RECIPES.glob("*.json")):
        config = train.TrainConfig.from_json(path)
        assert config.model_id == path.stem


def test_init_starts_from_a_zoo_model(data, tmp_path):
    first = train.train(tiny_config(steps=3), data, tmp_path / "a", log=lambda m: None)
    record = json.loads(first.read_text())
    srcodec.register_model("tiny-vdsr", first.parent / record["weights"], family="vdsr", scales=record["scales"],
                           config=record["config"], sha256=record["sha256"])
    try:
        # a step at learning rate 0: the shipped weights are the init model's own
        second = train.train(tiny_config(model_id="tiny-vdsr-ft", steps=1, lr=0.0, init="tiny-vdsr"), data,
                             tmp_path / "b", log=lambda m: None)
        from srcodec import nets

        a, b = (nets.build("vdsr", record["config"]) for _ in range(2))
        a.load_weights(first.parent / record["weights"])
        b.load_weights(second.parent / "tiny-vdsr-ft.weights.h5")
        assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
        assert json.loads(second.read_text())["training"]["config"]["init"] == "tiny-vdsr"
        with pytest.raises(ValueError, match="architecture"):
            train.train(tiny_config(model_id="x", net={"depth": 4, "filters": 4}, init="tiny-vdsr"), data,
                        tmp_path / "c", log=lambda m: None)
    finally:
        srcodec.unregister_model("tiny-vdsr")


def test_a_run_folder_in_srcodec_models_decodes_from_the_command_line(data, tmp_path, monkeypatch, capsys):
    from srcodec import cli, zoo

    run = tmp_path / "run"
    train.train(tiny_config(model_id="tiny-run", steps=2, val_every=2), data, run, log=lambda m: None)
    monkeypatch.setenv(zoo.MODELS_ENV, f"{tmp_path / 'empty'}{os.pathsep}{run}")
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(zoo, "_records", {})  # the zoo is read afresh, with the env var
    coded, restored = tmp_path / "a.jpg", tmp_path / "a.png"
    assert cli.main(["encode", str(data / "va" / "0.png"), "-s", "2", "-m", "tiny-run", "-o", str(coded)]) == 0
    assert cli.main(["decode", str(coded), "-o", str(restored)]) == 0
    assert Image.open(restored).size == Image.open(data / "va" / "0.png").size
    assert cli.main(["models"]) == 0 and "tiny-run" in capsys.readouterr().out
    monkeypatch.setenv(zoo.MODELS_ENV, str(tmp_path / "nowhere"))
    for name in ("_records", "_broken", "_broken_ids"):
        monkeypatch.setattr(zoo, name, {})
    assert cli.main(["models"]) == 0  # the zoo still lists what it has, and says what it could not read
    assert f"names '{tmp_path / 'nowhere'}', which is not a folder" in capsys.readouterr().err


def test_an_adversarial_run_resumes_with_its_discriminator(data, tmp_path, vgg16):
    """SRGAN's two-optimizer step with a VGG16 content loss (and a per-pixel anchor): a run cut
    in two and resumed ends with the weights of a straight run (to float rounding),
    discriminator and optimizers included."""
    config = tiny_config(model_id="tiny-gan", family="srgan", net={"blocks": 1, "filters": 4}, scales=(2,), patch=12,
                         loss="vgg:block2_conv2", content_weight=0.01, adversarial_weight=1e-3, pixel_weight=0.5,
                         discriminator_filters=4, objective="perception", steps=4, val_every=2)
    cut = tmp_path / "cut"
    assert train.train(config, data, cut, log=lambda m: None, until=2) is None
    assert (cut / "discriminator.weights.h5").is_file()
    resumed = json.loads(train.train(config, data, cut, log=lambda m: None).read_text())
    straight = json.loads(train.train(config, data, tmp_path / "straight", log=lambda m: None).read_text())
    def weights(folder):
        return _trained_weights(resumed, folder)

    def judge(folder):
        import keras

        from srcodec.train import discriminator

        net = discriminator.build(filters=4)
        net.compile(optimizer=keras.optimizers.Adam(), loss="mse")
        net.optimizer.build(net.trainable_variables)
        net.load_weights(folder / "discriminator.weights.h5")
        return net.get_weights()

    for get in (weights, judge):
        difference = max(np.abs(a - b).max() for a, b in zip(get(cut), get(tmp_path / "straight")))
        assert difference < 1e-6  # float rounding of two traces, no more
    assert resumed["objective"] == "perception"
    log = [json.loads(line) for line in (cut / "log.jsonl").read_text().splitlines()]
    assert set(log[-1]) >= {"loss", "content", "adversarial", "discriminator", "pixel"}
    assert 0.3 < log[-1]["discriminator"] < 1.2  # binary cross-entropy of a discriminator still guessing


def test_a_feature_loss_run_with_total_variation_resumes(data, tmp_path, vgg16):
    """Johnson's objective: VGG16 features (here relu1_2 and relu2_2 together) plus the total
    variation of the output (and here a per-pixel term); a run cut in two and resumed ends where
    a straight run does, and logs every term."""
    config = tiny_config(model_id="tiny-johnson", family="johnson", net={"blocks": 1, "filters": 4}, scales=(2,),
                         patch=12, loss="vgg:block1_conv2+block2_conv2", content_weight=1e-4, tv_weight=10.0,
                         pixel_weight=0.5, objective="perception", steps=4, val_every=2)
    cut = tmp_path / "cut"
    assert train.train(config, data, cut, log=lambda m: None, until=2) is None
    resumed = json.loads(train.train(config, data, cut, log=lambda m: None).read_text())
    straight = json.loads(train.train(config, data, tmp_path / "straight", log=lambda m: None).read_text())
    assert resumed["objective"] == "perception" and resumed["config"] == straight["config"]
    assert max(np.abs(a - b).max() for a, b in zip(_trained_weights(resumed, cut), _trained_weights(straight, tmp_path / "straight"))) < 1e-6
    log = [json.loads(line) for line in (cut / "log.jsonl").read_text().splitlines()]
    assert set(log[-1]) >= {"loss", "tv", "pixel"} and 0 < 10.0 * log[-1]["tv"] + 0.5 * log[-1]["pixel"] < log[-1]["loss"]


def test_stacked_features_weigh_every_layer_equally():
    from srcodec.train import losses

    rng = np.random.default_rng(0)
    a = [rng.normal(size=(2, 8, 8, 3)).astype(np.float32), rng.normal(size=(2, 4, 4, 6)).astype(np.float32)]
    b = [rng.normal(size=m.shape).astype(np.float32) + k for k, m in enumerate(a)]  # MSEs ~2 and ~3
    layer = losses.stacked()
    stacked_a = np.asarray(layer(a))
    stacked_mse = np.mean((stacked_a - np.asarray(layer(b))) ** 2)
    assert stacked_a.shape == (2, 8 * 8 * 3 + 4 * 4 * 6)
    assert np.isclose(stacked_mse, np.mean([np.mean((x - y) ** 2) for x, y in zip(a, b)]), rtol=1e-5)


def test_total_variation_is_the_mean_squared_neighbour_difference():
    from srcodec.train import losses

    image = np.zeros((2, 4, 5, 3), np.float32)
    image[0, :, 2:] = 1.0  # one vertical edge: 1 of 4 horizontal differences per row, no vertical ones
    tv = np.asarray(losses.total_variation(None, image))
    assert np.allclose(tv, [0.25, 0.0])


def test_the_discriminator_judges_any_patch_size():
    from srcodec.train import discriminator

    net = discriminator.build(filters=2)
    for size in (16, 40):
        assert tuple(net(np.zeros((3, size, size, 3), np.float32)).shape) == (3, 1)


def test_a_sampled_family_trains_on_the_likelihood_of_the_targets_levels(monkeypatch):
    import keras
    import toy_sampled

    from srcodec import nets
    from srcodec.train import objectives

    monkeypatch.setitem(nets.TABLE, "toy", toy_sampled.FAMILY)
    keras.utils.set_random_seed(3)
    net = nets.build("toy", {"scale": 2})
    config = tiny_config(family="toy", loss="cross_entropy")
    objective = objectives.make(net, config, keras.optimizers.Adam(1e-2))
    assert isinstance(objective, objectives.Likelihood)
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype(np.float32)
    y = np.round(x * 4) / 4  # five levels: learnable from x
    first = objective.train_step(x, y)["loss"]
    assert first == pytest.approx(np.log(256), rel=0.05)  # untrained: about uniform over the levels
    for _ in range(30):
        last = objective.train_step(x, y)["loss"]
    assert last < first - 1.0
