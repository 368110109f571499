"""Every shipped model keeps decoding the files made for it as it did when they were pinned.

tests/golden/shipped.npz holds, per shipped model, scale and colour, a srcodec file (a 48x64
astronaut crop or a 36x40 camera crop at quality 40) and its float32 decode, made by the code of
the commit that pinned it (886346b for the first eight models). A new shipped model is added by

    SRCODEC_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden.py

which writes the entries that are missing and never rewrites existing ones (delete an entry on
purpose to re-pin it). Tolerance: one grey level on under 1% of pixels, for other CPUs' float32
kernels; on the machine that pinned them the decodes are bit-identical.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import srcodec
from srcodec import zoo

GOLDEN = Path(__file__).with_name("golden") / "shipped.npz"
REGENERATE = os.environ.get("SRCODEC_REGENERATE_GOLDEN") == "1"


def _images() -> dict[str, np.ndarray]:
    from skimage import data

    return {
        "rgb": np.ascontiguousarray(data.astronaut()[80:128, 150:214]),
        "grey": np.ascontiguousarray(data.camera()[100:136, 200:240]),
    }


def _wanted() -> list[tuple[str, int, str]]:
    return [(r.id, s, c) for r in zoo.list_models() if r.shipped and r.family != "bicubic" for s in r.scales for c in ("rgb", "grey")]


def _load() -> dict[str, np.ndarray]:
    return dict(np.load(GOLDEN)) if GOLDEN.exists() else {}


if REGENERATE:
    entries = _load()
    for model_id, scale, colour in _wanted():
        key = f"{model_id}/x{scale}/{colour}"
        if key + "/file" not in entries:
            blob = srcodec.encode(_images()[colour], scale=scale, quality=40, model=model_id)
            entries[key + "/file"] = np.frombuffer(blob, np.uint8)
            entries[key + "/decoded"] = srcodec.decode(blob, precision="float32")
    GOLDEN.parent.mkdir(exist_ok=True)
    np.savez_compressed(GOLDEN, **entries)


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    return _load()


@pytest.mark.parametrize("model_id, scale, colour", _wanted())
def test_pinned_files_decode_as_they_did(golden, model_id, scale, colour):
    key = f"{model_id}/x{scale}/{colour}"
    assert key + "/file" in golden, f"no golden entry for {key}: regenerate (see the module docstring)"
    blob = golden[key + "/file"].tobytes()
    expected = golden[key + "/decoded"]
    decoded = srcodec.decode(blob, precision="float32")
    assert decoded.shape == expected.shape and decoded.dtype == np.uint8
    diff = np.abs(decoded.astype(np.int16) - expected)
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01, (diff.max(), (diff > 0).mean())
    # and today's encoder still writes the same file for the same picture
    assert srcodec.encode(_images()[colour], scale=scale, quality=40, model=model_id) == blob
