"""What the codec modules share: errors, argument checks, Pillow round trips."""

from __future__ import annotations

import contextlib
import io
import numbers

import numpy as np


class EncoderError(ValueError):
    """Bad arguments to a codec, or bytes it cannot decode."""


class BackendMissing(EncoderError, ImportError):
    """The library behind a codec is not installed."""


def require(name: str, available: bool, hint: str) -> None:
    """Raise `BackendMissing` naming what to install when a codec's backend did not import."""
    if not available:
        raise BackendMissing(f"the {name} codec needs {hint}")


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Return `value` as an int, or raise naming `name`: never clamp silently."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EncoderError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    if not low <= value <= high:
        raise EncoderError(f"{name} must be in {low}..{high}, got {value}")
    return int(value)


def check_quality(quality: object, low: int = 1, high: int = 100) -> int:
    return check_int("quality", quality, low, high)


def check_image(image: object, max_dimension: int = 2**30) -> np.ndarray:
    """Accept uint8 HxW (grey) or HxWx3 (RGB) arrays no larger than the format allows,
    contiguous for the backends."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise EncoderError(
            f"image must be a numpy uint8 array, got {type(image).__name__}"
            + (f" of {image.dtype}" if isinstance(image, np.ndarray) else "")
        )
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise EncoderError(f"image must be HxW or HxWx3, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise EncoderError(f"image must be at least 1x1, got shape {image.shape}")
    if max(image.shape[:2]) > max_dimension:
        raise EncoderError(
            f"image is {image.shape[1]}x{image.shape[0]}; this format allows at most {max_dimension} pixels a side"
        )
    return np.ascontiguousarray(image)


def pil_encode(image: np.ndarray, fmt: str, max_dimension: int, **params) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    try:
        Image.fromarray(check_image(image, max_dimension)).save(buffer, fmt, **params)
    except (ValueError, TypeError) as exc:  # Pillow's word on a bad option value
        raise EncoderError(f"{fmt.lower()}: {exc}") from exc
    return buffer.getvalue()


@contextlib.contextmanager
def pil_open(data: bytes, name: str, fmt: str, check, action: str = "decode"):
    """Open bytes that pass `check` (the codec's magic) with Pillow's `fmt` plugin only (never
    another format that happens to match); any backend failure, in opening or in the body of
    the ``with``, becomes EncoderError ("cannot `action` `name` data: ...")."""
    from PIL import Image

    data = bytes(data)
    if not check(data):
        raise EncoderError(f"not {name} data (bad magic bytes)")
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            yield im
    except Exception as exc:  # the backends raise OSError, SyntaxError, ValueError, ...
        raise EncoderError(f"cannot {action} {name} data: {exc}") from exc


def pil_decode(data: bytes, name: str, fmt: str, check) -> np.ndarray:
    """Decode with `pil_open` to uint8 grey or RGB."""
    with pil_open(data, name, fmt, check) as im:
        im.load()
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        return np.asarray(im, dtype=np.uint8)
