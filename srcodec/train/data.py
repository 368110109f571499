"""Training pairs made with the codec's own degradation, and the patches cut from them."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from srcodec import resample
from srcodec.errors import ArgumentError
from srcodec.train.config import TrainConfig


def read_folder(folder: Path) -> list[np.ndarray]:
    """uint8 RGB images of a folder (grey ones as RGB), sorted by name."""
    from srcodec import images

    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in images.SUFFIXES)
    return [resample.as_rgb(images.to_array(path)) for path in paths]


def full_range_y(rgb: np.ndarray) -> np.ndarray:
    """Full-range Y (float32, 0..255): what the decoder's Y networks see."""
    return resample.rgb_to_ycbcr(rgb)[..., 0]


def make_pair(hr: np.ndarray, scale: int, codec: str | None, quality: int, input_space: str = "upsampled"):
    """(network input, target) for one degradation of `hr`, as the decoder will see it.

    "upsampled" (Y families): full-image float32 Y planes in 0..1, the input being the degraded
    LR image's Y upsampled with the codec's bicubic and cropped to the original size.
    "lowres" (RGB families): the degraded LR image and `hr`, both uint8 RGB (so that pairs for
    a whole training set fit in memory; scaled at batch time), cropped to whole multiples of
    `scale` (the encoder's edge padding is no picture to learn).
    """
    lr = resample.degrade(hr, scale, codec, quality)
    if input_space == "lowres":
        h, w = hr.shape[0] // scale, hr.shape[1] // scale
        return np.ascontiguousarray(lr[:h, :w]), np.ascontiguousarray(hr[: h * scale, : w * scale])
    upsampled = resample.upsample(full_range_y(lr), scale)[: hr.shape[0], : hr.shape[1]]
    return (upsampled / 255.0).astype(np.float32), (full_range_y(hr) / 255.0).astype(np.float32)


class PatchSampler:
    """Random augmented patches from precomputed degraded pairs; batch i depends only on
    (seed, i), so a resumed run draws the same batches as an uninterrupted one.

    `config.patch` is the input patch side: output pixels for "upsampled" families, LR pixels
    for "lowres" ones (whose targets are `scale` times larger). Batches are float32 in 0..1,
    NHWC with the family's channels.
    """

    def __init__(self, images: list[np.ndarray], config: TrainConfig, log=lambda msg: None) -> None:
        from srcodec import nets

        self.space = nets.facts(config.family).input_space
        rng = np.random.default_rng(config.seed)
        self.pairs: list[tuple[np.ndarray, np.ndarray, int]] = []
        started = time.time()
        for n, hr in enumerate(images):
            for scale in config.scales:
                copies = 1 if config.codec is None else config.variants
                for _ in range(copies):
                    quality = int(rng.integers(config.qualities[0], config.qualities[1] + 1))
                    if scale == 1 and config.codec is None:
                        continue  # clean scale 1 is the identity: nothing to learn
                    inp, tgt = make_pair(hr, scale, config.codec, quality, self.space)
                    if min(inp.shape[:2]) >= config.patch:
                        self.pairs.append((inp, tgt, scale if self.space == "lowres" else 1))
            if n % 50 == 0:
                log(f"degraded {n + 1}/{len(images)} images ({time.time() - started:.0f}s)")
        if not self.pairs:
            raise ArgumentError(f"no training image is at least {config.patch} pixels on each side")
        if self.space == "lowres" and len({s for _, _, s in self.pairs}) > 1:
            raise ArgumentError("a low-resolution family trains one scale per run (its output size depends on it)")
        areas = np.array([p[0].shape[0] * p[0].shape[1] for p in self.pairs], dtype=np.float64)
        self.weights = areas / areas.sum()
        self.config = config

    def batch(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        rng = np.random.default_rng((c.seed, index))
        xs, ys = [], []
        for k in rng.choice(len(self.pairs), size=c.batch, p=self.weights):
            inp, tgt, s = self.pairs[k]
            top = rng.integers(0, inp.shape[0] - c.patch + 1)
            left = rng.integers(0, inp.shape[1] - c.patch + 1)
            a = inp[top : top + c.patch, left : left + c.patch]
            b = tgt[top * s : (top + c.patch) * s, left * s : (left + c.patch) * s]
            turns, flip = rng.integers(0, 4), rng.integers(0, 2)
            a, b = np.rot90(a, turns), np.rot90(b, turns)
            if flip:
                a, b = a[:, ::-1], b[:, ::-1]
            xs.append(a)
            ys.append(b)
        x, y = np.stack(xs).astype(np.float32), np.stack(ys).astype(np.float32)
        if self.space == "lowres":  # uint8 RGB
            return x / 255.0, y / 255.0
        return x[..., None], y[..., None]
