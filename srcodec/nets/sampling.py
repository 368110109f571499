"""Reproducible draws for the sampled families.

A sampled decoder must give the same pixels for the same file and seed however the image is
cut into tiles, on any thread count and any Keras backend. So the randomness is not a stateful
generator's: each draw's uniform number is a hash of (seed, absolute output row, absolute
output column, channel), computed here in numpy integers (SplitMix64's finaliser over a
counter), and a draw picks the first level whose cumulative probability exceeds it (inverse
CDF over the 256 levels). Changing any of this changes how existing files decode: it is
versioned (`SAMPLER_VERSION`), and zoo records of sampled models name the version they need.
"""

from __future__ import annotations

import numpy as np

SAMPLER_VERSION = 1
LEVELS = 256

_M1, _M2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of uint64 that spreads every input bit."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def uniform(seed, rows: np.ndarray, cols: np.ndarray, channel: int) -> np.ndarray:
    """float64 in (0, 1) for every (row, col) of the broadcast `rows` x `cols` grid (absolute
    output coordinates, each below 2^28) of `channel`, a pure function of its arguments.
    `seed`: an integer, or an integer array that broadcasts against the grid (one per image)."""
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps by design
        key = _mix(np.asarray(seed, np.uint64) * _GOLDEN + np.uint64(channel + 1))
        counter = (np.asarray(rows, np.uint64)[:, None] << np.uint64(28)) | np.asarray(cols, np.uint64)[None, :]
        bits = _mix(_mix(counter ^ key) + _GOLDEN)
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def draw(logits: np.ndarray, seed: int, temperature: float, origin: tuple[int, int], channel: int) -> np.ndarray:
    """uint8 levels drawn from `logits` (H x W x 256) for one channel of the output block whose
    top-left pixel is at absolute output position `origin`, at `temperature` (0: the most
    likely level)."""
    h, w = np.shape(logits)[:2]
    return draw_at(logits, seed, temperature, np.arange(h) + origin[0], np.arange(w) + origin[1], channel)


def draw_at(logits: np.ndarray, seed, temperature: float, rows: np.ndarray, cols: np.ndarray, channel: int) -> np.ndarray:
    """uint8 levels drawn from `logits` (... x len(rows) x len(cols) x 256), the values of one
    channel at absolute output positions `rows` x `cols` (any stride), at `temperature`; `seed`
    as `uniform`'s."""
    logits = np.asarray(logits, np.float64)
    if temperature == 0:
        return logits.argmax(axis=-1).astype(np.uint8)
    scaled = logits / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    cdf = np.cumsum(np.exp(scaled), axis=-1)
    u = uniform(seed, rows, cols, channel) * cdf[..., -1]
    return np.minimum((cdf < u[..., None]).sum(axis=-1), LEVELS - 1).astype(np.uint8)
