"""Resampling and colour: THE downsampler, bicubic upsampling, YCbCr, `degrade`, and the
guided filter that cleans coded chroma with restored luma.

`imresize` follows MATLAB's ``imresize(..., 'bicubic')`` (Keys cubic, a = -0.5; the kernel is
widened by 1/scale when shrinking, which is MATLAB's antialiasing; symmetric border handling),
because the SR papers make their low-resolution images with it and report numbers on it.

`degrade` is the one function that makes what a decoder receives: it is what `encode` writes
and what training pairs are made of.
"""

from __future__ import annotations

import math

import numpy as np

import encoders

# BT.601 as JPEG uses it (full range) ...
_RGB_TO_YCC = np.array(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]
)
_YCC_TO_RGB = np.linalg.inv(_RGB_TO_YCC)
# ... and MATLAB's rgb2ycbcr studio-range Y, which the papers' PSNR is computed on.
_STUDIO_Y = np.array([65.481, 128.553, 24.966]) / 255.0


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1) + (
        -0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0
    ) * ((ax > 1) & (ax <= 2))


def _contributions(in_len: int, out_len: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights (out_len x taps) and source indices for one axis, as MATLAB computes them."""
    width = 4.0
    if scale < 1:  # antialiasing: stretch the kernel over the input
        kernel = lambda x: scale * _cubic(scale * x)  # noqa: E731
        width /= scale
    else:
        kernel = _cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - width / 2.0)
    taps = int(math.ceil(width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]
    weights = kernel(u[:, None] - indices)
    weights /= weights.sum(axis=1, keepdims=True)
    # symmetric padding: index -1 maps to 0, in_len to in_len - 1, and so on
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    indices = mirror[np.mod(indices.astype(np.int64) - 1, 2 * in_len)]
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], indices[:, keep]


def _resize_axis(x: np.ndarray, axis: int, out_len: int, scale: float) -> np.ndarray:
    weights, indices = _contributions(x.shape[axis], out_len, scale)
    weights = weights.astype(x.dtype)
    moved = np.moveaxis(x, axis, 0)
    shape = (out_len,) + (1,) * (moved.ndim - 1)
    out = np.zeros((out_len,) + moved.shape[1:], dtype=x.dtype)
    for tap in range(weights.shape[1]):  # one gather per tap keeps memory at one output
        out += weights[:, tap].reshape(shape) * moved[indices[:, tap]]
    return np.moveaxis(out, 0, axis)


def imresize(image: np.ndarray, scale: float) -> np.ndarray:
    """Resize HxW or HxWxC by `scale` with MATLAB's bicubic; returns float (no rounding).

    float64 input is computed in float64 (paper checks); anything else in float32.
    Output size is ceil(input size * scale), as in MATLAB.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    dtype = np.float64 if image.dtype == np.float64 else np.float32
    x = image.astype(dtype, copy=False)
    if scale == 1:
        return x.copy()
    height = int(math.ceil(image.shape[0] * scale - 1e-9))
    width = int(math.ceil(image.shape[1] * scale - 1e-9))
    x = _resize_axis(x, 0, height, scale)
    return _resize_axis(x, 1, width, scale)


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Round half up and clip to 0..255, as MATLAB's uint8() does."""
    return np.clip(np.floor(np.asarray(x) + 0.5), 0, 255).astype(np.uint8)


def pad_to_multiple(image: np.ndarray, scale: int) -> np.ndarray:
    """Replicate the last row/column so height and width divide by `scale`."""
    pad_h = -image.shape[0] % scale
    pad_w = -image.shape[1] % scale
    if not (pad_h or pad_w):
        return image
    pad = [(0, pad_h), (0, pad_w)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, pad, mode="edge")


def lr_size(height: int, width: int, scale: int) -> tuple[int, int]:
    """Size of the low-resolution image that an HxW image is shrunk to."""
    return -(-height // scale), -(-width // scale)


def downsample(hr: np.ndarray, scale: int) -> np.ndarray:
    """THE downsampler: uint8 HxW(xC) -> uint8 ceil(H/scale) x ceil(W/scale) (x C).

    Sizes that do not divide are padded by edge replication first, so low-res pixel i still
    covers high-res pixels [i*scale, (i+1)*scale).
    """
    if scale == 1:
        return np.array(hr, dtype=np.uint8, copy=True)
    return to_uint8(imresize(pad_to_multiple(hr, scale), 1.0 / scale))


def upsample(lr: np.ndarray, scale: int) -> np.ndarray:
    """MATLAB-style bicubic upsampling by an integer factor; returns float, unrounded."""
    return imresize(lr, float(scale))


def compress(hr: np.ndarray, scale: int, codec: str = "jpeg", quality: int = 75, **options) -> bytes:
    """Shrink `hr` with THE downsampler and code it: the payload `encode` stores."""
    return encoders.get(codec).encode(downsample(hr, scale), quality, **options)


def degrade(hr: np.ndarray, scale: int, codec: str | None = "jpeg", quality: int = 75, **options) -> np.ndarray:
    """What a decoder receives for `hr`: shrunk by `scale`, then coded and decoded.

    ``codec=None`` gives the clean bicubic low-res image (the papers' protocol).
    """
    if codec is None:
        return downsample(hr, scale)
    decoded = encoders.get(codec).decode(compress(hr, scale, codec, quality, **options))
    return as_grey(decoded) if hr.ndim == 2 else decoded


def as_grey(image: np.ndarray) -> np.ndarray:
    """A grey image as HxW uint8: codecs without a grey mode (WebP, AVIF) decode grey to RGB."""
    return to_uint8(rgb_to_ycbcr(image)[..., 0]) if image.ndim == 3 else image


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A grey HxW image as HxWx3 (for code that handles RGB only); RGB images as they are."""
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """RGB (0..255) -> full-range YCbCr (0..255, chroma centred on 128), as JPEG codes it."""
    ycc = np.asarray(rgb, dtype=np.float32) @ _RGB_TO_YCC.T.astype(np.float32)
    ycc[..., 1:] += 128.0
    return ycc


def ycbcr_to_rgb(ycc: np.ndarray) -> np.ndarray:
    """Full-range YCbCr -> RGB float (0..255 before rounding)."""
    x = np.array(ycc, dtype=np.float32)
    x[..., 1:] -= 128.0
    return x @ _YCC_TO_RGB.T.astype(np.float32)


def rgb_to_y_studio(rgb: np.ndarray) -> np.ndarray:
    """MATLAB rgb2ycbcr's Y (16..235) of uint8 RGB, float64 and unrounded."""
    return 16.0 + np.asarray(rgb, dtype=np.float64) @ _STUDIO_Y


CHROMA_EPS = 16.0  # guided filter regulariser, in (0..255 luma)^2: edges under ~4 grey levels are smoothed


def refine_chroma(ycc: np.ndarray, radius: int, eps: float = CHROMA_EPS) -> np.ndarray:
    """Guided filter (He, Sun & Tang, TPAMI 2013) of the chroma of float HxWx3 YCbCr, with its
    luma as the guide; returns a new array, luma unchanged.

    In each (2 radius + 1)^2 window chroma is fitted as a linear function of luma, and the
    fits are averaged: chroma follows the (restored) luma's edges, and JPEG's chroma blocking
    and ringing, which luma does not share, are smoothed away. An output pixel depends on
    input pixels up to 2 radius away (borders reflected).
    """
    import cv2

    def mean(a):
        return cv2.boxFilter(a, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)

    out = np.array(ycc, dtype=np.float32, copy=True)
    y = np.ascontiguousarray(out[..., 0])
    mean_y = mean(y)
    var_y = mean(y * y) - mean_y * mean_y
    for c in (1, 2):
        p = np.ascontiguousarray(out[..., c])
        mean_p = mean(p)
        a = (mean(y * p) - mean_y * mean_p) / (var_y + eps)
        out[..., c] = mean(a) * y + mean(mean_p - a * mean_y)
    return out
