"""The `srcodec` command line. The only place that prints and maps errors to exit codes."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import encoders
from srcodec import __version__, api, container, images, inference, zoo
from srcodec.errors import ArgumentError, LimitError, SrcodecError

ENCODED_SUFFIXES = {".jpg", ".jpeg", ".srcd"}
BYTES_PER_PIXEL = 8  # a srcodec file is far smaller than this per output pixel (JPEG q100 4:4:4 noise: ~3.4)


def _read(path: Path, max_pixels: int | None) -> bytes:
    """The bytes of the srcodec file `path`: a regular file (a FIFO or device would never end)
    no larger than a file of `max_pixels` output pixels can be, read without reading more."""
    limit = BYTES_PER_PIXEL * (api.MAX_PIXELS if max_pixels is None else max_pixels) + 2**20
    if path.exists() and not path.is_file():
        raise ArgumentError(f"not a regular file: {path}")
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise LimitError(f"file is over {limit} bytes, more than a file of max_pixels pixels needs")
    return data


def _is_srcodec_file(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(10)
    return head.startswith(container.MAGIC) or (head[:4] == container.SOI + container.APP9 and head[6:10] == container.MAGIC)


def _expand(inputs: list[str], suffixes: set[str], encoded: bool) -> list[tuple[Path, Path]]:
    """(file, its path relative to the folder it was found in) for files as given and for the
    files with `suffixes` under given folders, sorted. From folders, only srcodec files are
    taken when `encoded`, and none otherwise: encoding a folder twice does not encode its own
    outputs, and decoding it does not trip over the plain JPEGs beside them."""
    found: list[tuple[Path, Path]] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.suffix.lower() in suffixes and _is_srcodec_file(p) == encoded:
                    found.append((p, p.relative_to(path)))
        else:
            found.append((path, Path(path.name)))
    return found


def _write_atomic(path: Path, data: bytes, force: bool) -> None:
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".srcodec-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _targets(inputs: list[str], found: list[tuple[Path, Path]], out: str | None, suffix: str) -> list[tuple[Path, Path]]:
    """(source, output) pairs. NAME.png -> NAME.sr.jpg on encode, NAME.sr.jpg -> NAME.sr.png on
    decode: beside the source, or at `out` (one input file), or under the folder `out` (several
    files, a folder among the `inputs`, or `out` a folder or ending in a separator), keeping the
    sources' sub-folders. Two sources that would write the same output are refused up front."""
    into_folder = out is not None and (
        len(found) > 1 or out.endswith(("/", os.sep)) or Path(out).is_dir() or any(Path(i).is_dir() for i in inputs)
    )
    pairs = []
    for source, relative in found:
        name = source.stem + suffix
        if out is None:
            target = source.with_name(name)
        elif into_folder:
            target = Path(out) / relative.with_name(name)
        else:
            target = Path(out)
        pairs.append((source, target))
    seen: dict[Path, Path] = {}
    for source, target in pairs:
        if target in seen:
            raise FileExistsError(f"{seen[target]} and {source} would both be written to {target}")
        seen[target] = source
    return pairs


def _progress(items, label: str):
    if len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="file", disable=None, file=sys.stderr)


def _for_each(pairs: list[tuple[Path, Path]], label: str, work) -> int:
    """Run `work(source, target)` on every pair; report failures in one line each and count them."""
    if not pairs:
        print("srcodec: no input files found", file=sys.stderr)
        return 1
    failures = 0
    for source, target in _progress(pairs, label):
        try:
            work(source, target)
        except (SrcodecError, OSError) as exc:
            failures += 1
            print(f"srcodec: {source}: {exc}", file=sys.stderr)
    if failures and len(pairs) > 1:
        print(f"srcodec: {failures} of {len(pairs)} files failed", file=sys.stderr)
    return 1 if failures else 0


def cmd_encode(args) -> int:
    options = {}
    if args.codec == "jpeg":
        options = {"progressive": args.progressive, "subsampling": args.subsampling or "4:2:0"}
    elif args.progressive or args.subsampling:
        raise ArgumentError("--progressive and --subsampling apply to the jpeg codec only")
    suffix = ".sr" + (".jpg" if args.codec == "jpeg" else ".srcd")
    pairs = _targets(args.inputs, _expand(args.inputs, images.SUFFIXES, encoded=False), args.output, suffix)

    def work(source: Path, target: Path) -> None:
        blob = api.encode(
            source,
            scale=args.scale,
            quality=args.quality,
            model=args.model,
            codec=args.codec,
            alpha=args.alpha,
            codec_options=options,
            checksum=args.checksum,
        )
        _write_atomic(target, blob, args.force)
        if args.verbose:
            print(f"{source} -> {target}: {len(blob)} bytes")

    return _for_each(pairs, "encode", work)


def cmd_decode(args) -> int:
    from PIL import Image

    pairs = _targets(args.inputs, _expand(args.inputs, ENCODED_SUFFIXES, encoded=True), args.output, ".png")

    def work(source: Path, target: Path) -> None:
        image = api.decode(
            _read(source, args.max_pixels), max_pixels=args.max_pixels, precision=args.precision, timeout=args.timeout
        )
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "PNG")
        _write_atomic(target, buffer.getvalue(), args.force)
        if args.verbose:
            print(f"{source} -> {target}: {image.shape[1]}x{image.shape[0]}")

    return _for_each(pairs, "decode", work)


def cmd_info(args) -> int:
    def work(source: Path, _target) -> None:
        info = api.inspect(_read(source, None)).as_dict()
        if args.json:
            print(json.dumps({"file": str(source), **info}))
        else:
            print(f"{source}: " + ", ".join(f"{k}={v}" for k, v in info.items() if v is not None))

    return _for_each([(Path(p), None) for p in args.inputs], "info", work)


def cmd_models(args) -> int:
    records = zoo.list_models()
    if args.json:
        print(json.dumps([r.summary() for r in records], indent=2))
        return 0
    print(f"{'id':<20} {'family':<10} {'objective':<10} {'colour':<6} {'scales':<16} default for")
    for r in records:
        scales = ",".join(map(str, r.scales))
        default = ",".join(f"x{s}" for s in r.default)
        if default and tuple(r.default_qualities) != (1, 100):
            default += f" (jpeg q{r.default_qualities[0]}-{r.default_qualities[1]})"
        if r.superseded_by:
            default = f"(superseded by {r.superseded_by})"
        print(f"{r.id:<20} {r.family:<10} {r.objective:<10} {r.colour:<6} {scales:<16} {default}")
    for why in zoo.broken_records().values():
        print(f"srcodec: warning: {why}", file=sys.stderr)
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


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


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
    p.add_argument("--subsampling", choices=["4:4:4", "4:2:2", "4:2:0"],
                   help="JPEG chroma subsampling (default 4:2:0)")
    p.add_argument("--checksum", action="store_true",
                   help="carry a CRC-32 of the payload (4 bytes), so decoding detects any corruption")
    common(p)
    p.set_defaults(run=cmd_encode)

    p = sub.add_parser("decode", help="srcodec files -> PNG images",
                       description="Decode srcodec files (or folders of them) to full-size PNG images.")
    p.add_argument("inputs", nargs="+", help="srcodec files or folders")
    p.add_argument("--max-pixels", type=_positive, default=None,
                   help=f"refuse outputs larger than this (default {api.MAX_PIXELS})")
    p.add_argument("--precision", default="auto", choices=inference.PRECISIONS,
                   help="network compute precision (default auto: bfloat16 on CPUs with native support)")
    p.add_argument("--timeout", type=float, default=None,
                   help="give up on a file after this many seconds (default: no limit)")
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
    except Exception as exc:  # a bug: still one line, but say it is ours
        print(f"srcodec: internal error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
