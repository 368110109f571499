"""Validation during training: PSNR on a held-out set, degraded as in training."""

from __future__ import annotations

import numpy as np

from srcodec import metrics, resample
from srcodec.inference import run_net
from srcodec.train.config import TrainConfig
from srcodec.train.data import make_pair


def validation_pairs(images: list[np.ndarray], config: TrainConfig) -> dict[int, list]:
    """(input, target) pairs per scale, degraded as in training (codec-aware runs at quality
    40); made once per run, since they do not change between validations."""
    from srcodec import nets

    space = nets.facts(config.family).input_space
    return {scale: [make_pair(hr, scale, config.codec, 40, space) for hr in images] for scale in config.scales}


def validate(net, pairs: dict[int, list]) -> dict[str, float]:
    """Mean Y-PSNR per scale of `net` on `pairs` (a sampled network's: of one draw), on the
    papers' studio-range Y rounded to 8 bits with `scale` border pixels cropped, so that clean
    runs read like the papers' tables."""
    out = {}
    for scale, scale_pairs in pairs.items():
        psnrs = []
        for inp, tgt in scale_pairs:
            crop = slice(scale, -scale)
            if inp.dtype == np.uint8:  # a low-resolution RGB pair: the network's RGB, then its luma
                x = inp / np.float32(255.0)
                if hasattr(net, "sample"):  # a sampled family: one draw (seed 0, temperature 1)
                    restored = net.sample(x[None], seed=0, temperature=1.0, origin=(0, 0))[0]
                else:
                    restored = run_net(net, x)
                pred = resample.to_uint8(restored * 255.0)
                psnrs.append(metrics.psnr_y(tgt, pred, crop=scale))
                continue
            pred = run_net(net, inp[..., None])[..., 0]
            # studio Y = 16 + 219/255 * full-range Y (same BT.601 weights, scaled)
            studio = [resample.to_uint8(16.0 + 219.0 * np.clip(y, 0, 1)) for y in (pred, tgt)]
            psnrs.append(metrics.psnr_y(studio[1][crop, crop], studio[0][crop, crop]))
        out[f"x{scale}"] = round(float(np.mean(psnrs)), 3)
    return out
