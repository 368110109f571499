import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import srcodec
from srcodec import metrics
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


@pytest.fixture
def encoded(tmp_path, images):
    """A folder of three srcodec files (bicubic: no network, fast)."""
    out = tmp_path / "enc"
    assert main(["encode", str(images), "-o", str(out), "-q", "50", "-m", "bicubic"]) == 0
    return out


@pytest.fixture
def no_decoding(monkeypatch):
    """The sources decode() was called on: a check that must come first leaves it empty."""
    calls = []
    real = srcodec.api.decode
    monkeypatch.setattr(srcodec.api, "decode", lambda data, **kw: calls.append(data) or real(data, **kw))
    return calls


def test_outputs_that_cannot_be_written_are_refused_before_decoding(tmp_path, encoded, no_decoding, capsys, monkeypatch):
    source = encoded / "img0.sr.jpg"
    existing = tmp_path / "x.png"
    existing.write_bytes(b"keep me")
    assert main(["decode", str(source), "-o", str(existing)]) == 1
    assert "exists" in capsys.readouterr().err and existing.read_bytes() == b"keep me"
    (tmp_path / "file.txt").write_bytes(b"")
    assert main(["decode", str(source), "-o", str(tmp_path / "file.txt" / "x.png")]) == 1
    assert "file.txt is not a folder" in capsys.readouterr().err
    assert main(["decode", str(source), "-o", str(tmp_path / "x.gif")]) == 1
    assert "name it .bmp, .jpeg, .jpg, .png, .tif, .tiff, .webp" in capsys.readouterr().err
    monkeypatch.setattr("os.access", lambda path, mode: False)  # a read-only folder (root writes any)
    assert main(["decode", str(encoded), "-o", str(tmp_path / "ro" / "sub")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"srcodec: {source}: cannot write {tmp_path / 'ro' / 'sub' / 'img0.sr.png'}: the folder {tmp_path} is not writable"
    assert err[-1] == "srcodec: 3 of 3 files failed"
    assert no_decoding == []


def test_write_errors_name_the_destination_not_the_temporary_file(tmp_path, encoded, capsys, monkeypatch):
    def full(tmp, path):
        raise OSError(28, "No space left on device", tmp)

    monkeypatch.setattr("os.replace", full)
    target = tmp_path / "out.png"
    assert main(["decode", str(encoded / "img0.sr.jpg"), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == f"srcodec: {encoded / 'img0.sr.jpg'}: cannot write {target}: No space left on device\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".srcodec-")] == []


def test_rerunning_over_a_folder_skips_existing_outputs(tmp_path, images, encoded, capsys):
    assert main(["encode", str(images), "-o", str(encoded), "-m", "bicubic"]) == 1  # without the flag: failures
    assert capsys.readouterr().err.splitlines()[-1] == "srcodec: 3 of 3 files failed"
    before = (encoded / "img1.sr.jpg").read_bytes()
    (encoded / "img0.sr.jpg").unlink()
    assert main(["encode", str(images), "-o", str(encoded), "-m", "bicubic", "-q", "90", "--skip-existing"]) == 0
    assert capsys.readouterr().err == "srcodec: 2 of 3 files skipped: their outputs exist\n"
    assert (encoded / "img1.sr.jpg").read_bytes() == before
    assert srcodec.inspect((encoded / "img0.sr.jpg").read_bytes()).payload_bytes > len(before)  # q90: made anew
    with pytest.raises(SystemExit) as exc:
        main(["encode", str(images), "--force", "--skip-existing"])
    assert exc.value.code == 2  # argparse: not allowed together


def test_decode_writes_the_format_the_suffix_names(tmp_path, encoded):
    source = encoded / "img0.sr.jpg"
    expected = srcodec.decode(source.read_bytes())
    for suffix, form in [(".png", "PNG"), (".webp", "WEBP"), (".tif", "TIFF"), (".bmp", "BMP"), (".jpg", "JPEG")]:
        target = tmp_path / f"out{suffix}"
        assert main(["decode", str(source), "-o", str(target)]) == 0
        with Image.open(target) as im:
            assert im.format == form
            if form == "JPEG":
                assert metrics.psnr_rgb(expected, np.asarray(im)) > 40  # quality 95, 4:4:4
            else:
                assert np.array_equal(np.asarray(im.convert("RGB")), expected)  # lossless


def test_the_colour_profile_reaches_the_decoded_file(tmp_path, images):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = tmp_path / "phone.png"
    with Image.open(images / "img0.png") as im:
        im.save(source, icc_profile=profile)
    assert main(["encode", str(source), "-o", str(tmp_path / "kept.sr.jpg"), "-m", "bicubic"]) == 0
    assert main(["encode", str(source), "-o", str(tmp_path / "none.sr.jpg"), "-m", "bicubic", "--metadata", "none"]) == 0
    for suffix in (".png", ".webp", ".tif", ".jpg"):
        assert main(["decode", str(tmp_path / "kept.sr.jpg"), "-o", str(tmp_path / f"kept{suffix}")]) == 0
        assert main(["decode", str(tmp_path / "none.sr.jpg"), "-o", str(tmp_path / f"none{suffix}")]) == 0
        with Image.open(tmp_path / f"kept{suffix}") as kept, Image.open(tmp_path / f"none{suffix}") as none:
            assert kept.info.get("icc_profile") == profile and not none.info.get("icc_profile")


def test_encode_refuses_a_suffix_that_would_lie(tmp_path, images, capsys):
    assert main(["encode", str(images / "img0.png"), "-o", str(tmp_path / "out.png")]) == 1
    assert capsys.readouterr().err == (
        f"srcodec: error: cannot write a srcodec file (a JPEG) to {tmp_path / 'out.png'}: name it .jpeg, .jpg\n"
    )
    assert main(["encode", str(images / "img0.png"), "-c", "webp", "-o", str(tmp_path / "out.jpg")]) == 1
    assert "name it .srcd" in capsys.readouterr().err
    assert list(tmp_path.glob("out*")) == []
    assert main(["encode", str(images / "img0.png"), "-o", str(tmp_path / "out.JPEG")]) == 0


def test_info_takes_folders(encoded, capsys):
    assert main(["info", str(encoded), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(encoded / f"img{i}.sr.jpg") for i in range(3)]
    assert {line["model"] for line in lines} == {"bicubic"}


def test_the_transparency_error_names_the_flag(tmp_path, photo, capsys):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 128, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "t.png")
    assert main(["encode", str(tmp_path / "t.png")]) == 1
    err = capsys.readouterr().err
    assert "pass --alpha flatten to composite it onto white" in err and "alpha='flatten'" not in err
    assert main(["encode", str(tmp_path / "t.png"), "--alpha", "flatten"]) == 0


def test_a_reader_that_goes_away_ends_the_output_quietly(encoded, capsys, monkeypatch):
    class Closed(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", Closed())
    assert main(["info", str(encoded)]) == 141  # 128 + SIGPIPE, as a tool killed by it ends
    assert capsys.readouterr().err == ""


def test_a_closed_pipe_prints_nothing_at_exit(encoded):
    command = [sys.executable, "-m", "srcodec", "info", str(encoded)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()  # as `| head` does when it has read enough
        err = process.stderr.read()
    assert (process.returncode, err) == (141, b"")


def test_a_decode_through_a_network_prints_nothing_on_stderr(tmp_path, photo):
    """TensorFlow logs as it loads (absl, before InitializeLog) whatever its log level says;
    the command line hides that unless TF_CPP_MIN_LOG_LEVEL is set."""
    source = tmp_path / "a.sr.jpg"
    source.write_bytes(srcodec.encode(photo[:32, :32], scale=2, quality=50))
    assert srcodec.zoo.get(srcodec.inspect(source.read_bytes()).model).family != "bicubic"  # a network decodes it
    script = (
        "import sys; from srcodec.cli import main; code = main(sys.argv[1:]); "
        "tf = sys.modules.get('tensorflow'); print(code, tf.get_logger().level if tf else 40)"  # JAX: no TF to quiet
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", script, "decode", str(source)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert (done.stdout, done.stderr) == ("0 40\n", "")
    assert Image.open(tmp_path / "a.sr.png").size == (32, 32)


def test_encode_to_a_target_size_or_quality(tmp_path, images, capsys):
    source, out = images / "img0.png", tmp_path / "a.sr.jpg"
    assert main(["encode", str(source), "--target-size", "2k", "-m", "bicubic", "-o", str(out)]) == 0
    assert 1800 <= out.stat().st_size <= 2000
    printed = capsys.readouterr().out
    assert f"{out.stat().st_size} bytes" in printed and "decodes" in printed
    assert main(["encode", str(source), "--target-psnr", "28", "-s", "2", "-m", "bicubic", "-o", str(out), "-f"]) == 0
    assert metrics.psnr_rgb(np.asarray(Image.open(source)), srcodec.decode(out.read_bytes())) >= 28
    assert srcodec.inspect(out.read_bytes()).scale == 2
    assert main(["encode", str(source), "--target-size", "50", "-o", str(out), "-f"]) == 1
    assert "no file fits 50 bytes: the smallest is" in capsys.readouterr().err
    assert main(["encode", str(source), "--target-size", "2k", "-q", "50", "-o", str(out), "-f"]) == 1
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["encode", str(source), "--target-size", "lots"])
    assert "not a size" in capsys.readouterr().err
