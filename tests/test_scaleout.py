"""Scale-out on a real local Ray (two CPUs): the bytes equal the local path's."""

import numpy as np
import pytest
from PIL import Image

import srcodec
from benchmarks import sweep

ray = pytest.importorskip("ray", reason="srcodec[ray] not installed")
pytest.importorskip("ray.data")

from srcodec import scaleout  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def folder(tmp_path, photo):
    images = tmp_path / "in"
    images.mkdir()
    for k in range(3):
        Image.fromarray(np.ascontiguousarray(np.roll(photo, 11 * k, axis=0))).save(images / f"p{k}.png")
    (images / "notes.txt").write_text("not an image")  # a folder is taken as the CLI takes it
    return images


def test_transcoding_on_ray_gives_the_local_bytes(local_ray, folder, tmp_path):
    encoded = scaleout.transcode(folder, "encode", out=tmp_path / "enc", quality=40, model="bicubic", actors=1)
    assert [r["error"] for r in encoded] == ["", "", ""]
    for k in range(3):
        local = srcodec.encode(folder / f"p{k}.png", quality=40, model="bicubic")
        assert (tmp_path / "enc" / f"p{k}.sr.jpg").read_bytes() == local
    sources = sorted((tmp_path / "enc").iterdir()) + [folder / "notes.txt"]
    decoded = scaleout.transcode(sources, "decode", actors=1)  # no out: the bytes come back
    for row, source in zip(decoded, sources):
        if source.suffix == ".txt":
            assert row["error"].startswith("FormatError") and "data" not in row  # fails alone
            continue
        assert np.array_equal(np.asarray(Image.open(__import__("io").BytesIO(row["data"]))), srcodec.decode(source))
    with pytest.raises(srcodec.ArgumentError, match="mode"):
        scaleout.transcode(folder, "recode")


def test_the_sweep_runs_on_ray(local_ray, folder, tmp_path):
    units = [sweep.Unit(str(folder / "p0.png"), "jpeg", "", 1, q) for q in (30, 60)]
    units += [sweep.Unit(str(folder / "p1.png"), "srcodec", "bicubic", 2, 50)]
    rows = sweep.run(units, sweep.ResultsFile(tmp_path / "r.jsonl"), 2, engine="ray")
    local = [sweep.run_unit(u) for u in units]
    key = lambda r: sweep.row_key(r)  # noqa: E731
    for row, expected in zip(sorted(rows, key=key), sorted(local, key=key)):
        assert (row["bytes"], row["psnr_rgb"], row["ssim"]) == (expected["bytes"], expected["psnr_rgb"], expected["ssim"])
