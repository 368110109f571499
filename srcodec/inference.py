"""Super-resolution of one decoded low-resolution image with a zoo model.

Networks run tile by tile: each tile is cut with a margin of half the receptive field on every
side (neighbouring tiles overlap by the whole receptive field), so every kept output pixel
sees exactly the context it would see in a whole-image pass (tiled output equals untiled
output to within float rounding) while memory stays bounded by the tile size.
"""

from __future__ import annotations

import numpy as np

from srcodec import resample, zoo

TILE = 512  # network input pixels per tile side, margin excluded


def run_net(net, x: np.ndarray, out_scale: int, tile: int) -> np.ndarray:
    """Apply `net` to float HxWxC `x`; the output is `out_scale` times larger."""
    h, w = x.shape[:2]
    margin = int(getattr(net, "receptive_field", 65)) // 2
    out = None
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            bottom, right = min(top + tile, h), min(left + tile, w)
            t0, l0 = max(top - margin, 0), max(left - margin, 0)
            t1, l1 = min(bottom + margin, h), min(right + margin, w)
            y = net(x[None, t0:t1, l0:l1], training=False)
            y = (y.numpy() if hasattr(y, "numpy") else np.asarray(y))[0]  # TF eager or JAX
            if out is None:
                out = np.empty((h * out_scale, w * out_scale, y.shape[-1]), np.float32)
            s = out_scale
            out[top * s : bottom * s, left * s : right * s] = y[
                (top - t0) * s : (bottom - t0) * s, (left - l0) * s : (right - l0) * s
            ]
    return out


def super_resolve(lr: np.ndarray, scale: int, record: zoo.ModelRecord, *, tile: int = TILE) -> np.ndarray:
    """Restore uint8 `lr` (HxW grey or HxWx3 RGB) `scale` times larger with `record`'s model.

    The output has the layout of the input. Y models restore luma and take chroma from
    bicubic upsampling; RGB models restore all channels (grey input is run as RGB and its
    luma kept).
    """
    if record.family == "bicubic":
        return resample.to_uint8(resample.upsample(lr, scale))
    from srcodec import nets

    net = zoo.load(record)
    module = nets.family(record.family)
    out_scale = 1 if module.UPSAMPLED_INPUT else scale

    if record.colour == "y":
        if lr.ndim == 2:
            y = run_net(net, resample.upsample(lr, scale)[..., None] / 255.0, 1, tile)
            return resample.to_uint8(y[..., 0] * 255.0)
        up = resample.upsample(resample.rgb_to_ycbcr(lr), scale)
        up[..., :1] = run_net(net, up[..., :1] / 255.0, 1, tile) * 255.0
        return resample.to_uint8(resample.ycbcr_to_rgb(up))

    rgb = np.repeat(lr[..., None], 3, axis=2) if lr.ndim == 2 else lr
    x = resample.upsample(rgb, scale) if module.UPSAMPLED_INPUT else rgb.astype(np.float32)
    out = run_net(net, x / 255.0, out_scale, tile) * 255.0
    if lr.ndim == 2:
        return resample.to_uint8(resample.rgb_to_ycbcr(out)[..., 0])
    return resample.to_uint8(out)
