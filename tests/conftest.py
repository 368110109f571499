"""Shared fixtures: small images, the shared data sets (skipped when absent), a tiny network."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI runs the same examples every time (a red CI must be reproducible); local runs explore.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED = Path(os.environ.get("SRCODEC_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATASETS = SHARED / "datasets"


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A 96x128 RGB crop of scikit-image's astronaut: real texture, small enough to be fast."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[100:196, 150:278])


@pytest.fixture(scope="session")
def grey_photo() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.camera()[100:170, 200:283])


@pytest.fixture(scope="session")
def set5() -> Path:
    folder = DATASETS / "set5"
    if not folder.is_dir():
        pytest.skip(f"shared data set not found: {folder}")
    return folder


@pytest.fixture(scope="session")
def vgg16():
    """The VGG16 weights of the shared data (the perceptual metric and feature loss need them)."""
    path = SHARED / "featnets" / "vgg16_imagenet_notop.weights.h5"
    if not path.is_file():
        pytest.skip(f"VGG16 weights not found: {path}")
    os.environ["SRCODEC_VGG16"] = str(path)
    return path


@pytest.fixture
def tiny_model(tmp_path):
    """A 3-layer SRCNN with a few filters and seeded weights, registered for scales 2 and 3."""
    import keras

    import srcodec
    from srcodec import nets

    keras.utils.set_random_seed(7)
    config = {"scale": 2, "filters": [4, 2], "kernels": [3, 3, 3]}
    net = nets.build("srcnn", config)
    path = tmp_path / "tiny.weights.h5"
    net.save_weights(path)
    record = srcodec.register_model("tiny-srcnn", path, family="srcnn", scales=[2, 3], config=config)
    yield record
    srcodec.unregister_model("tiny-srcnn")
