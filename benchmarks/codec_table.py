"""What the codec-aware models buy on real srcodec files (codec protocol).

    python -m benchmarks.codec_table [--data ../shared/datasets] [--set bsd100]
        [--models bicubic vdsr-y-clean-v2 vdsr-y-codec] [--qualities 20 40 60 80] [--scale 2]
        [--artifact-qualities 10 20 30 40] [--perceptual] [--limit N]

Table 1: RGB-PSNR of images encoded with `srcodec.encode` at each quality and decoded with
each model (the file is re-headed to name the model: the payload is identical), and the
Y-PSNR (studio Y, no crop) of the same pictures: luma networks change luma only, so their
gain in Y is what the network did, and the gap to their RGB gain is the chroma that both
decoders take from bicubic upsampling.
Table 2: scale 1 (artifact removal on a full-size JPEG): Y-PSNR (studio Y, no crop) of plain
JPEG decoding (the `bicubic` model at scale 1) and of each model that serves scale 1; left
out when no listed model but `bicubic` serves scale 1, or with an empty ``--artifact-qualities``.
With ``--perceptual``, table 1's pictures are also scored with SSIMULACRA2 (higher is better) and
the VGG16 feature distance (lower is better; `srcodec.perceptual`): equal bytes, since every
model decodes the same file. ``--limit N`` takes the set's first N images by name (the
perceptual scores cost about 2 s a picture); the tables and zoo scores then name the set
"<set>-first<N>".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import srcodec
from benchmarks import CURRENT_MODELS_HELP, current_models
from benchmarks.paper import DEFAULT_DATA, load_set, update_scores
from srcodec import container, metrics, zoo


def decode_as(blob: bytes, model: str) -> np.ndarray:
    """Decode `blob`'s payload with `model` (same bytes, header naming the other model; a
    sampled model draws with the header's seed and temperature, or seed 0 and its own)."""
    header, payload = container.unpack(blob)
    record = zoo.get(model)
    fields = {**header.__dict__, "model": record.id, "digest": record.digest}
    if not record.sampled:
        fields.update(seed=None, temperature=None)
    elif header.seed is None:
        fields.update(seed=0, temperature=record.temperature)
    return srcodec.decode(container.pack(container.Header(**fields), payload))


def sweep(images, models, qualities, scale, measures: dict) -> dict[str, dict[tuple[str, int], float]]:
    """Mean of each of `measures` (name -> metric(reference, decoded)) per (model, quality)."""
    scores: dict[str, dict[tuple[str, int], list[float]]] = {name: {} for name in measures}
    for image in images:
        for q in qualities:
            blob = srcodec.encode(image, scale=scale, quality=q, model="bicubic")
            for model in models:
                if scale in zoo.get(model).scales:
                    decoded = decode_as(blob, model)
                    for name, metric in measures.items():
                        scores[name].setdefault((model, q), []).append(metric(image, decoded))
    return {name: {k: float(np.mean(v)) for k, v in table.items()} for name, table in scores.items()}


def print_table(title: str, scores: dict, models, qualities) -> None:
    print(title)
    print(f"{'model':<20}" + "".join(f" {'q' + str(q):>7}" for q in qualities))
    for model in models:
        if (model, qualities[0]) in scores:
            print(f"{model:<20}" + "".join(f" {scores[(model, q)]:7.2f}" for q in qualities))
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.codec_table", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--set", default="bsd100")
    parser.add_argument("--models", nargs="+", default=current_models(), help=CURRENT_MODELS_HELP)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--qualities", nargs="+", type=int, default=[20, 40, 60, 80])
    parser.add_argument("--artifact-qualities", nargs="*", type=int, default=[10, 20, 30, 40],
                        help="qualities of table 2 (scale 1); none: no table 2")
    parser.add_argument("--perceptual", action="store_true", help="also SSIMULACRA2 and the VGG16 feature distance")
    parser.add_argument("--limit", type=int, help="only the set's first N images by name")
    parser.add_argument("--update-zoo", action="store_true", help="write the results into the shipped models' records")
    args = parser.parse_args(argv)
    if not (args.data / args.set).is_dir():
        print(f"benchmarks.codec_table: {args.data / args.set} not found", file=sys.stderr)
        return 2
    images = load_set(args.data / args.set)[: args.limit]
    set_name = args.set if args.limit is None else f"{args.set}-first{len(images)}"
    measures = {"rgb": metrics.psnr_rgb, "y": metrics.psnr_y}
    if args.perceptual:
        from srcodec import perceptual

        measures |= {"ssimulacra2": perceptual.ssimulacra2, "vgg": perceptual.vgg_distance}
    coded = sweep(images, args.models, args.qualities, args.scale, measures)
    rgb, rgb_luma = coded["rgb"], coded["y"]
    print_table(f"RGB-PSNR (dB), {set_name}, x{args.scale}, files made by srcodec.encode", rgb, args.models, args.qualities)
    print_table("Y-PSNR (dB) of the same pictures", rgb_luma, args.models, args.qualities)
    if args.perceptual:
        print_table("SSIMULACRA2 of the same pictures (higher is better)", coded["ssimulacra2"], args.models, args.qualities)
        print_table("VGG16 feature distance of the same pictures (LPIPS formula, uniform weights; lower is better)",
                    coded["vgg"], args.models, args.qualities)
    y = {}
    if args.artifact_qualities and any(m != "bicubic" and 1 in zoo.get(m).scales for m in args.models):
        y = sweep(images, args.models, args.artifact_qualities, 1, {"y": metrics.psnr_y})["y"]
        print_table(f"Y-PSNR (dB), {set_name}, scale 1 (bicubic = plain JPEG decoding)", y, args.models, args.artifact_qualities)
    if args.update_zoo:
        for model in args.models:
            scores = {f"{set_name}_x{args.scale}_q{q}_rgb_psnr": round(v, 3) for (m, q), v in rgb.items() if m == model}
            scores |= {f"{set_name}_x1_q{q}_y_psnr": round(v, 3) for (m, q), v in y.items() if m == model}
            for name in ("ssimulacra2", "vgg") if args.perceptual else ():
                scores |= {f"{set_name}_x{args.scale}_q{q}_{name}": round(v, 4) for (m, q), v in coded[name].items() if m == model}
            if scores and update_scores(model, "codec_psnr", scores):
                print(f"scores written to the zoo record of {model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
