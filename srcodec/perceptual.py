"""Perceptual metrics, for the families that PSNR punishes by design.

* `ssimulacra2`: SSIMULACRA2 (Cloudinary / libjxl), through the `ssimulacra2` package (a
  Python port; no learned weights). Higher is better: 90+ visually lossless, 70 high quality,
  50 medium, 30 low; it can go below 0.
* `vgg_distance`: a deep-feature distance on the ImageNet VGG16 with LPIPS's formula (Zhang et
  al. 2018): the activations after relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3, each unit-
  normalised over channels, squared differences, averaged over positions, summed over channels
  and layers, all channel weights 1. Lower is better. It is NOT LPIPS: LPIPS learns per-channel
  weights (and uses torchvision's VGG), which are not to be had offline, so its values are not
  comparable with published LPIPS numbers.

The VGG16 convolutional base comes from a weights file: ``SRCODEC_VGG16`` (a path, or
``imagenet`` to let Keras download it where there is internet), else
``../shared/featnets/vgg16_imagenet_notop.weights.h5`` beside the working directory or the
project. Training's feature loss uses the same network (`feature_net`).

Never imported by the inference path; Keras and the VGG weights load on first use.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

import numpy as np

from srcodec.errors import CodecUnavailableError, WeightsError

VGG16_ENV = "SRCODEC_VGG16"
VGG16_FILE = "vgg16_imagenet_notop.weights.h5"
# LPIPS's five taps on VGG16, by Keras' layer names (the ReLU is fused into each conv)
FEATURE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)  # keras.applications.vgg16 preprocessing
HIGHER_IS_BETTER = {"ssimulacra2": True, "vgg_distance": False}


def vgg16_weights() -> str | None:
    """Where the VGG16 weights are (a path, or "imagenet"), or None when they are not here."""
    named = os.environ.get(VGG16_ENV)
    if named:
        return named
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = root.parent / "shared" / "featnets" / VGG16_FILE
        if candidate.is_file():
            return str(candidate)
    return None


@functools.lru_cache(maxsize=4)
def feature_net(layers: tuple[str, ...] = FEATURE_LAYERS):
    """A Keras model mapping caffe-preprocessed BGR images (`preprocess`) to the activations of
    VGG16 `layers`. Raises `WeightsError` when the weights are not here."""
    weights = vgg16_weights()
    if weights is None:
        raise WeightsError(f"VGG16 weights not found: set {VGG16_ENV} to {VGG16_FILE} (or to 'imagenet')")
    if weights != "imagenet" and not Path(weights).is_file():
        raise WeightsError(f"{VGG16_ENV} names {weights!r}, which is not a file")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    base = keras.applications.VGG16(include_top=False, weights=weights, input_shape=(None, None, 3))
    model = keras.Model(base.input, [base.get_layer(name).output for name in layers])
    model.trainable = False
    return model


def preprocess(rgb) -> np.ndarray:
    """uint8 (or 0..255 float) RGB, HxWx3 or NxHxWx3, as VGG16's caffe weights expect it."""
    x = np.asarray(rgb, np.float32)
    return x[..., ::-1] - CAFFE_MEAN_BGR


def _normalised(features) -> list[np.ndarray]:
    out = []
    for f in features:
        f = np.asarray(f, np.float32)[0]
        out.append(f / (np.sqrt((f * f).sum(axis=-1, keepdims=True)) + 1e-10))
    return out


class FeatureDistance:
    """`vgg_distance` against one reference, whose features are computed once."""

    def __init__(self, reference: np.ndarray) -> None:
        self.net = feature_net()
        self.reference = _normalised(self.net.predict_on_batch(preprocess(_rgb(reference))[None]))

    def __call__(self, test: np.ndarray) -> float:
        features = _normalised(self.net.predict_on_batch(preprocess(_rgb(test))[None]))
        if [f.shape for f in features] != [f.shape for f in self.reference]:
            raise ValueError("vgg_distance: the images differ in size")
        return float(sum(((a - b) ** 2).sum(axis=-1).mean() for a, b in zip(self.reference, features)))


def vgg_distance(reference: np.ndarray, test: np.ndarray) -> float:
    """VGG16 feature distance (LPIPS formula, uniform weights) of uint8 `test` from `reference`."""
    return FeatureDistance(reference)(test)


def _rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    return np.repeat(image[..., None], 3, axis=-1) if image.ndim == 2 else image


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(_rgb(image)).save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


class Ssimulacra2:
    """`ssimulacra2` against one reference (its lossless copy made once)."""

    def __init__(self, reference: np.ndarray) -> None:
        try:
            from ssimulacra2 import compute_ssimulacra2
        except ImportError:
            raise CodecUnavailableError("SSIMULACRA2 needs the ssimulacra2 package: pip install 'srcodec[bench]'") from None
        self._score, self.reference = compute_ssimulacra2, _png(reference)

    def __call__(self, test: np.ndarray) -> float:
        return float(self._score(io.BytesIO(self.reference), io.BytesIO(_png(test))))


def ssimulacra2(reference: np.ndarray, test: np.ndarray) -> float:
    """SSIMULACRA2 score of uint8 `test` against `reference` (higher is better)."""
    return Ssimulacra2(reference)(test)
