"""The table-printing benchmark scripts: their building blocks, on tiny inputs."""

import json

import numpy as np

import srcodec
from benchmarks import codec_table, large, paper, speed
from srcodec import container


def test_decode_as_keeps_the_payload_and_names_the_model(tiny_model, photo):
    blob = srcodec.encode(photo, scale=2, quality=60, model="bicubic")
    out = codec_table.decode_as(blob, "tiny-srcnn")
    header, payload = container.unpack(blob)
    forged = container.pack(container.Header(**{**header.__dict__, "model": "tiny-srcnn", "digest": tiny_model.digest}), payload)
    assert np.array_equal(out, srcodec.decode(forged))


def test_codec_table_scores_each_decode_with_every_measure(tiny_model, photo):
    from srcodec import metrics

    scores = codec_table.sweep([photo], ["bicubic", "tiny-srcnn"], [30], 2,
                               {"rgb": metrics.psnr_rgb, "y": metrics.psnr_y})
    blob = srcodec.encode(photo, scale=2, quality=30, model="bicubic")
    for model in ("bicubic", "tiny-srcnn"):
        decoded = codec_table.decode_as(blob, model)
        assert scores["rgb"][(model, 30)] == metrics.psnr_rgb(photo, decoded)
        assert scores["y"][(model, 30)] == metrics.psnr_y(photo, decoded)


def test_flops_per_pixel_counts_every_convolution(tiny_model):
    from srcodec import zoo

    net = zoo.load(tiny_model)  # 3x3 convs: 1->4, 4->2, 2->1
    assert speed.conv_flops_per_pixel(net) == 2 * 9 * (1 * 4 + 4 * 2 + 2 * 1)


def test_synthetic_large_image_has_the_size_asked():
    image = large.synthetic(1100, 700)
    assert image.shape == (700, 1100, 3) and image.dtype == np.uint8


def test_scores_merge_into_the_record(tmp_path, monkeypatch):
    monkeypatch.setattr(srcodec.zoo, "WEIGHTS_DIR", tmp_path)
    (tmp_path / "m.json").write_text(json.dumps({"id": "m", "scores": {"codec_psnr": {"a": 1.0, "b": 2.0}}}))
    assert paper.update_scores("m", "codec_psnr", {"b": 3.0, "c": 4.0})
    assert json.loads((tmp_path / "m.json").read_text())["scores"] == {"codec_psnr": {"a": 1.0, "b": 3.0, "c": 4.0}}
    assert not paper.update_scores("bicubic", "codec_psnr", {"a": 0.0})  # not shipped: nothing written
