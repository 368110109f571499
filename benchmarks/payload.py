"""Does a better JPEG encoder pay as srcodec's payload? (issue 19; codec protocol)

    python -m benchmarks.payload [--data ../shared/datasets/bsd100] [--images 10]
        [--qualities 20 30 40 50 60 75 85] [--low-qualities 5 10 15] [--scale 2] [--model srresnet-x2-codec]
        [--inner webp avif]

Three JPEG encoders, each at quality q with 4:2:0 chroma:
  jpeg     Pillow (libjpeg-turbo) as `encoders.jpeg.encode` codes srcodec's payload: baseline, optimized Huffman;
  mozjpeg  mozjpeg through `jpeglib` (`jpeglib.version.set(MOZJPEG)`, `from_spatial(rgb)`,
           `samp_factor = "4:2:0"`, `write_spatial(path, qt=q)`), the library's defaults: trellis
           quantisation of AC and DC on (turning it off with flags=["-TRELLIS_QUANT",
           "-TRELLIS_QUANT_DC"] makes files ~15% larger), progressive (5 scans), its own default
           quantization tables (index 3, tuned for HVS-PSNR, not libjpeg's); its time includes
           jpeglib's round trip through a temporary file;
  jpegli   jpegli through `pyjpegli.encode(rgb, width, height, quality)`, which takes nothing
           else: its defaults, which code 4:2:0 (Y 2x2) baseline. RGB images only.
Every file has its JFIF APP0 segment stripped (as `encoders.jpeg.strip_jfif`) and is decoded by
Pillow (libjpeg-turbo), as users and `srcodec.decode` would.
Curves: each encoder on the full-size image, and srcodec+encoder: the small image of
`resample.downsample` coded by the encoder, in a file with the header `srcodec.encode` writes
(same bytes of header), decoded by `srcodec.decode` (the network). RGB-PSNR against the
original, rate in bits per original pixel (mean over images per quality); BD-rate (pchip,
`benchmarks.analysis.bd`) against full-size Pillow JPEG and against srcodec's own payload.
`--inner webp avif` adds those codecs at full size and as srcodec's payload (`srcodec.encode(...,
codec=...)`, the same network), each compared with its own full-size curve.
`--jpegli-decoder` adds the same Pillow files decoded by jpegli's decoder (`pyjpegli.decode`,
its higher-precision reconstruction) instead of libjpeg-turbo: "jpeg@jpegli-dec" at full size and
"srcodec+jpeg@jpegli-dec" (the payload decoded by jpegli, then `srcodec.restore` with the same
network). Same bytes as "jpeg" and "srcodec+jpeg": only the decoded pixels differ.
The full-size curves also run at `--low-qualities` (no network: cheap), where they reach
srcodec's PSNR range: without them the BD-rates of srcodec against full-size JPEG are NaN.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import srcodec
from benchmarks import analysis
from benchmarks.paper import DEFAULT_DATA, load_set
import encoders
from encoders import jpeg
from srcodec import container, metrics, resample

MOZJPEG = "mozjpeg403"  # the newest mozjpeg jpeglib bundles
ENCODERS = ("jpeg", "mozjpeg", "jpegli")


def encode_mozjpeg(pixels: np.ndarray, quality: int) -> bytes:
    import jpeglib

    jpeglib.version.set(MOZJPEG)
    image = jpeglib.from_spatial(np.ascontiguousarray(pixels))
    image.samp_factor = "4:2:0"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.jpg"
        image.write_spatial(str(path), qt=quality)  # mozjpeg's defaults: trellis on, progressive
        return jpeg.strip_jfif(path.read_bytes())


def encode_jpegli(pixels: np.ndarray, quality: int) -> bytes:
    import pyjpegli

    height, width = pixels.shape[:2]
    return jpeg.strip_jfif(pyjpegli.encode(np.ascontiguousarray(pixels).tobytes(), width, height, quality))


def encode_with(name: str, pixels: np.ndarray, quality: int) -> bytes:
    """`pixels` (HxWx3 uint8) coded by encoder `name` at `quality`, 4:2:0, no JFIF segment."""
    coders = {"jpeg": jpeg.encode, "mozjpeg": encode_mozjpeg, "jpegli": encode_jpegli}
    return coders[name](pixels, quality)


def srcodec_file(image: np.ndarray, quality: int, scale: int, model: str, name: str) -> bytes:
    """The file `srcodec.encode` writes, its payload replaced by the small image coded by `name`."""
    blob = srcodec.encode(image, scale=scale, quality=quality, model=model)
    if name == "jpeg":
        return blob
    header, _ = container.unpack(blob)
    return container.pack(header, encode_with(name, resample.downsample(image, scale), quality))


JPEGLI_DECODED = ("jpeg@jpegli-dec", "srcodec+jpeg@jpegli-dec")


def decode_jpegli(data: bytes) -> np.ndarray:
    """A JPEG decoded by jpegli's decoder (HxWx3 uint8)."""
    import pyjpegli

    rgb, width, height = pyjpegli.decode(data)
    return np.frombuffer(rgb, np.uint8).reshape(height, width, 3)


def measure(images, qualities, scale: int, model: str, low=(), inner=(),
            jpegli_decoder: bool = False) -> tuple[list[dict], dict[str, float]]:
    """Result rows (codec, image, quality, bpp, psnr_rgb) for every curve (the full-size ones
    also at the `low` qualities), and each encoder's seconds spent coding full-size images.
    `inner`: other codecs (webp, avif), each at full size and as srcodec's payload.
    `jpegli_decoder`: also the `JPEGLI_DECODED` curves (Pillow's files, jpegli's decoder)."""
    rows, seconds = [], dict.fromkeys(ENCODERS, 0.0)
    for i, image in enumerate(images):
        pixels = image.shape[0] * image.shape[1]
        for codec in inner:
            module = encoders.get(codec)
            for q in sorted({*low, *qualities}):
                data = module.encode(image, q)
                rows.append({"codec": codec, "image": i, "quality": q, "bpp": 8 * len(data) / pixels,
                             "psnr_rgb": metrics.psnr_rgb(image, module.decode(data))})
                if q in qualities:
                    blob = srcodec.encode(image, scale=scale, quality=q, model=model, codec=codec)
                    rows.append({"codec": f"srcodec+{codec}", "image": i, "quality": q, "bpp": 8 * len(blob) / pixels,
                                 "psnr_rgb": metrics.psnr_rgb(image, srcodec.decode(blob))})
        for q in sorted({*low, *qualities}):
            for name in ENCODERS:
                start = time.perf_counter()
                data = encode_with(name, image, q)
                seconds[name] += time.perf_counter() - start
                decoded = jpeg.decode(data)  # Pillow
                rows.append({"codec": name, "image": i, "quality": q, "bpp": 8 * len(data) / pixels,
                             "psnr_rgb": metrics.psnr_rgb(image, decoded)})
                jpegli_too = jpegli_decoder and name == "jpeg"
                if jpegli_too:
                    rows.append({**rows[-1], "codec": JPEGLI_DECODED[0], "psnr_rgb": metrics.psnr_rgb(image, decode_jpegli(data))})
                if q not in qualities:
                    continue
                blob = srcodec_file(image, q, scale, model, name)
                rows.append({"codec": f"srcodec+{name}", "image": i, "quality": q, "bpp": 8 * len(blob) / pixels,
                             "psnr_rgb": metrics.psnr_rgb(image, srcodec.decode(blob))})
                if jpegli_too:
                    restored = srcodec.restore(decode_jpegli(container.unpack(blob)[1]), scale=scale, model=model)
                    rows.append({**rows[-1], "codec": JPEGLI_DECODED[1], "psnr_rgb": metrics.psnr_rgb(image, restored)})
    return rows, seconds


def print_table(rows: list[dict], seconds: dict[str, float], count: int, inner=()) -> None:
    """The markdown table of `rows` (every quality they hold); `seconds` over `count` images.
    An `inner` codec's srcodec curve is also compared with that codec at full size."""
    curves = analysis.curves(rows)
    mean = {(r["codec"], r["quality"]): [] for r in rows}
    for r in rows:
        mean[(r["codec"], r["quality"])].append((r["bpp"], r["psnr_rgb"]))
    names = [*ENCODERS, *(f"srcodec+{n}" for n in ENCODERS)] + [n for c in inner for n in (c, f"srcodec+{c}")]
    names += [n for n in JPEGLI_DECODED if n in curves]
    qualities = sorted({q for _, q in mean})
    print("| curve | " + " | ".join(f"q{q} bpp / dB" for q in qualities)
          + " | BD-rate vs jpeg | BD-rate vs srcodec+jpeg | vs its codec at full size | full-size encode ms |")
    print("|---|" + "---|" * (len(qualities) + 4))
    for name in names:
        own = name.split("+", 1)[1] if name.startswith("srcodec+") and name.split("+", 1)[1] in inner else None
        vs_own = f"{analysis.bd(curves[own], curves[name])['bd_rate']:+.1f}%" if own else ""
        cells = [" / ".join(f"{v:.3f}" if k == 0 else f"{v:.2f}" for k, v in enumerate(np.mean(mean[(name, q)], axis=0)))
                 if (name, q) in mean else "" for q in qualities]
        vs_jpeg = analysis.bd(curves["jpeg"], curves[name])["bd_rate"]
        vs_srcodec = analysis.bd(curves["srcodec+jpeg"], curves[name])["bd_rate"] if name.startswith("srcodec") else np.nan
        ms = seconds.get(name, np.nan) * 1000 / (count * len(qualities))  # per image and quality
        print(f"| {name} | " + " | ".join(cells) + f" | {vs_jpeg:+.1f}% | "
              + ("" if np.isnan(vs_srcodec) else f"{vs_srcodec:+.1f}%") + f" | {vs_own} | "
              + ("" if np.isnan(ms) else f"{ms:.0f}") + " |")


def versions() -> str:
    import jpeglib
    import pyjpegli
    from PIL import __version__ as pillow
    from PIL import features

    return (f"jpeg: Pillow {pillow}, libjpeg-turbo {features.version('libjpeg_turbo')}; mozjpeg: jpeglib {jpeglib.__version__} {MOZJPEG}; "
            f"jpegli: pyjpegli {pyjpegli.__version__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.payload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA / "bsd100", help="folder of images (sorted by name)")
    parser.add_argument("--images", type=int, default=10, help="the first N images")
    parser.add_argument("--qualities", nargs="+", type=int, default=[20, 30, 40, 50, 60, 75, 85])
    parser.add_argument("--low-qualities", nargs="+", type=int, default=[5, 10, 15], help="full-size curves only")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--model", default="srresnet-x2-codec")
    parser.add_argument("--inner", nargs="*", default=[], choices=["webp", "avif"],
                        help="also these codecs, at full size and as srcodec's payload")
    parser.add_argument("--jpegli-decoder", action="store_true", help="also Pillow's files decoded by jpegli's decoder")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"benchmarks.payload: {args.data} not found", file=sys.stderr)
        return 2
    images = [im for im in load_set(args.data) if im.ndim == 3][: args.images]  # jpegli takes RGB only
    start = time.perf_counter()
    rows, seconds = measure(images, args.qualities, args.scale, args.model, args.low_qualities, args.inner,
                           args.jpegli_decoder)
    print(f"RGB-PSNR, {args.data.name} (first {len(images)} colour images), srcodec x{args.scale} {args.model}; "
          "mean bpp / mean dB per quality; every file decoded by Pillow (libjpeg-turbo) unless marked @jpegli-dec\n")
    print_table(rows, seconds, len(images), args.inner)
    print(f"\n{versions()}\n{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
