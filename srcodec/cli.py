"""The `srcodec` command line. The only place that prints and maps errors to exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import encoders
from srcodec import __version__, api, zoo
from srcodec.errors import SrcodecError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", ".avif", ".jxl"}
ENCODED_SUFFIXES = {".jpg", ".jpeg", ".srcd"}


def _expand(inputs: list[str], suffixes: set[str]) -> list[Path]:
    """Files as given, plus the files with `suffixes` found under given folders (sorted)."""
    paths: list[Path] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            paths += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        else:
            paths.append(path)
    return paths


def _write_atomic(path: Path, data: bytes, force: bool) -> None:
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".srcodec-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _output_path(source: Path, out: str | None, many: bool, suffix: str) -> Path:
    """NAME.png -> NAME.sr.jpg on encode, NAME.sr.jpg -> NAME.sr.png on decode, beside the
    source unless `out` names a file (one input) or a folder."""
    name = source.stem + suffix
    if out is None:
        return source.with_name(name)
    out_path = Path(out)
    return out_path / name if many or out_path.is_dir() else out_path


def _progress(items, label: str):
    if len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="file", disable=None, file=sys.stderr)


def _for_each(paths: list[Path], label: str, work) -> int:
    """Run `work(path)` on every path; report failures in one line each and count them."""
    if not paths:
        print("srcodec: no input files found", file=sys.stderr)
        return 1
    failures = 0
    for path in _progress(paths, label):
        try:
            work(path)
        except (SrcodecError, OSError) as exc:
            failures += 1
            print(f"srcodec: {path}: {exc}", file=sys.stderr)
    if failures and len(paths) > 1:
        print(f"srcodec: {failures} of {len(paths)} files failed", file=sys.stderr)
    return 1 if failures else 0


def cmd_encode(args) -> int:
    paths = _expand(args.inputs, IMAGE_SUFFIXES)
    many = len(paths) > 1
    options = {}
    if args.codec == "jpeg":
        options = {"progressive": args.progressive, "subsampling": args.subsampling}
    suffix = ".sr" + (".jpg" if args.codec == "jpeg" else ".srcd")

    def work(path: Path) -> None:
        blob = api.encode(
            path,
            scale=args.scale,
            quality=args.quality,
            model=args.model,
            codec=args.codec,
            alpha=args.alpha,
            codec_options=options,
        )
        target = _output_path(path, args.output, many, suffix)
        _write_atomic(target, blob, args.force)
        if args.verbose:
            print(f"{path} -> {target}: {len(blob)} bytes")

    return _for_each(paths, "encode", work)


def cmd_decode(args) -> int:
    from PIL import Image
    import io

    paths = _expand(args.inputs, ENCODED_SUFFIXES)
    many = len(paths) > 1

    def work(path: Path) -> None:
        image = api.decode(path.read_bytes(), max_pixels=args.max_pixels)
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "PNG")
        target = _output_path(path, args.output, many, ".png")
        _write_atomic(target, buffer.getvalue(), args.force)
        if args.verbose:
            print(f"{path} -> {target}: {image.shape[1]}x{image.shape[0]}")

    return _for_each(paths, "decode", work)


def cmd_info(args) -> int:
    def work(path: Path) -> None:
        info = api.inspect(path.read_bytes()).as_dict()
        if args.json:
            print(json.dumps({"file": str(path), **info}))
        else:
            print(f"{path}: " + ", ".join(f"{k}={v}" for k, v in info.items() if v is not None))

    return _for_each([Path(p) for p in args.inputs], "info", work)


def cmd_models(args) -> int:
    records = zoo.list_models()
    if args.json:
        print(json.dumps([r.summary() for r in records], indent=2))
        return 0
    print(f"{'id':<18} {'family':<10} {'colour':<6} {'scales':<16} default")
    for r in records:
        scales = ",".join(map(str, r.scales))
        print(f"{r.id:<18} {r.family:<10} {r.colour:<6} {scales:<16} {'yes' if r.default else ''}")
    return 0


def cmd_demo(args) -> int:
    from srcodec import demo

    print(demo.format_table(demo.run(model=args.model)))
    return 0


def cmd_train(args) -> int:
    from srcodec import train

    recipe = Path(args.recipe)
    if not recipe.is_file():
        recipe = train.RECIPES / f"{args.recipe}.json"
    if not recipe.is_file():
        names = sorted(p.stem for p in train.RECIPES.glob("*.json"))
        raise SrcodecError(f"recipe must be a JSON file or one of {names}, got {args.recipe!r}")
    config = train.TrainConfig.from_json(recipe, steps=args.steps, seed=args.seed)
    out = Path(args.out) if args.out else Path("runs") / config.model_id
    record = train.train(config, Path(args.data), out, log=lambda msg: print(msg, flush=True), until=args.until)
    if record is None:
        print(f"stopped at step {args.until}; run the same command without --until to go on")
    else:
        print(f"wrote {record} (copy it and its weights into srcodec/weights/ to ship the model)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcodec",
        description="Bandwidth-saving image codec: downsample + JPEG on the way out, "
        "super-resolution on the way in.",
    )
    parser.add_argument("--version", action="version", version=f"srcodec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("-o", "--output", help="output file, or folder when several inputs are given")
        p.add_argument("-f", "--force", action="store_true", help="overwrite existing outputs")
        p.add_argument("-v", "--verbose", action="store_true", help="print one line per file")

    p = sub.add_parser("encode", help="images -> srcodec files",
                       description="Encode images (files or folders) to srcodec files. With the jpeg "
                       "codec the output is a valid JPEG of the downsampled image (NAME.sr.jpg).")
    p.add_argument("inputs", nargs="+", help="image files or folders")
    p.add_argument("-s", "--scale", type=int, default=2,
                   help="downsampling factor 1..8 (default 2); 1 keeps full size and only cleans up JPEG artifacts")
    p.add_argument("-q", "--quality", type=int, default=75,
                   help="inner codec quality (jpeg 1..100, default 75); lower is smaller")
    p.add_argument("-m", "--model", default="auto",
                   help="zoo model id that will decode the file (default: auto, the default model for the scale); see 'srcodec models'")
    p.add_argument("-c", "--codec", default="jpeg", choices=sorted(encoders.CODECS),
                   help="inner codec (default jpeg: the output stays a viewable JPEG)")
    p.add_argument("--alpha", default="error", choices=["error", "flatten"],
                   help="transparent images: refuse (default) or composite onto white")
    p.add_argument("--progressive", action="store_true", help="progressive JPEG")
    p.add_argument("--subsampling", default="4:2:0", choices=["4:4:4", "4:2:2", "4:2:0"],
                   help="JPEG chroma subsampling (default 4:2:0)")
    common(p)
    p.set_defaults(run=cmd_encode)

    p = sub.add_parser("decode", help="srcodec files -> PNG images",
                       description="Decode srcodec files (or folders of them) to full-size PNG images.")
    p.add_argument("inputs", nargs="+", help="srcodec files or folders")
    p.add_argument("--max-pixels", type=int, default=None,
                   help=f"refuse outputs larger than this (default {api.MAX_PIXELS})")
    common(p)
    p.set_defaults(run=cmd_decode)

    p = sub.add_parser("info", help="print a file's header", description="Print srcodec headers without decoding pixels.")
    p.add_argument("inputs", nargs="+", help="srcodec files")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("models", help="list the model zoo", description="List the models this installation can decode with.")
    p.add_argument("--json", action="store_true", help="full records as JSON")
    p.set_defaults(run=cmd_models)

    p = sub.add_parser("train", help="train a network from a recipe",
                       description="Train SRCNN/VDSR from a recipe (srcodec/recipes/*.json or a path); "
                       "checkpoints and resumes in the output folder.")
    p.add_argument("--recipe", required=True, help="recipe name or JSON file")
    p.add_argument("--data", default="../shared/datasets", help="folder holding the training and validation sets")
    p.add_argument("--out", help="run folder (default runs/<model id>)")
    p.add_argument("--steps", type=int, help="override the recipe's step count")
    p.add_argument("--seed", type=int, help="override the recipe's seed")
    p.add_argument("--until", type=int, help="stop (checkpointed) after this step; rerun to resume")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("demo", help="encode scikit-image's sample photos and compare with JPEG",
                       description="Encode scikit-image's sample photos at a few settings, decode them, and "
                       "print bytes and PSNR/SSIM against plain JPEG of the same size.")
    p.add_argument("-m", "--model", default="auto", help="model id (default auto)")
    p.set_defaults(run=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (SrcodecError, OSError) as exc:
        print(f"srcodec: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
