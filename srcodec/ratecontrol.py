"""Rate control: the scale and quality that meet a budget or a quality target, per image.

Users think in budgets ("this image in 20 KB") or in quality ("at least 32 dB in as few bytes
as possible"); which scale wins differs from image to image, because a network's gain does.
`choose` searches both with the decoder in the loop, so the choice is judged on exactly what
the receiver will see:

* a byte budget (`target_bytes`, `target_bpp`): per scale, the highest quality whose whole file
  fits (bisection over cheap encodes of the small image, made once per scale); then one decode
  per scale that fits, and the best PSNR wins. Cost: at most one network decode per scale.
* a quality target (`target_psnr`, `target_ssim`): scales from the largest (smallest files)
  down; per scale, the lowest quality whose decode reaches the target (bisection over decodes),
  searched only below the size of the best file found so far, so a scale that cannot beat it
  costs one decode. Cost: about 8 decodes for the first scale that reaches the target, 1-8 for
  each other.

PSNR and SSIM are the codec protocol's (`srcodec.metrics`: RGB, or grey for grey images).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

from srcodec import api, images, metrics
from srcodec.errors import ArgumentError, TargetError, UnknownModelError

SCALES = (1, 2, 3, 4)  # searched when the caller names none
QUALITIES = (1, 100)  # the inner codecs' common quality range


@dataclass(frozen=True)
class Choice:
    """What `choose` picked, how it scores and what the search cost."""

    data: bytes = field(repr=False)  # the srcodec file
    scale: int
    quality: int
    model: str
    width: int
    height: int
    psnr: float  # of the decoded image against the input (dB)
    ssim: float
    target: str  # "bytes", "psnr" or "ssim"
    goal: float  # the target's value (bytes for a byte or bpp budget)
    decodes: int  # network decodes the search ran
    seconds: float
    tried: tuple[tuple[int, int, int, float, float], ...] = field(repr=False)  # (scale, quality, bytes, psnr, ssim)

    @property
    def bytes(self) -> int:
        return len(self.data)

    @property
    def bpp(self) -> float:
        return metrics.bpp(len(self.data), (self.height, self.width))

    @property
    def achieved(self) -> float:
        """The target's measure of the result: bytes, PSNR or SSIM."""
        return {"bytes": len(self.data), "psnr": self.psnr, "ssim": self.ssim}[self.target]


def _target(target_bytes, target_bpp, target_psnr, target_ssim, pixels: int) -> tuple[str, float]:
    given = {k: v for k, v in {"target_bytes": target_bytes, "target_bpp": target_bpp, "target_psnr": target_psnr,
                               "target_ssim": target_ssim}.items() if v is not None}
    if len(given) != 1:
        raise ArgumentError(f"give exactly one of target_bytes, target_bpp, target_psnr, target_ssim; got {sorted(given)}")
    (name, value), = given.items()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ArgumentError(f"{name} must be a positive number, got {value!r}")
    if name == "target_bytes":
        if not isinstance(value, numbers.Integral):
            raise ArgumentError(f"target_bytes must be an integer, got {value!r}")
        return "bytes", int(value)
    if name == "target_bpp":
        return "bytes", math.floor(value * pixels / 8)
    if name == "target_ssim" and value > 1:
        raise ArgumentError(f"target_ssim must be in (0, 1], got {value!r}")
    return name.removeprefix("target_"), float(value)


def choose(
    image,
    *,
    target_bytes: int | None = None,
    target_bpp: float | None = None,
    target_psnr: float | None = None,
    target_ssim: float | None = None,
    scales: tuple[int, ...] | None = None,
    model: str = "auto",
    codec: str = "jpeg",
    alpha: str = "error",
    seed: int | None = None,
    temperature: float | None = None,
    codec_options: dict | None = None,
    checksum: bool = False,
    max_pixels: int | None = None,
    metadata: str = "icc",
    precision: str = "auto",
) -> Choice:
    """Encode `image` to meet exactly one target (see the module's docstring for the search).

    `target_bytes` / `target_bpp`: the best PSNR whose whole file is at most that size.
    `target_psnr` (dB) / `target_ssim`: the fewest bytes whose decoded image reaches it.
    `scales` (default 1-4, those `model` serves) bound the search; the other arguments are
    `encode`'s. Raises `TargetError` (naming the nearest file possible) when no setting meets
    the target, and what `encode` and `decode` raise.
    """
    images.check_metadata_choice(metadata)
    pixels = images.to_array(image, alpha=alpha, max_pixels=api._limit(max_pixels))
    carried = images.metadata_of(image, metadata)
    kind, goal = _target(target_bytes, target_bpp, target_psnr, target_ssim, pixels.shape[0] * pixels.shape[1])
    started = time.monotonic()
    reference = metrics.Reference(pixels)
    coders = []
    for scale in scales or SCALES:
        try:
            coders.append(api._Encoder(pixels, scale, model=model, codec=codec, seed=seed, temperature=temperature,
                                       codec_options=codec_options, checksum=checksum, metadata=carried))
        except UnknownModelError:
            if scales:  # the caller asked for this scale
                raise
    if not coders:
        raise UnknownModelError(f"model {model!r} serves none of the scales {list(SCALES)}")
    tried: dict[tuple[int, int], tuple[bytes, float, float]] = {}

    def score(coder, quality: int, data: bytes | None = None) -> tuple[bytes, float, float]:
        key = (coder.scale, quality)
        if key not in tried:
            data = data if data is not None else coder(quality)
            decoded = api.decode(data, max_pixels=pixels.shape[0] * pixels.shape[1], precision=precision)
            ssim, _ = reference.ssim_and_ms_ssim(decoded)
            tried[key] = (data, reference.psnr_rgb(decoded), ssim)
        return tried[key]

    if kind == "bytes":
        best = _within_budget(coders, int(goal), score)
    else:
        best = _reaching(coders, kind, goal, score)
    (scale, quality), (data, psnr, ssim) = best
    return Choice(
        data=data, scale=scale, quality=quality, model=api.inspect(data).model, width=pixels.shape[1],
        height=pixels.shape[0], psnr=psnr, ssim=ssim, target=kind, goal=goal, decodes=len(tried),
        seconds=time.monotonic() - started,
        tried=tuple((s, q, len(data), p, m) for (s, q), (data, p, m) in tried.items()),
    )


def _within_budget(coders, budget: int, score):
    import encoders

    candidates = []
    smallest = None
    for coder in coders:
        fitted = encoders.fit_budget(coder, budget, *QUALITIES)
        if fitted is None:
            size = len(coder(QUALITIES[0]))
            if smallest is None or size < smallest[0]:
                smallest = (size, coder.scale)
            continue
        quality, data = fitted
        candidates.append(((coder.scale, quality), score(coder, quality, data)))
    if not candidates:
        size, scale = smallest
        raise TargetError(f"no file fits {budget} bytes: the smallest is {size} bytes (scale {scale}, quality "
                          f"{QUALITIES[0]})")
    return max(candidates, key=lambda c: (c[1][1], -len(c[1][0])))


def _reaching(coders, kind: str, goal: float, score):
    import encoders

    index = 1 if kind == "psnr" else 2
    best = None
    nearest = None  # (score, scale, quality, bytes) of the best score seen, for the error
    for coder in sorted(coders, key=lambda c: -c.scale):
        high = QUALITIES[1]
        if best is not None:  # only files smaller than the best so far can win
            fitted = encoders.fit_budget(coder, len(best[1][0]) - 1, *QUALITIES)
            if fitted is None:
                continue
            high = fitted[0]
        top = score(coder, high)
        if nearest is None or top[index] > nearest[0]:
            nearest = (top[index], coder.scale, high, len(top[0]))
        if top[index] < goal:
            continue
        low, found = QUALITIES[0], high  # invariant: `found` reaches the goal
        high -= 1
        while low <= high:
            mid = (low + high) // 2
            if score(coder, mid)[index] >= goal:
                found, high = mid, mid - 1
            else:
                low = mid + 1
        best = ((coder.scale, found), score(coder, found))
    if best is None:
        value, scale, quality, size = nearest
        unit = " dB" if kind == "psnr" else ""
        raise TargetError(f"{kind.upper()} {goal:g}{unit} is out of reach: the best is {value:.4g}{unit} "
                          f"(scale {scale}, quality {quality}, {size} bytes)")
    return best
