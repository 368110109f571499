"""The GPU check: decode speed on a 4K image and parity with the CPU, per default model.

    python -m benchmarks.gpu [--size 3840x2160] [--models ...] [--precision float32]

For each model: a 4K photo-like image is encoded at quality 40, decoded on the device Keras'
backend picks (a GPU when one is visible: TensorFlow's CUDA build, or JAX with CUDA) three
times after a warm-up (MP/s of output), and once in a CPU-only child process
(``CUDA_VISIBLE_DEVICES=`` and ``JAX_PLATFORMS=cpu``); the table gives the largest difference
in grey levels and the share of pixels that differ. Exits 2 when no GPU is visible, so a lent
machine that lost its GPU does not pass for one. Prepared for the `device` tool: one call.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _gpus() -> list[str]:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    return []


def test_image(width: int, height: int) -> np.ndarray:
    """A photo at `width` x `height`: scikit-image's astronaut, tiled and mirrored (not upsampled,
    so the detail is a photo's)."""
    from skimage import data

    tile = data.astronaut()
    reps = (-(-height // tile.shape[0]) + 1, -(-width // tile.shape[1]) + 1, 1)
    mirrored = np.concatenate([tile, tile[:, ::-1]], axis=1)
    return np.ascontiguousarray(np.tile(mirrored, reps)[:height, :width])


def main(argv: list[str] | None = None) -> int:
    import srcodec

    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="3840x2160", help="output WIDTHxHEIGHT (default 4K)")
    parser.add_argument("--models", nargs="+", help="model ids (default: the 'auto' model of each scale 1-4)")
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--allow-cpu", action="store_true", help="run without a GPU too (to test this script)")
    parser.add_argument("--cpu-reference", action="store_true", help=argparse.SUPPRESS)  # the child's role
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    if args.cpu_reference:  # child: decode the files named on stdin, save beside them
        for line in sys.stdin.read().split():
            np.save(line + ".cpu.npy", srcodec.decode(Path(line), precision=args.precision))
        return 0

    import keras

    gpus = _gpus()
    print(f"backend {keras.backend.backend()} {keras.__version__}; GPUs: {gpus or 'none'}")
    if not gpus and not args.allow_cpu:
        print("no GPU visible: nothing to check (decoding runs on the CPU)", file=sys.stderr)
        return 2
    image = test_image(width, height)
    if args.models:
        models = [(srcodec.zoo.get(m).scales[0], m) for m in args.models]
    else:
        models = [(s, srcodec.zoo.resolve("auto", s).id) for s in (1, 2, 3, 4)]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for scale, model in models:
            path = Path(folder) / f"{model}-x{scale}.jpg"
            path.write_bytes(srcodec.encode(image, scale=scale, quality=40, model=model))
            files.append(path)
        child_env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--cpu-reference", "--precision", args.precision],
                       input="\n".join(map(str, files)), text=True, env=child_env, check=True)
        cpu_seconds = time.perf_counter() - started
        for (scale, model), path in zip(models, files):
            srcodec.decode(path, precision=args.precision)  # warm-up: build, compile
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                out = srcodec.decode(path, precision=args.precision)
                times.append(time.perf_counter() - t0)
            reference = np.load(str(path) + ".cpu.npy")
            diff = np.abs(out.astype(int) - reference)
            rows.append((model, scale, width * height / min(times) / 1e6, int(diff.max()), 100 * float((diff > 0).mean())))
    print(f"\n{width}x{height} output, quality 40, precision {args.precision}; CPU reference decodes took "
          f"{cpu_seconds:.0f} s in all\n")
    print(f"| model | scale | {'GPU' if gpus else 'CPU (no GPU)'} MP/s | max diff vs CPU | pixels differing |")
    print("|---|---|---|---|---|")
    for model, scale, mps, worst, share in rows:
        print(f"| {model} | x{scale} | {mps:.1f} | {worst} | {share:.3f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
