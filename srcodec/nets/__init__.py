"""The network families. Each is one small module exposing the same contract:

* ``NETWORK``: a `keras.Model` subclass built from ``scale`` plus a few keyword arguments,
  whose ``call`` maps float [0, 1] NHWC to float [0, 1] NHWC and whose ``get_config``
  round-trips (``NETWORK(**net.get_config())`` builds the same architecture);
* ``COLOUR``: ``"y"`` (restores the luma of a bicubic-upsampled image) or ``"rgb"``
  (restores all channels from the low-resolution image);
* ``UPSAMPLED_INPUT``: True when the network takes the bicubic-upsampled image rather than the
  low-resolution one.

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
from types import ModuleType

FAMILIES = ("srcnn", "vdsr")
PRECISIONS = ("float32", "bfloat16")


def family(name: str) -> ModuleType:
    """Import and return the module of family `name`."""
    if name not in FAMILIES:
        raise LookupError(f"network family must be one of {FAMILIES}, got {name!r}")
    return importlib.import_module(f"srcodec.nets.{name}")


def layer_policy(precision: str) -> str:
    """The Keras dtype policy of layers that compute in `precision` (one of PRECISIONS)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return "mixed_bfloat16" if precision == "bfloat16" else "float32"


def build(name: str, config: dict, precision: str = "float32"):
    """Build family `name` from `config` and create its weights (input size is free).

    The model itself is float32 (its input, output and residual); its layers compute in
    `precision`.
    """
    module = family(name)
    net = module.NETWORK(**config, dtype="float32", layer_dtype=layer_policy(precision))
    net.build((None, None, None, 1 if module.COLOUR == "y" else 3))
    return net
