"""The table-printing benchmark scripts: their building blocks, on tiny inputs."""

import json

import numpy as np
import pytest

import srcodec
from benchmarks import codec_table, large, paper
from srcodec import container, metrics


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


def test_synthetic_large_image_has_the_size_asked():
    image = large.synthetic(1100, 700)
    assert image.shape == (700, 1100, 3) and image.dtype == np.uint8


def test_scores_merge_into_the_record(tmp_path, monkeypatch):
    monkeypatch.setattr(srcodec.zoo, "WEIGHTS_DIR", tmp_path)
    (tmp_path / "m.json").write_text(json.dumps({"id": "m", "scores": {"codec_psnr": {"a": 1.0, "b": 2.0}}}))
    assert paper.update_scores("m", "codec_psnr", {"b": 3.0, "c": 4.0})
    assert json.loads((tmp_path / "m.json").read_text())["scores"] == {"codec_psnr": {"a": 1.0, "b": 3.0, "c": 4.0}}
    assert not paper.update_scores("bicubic", "codec_psnr", {"a": 0.0})  # not shipped: nothing written


def test_papers_path_of_an_identity_network_is_the_papers_bicubic(tmp_path, photo):
    # A VDSR whose last layer is zero returns its (bicubic) input: by the papers' code path it
    # must score exactly the papers' bicubic; through srcodec it pays the uint8 roundings.
    from srcodec import nets

    config = {"scale": 2, "depth": 3, "filters": 4}
    net = nets.build("vdsr", config)
    net.tail.set_weights([np.zeros_like(w) for w in net.tail.get_weights()])
    net.save_weights(tmp_path / "identity.weights.h5")
    srcodec.register_model("identity-vdsr", tmp_path / "identity.weights.h5", family="vdsr", scales=[2, 3], config=config)
    try:
        for scale in (2, 3):
            exact = paper.bicubic_y_psnr(photo, scale)
            assert paper.model_y_psnr(photo, scale, "identity-vdsr") == exact
            assert paper.model_y_psnr(photo, scale, "bicubic") == exact
            assert abs(paper.restore_y_psnr(photo, scale, "identity-vdsr") - exact) < 0.2
    finally:
        srcodec.unregister_model("identity-vdsr")


def test_paper_table_prints_both_paths_beside_the_papers(tmp_path, photo, tiny_model, capsys):
    from PIL import Image

    (tmp_path / "set5").mkdir()
    Image.fromarray(photo).save(tmp_path / "set5" / "a.png")
    assert paper.main(["--data", str(tmp_path), "--sets", "set5", "--scales", "2", "--models", "tiny-srcnn"]) == 0
    lines = capsys.readouterr().out.splitlines()
    bicubic, tiny = lines[1].split(), lines[2].split()  # set x model Y-PSNR paper diff via-restore
    assert bicubic[:3] == ["set5", "2", "bicubic"] and bicubic[4] == "33.66"  # listed or not: the baseline
    assert float(bicubic[3]) == round(paper.bicubic_y_psnr(photo, 2), 2)
    assert tiny[:3] == ["set5", "2", "tiny-srcnn"] and tiny[4] == "36.66"  # SRCNN's x2 in the papers
    for row in (bicubic, tiny):
        assert abs(float(row[-2]) - (float(row[-4]) - float(row[-3]))) < 0.011  # diff = ours - paper
    assert float(tiny[3]) == round(paper.model_y_psnr(photo, 2, "tiny-srcnn"), 2)
    assert float(tiny[6]) == round(paper.restore_y_psnr(photo, 2, "tiny-srcnn"), 2)


def test_the_tables_score_perceptual_metrics_when_asked(tmp_path, photo, tiny_model, capsys, vgg16):
    from PIL import Image

    from srcodec import perceptual

    (tmp_path / "set5").mkdir()
    Image.fromarray(photo).save(tmp_path / "set5" / "a.png")
    assert paper.main(["--data", str(tmp_path), "--sets", "set5", "--scales", "2", "--models", "tiny-srcnn",
                       "--perceptual"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-3:] == ["SSIMULACRA2", "VGG", "dist"]
    scores = paper.restore_scores(photo, 2, "tiny-srcnn", perceptual=True)
    tiny = lines[2].split()
    assert float(tiny[-2]) == round(scores["ssimulacra2"], 2) and float(tiny[-1]) == round(scores["vgg"], 4)
    assert codec_table.main(["--data", str(tmp_path), "--set", "set5", "--models", "bicubic", "--qualities", "30",
                             "--artifact-qualities", "30", "--perceptual"]) == 0
    out = capsys.readouterr().out
    decoded = srcodec.decode(srcodec.encode(photo, scale=2, quality=30, model="bicubic"))
    assert "SSIMULACRA2 of the same pictures" in out
    assert f"{perceptual.ssimulacra2(photo, decoded):7.2f}" in out and f"{perceptual.vgg_distance(photo, decoded):7.2f}" in out


def test_codec_table_limit_takes_the_first_images_and_says_so(photo, tmp_path, capsys):
    from PIL import Image

    (tmp_path / "set5").mkdir()
    Image.fromarray(photo).save(tmp_path / "set5" / "a.png")
    Image.fromarray(photo[::-1]).save(tmp_path / "set5" / "b.png")
    assert codec_table.main(["--data", str(tmp_path), "--set", "set5", "--models", "bicubic", "--qualities", "30",
                             "--artifact-qualities", "30", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    decoded = srcodec.decode(srcodec.encode(photo, scale=2, quality=30, model="bicubic"))
    assert "set5-first1, x2" in out and f"{metrics.psnr_rgb(photo, decoded):7.2f}" in out


def test_the_gpu_check_runs_end_to_end_on_the_cpu(capsys):
    from benchmarks import gpu

    image = gpu.test_image(70, 50)
    assert image.shape == (50, 70, 3) and image.dtype == np.uint8
    assert gpu.main(["--size", "64x48", "--models", "bicubic", "--allow-cpu", "--precision", "float32"]) == 0
    table = capsys.readouterr().out
    assert "| bicubic | x1 | " in table and "| 0 | 0.000% |" in table  # the CPU against itself


def test_payload_encoders_write_plain_420_jpegs_into_srcodec_files(photo, tiny_model):
    pytest.importorskip("jpeglib")
    pytest.importorskip("pyjpegli")
    from benchmarks import payload
    from encoders import jpeg
    from srcodec import resample

    assert payload.encode_with("jpeg", photo, 40) == jpeg.encode(photo, 40)
    reference = srcodec.encode(photo, scale=2, quality=40, model="tiny-srcnn")
    assert payload.srcodec_file(photo, 40, 2, "tiny-srcnn", "jpeg") == reference  # srcodec's own payload
    small = resample.downsample(photo, 2)
    for name in ("mozjpeg", "jpegli"):
        data = payload.encode_with(name, photo, 40)
        assert data[:4] != b"\xff\xd8\xff\xe0"  # no JFIF APP0
        assert jpeg.decode(data).shape == photo.shape and jpeg.coding(data).chroma_subsampling == 2
        blob = payload.srcodec_file(photo, 40, 2, "tiny-srcnn", name)
        header, inner = container.unpack(blob)
        assert header == container.unpack(reference)[0] and inner == payload.encode_with(name, small, 40)
        assert srcodec.decode(blob).shape == photo.shape


def test_payload_table_has_every_curve_and_bd_rates(photo, capsys):
    pytest.importorskip("jpeglib")
    pytest.importorskip("pyjpegli")
    from benchmarks import payload

    rows, seconds = payload.measure([photo], [30, 60], 2, "bicubic", low=[10])
    assert len(rows) == 3 * 3 + 2 * 3 and set(seconds) == set(payload.ENCODERS)  # srcodec: not at the low quality
    payload.print_table(rows, seconds, 1)
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| curve | q10 bpp / dB | q30 bpp / dB | q60 bpp / dB |")
    assert table[5].startswith("| srcodec+jpeg |  | ")  # no q10 cell
    assert [line.split(" | ")[0] for line in table[2:]] == [
        "| jpeg", "| mozjpeg", "| jpegli", "| srcodec+jpeg", "| srcodec+mozjpeg", "| srcodec+jpegli"]
    assert table[2].split(" | ")[-4] == "+0.0%" and table[5].split(" | ")[-3] == "+0.0%"  # each anchor against itself
    rows, seconds = payload.measure([photo], [30, 60], 2, "bicubic", low=[10], inner=["webp"])
    payload.print_table(rows, seconds, 1, inner=["webp"])
    table = capsys.readouterr().out.splitlines()
    assert [line.split(" | ")[0] for line in table[-2:]] == ["| webp", "| srcodec+webp"]
    assert table[-1].split(" | ")[-2].endswith("%")  # srcodec on a WebP payload against full-size WebP
    rows, seconds = payload.measure([photo], [30, 60], 2, "bicubic", low=[10], jpegli_decoder=True)
    by = {(r["codec"], r["quality"]): r for r in rows}
    for plain, other in (("jpeg", "jpeg@jpegli-dec"), ("srcodec+jpeg", "srcodec+jpeg@jpegli-dec")):
        for q in (30, 60):  # the same bytes, another decoder
            assert by[(other, q)]["bpp"] == by[(plain, q)]["bpp"] and by[(other, q)]["psnr_rgb"] != by[(plain, q)]["psnr_rgb"]
    payload.print_table(rows, seconds, 1)
    assert [line.split(" | ")[0] for line in capsys.readouterr().out.splitlines()[-2:]] == [
        "| jpeg@jpegli-dec", "| srcodec+jpeg@jpegli-dec"]


def test_the_throughput_table_times_every_way(tmp_path, photo, capsys):
    from PIL import Image

    from benchmarks import throughput

    Image.fromarray(photo).save(tmp_path / "a.png")
    assert throughput.main(["--data", str(tmp_path), "--images", "1", "--workers", "1", "--no-ray"]) == 0
    table = capsys.readouterr().out
    assert "decoded by srresnet-x2-codec" in table
    assert len([line for line in table.splitlines() if line.startswith("| ") and "MP/s" not in line]) == 3


def test_the_sweep_measures_what_auto_decodes_with_and_bicubic():
    from benchmarks import default_models

    autos = {srcodec.zoo.resolve("auto", scale, quality=40).id for scale in (1, 2, 3, 4)}
    assert set(default_models()) == autos | {"bicubic"}
    assert "pixelcnn-x2-codec" not in default_models()  # a sampled model: ~26 s a decode


def test_codec_table_leaves_out_the_scale_1_table_when_no_model_serves_scale_1(tiny_model, photo, tmp_path, capsys):
    from PIL import Image

    (tmp_path / "set5").mkdir()
    Image.fromarray(photo).save(tmp_path / "set5" / "a.png")
    args = ["--data", str(tmp_path), "--set", "set5", "--qualities", "30", "--artifact-qualities", "30", "--models"]
    assert codec_table.main(args + ["bicubic", "tiny-srcnn"]) == 0
    assert "scale 1" not in capsys.readouterr().out
    srcodec.register_model("tiny-x1", tiny_model.weights, family="srcnn", scales=[1, 2], config=tiny_model.config)
    try:
        assert codec_table.main(args + ["bicubic", "tiny-x1"]) == 0
    finally:
        srcodec.unregister_model("tiny-x1")
    out = capsys.readouterr().out
    assert "scale 1 (bicubic = plain JPEG decoding)" in out and "tiny-x1" in out.split("scale 1")[1]
