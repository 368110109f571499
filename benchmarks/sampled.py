"""A sampled model on real srcodec files, as Pixel Recursive Super Resolution reports it.

    python -m benchmarks.sampled [--model pixelcnn-x2-codec] [--data ../shared/datasets]
        [--set bsd100] [--limit 10] [--quality 40] [--temperatures 1.0 0.9 0.8]
        [--compare bicubic srresnet-x2-codec] [--timing]

Each image is encoded once at `--quality` (the model's scale); the same payload is decoded
with the sampled model at each temperature (seed 0) and with each `--compare` model. Per
decoder: RGB-PSNR, SSIM (RGB), consistency (the paper's: MSE, in 8-bit levels squared, between
the output downsampled with the encoder's own filter and the decoded low-resolution payload),
SSIMULACRA2 (higher is better) and the VGG16 feature distance (lower is better). With
``--timing``: the decode time of a 768x512 image (a set image resized), and the raster order's
time for the same image (one prior evaluation on the whole image, timed, times 3 H W steps).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import encoders
import srcodec
from benchmarks.codec_table import decode_as
from benchmarks.paper import DEFAULT_DATA, load_set
from srcodec import container, metrics, perceptual, resample, zoo


def _with_temperature(blob: bytes, temperature: float) -> bytes:
    header, payload = container.unpack(blob)
    return container.pack(container.Header(**{**header.__dict__, "seed": 0, "temperature": temperature}), payload)


def score(images, model: str, quality: int, temperatures, compare) -> dict[str, dict[str, float]]:
    record = zoo.get(model)
    scale = record.scales[0]
    rows: dict[str, dict[str, list[float]]] = {}
    for image in images:
        blob = srcodec.encode(image, scale=scale, quality=quality, model=model, seed=0)
        lr = encoders.jpeg.decode(container.unpack(blob)[1])
        decoded = {f"{model} T={t}": srcodec.decode(_with_temperature(blob, t)) for t in temperatures}
        decoded.update({name: decode_as(blob, name) for name in compare})
        for name, out in decoded.items():
            small = resample.downsample(out, scale)[: lr.shape[0], : lr.shape[1]]
            values = {
                "psnr": metrics.psnr_rgb(image, out),
                "ssim": metrics.ssim_rgb(image, out),
                "consistency": float(np.mean((small.astype(np.float64) - lr[: small.shape[0], : small.shape[1]]) ** 2)),
                "ssimulacra2": perceptual.ssimulacra2(image, out),
                "vgg": perceptual.vgg_distance(image, out),
            }
            for key, value in values.items():
                rows.setdefault(name, {}).setdefault(key, []).append(value)
    return {name: {k: float(np.mean(v)) for k, v in cols.items()} for name, cols in rows.items()}


def timing(image: np.ndarray, model: str, quality: int) -> dict[str, float]:
    """Seconds to decode a 768x512 version of `image`, and the raster order's estimate."""
    from PIL import Image

    big = np.asarray(Image.fromarray(image).resize((768, 512), Image.BICUBIC))
    record = zoo.get(model)
    blob = srcodec.encode(big, scale=record.scales[0], quality=quality, model=model, seed=0)
    srcodec.decode(srcodec.encode(big[:64, :64], scale=record.scales[0], model=model))  # build and trace first
    started = time.perf_counter()
    srcodec.decode(blob)
    decode = time.perf_counter() - started
    net = zoo.load(record, "float32")
    s = record.scales[0]
    lr = np.zeros((1, 512 // s, 768 // s, 3), np.float32)
    import keras

    features = net.conditioning(lr)
    gates = net.gate_inputs(features)
    folded = keras.ops.zeros((1, 512 // s, 768 // s, net.values))
    net.prior(folded, gates, group=0)
    started = time.perf_counter()
    np.asarray(net.prior(folded, gates, group=0))
    step = time.perf_counter() - started
    steps = 3 * 768 * 512
    return {"decode_s": decode, "parallel_steps": net.values, "raster_step_s": step, "raster_steps": steps,
            "raster_s": step * steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sampled", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="pixelcnn-x2-codec")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--set", default="bsd100")
    parser.add_argument("--limit", type=int, default=10, help="the set's first N images (default 10)")
    parser.add_argument("--quality", type=int, default=40)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.9, 0.8])
    parser.add_argument("--compare", nargs="*", default=["bicubic", "srresnet-x2-codec"])
    parser.add_argument("--timing", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / args.set).is_dir():
        print(f"no {args.set} under {args.data}", file=sys.stderr)
        return 2
    images = load_set(args.data / args.set)[: args.limit]
    compare = [m for m in args.compare if zoo.get(m).scales and zoo.get(args.model).scales[0] in zoo.get(m).scales]
    table = score(images, args.model, args.quality, args.temperatures, compare)
    print(f"{args.set} first {len(images)}, q{args.quality}, x{zoo.get(args.model).scales[0]}, seed 0 (equal bytes: one payload)")
    print(f"{'decoder':<28} {'RGB-PSNR':>9} {'SSIM':>7} {'consist.':>9} {'SSIMU2':>7} {'VGG':>7}")
    for name, v in table.items():
        print(f"{name:<28} {v['psnr']:9.2f} {v['ssim']:7.4f} {v['consistency']:9.2f} {v['ssimulacra2']:7.2f} {v['vgg']:7.3f}")
    if args.timing:
        t = timing(images[0], args.model, args.quality)
        print(f"768x512 decode: {t['decode_s']:.1f} s ({t['parallel_steps']} prior steps); raster order: "
              f"{t['raster_step_s'] * 1000:.0f} ms per step x {t['raster_steps']} steps = {t['raster_s'] / 3600:.0f} h "
              f"({t['raster_s'] / t['decode_s']:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
