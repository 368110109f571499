import json

import numpy as np
import pytest
from PIL import Image

import srcodec
from srcodec.cli import main


@pytest.fixture
def images(tmp_path, photo):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.roll(photo, i * 7, axis=1)).save(folder / f"img{i}.png")
    return folder


def test_encode_decode_one_file(tmp_path, images, capsys):
    source = images / "img0.png"
    assert main(["encode", str(source), "-s", "2", "-q", "60", "-o", str(tmp_path / "a.sr.jpg")]) == 0
    blob = (tmp_path / "a.sr.jpg").read_bytes()
    assert srcodec.inspect(blob).scale == 2
    assert main(["decode", str(tmp_path / "a.sr.jpg"), "-o", str(tmp_path / "a.png")]) == 0
    with Image.open(tmp_path / "a.png") as im:
        assert im.size == (128, 96)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), srcodec.decode(blob))


def test_folders_in_and_out(tmp_path, images):
    out = tmp_path / "enc"
    assert main(["encode", str(images), "-o", str(out), "-q", "50"]) == 0
    encoded = sorted(p.name for p in out.iterdir())
    assert encoded == ["img0.sr.jpg", "img1.sr.jpg", "img2.sr.jpg"]
    assert main(["decode", str(out), "-o", str(tmp_path / "dec")]) == 0
    assert sorted(p.name for p in (tmp_path / "dec").iterdir()) == ["img0.sr.png", "img1.sr.png", "img2.sr.png"]


def test_a_folder_of_one_image_goes_into_the_output_folder(tmp_path, images):
    for extra in ("img1.png", "img2.png"):
        (images / extra).unlink()
    assert main(["encode", str(images), "-o", str(tmp_path / "enc")]) == 0
    assert (tmp_path / "enc" / "img0.sr.jpg").is_file()  # a folder, though it holds one file
    assert main(["encode", str(images / "img0.png"), "-o", str(tmp_path / "new") + "/"]) == 0
    assert (tmp_path / "new" / "img0.sr.jpg").is_file()


def test_default_output_sits_beside_the_input(images):
    assert main(["encode", str(images / "img1.png")]) == 0
    assert (images / "img1.sr.jpg").is_file()
    assert main(["decode", str(images / "img1.sr.jpg")]) == 0
    assert (images / "img1.sr.png").is_file()  # never the source's own name


def test_no_overwrite_without_force(tmp_path, images, capsys):
    target = tmp_path / "x.sr.jpg"
    target.write_bytes(b"keep me")
    assert main(["encode", str(images / "img0.png"), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err and "Traceback" not in err
    assert target.read_bytes() == b"keep me"
    assert main(["encode", str(images / "img0.png"), "-o", str(target), "--force"]) == 0
    assert srcodec.inspect(target.read_bytes()).model == srcodec.zoo.resolve("auto", 2).id


def test_failures_are_one_line_and_nonzero(tmp_path, capsys):
    bad = tmp_path / "bad.sr.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 plain jpeg-ish")
    assert main(["decode", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "srcodec segment" in err[0]
    assert main(["encode", str(tmp_path / "missing.png")]) == 1
    (tmp_path / "empty").mkdir()
    assert main(["encode", str(tmp_path / "empty")]) == 1
    assert "no input files" in capsys.readouterr().err
    png = tmp_path / "p.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(png)
    assert main(["encode", str(png), "-q", "0"]) == 1
    assert "quality" in capsys.readouterr().err


def test_info_and_models(tmp_path, images, capsys):
    main(["encode", str(images / "img0.png"), "-o", str(tmp_path / "a.sr.jpg"), "-s", "3", "-m", "bicubic"])
    capsys.readouterr()
    assert main(["info", str(tmp_path / "a.sr.jpg"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["scale"] == 3 and info["width"] == 128 and info["model"] == "bicubic"
    assert main(["models"]) == 0
    assert "bicubic" in capsys.readouterr().out
    assert main(["models", "--json"]) == 0
    assert any(r["id"] == "bicubic" for r in json.loads(capsys.readouterr().out))


def test_help_explains_the_knobs(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["encode", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for knob in ("--scale", "--quality", "--model", "--codec", "--alpha", "--force"):
        assert knob in out


def test_sub_folders_are_kept_and_collisions_refused(tmp_path, photo):
    pics = tmp_path / "pics"
    (pics / "a").mkdir(parents=True)
    (pics / "b").mkdir()
    Image.fromarray(photo).save(pics / "a" / "x.png")
    Image.fromarray(photo).save(pics / "b" / "x.png")
    assert main(["encode", str(pics), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "a" / "x.sr.jpg").is_file() and (tmp_path / "out" / "b" / "x.sr.jpg").is_file()
    Image.fromarray(photo).save(pics / "a" / "x.bmp")  # a.x.png and a.x.bmp -> the same x.sr.jpg
    assert main(["encode", str(pics), "-o", str(tmp_path / "out2")]) == 1
    assert not (tmp_path / "out2").exists()  # refused before anything was written


def test_encoding_a_folder_twice_skips_its_own_outputs(tmp_path, images, photo):
    Image.fromarray(photo).save(images / "plain.jpg")  # a JPEG that is not srcodec's
    assert main(["encode", str(images)]) == 0
    assert main(["encode", str(images), "--force"]) == 0
    assert not list(images.glob("*.sr.sr.jpg"))
    assert main(["decode", str(images)]) == 0  # takes srcodec's files, leaves plain.jpg alone
    assert sorted(p.name for p in images.glob("*.sr.png")) == ["img0.sr.png", "img1.sr.png", "img2.sr.png", "plain.sr.png"]
    mode = (images / "img0.sr.jpg").stat().st_mode & 0o777
    assert mode & 0o044  # readable by others, as files a tool writes usually are


def test_jpeg_only_options_are_refused_for_other_codecs(images, capsys):
    assert main(["encode", str(images / "img0.png"), "--codec", "webp", "--progressive"]) == 1
    assert "jpeg codec only" in capsys.readouterr().err


def test_demo_runs_a_named_model_at_the_scales_it_serves(tiny_model):
    from srcodec import demo

    assert demo.settings_for("auto") == list(demo.SETTINGS)
    assert demo.settings_for("tiny-srcnn") == [(s, q) for s, q in demo.SETTINGS if s == 2]  # serves 2 and 3
    srcodec.register_model("tiny-x3", tiny_model.weights, family="srcnn", scales=[3], config=tiny_model.config)
    try:
        assert demo.settings_for("tiny-x3") == [(3, 30), (3, 60), (3, 90)]
    finally:
        srcodec.unregister_model("tiny-x3")
