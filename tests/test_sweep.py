import json

import numpy as np
import pytest
from PIL import Image

from benchmarks import __main__ as cli
from benchmarks import sweep


@pytest.fixture
def two_images(tmp_path, photo):
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.fromarray(photo).save(folder / "a.png")
    Image.fromarray(np.ascontiguousarray(photo[::-1])).save(folder / "b.png")
    return folder


def test_plan_covers_every_setting(two_images):
    images = cli.collect([str(two_images)])
    units = sweep.plan(images, ["jpeg", "webp"], ["bicubic"], quick=True)
    per_image = 2 * 8 + 2 * 8  # two baselines, bicubic at scales 1 and 2 (quick), 8 qualities each
    assert len(units) == 2 * per_image == len({u.key for u in units})
    full = sweep.plan(images, ["jpeg"], ["bicubic"], quick=False)
    assert len(full) == 2 * (10 + 4 * 8)  # full: scales 1..4, more baseline qualities
    # srcodec is sampled at baseline knots, so its curves differ from JPEG's by coding alone
    assert set(sweep.QUALITIES["srcodec"]) <= set(sweep.QUALITIES["jpeg"])


def test_run_unit_row_has_exactly_the_columns(two_images):
    row = sweep.run_unit(sweep.Unit(str(two_images / "a.png"), "srcodec", "bicubic", 2, 50))
    assert tuple(row) == sweep.COLUMNS
    assert row["bpp"] == pytest.approx(8 * row["bytes"] / (96 * 128))
    assert 20 < row["psnr_rgb"] < 40 and 0 < row["ssim"] < 1 and 0 < row["ms_ssim"] < 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_results_file_resumes(tmp_path, two_images, fmt):
    images = cli.collect([str(two_images)])
    units = sweep.plan(images, ["jpeg"], [], quick=True)
    results = sweep.ResultsFile(tmp_path / f"results.{fmt}")
    first = sweep.run(units[:5], results, workers=1)
    assert len(first) == 5
    calls = []
    original = sweep._run_image
    sweep._run_image = lambda chunk: calls.append(len(chunk)) or original(chunk)
    try:
        rows = sweep.run(units, results, workers=1)
    finally:
        sweep._run_image = original
    assert sum(calls) == len(units) - 5  # the first five were not run again
    header, stored = results.read()
    assert len(stored) == len(rows) == len(units)
    assert {"versions", "git_commit", "machine"} <= set(header)
    assert all(tuple(r) == sweep.COLUMNS for r in stored)


def test_resuming_through_another_spelling_of_the_folder(tmp_path, two_images, monkeypatch):
    results = sweep.ResultsFile(tmp_path / "results.jsonl")
    sweep.run(sweep.plan(cli.collect([str(two_images)]), ["jpeg"], [], quick=True)[:4], results, workers=1)
    monkeypatch.chdir(two_images)
    again = sweep.plan(cli.collect(["."]), ["jpeg"], [], quick=True)[:4]  # relative this time
    assert [u.image for u in again] != [r["image"] for r in results.read()[1]]
    assert len(sweep.run(again, results, workers=1)) == 4  # nothing run twice


def test_a_cut_short_last_line_is_run_again(tmp_path, two_images):
    images = cli.collect([str(two_images / "a.png")])
    units = sweep.plan(images, ["jpeg"], [], quick=True)[:3]
    results = sweep.ResultsFile(tmp_path / "results.jsonl")
    sweep.run(units, results, workers=1)
    text = results.path.read_text()
    results.path.write_text(text[: text.rstrip().rfind("\n") + 20])  # interrupted mid-line
    assert len(results.read()[1]) == 2
    assert len(sweep.run(units, results, workers=1)) == 3


def test_command_line_writes_the_report(tmp_path, two_images, capsys):
    out = tmp_path / "out"
    code = cli.main([str(two_images / "a.png"), "--out", str(out), "--quick", "--codecs", "jpeg", "webp",
                     "--models", "bicubic", "--workers", "2"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Bjontegaard" in printed and "no model yet" in printed
    for name in ("results.jsonl", "report.html", "summary.md", "rd_psnr.png", "rd_psnr.svg", "rd_ssim.png"):
        assert (out / name).is_file(), name
    lines = (out / "results.jsonl").read_text().splitlines()
    assert "header" in json.loads(lines[0]) and len(lines) == 1 + 2 * 8 + 2 * 8
    assert "data:image/png;base64" in (out / "report.html").read_text()


def test_missing_input_is_a_clear_error(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 1
    assert "no such image" in capsys.readouterr().err
