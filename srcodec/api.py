"""The public functions: encode, decode, inspect, restore."""

from __future__ import annotations

import io
import numbers
import os
from dataclasses import asdict, dataclass

import numpy as np

import encoders
from srcodec import container, images, resample, zoo
from srcodec.errors import (
    ArgumentError,
    CodecUnavailableError,
    FormatError,
    ImageError,
    LimitError,
    UnknownModelError,
    WeightsError,
)
from srcodec.inference import chroma_filter_radius, super_resolve

# Decompression-bomb guard: decode refuses files whose output would have more pixels.
# Raise it per call with decode(..., max_pixels=N), or for the process by assigning here.
MAX_PIXELS = 2**27  # 134 megapixels: a 16384 x 8192 image


@dataclass(frozen=True)
class Info:
    """What `inspect` reports: the header's fields and where the bytes go."""

    codec: str
    scale: int
    width: int
    height: int
    lr_width: int
    lr_height: int
    grey: bool
    model: str
    digest: str | None
    seed: int | None
    temperature: float | None
    file_bytes: int
    header_bytes: int
    payload_bytes: int

    def as_dict(self) -> dict:
        return asdict(self)


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ArgumentError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


def _codec(name: str):
    try:
        module = encoders.get(name)
    except encoders.EncoderError as exc:
        raise ArgumentError(str(exc)) from None
    if not module.available:
        raise CodecUnavailableError(f"the {name} codec needs {getattr(module, 'INSTALL_HINT', 'its backend')}")
    return module


def encode(
    image,
    *,
    scale: int = 2,
    quality: int = 75,
    model: str = "auto",
    codec: str = "jpeg",
    alpha: str = "error",
    seed: int | None = None,
    temperature: float | None = None,
    codec_options: dict | None = None,
) -> bytes:
    """Shrink `image` by `scale`, code it with `codec` at `quality`, and wrap it in a srcodec file.

    `image`: numpy uint8/uint16 array (HxW, HxWx1..4), PIL image, or path (see
    `srcodec.images` for alpha, palette, CMYK and 16-bit handling). `model` names the zoo model
    that will decode the file ("auto": the default model for `scale`). `seed` and `temperature`
    apply to sampled models only. `codec_options` go to the inner codec (e.g. jpeg's
    ``progressive`` and ``subsampling``).

    Returns the file's bytes: with ``codec="jpeg"`` a valid JPEG of the small image.
    Raises `ArgumentError`, `ImageError`, `UnknownModelError`, `CodecUnavailableError`.
    """
    scale = _check_int("scale", scale, 1, container.MAX_SCALE)
    module = _codec(codec)
    if not isinstance(model, str):
        raise ArgumentError(f"model must be a model id string, got {model!r}")
    # quality-limited defaults were measured on JPEG; for other codecs only full-range ones apply
    integral = isinstance(quality, numbers.Integral) and not isinstance(quality, bool)  # checked by the codec
    record = zoo.resolve(model, scale, quality=int(quality) if codec == "jpeg" and integral else None)
    if record.sampled:
        seed = 0 if seed is None else _check_int("seed", seed, 0, 2**32 - 1)
        temperature = 1.0 if temperature is None else float(temperature)
        if not 0.0 <= temperature <= 65.535:
            raise ArgumentError(f"temperature must be in 0..65.535, got {temperature}")
    elif seed is not None or temperature is not None:
        raise ArgumentError(f"seed and temperature apply to sampled models; {record.id!r} is deterministic")
    pixels = images.to_array(image, alpha=alpha)
    lr_h, lr_w = resample.lr_size(pixels.shape[0], pixels.shape[1], scale)
    if max(lr_h, lr_w) > module.MAX_DIMENSION:
        raise ImageError(
            f"at scale {scale} the small image is {lr_w}x{lr_h}, over the {codec} limit of "
            f"{module.MAX_DIMENSION} pixels a side; use a larger scale or another codec"
        )
    try:
        payload = resample.compress(pixels, scale, codec, quality, **(codec_options or {}))
    except encoders.BackendMissing as exc:
        raise CodecUnavailableError(str(exc)) from None
    except (encoders.EncoderError, TypeError) as exc:
        raise ArgumentError(f"{codec}: {exc}") from None
    header = container.Header(
        scale=scale,
        width=pixels.shape[1],
        height=pixels.shape[0],
        model=record.id,
        codec=module.NAME,
        grey=pixels.ndim == 2,
        digest=record.digest,
        seed=seed,
        temperature=temperature,
    )
    return container.pack(header, payload)


def _bytes(data: object) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ArgumentError(
            f"data must be the file's bytes (bytes, bytearray or memoryview), got {type(data).__name__}"
            + ("; read the file first, e.g. Path(p).read_bytes()" if isinstance(data, (str, os.PathLike)) else "")
        )
    return bytes(data)


def inspect(data: bytes) -> Info:
    """Read a srcodec file's header without decoding any pixels.

    Raises `FormatError` (malformed bytes), `ArgumentError` (not bytes).
    """
    data = _bytes(data)
    header, payload = container.unpack(data)
    lr_h, lr_w = resample.lr_size(header.height, header.width, header.scale)
    return Info(
        codec=header.codec,
        scale=header.scale,
        width=header.width,
        height=header.height,
        lr_width=lr_w,
        lr_height=lr_h,
        grey=header.grey,
        model=header.model,
        digest=header.digest.hex() if header.digest else None,
        seed=header.seed,
        temperature=header.temperature,
        file_bytes=len(data),
        header_bytes=len(data) - len(payload),
        payload_bytes=len(payload),
    )


def _payload_size(payload: bytes, module) -> tuple[int, int]:
    """Width and height the payload declares, read before any pixel is decoded, by the
    header's codec only (a payload of another format is refused, never decoded)."""
    from PIL import Image

    if not module.check(payload):
        raise FormatError(f"payload is not {module.NAME} data")
    try:
        with Image.open(io.BytesIO(payload), formats=[module.FORMAT]) as im:
            return im.size
    except Image.DecompressionBombError as exc:  # max_pixels was raised past Pillow's own limit
        raise LimitError(f"{exc} (set PIL.Image.MAX_IMAGE_PIXELS to allow it)") from None
    except Exception as exc:  # Pillow raises many types for garbage
        raise FormatError(f"corrupted {module.NAME} payload: {exc}") from None


def decode(data: bytes, *, max_pixels: int | None = None, precision: str = "auto") -> np.ndarray:
    """Decode a srcodec file to uint8 HxWx3 (or HxW for a grey image) at its original size.

    The header names the model; its weights must be installed and match the header's digest.
    Raises `FormatError` (malformed or corrupted bytes), `LimitError` (over `max_pixels`,
    default `srcodec.MAX_PIXELS`), `UnknownModelError`, `WeightsError`,
    `CodecUnavailableError`, `ArgumentError` (`data` not bytes, bad `max_pixels`).
    Memory: the uint8 output plus one tile's working set (see `srcodec.inference`).
    `precision` ("auto", "float32" or "bfloat16") is the network's compute precision; "auto"
    is bfloat16 on CPUs that compute it natively (see `srcodec.inference`).
    """
    header, payload = container.unpack(_bytes(data))
    limit = MAX_PIXELS if max_pixels is None else _check_int("max_pixels", max_pixels, 1, 2**62)
    if header.width * header.height > limit:
        raise LimitError(
            f"image is {header.width}x{header.height} = {header.width * header.height} pixels, "
            f"over the limit of {limit} (raise max_pixels to allow it)"
        )
    record = zoo.get(header.model)
    if header.scale not in record.scales:
        raise UnknownModelError(f"model {record.id!r} serves scales {list(record.scales)}, not {header.scale}")
    if header.digest != record.digest:
        raise WeightsError(
            f"file was encoded for {record.id!r} weights {header.digest.hex() if header.digest else 'none'}, "
            f"installed weights are {record.digest.hex() if record.digest else 'none'}"
        )
    module = _codec(header.codec)
    lr_h, lr_w = resample.lr_size(header.height, header.width, header.scale)
    if _payload_size(payload, module) != (lr_w, lr_h):
        raise FormatError(f"payload size does not match the header ({lr_w}x{lr_h} expected)")
    try:
        lr = module.decode(payload)
    except encoders.EncoderError as exc:
        raise FormatError(f"corrupted {header.codec} payload: {exc}") from None
    if header.grey:
        lr = resample.as_grey(lr)
    elif lr.ndim == 2:
        raise FormatError("header says RGB but the payload is grey")
    if lr.shape[:2] != (lr_h, lr_w):
        raise FormatError(f"payload decoded to {lr.shape[1]}x{lr.shape[0]}, header says {lr_w}x{lr_h}")
    chroma = 0
    if header.codec == "jpeg":
        try:
            chroma = chroma_filter_radius(header.scale, *module.coding(payload))
        except encoders.EncoderError as exc:
            raise FormatError(f"corrupted {header.codec} payload: {exc}") from None
    return super_resolve(lr, header.scale, record, precision=precision, chroma_radius=chroma)[
        : header.height, : header.width
    ]


def restore(
    lr_image, *, scale: int, model: str = "auto", precision: str = "auto", alpha: str = "error"
) -> np.ndarray:
    """Super-resolve an already-small image `scale` times with a zoo model (no container).

    `lr_image` and `alpha` as for `encode`, `precision` as for `decode`. Returns uint8 HxWx3
    (HxW for grey input).
    """
    scale = _check_int("scale", scale, 1, container.MAX_SCALE)
    record = zoo.resolve(model, scale)
    return super_resolve(images.to_array(lr_image, alpha=alpha), scale, record, precision=precision)
