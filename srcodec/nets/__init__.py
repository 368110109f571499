"""The network families. The facts about each live in ONE table, `TABLE`, which is plain data
(importable without Keras) and which the zoo, inference, training and benchmarks read.

Each family is one small module exposing the same contract:

* ``NETWORK``: a `keras.Model` subclass built from ``scale`` plus a few keyword arguments,
  whose ``call(x, training=False)`` maps float [0, 1] NHWC to float [0, 1] NHWC and whose
  ``get_config`` round-trips (``NETWORK(**net.get_config())`` builds the same architecture);
* ``receptive_field``: on the built network, the width in the network's own input pixels
  that one output pixel depends on (tiling margins are half of it);
* optionally ``input_multiple``: input sides must be a multiple of it (a network that folds
  its input by pixel-unshuffle); `inference.run_net` pads, and tiles start on its grid.

Every ``NETWORK`` also takes ``layer_dtype``, the Keras dtype policy of its inner layers
(None: Keras' global policy), which is not part of its config.

Modules are imported on first use so that the bicubic path never loads Keras.

Precision: a network built with ``precision="bfloat16"`` keeps float32 weights, input and
output, and runs its inner convolutions in bfloat16 (Keras' ``mixed_bfloat16``), set on its
layers, never through Keras' global policy, so threads building other models are unaffected. A layer that
outputs pixel values stays float32, so the output is not rounded to bfloat16's 8-bit mantissa;
one that outputs a residual (VDSR's) may compute in bfloat16, which rounds the residual, not
the pixel.
"""

from __future__ import annotations

import importlib
import numbers
from dataclasses import dataclass
from types import ModuleType
from typing import Callable

import numpy as np

PRECISIONS = ("float32", "bfloat16")
COLOURS = ("y", "rgb")
INPUT_SPACES = ("upsampled", "lowres")
MAX_PARAMETERS = 10_000_000  # a record asking for more is refused before anything is built


@dataclass(frozen=True)
class Option:
    """One key a family's config may hold: an integer in low..high, or a list of `length` such."""

    low: int
    high: int
    length: int | None = None  # None: a single integer
    odd: bool = False  # kernel sizes: 'same' padding keeps pixels centred only for odd ones
    powers_of_two: bool = False  # scales of a network that upsamples by stride-2 stages only

    def check(self, name: str, value: object) -> None:
        values = value if self.length is not None else [value]
        if self.length is not None and (not isinstance(value, (list, tuple)) or len(value) != self.length):
            raise ValueError(f"config {name!r} must be a list of {self.length} integers, got {value!r}")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not self.low <= v <= self.high:
                raise ValueError(f"config {name!r} takes integers in {self.low}..{self.high}, got {value!r}")
            if self.odd and v % 2 == 0:
                raise ValueError(f"config {name!r} takes odd integers, got {value!r}")
            if self.powers_of_two and v & (v - 1):
                raise ValueError(f"config {name!r} takes powers of two, got {value!r}")


@dataclass(frozen=True)
class Family:
    """What is true of every model of a family."""

    name: str
    colour: str  # "y": restores the luma (chroma upsampled); "rgb": all three channels
    input_space: str  # "upsampled": the bicubic-upsampled image; "lowres": the decoded small image
    sampled: bool  # decoding draws samples (seed and temperature in the header)
    tileable: bool  # output pixels depend on a bounded neighbourhood: decodes tile by tile
    options: dict[str, Option]  # the config keys a record may set (absent keys: the constructor's defaults)
    defaults: dict  # the constructor's defaults, for counting parameters
    parameters: Callable[[dict], int]  # weights a config builds, counted without building it
    multiply_adds: Callable[[dict], float]  # per output pixel, every convolution at the resolution it runs at
    module: str = ""  # where NETWORK lives (default srcodec.nets.<name>)

    @property
    def channels(self) -> int:
        return 1 if self.colour == "y" else 3

    def check_config(self, config: object) -> None:
        """Raise ValueError unless `config` is a dict this family builds within `MAX_PARAMETERS`."""
        if not isinstance(config, dict):
            raise ValueError(f"config must be a JSON object, got {config!r}")
        unknown = sorted(set(config) - set(self.options))
        if unknown:
            raise ValueError(f"{self.name} config takes {sorted(self.options)}, not {unknown}")
        for name, value in config.items():
            self.options[name].check(name, value)
        count = self.parameters({**self.defaults, **config})
        if count > MAX_PARAMETERS:
            raise ValueError(f"config {config} builds {count} parameters, over the limit of {MAX_PARAMETERS}")

    def work(self, config: dict) -> float:
        """Multiply-adds per output pixel of the network `config` builds (see `multiply_adds`)."""
        return self.multiply_adds({**self.defaults, "scale": 1, **config})


def _conv(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def _stages(scale: int) -> list[int]:
    """Pixel-shuffle factors making up `scale` (x4 and x8 as x2 stages); srgan.stages's twin,
    here so that the table needs no Keras."""
    return [] if scale == 1 else [2] * {4: 2, 8: 3}[scale] if scale in (4, 8) else [scale]


def _srresnet_parameters(c: dict) -> int:
    f, u = c["filters"], c["unshuffle"]
    prelu = f  # one slope per channel
    count = _conv(3, 3 * u * u, f) + prelu + c["blocks"] * (2 * _conv(3, f, f) + prelu) + _conv(3, f, f)
    count += sum(_conv(3, f, f * r * r) + prelu for r in _stages(c["scale"] * u))
    return count + _conv(3, f, 3)


def _srresnet_multiply_adds(c: dict) -> float:
    """The body at low resolution (1/scale^2 of an output pixel each), each sub-pixel
    convolution at the resolution it runs at, the tail at output resolution."""
    f, u = c["filters"], c["unshuffle"]
    s = c["scale"] * u  # output pixels per body pixel, each side
    low = 9 * 3 * u * u * f + (2 * c["blocks"] + 1) * 9 * f * f
    upsampling, resolution = 0.0, 1
    for r in _stages(s):
        upsampling += 9 * f * f * r * r * resolution**2
        resolution *= r
    return (low + upsampling) / s**2 + 9 * f * 3


def _johnson_parameters(c: dict) -> int:
    f, n = c["filters"], c["scale"].bit_length() - 1
    return _conv(9, 3, f) + c["blocks"] * 2 * _conv(3, f, f) + n * _conv(3, f, f) + _conv(9, f, 3)


def _johnson_multiply_adds(c: dict) -> float:
    """Head and blocks at low resolution; stride-1/2 stage k does 9 f^2 per pixel of its input,
    which has 4^k pixels per low-resolution one (a resize stage: per pixel of its output, 4^(k+1));
    the 9x9 tail at output resolution."""
    f, s = c["filters"], c["scale"]
    low = 81 * 3 * f + c["blocks"] * 2 * 9 * f * f
    upsampling = sum(9 * f * f * 4 ** (k + c["resize"]) for k in range(s.bit_length() - 1))
    return (low + upsampling) / s**2 + 81 * f * 3


def _pixelcnn_parameters(c: dict) -> int:
    f, k, n = c["filters"], 3 * c["scale"] ** 2, c["layers"]
    hidden = k * c["width"]
    conditioning = _conv(3, 3, f) + c["blocks"] * 2 * _conv(3, f, f) + _conv(1, f, k * 256) + n * _conv(1, f, 2 * hidden)
    prior = 2 * _conv(3, k, hidden) + (n - 1) * (2 * _conv(3, hidden, hidden) + _conv(1, hidden, hidden))
    return conditioning + prior + _conv(1, hidden, k * 256) + k  # k: the bilinear base's rates


def _pixelcnn_multiply_adds(c: dict) -> float:
    """A decode: the conditioning once at low resolution, then one prior evaluation per value
    of a low-resolution pixel (3 s^2), each computing every hidden group (the masks zero taps,
    they do not skip them) and one group's 256 logits; per output pixel (1/s^2 of an LR one)."""
    f, k, n = c["filters"], 3 * c["scale"] ** 2, c["layers"]
    hidden = k * c["width"]
    conditioning = 27 * f + c["blocks"] * 18 * f * f + f * k * 256 + n * f * 2 * hidden
    prior = 18 * k * hidden + (n - 1) * 19 * hidden * hidden + hidden * 256
    return (conditioning + k * prior) / c["scale"] ** 2


TABLE: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            name="srcnn",
            colour="y",
            input_space="upsampled",
            sampled=False,
            tileable=True,
            options={"scale": Option(1, 8), "filters": Option(1, 256, length=2), "kernels": Option(1, 15, length=3, odd=True)},
            defaults={"filters": (64, 32), "kernels": (9, 5, 5)},
            parameters=lambda c: _conv(c["kernels"][0], 1, c["filters"][0])
            + _conv(c["kernels"][1], c["filters"][0], c["filters"][1])
            + _conv(c["kernels"][2], c["filters"][1], 1),
            multiply_adds=lambda c: c["kernels"][0] ** 2 * c["filters"][0]
            + c["kernels"][1] ** 2 * c["filters"][0] * c["filters"][1]
            + c["kernels"][2] ** 2 * c["filters"][1],
        ),
        Family(
            name="vdsr",
            colour="y",
            input_space="upsampled",
            sampled=False,
            tileable=True,
            options={"scale": Option(1, 8), "depth": Option(2, 64), "filters": Option(1, 256)},
            defaults={"depth": 20, "filters": 64},
            parameters=lambda c: _conv(3, 1, c["filters"])
            + (c["depth"] - 2) * _conv(3, c["filters"], c["filters"])
            + _conv(3, c["filters"], 1),
            multiply_adds=lambda c: 9 * c["filters"] * (2 + (c["depth"] - 2) * c["filters"]),
        ),
        Family(
            name="srgan",
            colour="rgb",
            input_space="lowres",
            sampled=False,
            tileable=True,
            options={"scale": Option(1, 8), "blocks": Option(0, 64), "filters": Option(1, 256), "unshuffle": Option(1, 4)},
            defaults={"scale": 4, "blocks": 16, "filters": 64, "unshuffle": 1},
            parameters=_srresnet_parameters,
            multiply_adds=_srresnet_multiply_adds,
        ),
        Family(
            name="johnson",
            colour="rgb",
            input_space="lowres",
            sampled=False,
            tileable=True,
            options={"scale": Option(1, 8, powers_of_two=True), "blocks": Option(0, 64), "filters": Option(1, 256),
                     "resize": Option(0, 1)},
            defaults={"scale": 4, "blocks": 4, "filters": 64, "resize": 0},
            parameters=_johnson_parameters,
            multiply_adds=_johnson_multiply_adds,
        ),
        Family(
            name="pixelcnn",
            colour="rgb",
            input_space="lowres",
            sampled=True,
            tileable=True,
            options={"scale": Option(1, 4), "blocks": Option(0, 32), "filters": Option(1, 256), "layers": Option(1, 16),
                     "width": Option(1, 64)},
            defaults={"scale": 2, "blocks": 4, "filters": 64, "layers": 3, "width": 8},
            parameters=_pixelcnn_parameters,
            multiply_adds=_pixelcnn_multiply_adds,
        ),
    )
}
FAMILIES = tuple(TABLE)


def facts(name: str) -> Family:
    """The table entry of family `name`; raises LookupError."""
    try:
        return TABLE[name]
    except (KeyError, TypeError):
        raise LookupError(f"network family must be one of {tuple(TABLE)}, got {name!r}") from None


def family(name: str) -> ModuleType:
    """Import and return the module of family `name`."""
    return importlib.import_module(facts(name).module or f"srcodec.nets.{name}")


def layer_policy(precision: str) -> str:
    """The Keras dtype policy of layers that compute in `precision` (one of PRECISIONS)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return "mixed_bfloat16" if precision == "bfloat16" else "float32"


def _zeros(shape, dtype=None):
    """An initializer that runs no backend op: numpy zeros, for weights about to be loaded."""
    import keras

    return np.zeros(shape, keras.backend.standardize_dtype(dtype))


def build(name: str, config: dict, precision: str = "float32", initialize: bool = True):
    """Build family `name` from `config` and create its weights (input size is free).

    The model itself is float32 (its input, output and residual); its layers compute in
    `precision`. Raises ValueError for a config the family table refuses. With `initialize`
    False the weights are zeros, to be loaded next: the random initializers are skipped, which
    on JAX compile one XLA program per weight shape (srresnet-x2-codec: 4.5 s of 5.5).
    """
    entry = facts(name)
    entry.check_config(config)
    net = family(name).NETWORK(**config, dtype="float32", layer_dtype=layer_policy(precision))
    if not initialize:
        for layer in net._flatten_layers(include_self=False):
            for attr in ("kernel_initializer", "bias_initializer", "alpha_initializer"):
                if hasattr(layer, attr):
                    setattr(layer, attr, _zeros)
    net.build((None, None, None, entry.channels))
    return net
