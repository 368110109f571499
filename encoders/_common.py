"""What the codec modules share: errors, argument checks, Pillow round trips."""

from __future__ import annotations

import contextlib
import io
import numbers
from typing import NamedTuple

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


METADATA_KEYS = ("icc_profile", "exif", "xmp")  # Pillow's names, in `save` and in `Image.info`


def pil_encode(image: np.ndarray, fmt: str, max_dimension: int, metadata: dict | None = None, **params) -> bytes:
    """Encode with Pillow; `metadata` ({key in METADATA_KEYS: bytes}) goes into the file as the
    format carries it (none by default)."""
    from PIL import Image

    metadata = metadata or {}
    unknown = set(metadata) - set(METADATA_KEYS)
    if unknown:
        raise EncoderError(f"metadata keys are {METADATA_KEYS}, not {sorted(unknown)}")
    params = {"exif": b"", "icc_profile": None, **params, **metadata}
    buffer = io.BytesIO()
    try:
        Image.fromarray(check_image(image, max_dimension)).save(buffer, fmt, **params)
    except (ValueError, TypeError, RuntimeError) as exc:  # Pillow's (or a plugin's) word on a bad option value
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


def pil_metadata(data: bytes, name: str, fmt: str, check) -> dict:
    """The metadata (`METADATA_KEYS`) a file carries, as bytes, from `pil_open` (for most
    plugins headers only; Pillow's JPEG XL plugin decodes the image to open it)."""
    with pil_open(data, name, fmt, check, "read the metadata of") as im:
        return as_metadata({key: im.info.get(key) for key in METADATA_KEYS})


def as_metadata(found: dict) -> dict:
    """`found` ({key: bytes, str or None}) as `encode` takes metadata: bytes, empty ones dropped
    (Pillow gives XMP as str from some plugins)."""
    found = {key: value.encode() if isinstance(value, str) else value for key, value in found.items()}
    return {key: bytes(value) for key, value in found.items() if value}


class Probe(NamedTuple):
    """What a codec module's `probe` reads from a payload's headers, never decoding pixels."""

    width: int  # pixels, as `decode` returns them (after any orientation the decoder applies)
    height: int
    end: int | None  # offset just past the codec's last byte; None when only decoding could tell
    scans: int = 1  # JPEG: SOS segments (a progressive file has several); other codecs 1


def probe_view(data: object, name: str, check) -> memoryview:
    """`data` (bytes, bytearray, memoryview: any contiguous buffer) as a flat byte view, without
    copying; EncoderError when it is not a buffer or fails `check` (the codec's magic)."""
    try:
        view = memoryview(data)
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
    except TypeError:
        raise EncoderError(f"{name} data must be a contiguous bytes-like object, got {type(data).__name__}") from None
    if not check(view):
        raise EncoderError(f"not {name} data (bad magic bytes)")
    return view


def field(view: memoryview, offset: int, size: int, what: str, stop: int | None = None, byteorder: str = "big") -> int:
    """The unsigned `size`-byte integer at `offset`; EncoderError naming `what` when it runs past
    `stop` (the enclosing structure's end; default the data's)."""
    stop = len(view) if stop is None else stop
    if offset + size > stop:
        raise EncoderError(f"{what} at offset {offset} is cut off: needs {size} bytes, {max(stop - offset, 0)} left")
    return int.from_bytes(view[offset : offset + size], byteorder)


class Box(NamedTuple):
    """One ISO BMFF box (AVIF, the JPEG XL container): offsets into the data."""

    type: bytes
    start: int
    payload: int
    end: int


def read_boxes(view: memoryview, start: int, stop: int, where: str, *, trailing: bool = False) -> tuple[list[Box], int]:
    """The boxes in view[start:stop] and the offset where they end. Every box must be well formed
    and fit, else EncoderError naming `where`. With `trailing` (a file's top level), the first
    bytes that are not a whole box (cut off, or no box at all: its type is not four printable
    ASCII characters) end the walk instead: the returned offset is where they begin, and the
    caller refuses a file that lacks what it needs."""
    boxes, pos = [], start
    while pos < stop:
        kind = bytes(view[pos + 4 : pos + 8])
        try:
            if trailing and not all(0x20 <= c < 0x7F for c in kind):
                raise EncoderError(f"{where}: no box type at offset {pos}")
            size, header = field(view, pos, 4, f"{where}: box header", stop), 8
            if size == 1:
                size, header = field(view, pos + 8, 8, f"{where}: 64-bit size of box {kind!r}", stop), 16
            elif size == 0:  # the box runs to the end
                size = stop - pos
            if size < header:
                raise EncoderError(f"{where}: box {kind!r} at offset {pos} has size {size}, less than its {header}-byte header")
            if pos + size > stop:
                raise EncoderError(f"{where}: box {kind!r} at offset {pos} (size {size}) runs past offset {stop}")
        except EncoderError:
            if trailing:
                break
            raise
        boxes.append(Box(kind, pos, pos + header, pos + size))
        pos += size
    return boxes, pos


def only_box(boxes: list[Box], kind: bytes, where: str) -> Box:
    """The one box of type `kind` among `boxes`; EncoderError when there is none or several."""
    found = [box for box in boxes if box.type == kind]
    if len(found) != 1:
        raise EncoderError(f"{where}: expected one {kind.decode('latin-1')!r} box, found {len(found)}")
    return found[0]
