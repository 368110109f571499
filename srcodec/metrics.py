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


def _ssim(reference: np.ndarray, test: np.ndarray, channel_axis) -> float:
    from skimage.metrics import structural_similarity

    # Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, population statistics.
    return float(
        structural_similarity(
            reference,
            test,
            data_range=255,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            channel_axis=channel_axis,
        )
    )


def ssim_y(reference: np.ndarray, test: np.ndarray, crop: int = 0) -> float:
    """Paper protocol SSIM on Y with `crop` border pixels removed."""
    reference, test = _pair(reference, test)
    return _ssim(shave(luma(reference), crop), shave(luma(test), crop), None)


def ssim_rgb(reference: np.ndarray, test: np.ndarray) -> float:
    """Codec protocol SSIM: the mean over RGB channels of the whole image."""
    reference, test = _pair(reference, test)
    return _ssim(reference, test, 2 if reference.ndim == 3 else None)


def bpp(file_bytes: int, shape: tuple[int, ...]) -> float:
    """Bits per pixel: 8 x whole-file bytes / pixels of the original image."""
    return 8.0 * file_bytes / (shape[0] * shape[1])
