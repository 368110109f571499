"""Super-resolution of one decoded low-resolution image with a zoo model.

The whole restoration (bicubic upsampling, colour conversion, the network) runs tile by tile
into a preallocated uint8 output, so memory is bounded by the tile size, not the image size.
Each tile is cut from the low-resolution image with a margin that covers the bicubic kernel
(2 pixels), the network's reach (half its receptive field) and the chroma filter's, so every
kept output pixel is computed from exactly the inputs a whole-image pass would use: tiled
output equals untiled output to within float rounding (at most one grey level after rounding).

Chroma: Y models restore luma only; chroma is bicubic upsampled, and when `decode` passes a
`chroma_radius` (see `chroma_filter_radius`), cleaned by a guided filter on the restored luma
(`resample.refine_chroma`).

Precision: networks run in bfloat16 where the CPU computes it natively (AVX-512 BF16 or
AMX), float32 elsewhere; ``SRCODEC_PRECISION=float32`` (or ``bfloat16``) overrides, as does
the `precision` argument. bfloat16 is about 1.9x faster here (VDSR 0.33 -> 0.64 MP/s) and moves RGB-PSNR by less
than 0.002 dB on average (`python -m benchmarks.speed` measures both).
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from srcodec import nets, resample, zoo
from srcodec.errors import ArgumentError

TILE = 512  # output pixels per tile side, margin excluded
BICUBIC_REACH = 3  # low-res pixels an upsampled pixel depends on, each side (2, plus one spare)
PRECISIONS = ("auto", *nets.PRECISIONS)


CHROMA_MAX_QUALITY = 80  # above it the filter blurs more chroma detail than it removes artifacts


def chroma_filter_radius(scale: int, subsampling: int | None, quality: int) -> int:
    """Radius of the chroma filter for a JPEG payload whose chroma is `subsampling` times
    coarser than its luma (None: grey) at `quality`; 0 means no filter.

    Chosen on 20 BSD200 images (the training set), JPEG q10-95, scales 1-4, 4:2:0 and 4:4:4:
    radius scale x subsampling raised RGB-PSNR at every setting up to quality 80, by +0.02 to
    +0.24 dB; at q90 it cost up to 0.3 dB, at q95 up to 2 dB (scale 1), so it stops at 80.
    """
    if subsampling is None or quality > CHROMA_MAX_QUALITY:
        return 0
    return scale * subsampling


@functools.cache
def _native_bfloat16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(precision: str = "auto") -> str:
    """The compute precision "auto" stands for on this machine (see the module docstring)."""
    if precision not in PRECISIONS:
        raise ArgumentError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        precision = os.environ.get("SRCODEC_PRECISION") or ("bfloat16" if _native_bfloat16() else "float32")
        if precision not in PRECISIONS[1:]:
            raise ArgumentError(f"SRCODEC_PRECISION must be one of {PRECISIONS[1:]}, got {precision!r}")
    return precision


def _forward(net):
    """`net`'s compiled forward pass, safe to call from many threads at once on one network.

    TensorFlow: Keras' ``predict_on_batch``. JAX: not that, which is not thread-safe there (its
    jitted step donates the variables' buffers and writes new ones back, so a concurrent call
    meets "Buffer has been deleted or donated"); instead a ``jax.jit`` of ``stateless_call`` on
    the variables' current values (read at each call: training validates a changing network),
    which donates nothing. Compiled once per network and input shape, as predict_on_batch is.
    """
    forward = net.__dict__.get("_srcodec_forward")
    if forward is None:
        import keras

        if keras.backend.backend() != "jax":
            forward = net.predict_on_batch
        else:
            import jax

            step = jax.jit(lambda trainable, frozen, x: net.stateless_call(trainable, frozen, x, training=False)[0])

            def forward(x):
                return step([v.value for v in net.trainable_variables], [v.value for v in net.non_trainable_variables], x)

        object.__setattr__(net, "_srcodec_forward", forward)  # not a Keras-tracked attribute
    return forward


def run_net(net, x: np.ndarray) -> np.ndarray:
    """Apply `net` to one float HxWxC array; returns float32 numpy.

    Through Keras' compiled predict function (a graph on TensorFlow, jit on JAX), not eagerly:
    the graph fuses each convolution with its bias and ReLU. VDSR on a 481x321 image here:
    0.330 s eager -> 0.218 s compiled (bfloat16), 0.541 -> 0.420 s (float32).

    A network with an ``input_multiple`` m > 1 (one that folds its input by pixel-unshuffle)
    gets `x` padded by edge replication to a multiple of m on each side, and its output is
    cropped back to `x`'s size times the network's scale.
    """
    m = getattr(net, "input_multiple", 1)
    h, w = x.shape[:2]
    pad = (-h % m, -w % m)
    if any(pad):
        x = np.pad(x, ((0, pad[0]), (0, pad[1])) + ((0, 0),) * (x.ndim - 2), mode="edge")
    out = np.asarray(_forward(net)(x[None]), dtype=np.float32)[0]
    s = out.shape[0] // x.shape[0]
    return out[: h * s, : w * s]


def _restore(
    lr: np.ndarray, scale: int, record: zoo.ModelRecord, net, upsampled: bool, chroma_radius: int, draw: dict | None
) -> np.ndarray:
    """Restore one (small) uint8 image; see `super_resolve`. `draw`: for sampled models, the
    keyword arguments of their ``sample`` (seed, temperature, and the tile's output origin)."""
    if net is None:
        return resample.to_uint8(resample.upsample(lr, scale))
    if record.colour == "y":
        if lr.ndim == 2:
            y = run_net(net, resample.upsample(lr, scale)[..., None] / 255.0)
            return resample.to_uint8(y[..., 0] * 255.0)
        up = resample.upsample(resample.rgb_to_ycbcr(lr), scale)
        up[..., :1] = run_net(net, up[..., :1] / 255.0) * 255.0
        if chroma_radius:
            up = resample.refine_chroma(up, chroma_radius)
        return resample.to_uint8(resample.ycbcr_to_rgb(up))
    rgb = resample.as_rgb(lr)
    x = resample.upsample(rgb, scale) if upsampled else rgb.astype(np.float32)
    if draw is not None:  # sampled: uint8 levels drawn pixel by pixel (see nets.sampling)
        out = np.asarray(net.sample((x / 255.0)[None], **draw), np.float32)[0] * 255.0
    else:
        out = run_net(net, x / 255.0) * 255.0
    if lr.ndim == 2:
        return resample.to_uint8(resample.rgb_to_ycbcr(out)[..., 0])
    return resample.to_uint8(out)


def super_resolve(
    lr: np.ndarray,
    scale: int,
    record: zoo.ModelRecord,
    *,
    tile: int = TILE,
    precision: str = "auto",
    chroma_radius: int = 0,
    on_tile=None,
    seed: int = 0,
    temperature: float | None = None,
) -> np.ndarray:
    """Restore uint8 `lr` (HxW grey or HxWx3 RGB) `scale` times larger with `record`'s model.

    The output has the layout of the input. Y models restore luma with the network, and
    chroma by bicubic upsampling, then the guided filter of `chroma_radius` (0: none); RGB
    models restore all channels (grey input is run as RGB and its luma kept). `tile` is the
    output tile side in pixels; `precision` one of PRECISIONS. `on_tile()`, when given, is
    called before each tile (and may raise to stop the work, e.g. past a deadline).
    Sampled models draw with `seed` and `temperature` (None: the record's default), always in
    float32 (bfloat16 would flip draws between CPUs); their draws depend on absolute output
    positions, so tiles give the pixels the whole image would.
    """
    precision = "float32" if record.sampled else resolve_precision(precision)
    net, upsampled = None, True
    reach = BICUBIC_REACH
    if record.family == "bicubic" or record.colour != "y" or lr.ndim == 2:
        chroma_radius = 0
    if record.family != "bicubic":
        net, upsampled = zoo.load(record, precision), nets.facts(record.family).input_space == "upsampled"
        radius = net.receptive_field // 2  # in the network's input pixels
        reach += math.ceil(radius / scale) if upsampled else radius
    reach += math.ceil(2 * chroma_radius / scale)  # the filter's reach: 2 radii of output pixels
    # a network that folds its input by m needs every tile to start on the whole image's m-grid
    m = getattr(net, "input_multiple", 1) if not upsampled else 1
    reach = -(-reach // m) * m
    h, w = lr.shape[:2]
    s = scale
    out = np.empty((h * s, w * s) + lr.shape[2:], np.uint8)
    step = -(-max(1, tile // s) // m) * m
    for top in range(0, h, step):
        for left in range(0, w, step):
            if on_tile is not None:
                on_tile()
            bottom, right = min(top + step, h), min(left + step, w)
            t0, l0 = max(top - reach, 0), max(left - reach, 0)
            t1, l1 = min(bottom + reach, h), min(right + reach, w)
            draw = None
            if record.sampled:
                t = record.temperature if temperature is None else temperature
                draw = {"seed": seed, "temperature": t, "origin": (t0 * s, l0 * s)}
            restored = _restore(lr[t0:t1, l0:l1], s, record, net, upsampled, chroma_radius, draw)
            out[top * s : bottom * s, left * s : right * s] = restored[
                (top - t0) * s : (bottom - t0) * s, (left - l0) * s : (right - l0) * s
            ]
    return out
