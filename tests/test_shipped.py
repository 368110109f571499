"""A few quality checks with the weights that ship in the package (no shared data needed)."""

import json

import numpy as np
import pytest

import srcodec
from srcodec import metrics, resample, train, zoo

SHIPPED = sorted(p.stem for p in zoo.WEIGHTS_DIR.glob("*.json"))


@pytest.fixture(scope="module")
def crop():
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[60:252, 120:312])  # 192x192: face, hair, background


@pytest.mark.parametrize("model_id", SHIPPED)
def test_record_matches_its_weights_and_recipe(model_id):
    record = zoo.get(model_id)
    assert record.weights.is_file() and zoo.sha256_file(record.weights) == record.sha256
    raw = json.loads((zoo.WEIGHTS_DIR / f"{model_id}.json").read_text())
    training = raw["training"]
    assert training["config"]["model_id"] == model_id and training["steps"] == training["config"]["steps"]
    # the recipe reproduces the run and the zoo fields (the defaults were set when later models shipped)
    recipe = train.TrainConfig.from_json(train.RECIPES / f"{model_id}.json").to_dict()
    zoo_fields = ("default", "default_qualities")
    trained = train.TrainConfig.from_dict({k: v for k, v in training["config"].items() if k not in zoo_fields})
    assert {k: v for k, v in trained.to_dict().items() if k not in zoo_fields} == {
        k: v for k, v in recipe.items() if k not in zoo_fields}
    assert (record.default, record.default_qualities) == (recipe["default"], recipe["default_qualities"])
    assert len(training["commit"]) == 40 and raw["scores"], "recipe, commit and measured scores are recorded"
    assert zoo.load(record) is zoo.load(record)  # built, verified and cached


def _clean_gain(model_id: str, image: np.ndarray, scale: int) -> float:
    lr = resample.degrade(image, scale, codec=None)
    ours = srcodec.restore(lr, scale=scale, model=model_id)
    bicubic = srcodec.restore(lr, scale=scale, model="bicubic")
    return metrics.psnr_y(image, ours, scale) - metrics.psnr_y(image, bicubic, scale)


@pytest.mark.skipif("srcnn-y-x3-clean" not in SHIPPED, reason="model not shipped")
def test_srcnn_x3_beats_bicubic_on_clean_input(crop):
    assert _clean_gain("srcnn-y-x3-clean", crop, 3) > 0.8


@pytest.mark.skipif("vdsr-y-clean-v2" not in SHIPPED, reason="model not shipped")
@pytest.mark.parametrize(("scale", "measured"), [(2, 3.65), (3, 2.51), (4, 2.33)])
def test_vdsr_clean_v2_beats_bicubic_and_the_model_it_supersedes(crop, scale, measured):
    gain = _clean_gain("vdsr-y-clean-v2", crop, scale)
    assert gain > measured - 0.2  # dB Y-PSNR on this crop, measured when the model shipped
    assert zoo.get("vdsr-y-clean").superseded_by == "vdsr-y-clean-v2"
    assert gain > _clean_gain("vdsr-y-clean", crop, scale) + 0.3  # measured +0.5..+0.8


@pytest.mark.parametrize(("model_id", "scale", "measured"),
                         [("vdsr-y-codec", 2, 0.53), ("vdsr-y-x2-codec", 2, 0.91), ("srresnet-x2-codec", 2, 1.11),
                          ("srresnet-x3-codec", 3, 0.68)])
def test_codec_aware_networks_beat_the_bicubic_decoder_on_real_files(crop, model_id, scale, measured):
    from benchmarks.codec_table import decode_as

    if model_id not in SHIPPED:
        pytest.skip("model not shipped")
    blob = srcodec.encode(crop, scale=scale, quality=40, model="bicubic")
    gain = metrics.psnr_rgb(crop, decode_as(blob, model_id)) - metrics.psnr_rgb(crop, srcodec.decode(blob))
    assert gain > measured - 0.2  # dB on this crop, measured when the model shipped


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_each_scale_has_its_srresnet_as_default(crop, scale):
    if f"srresnet-x{scale}-codec" not in SHIPPED:
        pytest.skip("model not shipped")
    assert srcodec.inspect(srcodec.encode(crop, scale=scale)).model == f"srresnet-x{scale}-codec"


@pytest.mark.skipif("vdsr-y-x1-codec-v2" not in SHIPPED, reason="model not shipped")
@pytest.mark.parametrize(("quality", "measured"), [(10, 1.44), (40, 1.80), (90, 0.42)])
def test_the_scale_1_default_cleans_up_plain_jpeg(crop, quality, measured):
    blob = srcodec.encode(crop, scale=1, quality=quality)
    assert srcodec.inspect(blob).model == "vdsr-y-x1-codec-v2"
    plain = srcodec.decode(srcodec.encode(crop, scale=1, quality=quality, model="bicubic"))
    gain = metrics.psnr_y(crop, srcodec.decode(blob)) - metrics.psnr_y(crop, plain)
    assert gain > measured - 0.2  # dB Y-PSNR on this crop, measured when the model shipped


def test_each_scale_has_at_most_one_default_model():
    claimed = [s for r in srcodec.list_models() for s in r.default]
    assert len(claimed) == len(set(claimed)), "model='auto' would depend on id order"


@pytest.mark.skipif("vdsr-y-x2-codec" not in SHIPPED, reason="model not shipped")
def test_decoding_cleans_the_coded_chroma(crop):
    from srcodec.inference import super_resolve

    blob = srcodec.encode(crop, scale=2, quality=30, model="vdsr-y-x2-codec")
    bicubic_chroma = super_resolve(resample.degrade(crop, 2, "jpeg", 30), 2, zoo.get("vdsr-y-x2-codec"))
    gain = metrics.psnr_rgb(crop, srcodec.decode(blob)) - metrics.psnr_rgb(crop, bicubic_chroma)
    assert gain > 0.03  # dB on this crop: 0.066 measured



@pytest.mark.skipif(not {"johnson-mse-x4-codec", "johnson-mse-x4-clean"} <= set(SHIPPED), reason="models not shipped")
def test_the_johnson_per_pixel_models_beat_bicubic(crop):
    from benchmarks.codec_table import decode_as

    blob = srcodec.encode(crop, scale=4, quality=40, model="bicubic")
    gain = metrics.psnr_rgb(crop, decode_as(blob, "johnson-mse-x4-codec")) - metrics.psnr_rgb(crop, srcodec.decode(blob))
    assert gain > 0.19 - 0.1  # dB RGB-PSNR on this x4 file, measured when the model shipped (srresnet-x4-codec: 0.25)
    assert _clean_gain("johnson-mse-x4-clean", crop, 4) > 1.82 - 0.2  # dB Y-PSNR, clean x4, measured likewise
