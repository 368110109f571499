"""The network families. Each is one small module exposing the same contract:

* ``NETWORK``: a `keras.Model` subclass built from ``scale`` plus a few keyword arguments,
  whose ``call`` maps float [0, 1] NHWC to float [0, 1] NHWC and whose ``get_config``
  round-trips (``NETWORK(**net.get_config())`` builds the same architecture);
* ``COLOUR``: ``"y"`` (restores the luma of a bicubic-upsampled image) or ``"rgb"``
  (restores all channels from the low-resolution image);
* ``UPSAMPLED_INPUT``: True when the network takes the bicubic-upsampled image rather than the
  low-resolution one.

Modules are imported on first use so that the bicubic path never loads Keras.
"""

from __future__ import annotations

import importlib
from types import ModuleType

FAMILIES = ("srcnn", "vdsr")


def family(name: str) -> ModuleType:
    """Import and return the module of family `name`."""
    if name not in FAMILIES:
        raise LookupError(f"network family must be one of {FAMILIES}, got {name!r}")
    return importlib.import_module(f"srcodec.nets.{name}")


def build(name: str, config: dict):
    """Build family `name` from `config` and create its weights (input size is free)."""
    module = family(name)
    net = module.NETWORK(**config)
    channels = 1 if module.COLOUR == "y" else 3
    net.build((None, None, None, channels))
    return net
