"""Quality and rate metrics, in the two protocols srcodec reports.

* paper protocol (the SR literature): Y channel as MATLAB's rgb2ycbcr computes it, rounded to
  uint8, with `crop` pixels shaved from every border (crop = scale).
* codec protocol (the compression literature): RGB over the whole image.

bpp is 8 x whole-file bytes / original pixel count, for srcodec and baselines alike.
"""

from __future__ import annotations

import functools

import numpy as np

from srcodec import resample


def _pair(reference: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference, test = np.asarray(reference), np.asarray(test)
    if reference.shape != test.shape:
        raise ValueError(f"images differ in shape: {reference.shape} vs {test.shape}")
    return reference, test


def _psnr(reference: np.ndarray, test: np.ndarray) -> float:
    mse = np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def luma(rgb: np.ndarray) -> np.ndarray:
    """uint8 studio-range Y of RGB (grey images are returned as they are)."""
    rgb = np.asarray(rgb)
    return rgb if rgb.ndim == 2 else resample.to_uint8(resample.rgb_to_y_studio(rgb))


def shave(image: np.ndarray, crop: int) -> np.ndarray:
    return image[crop:-crop, crop:-crop] if crop else image


def psnr_rgb(reference: np.ndarray, test: np.ndarray) -> float:
    """Codec protocol: PSNR (dB) over all channels and pixels of uint8 images."""
    return _psnr(*_pair(reference, test))


def psnr_y(reference: np.ndarray, test: np.ndarray, crop: int = 0) -> float:
    """Paper protocol: PSNR (dB) of the Y channel with `crop` border pixels removed."""
    reference, test = _pair(reference, test)
    return _psnr(shave(luma(reference), crop), shave(luma(test), crop))


_WINDOW_RADIUS = 5  # 11x11 Gaussian window (sigma 1.5, truncated at 3.5 sigma)
_MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang, Simoncelli, Bovik 2003
_C1, _C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
_OFFSET = np.float32(127.5)  # planes are centred on zero (see `_channels`)
_KERNEL = np.exp(-0.5 * (np.arange(-_WINDOW_RADIUS, _WINDOW_RADIUS + 1) / 1.5) ** 2)
_KERNEL = (_KERNEL / _KERNEL.sum()).astype(np.float32)  # scikit-image's (scipy's) window, 1-D


def _blur(a: np.ndarray) -> np.ndarray:
    """The Gaussian window over a float32 plane, borders reflected as scipy's "reflect" mode
    (``cba|abc``). OpenCV's separable filter: 11x faster than scipy.ndimage.gaussian_filter on
    a 481x321 plane here (0.19 vs 2.0 ms), agreeing to within float32 rounding."""
    import cv2

    return cv2.sepFilter2D(a, -1, _KERNEL, _KERNEL, borderType=cv2.BORDER_REFLECT)


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plane, local mean, local variance) of a float plane: the reference's side of SSIM."""
    mx = _blur(x)
    return x, mx, _blur(x * x) - mx * mx


def _ssim_maps(moments: tuple, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel (SSIM, contrast-structure) of a plane given by its `_moments` against plane `y`
    (Wang et al. 2004: Gaussian window sigma 1.5, population statistics, K1 0.01, K2 0.03;
    reflected borders)."""
    x, mx, vx = moments
    my = _blur(y)
    vy, cov = _blur(y * y) - my * my, _blur(x * y) - mx * my
    cs = (2 * cov + _C2) / (vx + vy + _C2)
    mx, my = mx + _OFFSET, my + _OFFSET
    return (2 * mx * my + _C1) / (mx * mx + my * my + _C1) * cs, cs


def _channels(image: np.ndarray) -> list[np.ndarray]:
    """Channel planes in float32 (2x faster than float64), shifted by -127.5: the variances
    E[x^2] - E[x]^2 then cancel 4x smaller squares, and SSIM stays within 4e-7 of scikit-image's
    float64 computation (within 7e-7 unshifted)."""
    image = np.asarray(image)
    planes = [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]
    return [np.subtract(p, _OFFSET, dtype=np.float32) for p in planes]


def _ssim_mean(ssim_map: np.ndarray) -> float:
    """SSIM of a map: its mean away from the borders the window reflects over, as
    scikit-image's structural_similarity computes it (images under 11 pixels a side: the
    whole map)."""
    if min(ssim_map.shape) <= 2 * _WINDOW_RADIUS:
        return float(ssim_map.mean())
    return float(shave(ssim_map, _WINDOW_RADIUS).mean())


def _halve(x: np.ndarray) -> np.ndarray:
    """2x2 average pooling (an odd last row or column is dropped)."""
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    return x[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def _pyramid(x: np.ndarray) -> list[tuple]:
    """`_moments` of a plane at each MS-SSIM scale: five, or as many as keep 11 pixels a side."""
    size, levels = min(x.shape), [_moments(x)]
    while len(levels) < 5 and size >> len(levels) >= 11:
        x = _halve(x)
        levels.append(_moments(x))
    return levels


def _ssim_and_ms_ssim_plane(pyramid: list[tuple], y: np.ndarray) -> tuple[float, float]:
    weights = np.array(_MS_SSIM_WEIGHTS[: len(pyramid)])
    weights /= weights.sum()
    terms = []
    for level, moments in enumerate(pyramid):
        if level:
            y = _halve(y)
        ssim_map, cs_map = _ssim_maps(moments, y)
        if level == 0:
            ssim = _ssim_mean(ssim_map)
        terms.append(float(np.mean(ssim_map if level == len(pyramid) - 1 else cs_map)))
    return ssim, float(np.prod(np.maximum(terms, 0.0) ** weights))


class Reference:
    """A reference image prepared for scoring many decodings of it (the benchmark sweep scores
    each image some 170 times): its luma and, per channel and MS-SSIM scale, the local means
    and variances SSIM needs are computed once, which saves 2 of the 5 Gaussian blurs of every
    SSIM map. Scores are exactly those of the module's functions."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = np.asarray(image)
        self._pyramids = [_pyramid(x) for x in _channels(self.image)]

    @functools.cached_property
    def luma(self) -> np.ndarray:
        return luma(self.image)

    def psnr_rgb(self, test: np.ndarray) -> float:
        return _psnr(*_pair(self.image, test))

    def psnr_y(self, test: np.ndarray) -> float:
        _pair(self.image, test)
        return _psnr(self.luma, luma(test))

    def ssim_and_ms_ssim(self, test: np.ndarray) -> tuple[float, float]:
        """(`ssim_rgb`, `ms_ssim`) of `test` against this reference."""
        _pair(self.image, test)
        both = [_ssim_and_ms_ssim_plane(p, y) for p, y in zip(self._pyramids, _channels(test))]
        ssims, ms_ssims = zip(*both)
        return float(np.mean(ssims)), float(np.mean(ms_ssims))


def ssim_y(reference: np.ndarray, test: np.ndarray, crop: int = 0) -> float:
    """Paper protocol SSIM on Y with `crop` border pixels removed."""
    reference, test = _pair(reference, test)
    return ssim_rgb(shave(luma(reference), crop), shave(luma(test), crop))


def ssim_rgb(reference: np.ndarray, test: np.ndarray) -> float:
    """Codec protocol SSIM: the mean over RGB channels of the whole image."""
    reference, test = _pair(reference, test)
    maps = [_ssim_maps(_moments(x), y)[0] for x, y in zip(_channels(reference), _channels(test))]
    return float(np.mean([_ssim_mean(m) for m in maps]))


def bpp(file_bytes: int, shape: tuple[int, ...]) -> float:
    """Bits per pixel: 8 x whole-file bytes / pixels of the original image."""
    return 8.0 * file_bytes / (shape[0] * shape[1])


def ms_ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """Multi-scale SSIM (five scales, 2x2 average pooling between them), the mean over RGB
    channels. Images too small for five scales use as many as fit (each at least 11 pixels),
    with the weights renormalised."""
    return ssim_and_ms_ssim(reference, test)[1]


def ssim_and_ms_ssim(reference: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """(`ssim_rgb`, `ms_ssim`) computed together: they share the full-resolution statistics."""
    return Reference(reference).ssim_and_ms_ssim(test)
