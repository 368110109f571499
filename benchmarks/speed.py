"""Decoding speed of every zoo model, against the convolution throughput of this machine.

    python -m benchmarks.speed [--size 1024] [--models ...] [--precisions float32 bfloat16]

For each model and compute precision: megapixels of output per second through
`srcodec.restore` (colour conversion, bicubic upsampling, tiling and the network), the
network's FLOPs per output pixel (2 x the multiply-adds of every convolution at the resolution
it runs at, from the family table: `srcodec.nets.Family.work`), and the GFLOP/s that achieves.
The reference is a 64->64 3x3 convolution timed on the same machine in the same precision (the
layer VDSR and the SRResNet body are made of).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _best_of(fn, repeats: int) -> float:
    fn()  # warm-up: graph building, allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def conv_throughput(size: int = 256, repeats: int = 5, precision: str = "float32") -> float:
    """GFLOP/s of one 3x3 64->64 convolution on a size x size image."""
    import keras

    from srcodec import nets

    conv = keras.layers.Conv2D(64, 3, padding="same", dtype=nets.layer_policy(precision))
    x = keras.ops.convert_to_tensor(np.random.default_rng(0).random((1, size, size, 64), np.float32))
    conv(x)
    seconds = _best_of(lambda: np.asarray(conv(x)), repeats)
    return 2 * 9 * 64 * 64 * size * size / seconds / 1e9


def main(argv: list[str] | None = None) -> int:
    import srcodec
    from srcodec import inference, nets, zoo

    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="output side in pixels (default 1024)")
    parser.add_argument("--models", nargs="+", default=[r.id for r in srcodec.list_models()])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precisions", nargs="+", choices=nets.PRECISIONS, default=list(nets.PRECISIONS))
    args = parser.parse_args(argv)

    peaks = {p: conv_throughput(precision=p) for p in args.precisions}
    for precision, peak in peaks.items():
        print(f"reference: 3x3 64->64 convolution, {precision}: {peak:.0f} GFLOP/s on {os.cpu_count()} cores")
    print(f"'auto' precision here: {inference.resolve_precision()}")
    print(f"{'model':<20} {'precision':<9} {'scale':>5} {'MP/s':>8} {'s/MP':>7} {'MFLOP/px':>9} {'GFLOP/s':>8} {'of ref':>7}")
    rng = np.random.default_rng(0)
    for model, precision in [(m, p) for m in args.models for p in args.precisions]:
        peak = peaks[precision]
        record = zoo.get(model)
        if record.family == "bicubic" and precision != args.precisions[0]:
            continue  # no network: the precision changes nothing
        scale = 2 if 2 in record.scales else record.scales[0]
        lr = rng.integers(0, 256, (args.size // scale, args.size // scale, 3)).astype(np.uint8)
        seconds = _best_of(lambda: srcodec.restore(lr, scale=scale, model=model, precision=precision), args.repeats)
        megapixels = (lr.shape[0] * scale) * (lr.shape[1] * scale) / 1e6
        flops = 0.0 if record.family == "bicubic" else 2.0 * nets.facts(record.family).work(record.config)
        gflops = flops * megapixels * 1e6 / seconds / 1e9
        share = f"{gflops / peak:6.0%}" if flops else "     -"
        print(f"{model:<20} {precision:<9} {scale:>5} {megapixels / seconds:8.2f} {seconds / megapixels:7.2f} "
              f"{flops / 1e6:9.3f} {gflops:8.0f} {share}")
    print(f"tiles: {inference.TILE} output px a side, plus a margin of the bicubic reach and half the receptive field")
    return 0


if __name__ == "__main__":
    sys.exit(main())
