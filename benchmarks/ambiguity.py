"""The ambiguity experiment of Pixel Recursive Super Resolution, on MNIST.

    python -m benchmarks.ambiguity [--data ../shared/datasets] [--digits 100] [--seeds 4]
        [--figure docs/ambiguity.png] [--train] [--steps 1500]

Each 28x28 digit is the low-resolution image; its high-resolution counterpart is a 56x56
canvas with the digit in the top-left or the bottom-right corner, each with probability one
half. Both models read the digit lifted onto the canvas (the 28x28 digit tiled 2x2, which puts
every canvas pixel over the digit pixel it would hold in either corner, plus two coordinate
channels): nothing in the input says which corner, and nothing in the models prefers one.

* The per-pixel model (the conditioning ResNet with one output, MSE) can only predict the mean:
  the digit at half ink in both corners.
* The PixelCNN (`srcodec.nets.pixelcnn.RasterPixelCNN`, raster order) draws value by value and
  commits to one corner.

Only MNIST's test split is here (`../shared/datasets/mnist`): its first 8000 digits train, the
other 2000 are held out and the evaluated digits are the first `--digits` of those. The trained
weights ship beside this file (`ambiguity/`); `--train` trains them again (the recipe is the
constants below) and overwrites them. Prints the numbers the issue asks for and writes a figure
(rows: digits; columns: the LR digit, the per-pixel output, `--seeds` samples).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.paper import DEFAULT_DATA
from srcodec import metrics

HERE = Path(__file__).resolve().parent / "ambiguity"
SIDE, CANVAS = 28, 56
TRAIN_DIGITS = 8000
RECIPE = {"batch": 16, "lr": 1e-3, "seed": 0, "precision": "float32"}  # and --steps (default 1500)
PIXELCNN = {"conditioning_channels": 3, "blocks": 2, "filters": 32, "layers": 8, "width": 32, "dilations": (1, 2, 4, 8)}


def load_digits(data: Path) -> np.ndarray:
    """MNIST's test-split images, uint8 (10000, 28, 28)."""
    raw = gzip.decompress((data / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes())
    count = int.from_bytes(raw[4:8], "big")
    return np.frombuffer(raw, np.uint8, offset=16).reshape(count, SIDE, SIDE)


def lift(digits: np.ndarray) -> np.ndarray:
    """The models' input: (N, 56, 56, 3) float32, the digit tiled 2x2 (0..1) and the row and
    column coordinates (0..1)."""
    n = len(digits)
    tiled = np.tile(digits, (1, 2, 2)).astype(np.float32) / 255.0
    coords = np.linspace(0.0, 1.0, CANVAS, dtype=np.float32)
    rows = np.broadcast_to(coords[None, :, None], (n, CANVAS, CANVAS))
    cols = np.broadcast_to(coords[None, None, :], (n, CANVAS, CANVAS))
    return np.stack([tiled, rows, cols], axis=-1)


def place(digits: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Canvases (N, 56, 56) uint8 with digit n top-left where corners[n] is 0, bottom-right where 1."""
    canvas = np.zeros((len(digits), CANVAS, CANVAS), np.uint8)
    for n, (digit, corner) in enumerate(zip(digits, corners)):
        o = SIDE * int(corner)
        canvas[n, o : o + SIDE, o : o + SIDE] = digit
    return canvas


def per_pixel_model():
    import keras

    from srcodec.nets.pixelcnn import Conditioning

    inputs = keras.Input((None, None, 3))
    features = Conditioning(PIXELCNN["filters"], PIXELCNN["blocks"])(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(1, 1)(features), name="per_pixel")


def pixelcnn_model():
    from srcodec.nets.pixelcnn import RasterPixelCNN

    net = RasterPixelCNN(**PIXELCNN)
    net.build((None, CANVAS, CANVAS, 3))
    return net


def train(digits: np.ndarray, steps: int, log=print) -> None:
    """Train both models on the first `TRAIN_DIGITS` digits (a fresh corner per draw)."""
    import keras

    from srcodec.train import losses

    keras.utils.set_random_seed(RECIPE["seed"])
    HERE.mkdir(exist_ok=True)
    # float32: faster than mixed bfloat16 for these narrow layers (1.6 against 2.1 s a step)
    keras.config.set_dtype_policy(RECIPE["precision"])
    models = {
        "per_pixel": (per_pixel_model(), "mean_squared_error"),
        "pixelcnn": (pixelcnn_model(), [losses.cross_entropy()] * 2),
    }
    for name, (model, loss) in models.items():
        schedule = keras.optimizers.schedules.CosineDecay(RECIPE["lr"], steps, alpha=0.01)
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)
        started, running = time.time(), []
        for step in range(steps):
            rng = np.random.default_rng((RECIPE["seed"], step))
            picked = digits[rng.integers(0, TRAIN_DIGITS, RECIPE["batch"])]
            target = place(picked, rng.integers(0, 2, RECIPE["batch"]))[..., None].astype(np.float32) / 255.0
            x = lift(picked)
            if name == "pixelcnn":
                levels = np.rint(target * 255.0).astype(np.int32)
                running.append(model.train_on_batch([x, target], [levels, levels], return_dict=True)["loss"])
            else:
                running.append(model.train_on_batch(x, target))
            if (step + 1) % 250 == 0 or step + 1 == steps:
                log(f"{name} step {step + 1}/{steps}: loss {np.mean(running):.4f} ({time.time() - started:.0f} s)")
                running = []
        model.save_weights(HERE / f"{name}.weights.h5")
    keras.config.set_dtype_policy("float32")


def load_models():
    models = per_pixel_model(), pixelcnn_model()
    for model, name in zip(models, ("per_pixel", "pixelcnn")):
        path = HERE / f"{name}.weights.h5"
        if not path.exists():
            raise SystemExit(f"{path} is missing: run with --train")
        model.load_weights(path)
    return models


def corner_ink(images: np.ndarray) -> np.ndarray:
    """(N, 3): ink (sum of levels) top-left, bottom-right, and everywhere."""
    images = np.asarray(images, np.float64)
    return np.stack([images[:, :SIDE, :SIDE].sum((1, 2)), images[:, SIDE:, SIDE:].sum((1, 2)), images.sum((1, 2))], axis=1)


def evaluate(digits: np.ndarray, seeds: int, temperature: float, log=print):
    """The numbers, and the pictures for the figure."""
    per_pixel, pixelcnn = load_models()
    x = lift(digits)
    mean = np.clip(np.asarray(per_pixel.predict(x, verbose=0))[..., 0] * 255.0, 0, 255)
    ink = corner_ink(mean)
    minority = np.minimum(ink[:, 0], ink[:, 1]) / np.maximum(ink[:, 0] + ink[:, 1], 1e-9)
    n = len(digits)
    started = time.time()
    samples = pixelcnn.sample(np.repeat(x, seeds, axis=0), [1000 * s + d for d in range(n) for s in range(seeds)],
                              temperature).reshape(n, seeds, CANVAS, CANVAS)
    seconds = time.time() - started
    ink_s = corner_ink(samples.reshape(n * seeds, CANVAS, CANVAS))
    major = np.maximum(ink_s[:, 0], ink_s[:, 1]) / np.maximum(ink_s[:, 2], 1e-9)
    chosen = (ink_s[:, 1] > ink_s[:, 0]).astype(int)
    crops = [samples.reshape(-1, CANVAS, CANVAS)[k, SIDE * c : SIDE * c + SIDE, SIDE * c : SIDE * c + SIDE]
             for k, c in enumerate(chosen)]
    closeness = [metrics.psnr_rgb(crop, digits[k // seeds]) for k, crop in enumerate(crops)]
    mean_closeness = [metrics.psnr_rgb(np.maximum(mean[d, :SIDE, :SIDE], mean[d, SIDE:, SIDE:]), digits[d]) for d in range(n)]
    both = np.mean([len(set(chosen.reshape(n, seeds)[d])) == 2 for d in range(n)])
    rows = [
        ("per-pixel (MSE): ink in the minority corner, mean", f"{100 * minority.mean():.1f}%"),
        ("per-pixel: PSNR of its stronger corner to the digit", f"{np.mean(mean_closeness):.2f} dB"),
        (f"PixelCNN T={temperature}: samples with >= 90% of their ink in one corner", f"{100 * np.mean(major >= 0.9):.1f}%"),
        ("PixelCNN: ink in the chosen corner, mean", f"{100 * major.mean():.1f}%"),
        ("PixelCNN: samples choosing top-left", f"{100 * np.mean(chosen == 0):.1f}%"),
        (f"PixelCNN: digits whose {seeds} seeds chose both corners", f"{100 * both:.1f}%"),
        ("PixelCNN: PSNR of the chosen corner to the digit, mean", f"{np.mean(closeness):.2f} dB"),
        ("PixelCNN: sampling time", f"{seconds:.0f} s for {n * seeds} samples ({CANVAS * CANVAS} steps each, batched)"),
    ]
    return rows, mean, samples


def figure(path: Path, digits: np.ndarray, mean: np.ndarray, samples: np.ndarray, count: int = 8) -> None:
    """Rows: digits; columns: the LR digit (top-left of a blank canvas), the per-pixel output,
    the samples; light grey separators, 2x nearest."""
    from PIL import Image

    gap = 2
    cols = 2 + samples.shape[1]
    sheet = np.full((count * (CANVAS + gap) + gap, cols * (CANVAS + gap) + gap), 128, np.uint8)
    for r in range(min(count, len(digits))):
        lr = np.zeros((CANVAS, CANVAS), np.uint8)
        lr[:SIDE, :SIDE] = digits[r]
        tiles = [lr, np.rint(mean[r]).astype(np.uint8), *samples[r]]
        for c, tile in enumerate(tiles):
            y, x = gap + r * (CANVAS + gap), gap + c * (CANVAS + gap)
            sheet[y : y + CANVAS, x : x + CANVAS] = tile
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.NEAREST).save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ambiguity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"folder holding mnist/ (default {DEFAULT_DATA})")
    parser.add_argument("--digits", type=int, default=100, help="held-out digits to evaluate (default 100)")
    parser.add_argument("--seeds", type=int, default=4, help="samples per digit (default 4)")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--figure", type=Path, default=Path("docs/ambiguity.png"))
    parser.add_argument("--train", action="store_true", help="train both models again (overwrites the shipped weights)")
    parser.add_argument("--steps", type=int, default=1500, help="training steps per model (default 1500)")
    args = parser.parse_args(argv)
    if not (args.data / "mnist").is_dir():
        print(f"no MNIST under {args.data}", file=sys.stderr)
        return 2
    digits = load_digits(args.data)
    if args.train:
        train(digits, args.steps)
    held_out = digits[TRAIN_DIGITS : TRAIN_DIGITS + args.digits]
    rows, mean, samples = evaluate(held_out, args.seeds, args.temperature)
    print(f"MNIST ambiguity: {len(held_out)} held-out digits (test split {TRAIN_DIGITS}+), {args.seeds} seeds each")
    for label, value in rows:
        print(f"{label:<72} {value}")
    figure(args.figure, held_out, mean, samples)
    print(f"figure: {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
