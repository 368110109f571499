"""The public functions: encode, decode, inspect, restore."""

from __future__ import annotations

import numbers
import os
import time
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
    TimeLimitError,
    UnknownModelError,
    WeightsError,
)
from srcodec.inference import chroma_filter_radius, super_resolve

# Decompression-bomb guard: encode, decode and restore refuse images with more pixels.
# Raise it per call with max_pixels=N, or for the process with srcodec.MAX_PIXELS = N.
MAX_PIXELS = 2**27  # 134 megapixels: a 16384 x 8192 image
# A JPEG payload with more scans is refused: libjpeg-turbo's progressive script writes 10 (6 for
# grey), and each scan re-reads the whole coefficient buffer, so a file that repeats one scan
# thousands of times decodes for minutes.
MAX_SCANS = encoders.jpeg.MAX_SCANS


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
    payload_crc: bool
    file_bytes: int
    header_bytes: int
    payload_bytes: int

    def as_dict(self) -> dict:
        return asdict(self)


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ArgumentError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


def _sampling(record: zoo.ModelRecord, seed, temperature) -> tuple[int | None, float | None]:
    """(seed, temperature) for `record`: defaults for a sampled model (seed 0, the record's
    temperature), None for a deterministic one (which refuses them)."""
    if not record.sampled:
        if seed is not None or temperature is not None:
            raise ArgumentError(f"seed and temperature apply to sampled models; {record.id!r} is deterministic")
        return None, None
    seed = 0 if seed is None else _check_int("seed", seed, 0, 2**32 - 1)
    if temperature is None:
        temperature = record.temperature
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or not 0.0 <= temperature <= 65.535:
        raise ArgumentError(f"temperature must be a number in 0..65.535, got {temperature!r}")
    return seed, round(float(temperature) * 1000) / 1000  # what the header can carry: thousandths


def _limit(max_pixels: object) -> int:
    return MAX_PIXELS if max_pixels is None else _check_int("max_pixels", max_pixels, 1, 2**62)


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
    scale: int | None = None,
    quality: int | None = None,
    model: str = "auto",
    codec: str = "jpeg",
    alpha: str = "error",
    seed: int | None = None,
    temperature: float | None = None,
    codec_options: dict | None = None,
    checksum: bool = False,
    max_pixels: int | None = None,
    metadata: str = "icc",
    target_bytes: int | None = None,
    target_bpp: float | None = None,
    target_psnr: float | None = None,
    target_ssim: float | None = None,
) -> bytes:
    """Shrink `image` by `scale` (default 2), code it with `codec` at `quality` (default 75), and
    wrap it in a srcodec file.

    `image`: numpy uint8/uint16 array (HxW, HxWx1..4), PIL image, or path (see
    `srcodec.images` for alpha, palette, CMYK and 16-bit handling). `model` names the zoo model
    that will decode the file ("auto": the default model for `scale`). `seed` and `temperature`
    apply to sampled models only. `codec_options` go to the inner codec (e.g. jpeg's
    ``progressive`` and ``subsampling``). `checksum` adds a CRC-32 of the payload to the
    header (4 bytes), so that `decode` detects corruption anywhere in the file, not only in the
    header. Images over `max_pixels` (default `srcodec.MAX_PIXELS`) are refused; a file's size
    is read from its headers before its pixels are decoded. `metadata`: what of a path's or PIL
    image's metadata the file carries in its payload (and counts in its size): "icc" (default)
    the ICC colour profile, "all" also EXIF (less the orientation, which is applied to the
    pixels) and XMP, "none" nothing; `srcodec.metadata` and `srcodec.open` give it back.

    Rate control: with one of `target_bytes` / `target_bpp` (the best restored PSNR whose whole
    file fits) or `target_psnr` / `target_ssim` (the fewest bytes whose decoded image reaches
    it), scale and quality are searched with the decoder in the loop (`scale` given: that scale
    only); `srcodec.choose` takes the same targets and also says what was chosen, how close to
    the target it landed and what the search cost. A target that cannot be met raises
    `TargetError` naming the nearest possible.

    Returns the file's bytes: with ``codec="jpeg"`` a valid JPEG of the small image.
    Raises `ArgumentError`, `ImageError`, `LimitError`, `UnknownModelError`,
    `CodecUnavailableError`.
    """
    targets = {"target_bytes": target_bytes, "target_bpp": target_bpp, "target_psnr": target_psnr,
               "target_ssim": target_ssim}
    if any(value is not None for value in targets.values()):
        if quality is not None:
            raise ArgumentError("give a quality or a target, not both: the target chooses the quality")
        from srcodec import ratecontrol

        return ratecontrol.choose(
            image, scales=None if scale is None else (scale,), model=model, codec=codec, alpha=alpha, seed=seed,
            temperature=temperature, codec_options=codec_options, checksum=checksum, max_pixels=max_pixels,
            metadata=metadata, **targets,
        ).data
    coder = _Encoder(image, 2 if scale is None else scale, model=model, codec=codec, alpha=alpha, seed=seed,
                     temperature=temperature, codec_options=codec_options, checksum=checksum, max_pixels=max_pixels,
                     metadata=metadata)
    return coder(75 if quality is None else quality)


class _Encoder:
    """Encodes one image at one scale at any quality: the small image is made once (rate
    control calls it at many qualities). Checks its arguments before any pixel work.
    `metadata`: a choice of `images.METADATA_CHOICES`, or the metadata itself (a dict)."""

    def __init__(self, image, scale: int, *, model: str = "auto", codec: str = "jpeg", alpha: str = "error",
                 seed=None, temperature=None, codec_options: dict | None = None, checksum: bool = False,
                 max_pixels: int | None = None, metadata: str | dict = "icc"):
        self.scale = _check_int("scale", scale, 1, container.MAX_SCALE)
        self.module = _codec(codec)
        if not isinstance(model, str):
            raise ArgumentError(f"model must be a model id string, got {model!r}")
        self.model, self.seed, self.temperature = model, seed, temperature
        self.options, self.checksum = codec_options or {}, checksum
        _sampling(self.record(None), seed, temperature)  # an unknown model or a bad seed fails before any pixel
        if isinstance(metadata, str):
            images.check_metadata_choice(metadata)
        self.pixels = pixels = images.to_array(image, alpha=alpha, max_pixels=_limit(max_pixels))
        self.metadata = images.metadata_of(image, metadata) if isinstance(metadata, str) else metadata
        lr_h, lr_w = resample.lr_size(pixels.shape[0], pixels.shape[1], self.scale)
        if max(lr_h, lr_w) > self.module.MAX_DIMENSION:
            raise ImageError(
                f"at scale {self.scale} the small image is {lr_w}x{lr_h}, over the {codec} limit of "
                f"{self.module.MAX_DIMENSION} pixels a side; use a larger scale or another codec"
            )
        self.small = resample.downsample(pixels, self.scale)

    def record(self, quality) -> zoo.ModelRecord:
        """The model that decodes files of `quality`: quality-limited defaults were measured on
        JPEG; for other codecs only full-range ones apply."""
        integral = isinstance(quality, numbers.Integral) and not isinstance(quality, bool)  # checked by the codec
        jpeg = self.module.NAME == "jpeg" and integral
        return zoo.resolve(self.model, self.scale, quality=int(quality) if jpeg else None)

    def __call__(self, quality: int) -> bytes:
        record = self.record(quality)
        seed, temperature = _sampling(record, self.seed, self.temperature)
        try:
            payload = self.module.encode(self.small, quality, metadata=self.metadata, **self.options)
        except encoders.BackendMissing as exc:
            raise CodecUnavailableError(str(exc)) from None
        except (encoders.EncoderError, TypeError) as exc:
            raise ArgumentError(f"{self.module.NAME}: {exc}") from None
        header = container.Header(
            scale=self.scale,
            width=self.pixels.shape[1],
            height=self.pixels.shape[0],
            model=record.id,
            codec=self.module.NAME,
            grey=self.pixels.ndim == 2,
            digest=record.digest,
            seed=seed,
            temperature=temperature,
            payload_crc=container.payload_crc(payload) if self.checksum else None,
        )
        return container.pack(header, payload)


BYTES_PER_PIXEL = 8  # a srcodec file is far smaller than this per output pixel (JPEG q100 4:4:4 noise: ~3.4)
SOURCES = "bytes, bytearray, memoryview, a path or a binary file object"


def read(source: object, max_pixels: int | None = None) -> bytes | bytearray | memoryview:
    """The bytes of a srcodec file given as bytes (returned as they are), a path (a regular
    file: a FIFO or a device would never end) or a binary file object (read from where it
    stands), never reading more than a file of `max_pixels` output pixels can hold (None:
    `srcodec.MAX_PIXELS`). Raises `LimitError` past that, `ArgumentError` for other types or a
    path that is not a regular file, `FileNotFoundError`."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return source
    limit = BYTES_PER_PIXEL * _limit(max_pixels) + 2**20
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.exists(path) and not os.path.isfile(path):
            raise ArgumentError(f"not a regular file: {path}")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    elif callable(getattr(source, "read", None)):
        data = source.read(limit + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise ArgumentError(f"the file object must be opened in binary mode: read() gave {type(data).__name__}")
    else:
        raise ArgumentError(f"a srcodec file must be {SOURCES}, got {type(source).__name__}")
    if len(data) > limit:
        raise LimitError(f"file is over {limit} bytes, more than a file of max_pixels pixels needs")
    return data


def _view(data: object) -> memoryview:
    """`data` as bytes without copying it."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ArgumentError(f"a srcodec file must be {SOURCES}, got {type(data).__name__}")
    return memoryview(data).cast("B")


def _open(data: object, max_pixels: int | None = None) -> tuple[container.Header, bytes | memoryview]:
    """The header and payload of a srcodec file, checked against each other from headers
    alone: the output may have at most `max_pixels` pixels (None: any number), the payload must
    be the header's codec, of the header's size, end where the file ends, and (JPEG) have at
    most `MAX_SCANS` scans. No pixel is decoded, and data past the payload's end is refused
    before the payload is copied. Raises `FormatError`, `LimitError`."""
    view = _view(data)
    jpeg_form = view[:4] == container.SOI + container.APP9  # the JPEG form is itself a JPEG
    probe = _probe(view, encoders.jpeg) if jpeg_form else None
    if probe is not None and probe.end != len(view):  # before unpack copies the payload out
        raise FormatError(f"{len(view) - probe.end} bytes of other data follow the jpeg payload's end")
    header, payload = container.unpack(view)
    images.check_pixels(header.width, header.height, max_pixels, "image")
    module = encoders.get(header.codec)
    if probe is None:
        probe = _probe(payload, module)
        if probe.end is not None and probe.end != len(payload):
            raise FormatError(f"{len(payload) - probe.end} bytes of other data follow the {header.codec} payload's end")
    lr_h, lr_w = resample.lr_size(header.height, header.width, header.scale)
    if (probe.width, probe.height) != (lr_w, lr_h):
        raise FormatError(f"payload is {probe.width}x{probe.height}, the header says {lr_w}x{lr_h}")
    if probe.scans > MAX_SCANS:
        raise LimitError(f"jpeg payload has {probe.scans} scans, over the limit of {MAX_SCANS}")
    return header, payload


def _probe(data, module) -> encoders.Probe:
    try:
        return module.probe(data)
    except encoders.EncoderError as exc:
        raise FormatError(f"corrupted {module.NAME} payload: {exc}") from None


def inspect(data) -> Info:
    """Read a srcodec file's header, and check its payload's headers against it, without
    decoding any pixels. `data`: the file's bytes, its path or a binary file object (see `read`).

    Raises `FormatError` (malformed bytes, data after the payload's end), `LimitError`
    (a JPEG payload of over `MAX_SCANS` scans, a file larger than any within
    `srcodec.MAX_PIXELS`), `ArgumentError` (another type).
    """
    data = read(data)
    header, payload = _open(data)
    lr_h, lr_w = resample.lr_size(header.height, header.width, header.scale)
    size = memoryview(data).nbytes
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
        payload_crc=header.payload_crc is not None,
        file_bytes=size,
        header_bytes=size - len(payload),
        payload_bytes=len(payload),
    )


def decode(
    data, *, max_pixels: int | None = None, precision: str = "auto", timeout: float | None = None
) -> np.ndarray:
    """Decode a srcodec file to uint8 HxWx3 (or HxW for a grey image) at its original size.
    `data`: the file's bytes, its path or a binary file object (see `read`).

    The header names the model; its weights must be installed and match the header's digest.
    Every check that the headers allow is made before any pixel is decoded (see `inspect`).
    `timeout` (seconds) bounds the whole decode: past it, `TimeLimitError` is raised between
    two tiles (so a server can refuse costly files cheaply with `max_pixels`, and bound the rest
    in time). Raises `FormatError` (malformed or corrupted bytes), `LimitError` (over
    `max_pixels`, default `srcodec.MAX_PIXELS`, or over `MAX_SCANS`), `TimeLimitError`,
    `UnknownModelError`, `WeightsError`, `CodecUnavailableError`, `ArgumentError` (`data` of
    another type, bad `max_pixels` or `timeout`), `FileNotFoundError`.
    Memory: the uint8 output plus one tile's working set (see `srcodec.inference`).
    `precision` ("auto", "float32" or "bfloat16") is the network's compute precision; "auto"
    is bfloat16 on CPUs that compute it natively (see `srcodec.inference`).
    """
    return _decode(data, max_pixels, precision, timeout)[0]


def _decode(data, max_pixels, precision, timeout) -> tuple[np.ndarray, container.Header, bytes | memoryview]:
    """`decode`'s work; also returns the file's header and payload, for callers that read more
    of the file (`open_image`) without opening it again."""
    started = time.monotonic()
    limit = _limit(max_pixels)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout > 0):
        raise ArgumentError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    header, payload = _open(read(data, limit), limit)
    record = zoo.get(header.model)
    if header.scale not in record.scales:
        raise UnknownModelError(f"model {record.id!r} serves scales {list(record.scales)}, not {header.scale}")
    if record.sampled != (header.seed is not None):
        raise FormatError(
            f"model {record.id!r} is {'sampled' if record.sampled else 'deterministic'}: its files "
            f"{'must' if record.sampled else 'cannot'} carry a seed and a temperature"
        )
    if header.digest != record.digest:
        raise WeightsError(
            f"file was encoded for {record.id!r} weights {header.digest.hex() if header.digest else 'none'}, "
            f"installed weights are {record.digest.hex() if record.digest else 'none'}"
        )
    module = _codec(header.codec)
    lr_h, lr_w = resample.lr_size(header.height, header.width, header.scale)
    try:
        lr = module.decode(payload)
    except encoders.EncoderError as exc:
        from PIL import Image

        if isinstance(exc.__cause__, Image.DecompressionBombError):  # max_pixels is over Pillow's own limit
            raise LimitError(f"{exc} (set PIL.Image.MAX_IMAGE_PIXELS to allow it)") from None
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
    deadline = None if timeout is None else started + timeout

    def check_time() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeLimitError(f"decoding took longer than the {timeout} s it was given")

    check_time()
    restored = super_resolve(
        lr, header.scale, record, precision=precision, chroma_radius=chroma, on_tile=check_time,
        seed=header.seed or 0, temperature=header.temperature,
    )
    return restored[: header.height, : header.width], header, payload


def metadata(data, *, max_pixels: int | None = None) -> dict:
    """The metadata a srcodec file carries (see `encode`'s `metadata`): a dict of Pillow's
    names ("icc_profile", "exif", "xmp") to bytes, empty when it carries none. Read from the
    payload's headers after `inspect`'s checks (a JPEG XL payload is decoded to read them).
    `data` as for `decode`."""
    return _payload_metadata(*_open(read(data, max_pixels), _limit(max_pixels)))


def _payload_metadata(header: container.Header, payload) -> dict:
    try:
        return _codec(header.codec).metadata(payload)
    except encoders.EncoderError as exc:
        raise FormatError(f"corrupted {header.codec} payload: {exc}") from None


def open_image(data, *, max_pixels: int | None = None, precision: str = "auto", timeout: float | None = None):
    """`decode` to a `PIL.Image` (mode RGB, or L for a grey image), with the file's metadata in
    its ``info`` (so that ``save`` writes the ICC profile back): ``srcodec.open(path)`` for
    Pillow users. Arguments as for `decode`; the file is read and checked once."""
    from PIL import Image

    pixels, header, payload = _decode(data, max_pixels, precision, timeout)
    image = Image.fromarray(pixels)
    image.info.update(_payload_metadata(header, payload))
    return image


def restore(
    lr_image,
    *,
    scale: int,
    model: str = "auto",
    precision: str = "auto",
    alpha: str = "error",
    max_pixels: int | None = None,
    seed: int | None = None,
    temperature: float | None = None,
) -> np.ndarray:
    """Super-resolve an already-small image `scale` times with a zoo model (no container).

    `lr_image` and `alpha` as for `encode`, `precision` as for `decode`, `seed` and
    `temperature` as for `encode` (sampled models only). The output may have at most
    `max_pixels` pixels (default `srcodec.MAX_PIXELS`; `LimitError`). Returns uint8 HxWx3
    (HxW for grey input).
    """
    scale = _check_int("scale", scale, 1, container.MAX_SCALE)
    limit = _limit(max_pixels)
    record = zoo.resolve(model, scale)
    seed, temperature = _sampling(record, seed, temperature)
    lr = images.to_array(lr_image, alpha=alpha, max_pixels=limit // scale**2)
    return super_resolve(lr, scale, record, precision=precision, seed=seed or 0, temperature=temperature)
