"""Quality and rate metrics, in the two protocols srcodec reports.

* paper protocol (the SR literature): Y channel as MATLAB's rgb2ycbcr computes it, rounded to
  uint8, with `crop` pixels shaved from every border (crop = scale).
* codec protocol (the compression literature): RGB over the whole image.

bpp is 8 x whole-file bytes / original pixel count, for srcodec and baselines alike.
"""

from __future__ import annotations

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


def _ssim_maps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel (SSIM, contrast-structure) of two float 2-D planes (Wang et al. 2004:
    Gaussian window sigma 1.5, population statistics, K1 0.01, K2 0.03; reflected borders)."""
    from scipy.ndimage import gaussian_filter

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda a: gaussian_filter(a, 1.5, truncate=3.5, mode="reflect")  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    cs = (2 * cov + c2) / (vx + vy + c2)
    return (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs, cs


def _planes(reference: np.ndarray, test: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Channel planes in float32: 1.7x faster than float64, and SSIM moves by under 1e-7."""
    reference, test = _pair(reference, test)
    if reference.ndim == 2:
        return [(reference.astype(np.float32), test.astype(np.float32))]
    return [(reference[..., c].astype(np.float32), test[..., c].astype(np.float32)) for c in range(reference.shape[2])]


def _ssim_mean(ssim_map: np.ndarray) -> float:
    """SSIM of a map: its mean away from the borders the window reflects over, as
    scikit-image's structural_similarity computes it (images under 11 pixels a side: the
    whole map)."""
    if min(ssim_map.shape) <= 2 * _WINDOW_RADIUS:
        return float(ssim_map.mean())
    return float(shave(ssim_map, _WINDOW_RADIUS).mean())


def _ms_ssim_plane(x: np.ndarray, y: np.ndarray, first: tuple[np.ndarray, np.ndarray]) -> float:
    levels = 1
    while levels < 5 and min(x.shape) >> levels >= 11:
        levels += 1
    weights = np.array(_MS_SSIM_WEIGHTS[:levels])
    weights /= weights.sum()
    terms = []
    for level in range(levels):
        ssim_map, cs_map = first if level == 0 else _ssim_maps(x, y)
        terms.append(float(np.mean(ssim_map if level == levels - 1 else cs_map)))
        h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
        x = x[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        y = y[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return float(np.prod(np.maximum(terms, 0.0) ** weights))


def ssim_y(reference: np.ndarray, test: np.ndarray, crop: int = 0) -> float:
    """Paper protocol SSIM on Y with `crop` border pixels removed."""
    reference, test = _pair(reference, test)
    return ssim_rgb(shave(luma(reference), crop), shave(luma(test), crop))


def ssim_rgb(reference: np.ndarray, test: np.ndarray) -> float:
    """Codec protocol SSIM: the mean over RGB channels of the whole image."""
    return float(np.mean([_ssim_mean(_ssim_maps(x, y)[0]) for x, y in _planes(reference, test)]))


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
    ssims, ms_ssims = [], []
    for x, y in _planes(reference, test):
        first = _ssim_maps(x, y)
        ssims.append(_ssim_mean(first[0]))
        ms_ssims.append(_ms_ssim_plane(x, y, first))
    return float(np.mean(ssims)), float(np.mean(ms_ssims))
