"""The README's demo: code scikit-image's sample photos with srcodec and with plain JPEG at
the same number of bytes, decode both, and compare the pictures."""

from __future__ import annotations

import time

import numpy as np

import encoders
from srcodec import api, metrics, zoo

SAMPLES = ("astronaut", "chelsea", "coffee")
SETTINGS = ((2, 30), (2, 60), (2, 90), (1, 50))  # (scale, quality)


def sample_images(names=SAMPLES) -> dict[str, np.ndarray]:
    """scikit-image's bundled sample photos (no download), by name."""
    from skimage import data

    return {name: getattr(data, name)() for name in names}


def jpeg_at_bytes(image: np.ndarray, budget: int) -> tuple[int, bytes]:
    """The plain JPEG (quality, bytes) with the largest size not over `budget` (quality 1 if none)."""
    fitted = encoders.fit_budget(lambda q: encoders.jpeg.encode(image, q), budget)
    return fitted or (1, encoders.jpeg.encode(image, 1))


def settings_for(model: str) -> list[tuple[int, int]]:
    """The (scale, quality) settings the demo runs `model` at: SETTINGS where it serves the
    scale, else its smallest scale at SETTINGS' qualities. Raises `UnknownModelError`."""
    if model == "auto":
        return list(SETTINGS)
    scales = zoo.get(model).scales
    return [(s, q) for s, q in SETTINGS if s in scales] or [(min(scales), q) for q in (30, 60, 90)]


def run(model: str = "auto", settings=None) -> list[dict]:
    """One row per (image, setting) (default: `settings_for(model)`): srcodec vs plain JPEG at
    equal or fewer bytes."""
    settings = settings_for(model) if settings is None else settings
    rows = []
    for name, image in sample_images().items():
        for scale, quality in settings:
            start = time.perf_counter()
            blob = api.encode(image, scale=scale, quality=quality, model=model)
            restored = api.decode(blob)
            seconds = time.perf_counter() - start
            jpeg_quality, jpeg_data = jpeg_at_bytes(image, len(blob))
            plain = encoders.jpeg.decode(jpeg_data)
            rows.append(
                {
                    "image": name,
                    "model": api.inspect(blob).model,
                    "scale": scale,
                    "quality": quality,
                    "bytes": len(blob),
                    "bpp": metrics.bpp(len(blob), image.shape),
                    "psnr": metrics.psnr_rgb(image, restored),
                    "ssim": metrics.ssim_rgb(image, restored),
                    "jpeg_quality": jpeg_quality,
                    "jpeg_bytes": len(jpeg_data),
                    "jpeg_psnr": metrics.psnr_rgb(image, plain),
                    "jpeg_ssim": metrics.ssim_rgb(image, plain),
                    "seconds": seconds,
                }
            )
    return rows


def format_table(rows: list[dict]) -> str:
    head = (
        f"{'image':<10} {'model':<14} {'x':>2} {'q':>3} {'bytes':>7} {'bpp':>6} {'PSNR':>6} {'SSIM':>6}"
        f" | {'jpeg q':>6} {'bytes':>7} {'PSNR':>6} {'SSIM':>6} | {'dPSNR':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['image']:<10} {r['model']:<14} {r['scale']:>2} {r['quality']:>3} {r['bytes']:>7} "
            f"{r['bpp']:>6.3f} {r['psnr']:>6.2f} {r['ssim']:>6.4f} | {r['jpeg_quality']:>6} "
            f"{r['jpeg_bytes']:>7} {r['jpeg_psnr']:>6.2f} {r['jpeg_ssim']:>6.4f} | "
            f"{r['psnr'] - r['jpeg_psnr']:>+6.2f}"
        )
    lines.append(
        "PSNR/SSIM: RGB over the whole image. 'jpeg': plain JPEG at the highest quality whose file"
        " is not larger than srcodec's; dPSNR = srcodec - jpeg."
    )
    return "\n".join(lines)
