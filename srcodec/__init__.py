"""srcodec: a bandwidth-saving image codec.

The sender shrinks an image and JPEG-codes it; the receiver restores full resolution with a
super-resolution network named in the file::

    blob = srcodec.encode(image, scale=2, quality=40)   # bytes; a valid JPEG of the small image
    image = srcodec.decode(blob)                         # uint8 HxWx3, original size
    info = srcodec.inspect(blob)                         # header fields, no pixel decoding
    picture = srcodec.open("photo.jpg")                  # decoded to a PIL.Image
    for image in srcodec.decode_many(paths, workers=4): ...   # many files, in order
"""

import sys as _sys
import types as _types

from srcodec import backend as _backend

_backend.choose()  # before anything imports Keras: JAX when TensorFlow is not installed

from srcodec import api as _api  # noqa: E402
from srcodec.api import Info, decode, encode, inspect, metadata, restore
from srcodec.api import open_image as open  # noqa: A001 (srcodec.open, as PIL.Image.open)
from srcodec.batch import decode_many, encode_many
from srcodec.ratecontrol import Choice, choose
from srcodec.errors import (
    ArgumentError,
    CodecUnavailableError,
    FormatError,
    ImageError,
    LimitError,
    SrcodecError,
    TargetError,
    TimeLimitError,
    UnknownModelError,
    UnsupportedVersionError,
    WeightsError,
)
from srcodec.zoo import ModelRecord, list_models, register_model, unregister_model

__version__ = "0.1.0"

__all__ = [
    "encode",
    "decode",
    "inspect",
    "open",
    "metadata",
    "restore",
    "encode_many",
    "decode_many",
    "choose",
    "list_models",
    "register_model",
    "unregister_model",
    "Info",
    "Choice",
    "ModelRecord",
    "SrcodecError",
    "ArgumentError",
    "CodecUnavailableError",
    "FormatError",
    "ImageError",
    "LimitError",
    "TargetError",
    "TimeLimitError",
    "UnknownModelError",
    "UnsupportedVersionError",
    "WeightsError",
]


class _Package(_types.ModuleType):
    """The package, whose settings are those of the module that uses them: setting
    ``srcodec.MAX_PIXELS = N`` sets ``srcodec.api.MAX_PIXELS``, which encode, decode and
    restore read at each call."""

    @property
    def MAX_PIXELS(self) -> int:
        return _api.MAX_PIXELS

    @MAX_PIXELS.setter
    def MAX_PIXELS(self, value: int) -> None:
        _api.MAX_PIXELS = value


_sys.modules[__name__].__class__ = _Package
