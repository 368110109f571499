"""The README's examples run and its facts hold: a README that drifts from the code fails here."""

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import srcodec
from srcodec import images

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_python_examples_run(tmp_path, photo, monkeypatch):
    first, files, budgets = re.findall(r"```python\n(.*?)```", README, re.S)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    monkeypatch.chdir(tmp_path)
    names = {}
    exec(first, names)
    exec(files, names)
    assert names["picture"].size == (128, 96) and len(names["decoded"]) == 4
    assert all(np.array_equal(d, names["image"]) for d in names["decoded"])
    exec(budgets, names)
    assert names["choice"].bytes <= 20_000 and len(names["blob"]) < names["choice"].bytes
    assert names["image"].dtype == np.uint8 and names["image"].shape == photo.shape
    assert (names["info"].width, names["info"].height, names["info"].scale) == (128, 96, 2)
    assert names["big"].dtype == np.uint8 and names["big"].shape == photo.shape  # 48x64, restored x2


def test_header_bytes_are_what_the_readme_says():
    stated = re.search(
        r"The header costs (\d+) bytes for\s+the `bicubic` decoder and (\d+)-(\d+) for the shipped network models"
        r".*?; (\d+) for `([\w-]+)`, the x1 default\), at 512x512",
        README,
        re.S,
    )
    bicubic, low, high, x1, x1_model = stated.groups()
    image = np.random.default_rng(0).integers(0, 256, (512, 512, 3), dtype=np.uint8)

    def header_bytes(model: str, scale: int) -> int:
        return srcodec.inspect(srcodec.encode(image, scale=scale, quality=40, model=model)).header_bytes

    networks = [header_bytes(r.id, r.scales[0]) for r in srcodec.list_models() if r.shipped and r.family != "bicubic"]
    assert (header_bytes("bicubic", 2), min(networks), max(networks)) == (int(bicubic), int(low), int(high))
    assert srcodec.inspect(srcodec.encode(image, scale=1, quality=40)).model == x1_model
    assert header_bytes("auto", 1) == int(x1)


def test_16_bit_colour_files_are_truncated_as_pillow_reads_them(tmp_path):
    import cv2

    assert "keeping each channel's high byte (truncated, not rounded)" in README
    wide = np.array([[[0x17FF, 0x2380, 0xFFFF], [0x0080, 0x7F7F, 0x0100]]], np.uint16)
    cv2.imwrite(str(tmp_path / "wide.png"), wide[..., ::-1])  # BGR; Pillow writes no 16-bit RGB
    assert np.array_equal(images.to_array(tmp_path / "wide.png"), (wide >> 8).astype(np.uint8))
    assert not np.array_equal(images.to_array(wide), (wide >> 8).astype(np.uint8))  # arrays: rounded


def test_palette_transparency_follows_the_alpha_rule(photo):
    assert "RGBA when the palette has transparency: the alpha\n  rule below applies" in README
    palette = Image.fromarray(photo).convert("P")
    palette.info["transparency"] = palette.getpixel((0, 0))  # some pixels transparent
    with pytest.raises(srcodec.ImageError, match="transparency"):
        srcodec.encode(palette)
    assert srcodec.inspect(srcodec.encode(palette, alpha="flatten")).width == photo.shape[1]


def test_a_missing_path_raises_the_builtin_error(tmp_path):
    assert "a path that does not exist raises the built-in\n  `FileNotFoundError`" in README
    with pytest.raises(FileNotFoundError) as raised:
        srcodec.encode(tmp_path / "nope.png")
    assert not isinstance(raised.value, srcodec.SrcodecError)
