"""Turning whatever the caller hands `encode` into uint8 grey (HxW) or RGB (HxWx3).

Defined behaviour for every input kind (also in the README):

* paths and PIL images: EXIF orientation is applied first.
* grey (L, 1-bit, HxW or HxWx1 arrays) stays grey: one channel is coded and decoded.
* palette (P) images become RGB, or RGBA when the palette has transparency.
* CMYK (and other PIL modes) are converted to RGB by Pillow (no colour management).
* 16-bit (uint16 arrays, PIL I;16 / I) are reduced to 8 bits by rounding (v * 255 / 65535).
* alpha: an alpha channel that is fully opaque is lossless to drop and is dropped; any other
  alpha raises `ImageError` unless the caller passes ``alpha="flatten"``, which composites the
  image onto white. srcodec does not carry alpha.
* float, signed, or other dtypes raise `ImageError`: their value range is ambiguous.
* metadata (`metadata_of`): the ICC profile of a path or PIL image is carried by default; EXIF
  (orientation removed, since it is applied) and XMP on request.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import encoders
from srcodec import container
from srcodec.errors import ArgumentError, ImageError, LimitError

ALPHA_CHOICES = ("error", "flatten")
# file name suffixes taken as images when a folder is given (command line, benchmarks)
SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", ".avif", ".jxl"})


def _from_uint16(x: np.ndarray) -> np.ndarray:
    return ((x.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def _pil_to_array(im) -> np.ndarray:
    from PIL import ImageOps

    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBa", "La"):  # premultiplied alpha: un-premultiply, then as RGBA / LA
        im = im.convert(im.mode.upper())
    mode = im.mode
    if mode in ("L", "RGB", "RGBA", "LA"):
        return np.asarray(im)
    if mode == "1":
        return np.asarray(im.convert("L"))
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        x = np.asarray(im)
        if x.min(initial=0) < 0 or x.max(initial=0) > 65535:
            raise ImageError(f"32-bit integer image with values outside 0..65535 (mode {mode})")
        return _from_uint16(x)
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in im.info
        return np.asarray(im.convert("RGBA" if has_alpha else "RGB"))
    if mode == "F":
        raise ImageError("floating-point images (PIL mode F) are not supported: convert to 8-bit first")
    return np.asarray(im.convert("RGB"))  # CMYK, YCbCr, LAB, HSV, RGBX, ...


def _flatten_alpha(x: np.ndarray, alpha: str) -> np.ndarray:
    colour, a = x[..., :-1], x[..., -1]
    if a.min(initial=255) == 255:
        return colour
    if alpha != "flatten":
        raise ImageError(
            "image has transparency, which srcodec does not carry; pass alpha='flatten' to "
            "composite it onto white, or remove the alpha channel yourself"
        )
    weight = a.astype(np.float32)[..., None] / 255.0
    flat = colour.astype(np.float32) * weight + 255.0 * (1.0 - weight)
    return np.clip(np.floor(flat + 0.5), 0, 255).astype(np.uint8)


METADATA_CHOICES = ("icc", "all", "none")
EXIF_ORIENTATION = 0x0112


def check_metadata_choice(keep: object) -> None:
    if keep not in METADATA_CHOICES:
        raise ArgumentError(f"metadata must be one of {METADATA_CHOICES}, got {keep!r}")


def metadata_of(image: object, keep: str = "icc") -> dict:
    """The metadata of a path or PIL image that a srcodec file carries, in Pillow's names:
    with `keep` "icc" the ICC profile (colours depend on it); "all" adds EXIF (less its
    orientation, which `to_array` has applied to the pixels) and XMP; "none" nothing. Arrays
    carry none. Raises `ArgumentError` for another `keep`."""
    check_metadata_choice(keep)
    if keep == "none" or isinstance(image, np.ndarray):
        return {}
    if isinstance(image, (str, os.PathLike)):
        from PIL import Image

        with Image.open(image) as im:  # headers only: to_array has read (and checked) the pixels
            return metadata_of(im, keep)
    if not hasattr(image, "info"):
        return {}
    found = {"icc_profile": image.info.get("icc_profile")}
    if keep == "all":
        exif = image.getexif()
        exif.pop(EXIF_ORIENTATION, None)
        found["exif"] = exif.tobytes() if len(exif) else None
        found["xmp"] = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    return encoders.as_metadata(found)


def expand(inputs: list, suffixes, encoded: bool) -> list[tuple[Path, Path]]:
    """(file, its path relative to the folder it was found in) for files as given and for the
    files with `suffixes` under given folders, sorted. From folders, only srcodec files are
    taken when `encoded`, and none otherwise: encoding a folder twice does not encode its own
    outputs, and decoding it does not trip over the plain JPEGs beside them."""
    found: list[tuple[Path, Path]] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.suffix.lower() in suffixes and container.is_srcodec_file(p) == encoded:
                    found.append((p, p.relative_to(path)))
        else:
            found.append((path, Path(path.name)))
    return found


def check_pixels(width: int, height: int, max_pixels: int | None, what: str) -> None:
    """Raise `LimitError` when a `what` of width x height is over `max_pixels` (None: no limit)."""
    if max_pixels is not None and width * height > max_pixels:
        raise LimitError(
            f"{what} is {width}x{height} = {width * height} pixels, over the limit of {max_pixels} "
            "(raise max_pixels to allow it)"
        )


def to_array(image: object, *, alpha: str = "error", max_pixels: int | None = None) -> np.ndarray:
    """Return `image` (array, PIL image, or path) as uint8 HxW or HxWx3, as documented above.

    A file's size is read from its headers and checked against `max_pixels` (None: no limit)
    before any pixel is decoded. Raises `ImageError` for inputs that cannot be coded as given
    (a path that is not a regular file too: a FIFO would block), `LimitError` over
    `max_pixels`, `FileNotFoundError` for a missing path.
    """
    if alpha not in ALPHA_CHOICES:
        raise ImageError(f"alpha must be one of {ALPHA_CHOICES}, got {alpha!r}")
    if isinstance(image, (str, os.PathLike)):
        from PIL import Image, UnidentifiedImageError

        path = Path(image)
        if path.exists() and not path.is_file():
            raise ImageError(f"{path}: not a regular file")
        try:
            with Image.open(path) as im:
                check_pixels(*im.size, max_pixels, str(path))
                im.load()
                x = _pil_to_array(im)
        except UnidentifiedImageError as exc:
            raise ImageError(f"{path}: not an image Pillow can read") from exc
        except Image.DecompressionBombError as exc:
            raise ImageError(f"{path}: {exc}") from exc
        except (FileNotFoundError, LimitError):
            raise
        except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt files
            raise ImageError(f"{path}: cannot read the image: {exc}") from exc
    elif isinstance(image, np.ndarray):
        x = image
        if x.ndim >= 2:
            check_pixels(x.shape[1], x.shape[0], max_pixels, "the image")
    elif hasattr(image, "mode") and hasattr(image, "getdata"):
        check_pixels(*image.size, max_pixels, "the image")
        x = _pil_to_array(image)
    else:
        raise ImageError(f"image must be a numpy array, a PIL image or a path, got {type(image).__name__}")

    if x.dtype.kind == "u" and x.dtype.itemsize == 2:  # either byte order
        x = _from_uint16(x.astype(np.uint16, copy=False))
    elif x.dtype == bool:
        x = x.astype(np.uint8) * 255
    if x.dtype != np.uint8:
        raise ImageError(f"image dtype must be uint8 or uint16, got {x.dtype}")
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[..., 0]
    if x.ndim == 3 and x.shape[2] in (2, 4):
        x = _flatten_alpha(x, alpha)
        if x.shape[2] == 1:
            x = x[..., 0]
    if not (x.ndim == 2 or (x.ndim == 3 and x.shape[2] == 3)):
        raise ImageError(f"image must be HxW, HxWx1, HxWx2, HxWx3 or HxWx4, got shape {x.shape}")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ImageError(f"image must be at least 1x1, got shape {x.shape}")
    return np.ascontiguousarray(x)
