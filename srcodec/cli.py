"""The `srcodec` command line. The only place that prints and maps errors to exit codes."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import encoders
from srcodec import __version__, api, backend, container, images, inference, ratecontrol, zoo
from srcodec.errors import ArgumentError, SrcodecError

# What decode writes, named by the output's suffix: the restored pixels exactly, except in a
# JPEG, which decode writes at a quality that keeps the restored detail (a copy to view or to
# share, not to edit and re-encode).
OUTPUT_FORMATS = {
    ".png": ("PNG", {}),
    ".webp": ("WEBP", {"lossless": True}),
    ".tif": ("TIFF", {"compression": "tiff_adobe_deflate"}),
    ".tiff": ("TIFF", {"compression": "tiff_adobe_deflate"}),
    ".bmp": ("BMP", {}),
    ".jpg": ("JPEG", {"quality": 95, "subsampling": "4:4:4"}),
    ".jpeg": ("JPEG", {"quality": 95, "subsampling": "4:4:4"}),
}
def _check_target(path: Path, force: bool) -> None:
    """Raise the error that writing `path` would meet, before any work is spent on it: an
    existing file (unless `force`), a folder in its place, or nowhere writable to create it."""
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder")
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists (use --force to overwrite, or --skip-existing)")
    folder = path.parent
    while not folder.exists():  # the folders write() will create
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: the folder {folder} is not writable")


def _write_atomic(path: Path, data: bytes, force: bool) -> None:
    """Write `data` to `path` through a temporary file beside it, so that no half-written
    output is ever left; errors name `path`, not the temporary file."""
    _check_target(path, force)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".srcodec-", suffix=path.suffix)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise type(exc)(f"cannot write {path}: {exc.strerror or exc}") from None
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


def _in_cli_words(message: str, args) -> str:
    """`message` with the library's spelling of an option (alpha='flatten') in the command
    line's (--alpha flatten), for the options `args` has."""
    def flag(m: re.Match) -> str:
        return f"--{m[1].replace('_', '-')} {m[2]}" if m[1] in vars(args) else m[0]

    return re.sub(r"\b([a-z_]+)='([^']*)'", flag, message)


def _for_each(pairs: list[tuple[Path, Path | None]], label: str, work, args) -> int:
    """Run `work(source, target)` on every pair; report failures in one line each and count
    them. Targets are checked before the work (--force, --skip-existing, a writable folder),
    so that a file that cannot be written costs no decode."""
    if not pairs:
        print("srcodec: no input files found", file=sys.stderr)
        return 1
    failures = skipped = 0
    for source, target in _progress(pairs, label):
        try:
            if target is not None and getattr(args, "skip_existing", False) and target.exists():
                skipped += 1
                if args.verbose:
                    print(f"{source} -> {target}: skipped, it exists")
                continue
            if target is not None:
                _check_target(target, args.force)
            work(source, target)
        except BrokenPipeError:
            raise
        except (SrcodecError, OSError) as exc:
            failures += 1
            print(f"srcodec: {source}: {_in_cli_words(str(exc), args)}", file=sys.stderr)
    if skipped:
        print(f"srcodec: {skipped} of {len(pairs)} files skipped: their outputs exist", file=sys.stderr)
    if failures and len(pairs) > 1:
        print(f"srcodec: {failures} of {len(pairs)} files failed", file=sys.stderr)
    return 1 if failures else 0


def _check_suffixes(pairs: list[tuple[Path, Path]], allowed, what: str) -> None:
    """Refuse, before any work, an output whose suffix would name another format than it holds."""
    for _, target in pairs:
        if target.suffix.lower() not in allowed:
            raise ArgumentError(f"cannot write {what} to {target}: name it {', '.join(sorted(allowed))}")


def cmd_encode(args) -> int:
    options = {}
    if args.codec == "jpeg":
        options = {"progressive": args.progressive, "subsampling": args.subsampling or "4:2:0"}
    elif args.progressive or args.subsampling:
        raise ArgumentError("--progressive and --subsampling apply to the jpeg codec only")
    suffix = ".sr" + (".jpg" if args.codec == "jpeg" else ".srcd")
    pairs = _targets(args.inputs, images.expand(args.inputs, images.SUFFIXES, encoded=False), args.output, suffix)
    if args.codec == "jpeg":
        _check_suffixes(pairs, {".jpg", ".jpeg"}, "a srcodec file (a JPEG)")
    else:
        _check_suffixes(pairs, {".srcd"}, f"a srcodec file of the {args.codec} codec")

    targets = {"target_bytes": args.target_size, "target_bpp": args.target_bpp, "target_psnr": args.target_psnr,
               "target_ssim": args.target_ssim}
    if sum(v is not None for v in targets.values()) > 1:
        raise ArgumentError("give one of --target-size, --target-bpp, --target-psnr, --target-ssim")
    if any(v is not None for v in targets.values()) and args.quality is not None:
        raise ArgumentError("give --quality or a target, not both: the target chooses the quality")

    def work(source: Path, target: Path) -> None:
        if any(v is not None for v in targets.values()):
            backend.quiet_tensorflow()  # the search decodes
            choice = ratecontrol.choose(source, scales=None if args.scale is None else (args.scale,), model=args.model,
                            codec=args.codec, alpha=args.alpha, codec_options=options, checksum=args.checksum,
                            metadata=args.metadata, seed=args.seed, temperature=args.temperature, **targets)
            _write_atomic(target, choice.data, args.force)
            print(f"{source} -> {target}: {choice.bytes} bytes ({choice.bpp:.3f} bpp), scale {choice.scale}, "
                  f"quality {choice.quality}, {choice.model}, PSNR {choice.psnr:.2f} dB, SSIM {choice.ssim:.4f} "
                  f"({choice.decodes} decodes, {choice.seconds:.1f} s)")
            return
        blob = api.encode(
            source,
            scale=args.scale,
            quality=args.quality,
            model=args.model,
            codec=args.codec,
            alpha=args.alpha,
            codec_options=options,
            checksum=args.checksum,
            metadata=args.metadata,
            seed=args.seed,
            temperature=args.temperature,
        )
        _write_atomic(target, blob, args.force)
        if args.verbose:
            print(f"{source} -> {target}: {len(blob)} bytes")

    return _for_each(pairs, "encode", work, args)


def _carried(info: dict, form: str) -> dict:
    """The file's metadata as Pillow's `save` takes it for output format `form`: the ICC
    profile everywhere, EXIF where the format has a place for it (BMP has neither)."""
    if form == "BMP":
        return {}
    return {key: info[key] for key in ("icc_profile", "exif") if key in info}


def cmd_decode(args) -> int:
    from PIL import Image

    pairs = _targets(args.inputs, images.expand(args.inputs, container.SUFFIXES, encoded=True), args.output, ".png")
    _check_suffixes(pairs, OUTPUT_FORMATS, "an image")

    def work(source: Path, target: Path) -> None:
        data = api.read(source, args.max_pixels)
        with contextlib.suppress(SrcodecError):  # decode says what is wrong with the file
            if zoo.get(api.inspect(data).model).family != "bicubic":
                backend.quiet_tensorflow()
        image = api.open_image(data, max_pixels=args.max_pixels, precision=args.precision, timeout=args.timeout)
        buffer = io.BytesIO()
        form, options = OUTPUT_FORMATS[target.suffix.lower()]
        image.save(buffer, form, **_carried(image.info, form), **options)
        _write_atomic(target, buffer.getvalue(), args.force)
        if args.verbose:
            print(f"{source} -> {target}: {image.width}x{image.height}")

    return _for_each(pairs, "decode", work, args)


def cmd_info(args) -> int:
    def work(source: Path, _target) -> None:
        info = api.inspect(source).as_dict()
        if args.json:
            print(json.dumps({"file": str(source), **info}))
        else:
            print(f"{source}: " + ", ".join(f"{k}={v}" for k, v in info.items() if v is not None))

    found = images.expand(args.inputs, container.SUFFIXES, encoded=True)
    return _for_each([(source, None) for source, _ in found], "info", work, args)


def cmd_models(args) -> int:
    records = zoo.list_models()
    if args.json:
        print(json.dumps([r.summary() for r in records], indent=2))
        return 0
    print(f"{'id':<20} {'family':<10} {'objective':<10} {'colour':<6} {'scales':<16} role")
    for r in records:
        scales = ",".join(map(str, r.scales))
        print(f"{r.id:<20} {r.family:<10} {r.objective:<10} {r.colour:<6} {scales:<16} {r.role}")
    for why in zoo.broken_records().values():
        print(f"srcodec: warning: {why}", file=sys.stderr)
    return 0


def cmd_demo(args) -> int:
    backend.quiet_tensorflow()
    from srcodec import demo

    print(demo.format_table(demo.run(model=args.model)))
    return 0


def cmd_train(args) -> int:
    backend.quiet_tensorflow()
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


_UNITS = {"": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}


def _size(text: str) -> int:
    """A byte count: 20000, 20k or 20kB (20 000), 20KiB (20 480), 1.5M."""
    number = text.rstrip("kKmMiBb")
    unit = text[len(number):].lower()
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 20000, 20k, 20KiB, 1M)") from None
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 byte, got {text!r}")
    return int(value)


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
        epilog="TensorFlow prints nothing unless TF_CPP_MIN_LOG_LEVEL is set (0: everything, 1: no INFO, "
        "2: no warnings; 3, the default here: no errors either).",
    )
    parser.add_argument("--version", action="version", version=f"srcodec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, output: str):
        p.add_argument("-o", "--output", help=output)
        existing = p.add_mutually_exclusive_group()
        existing.add_argument("-f", "--force", action="store_true", help="overwrite existing outputs")
        existing.add_argument("--skip-existing", action="store_true",
                              help="leave existing outputs alone and count them as skipped, not failed (reruns)")
        p.add_argument("-v", "--verbose", action="store_true", help="print one line per file")

    p = sub.add_parser("encode", help="images -> srcodec files",
                       description="Encode images (files or folders) to srcodec files. With the jpeg "
                       "codec the output is a valid JPEG of the downsampled image (NAME.sr.jpg).")
    p.add_argument("inputs", nargs="+", help="image files or folders")
    p.add_argument("-s", "--scale", type=int, default=None,
                   help="downsampling factor 1..8 (default 2; with a target: searched over 1..4); "
                        "1 keeps full size and only cleans up JPEG artifacts")
    p.add_argument("-q", "--quality", type=int, default=None,
                   help="inner codec quality (jpeg 1..100, default 75); lower is smaller")
    p.add_argument("--target-size", type=_size, default=None, metavar="SIZE",
                   help="rate control: the best file of at most SIZE bytes (20000, 20k = 20000, 20KiB = 20480, 1M); "
                        "scale and quality are searched with the decoder in the loop, and the choice is printed")
    p.add_argument("--target-bpp", type=float, default=None, help="rate control: at most this many bits per pixel")
    p.add_argument("--target-psnr", type=float, default=None, metavar="DB",
                   help="rate control: the fewest bytes whose decoded image reaches this RGB PSNR")
    p.add_argument("--target-ssim", type=float, default=None, help="rate control: the same for SSIM (0..1)")
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
    p.add_argument("--metadata", default="icc", choices=["icc", "all", "none"],
                   help="what of the input's metadata the file carries: its ICC colour profile (default), "
                        "all (also EXIF, less the applied orientation, and XMP) or none")
    p.add_argument("--seed", type=int, default=None,
                   help="sampled models (pixelcnn-*) only: the seed of the draws the decoder makes (default 0)")
    p.add_argument("--temperature", type=float, default=None,
                   help="sampled models only: the sampling temperature (default: the model's; 0: the most likely levels)")
    common(p, "output file (.jpg or .jpeg; .srcd for the other codecs), or folder when several inputs "
           "are given (default: NAME.sr.jpg, or NAME.sr.srcd, beside each input)")
    p.set_defaults(run=cmd_encode)

    p = sub.add_parser("decode", help="srcodec files -> full-size images",
                       description="Decode srcodec files (or folders of them) to full-size images: PNG, or "
                       "the format the output's suffix names.")
    p.add_argument("inputs", nargs="+", help="srcodec files or folders")
    p.add_argument("--max-pixels", type=_positive, default=None,
                   help=f"refuse outputs larger than this (default {api.MAX_PIXELS})")
    p.add_argument("--precision", default="auto", choices=inference.PRECISIONS,
                   help="network compute precision (default auto: bfloat16 on CPUs with native support)")
    p.add_argument("--timeout", type=float, default=None,
                   help="give up on a file after this many seconds (default: no limit)")
    common(p, "output file, or folder when several inputs are given (default: NAME.sr.png beside each "
           "input); the suffix names the format: .png, .webp (lossless), .tif/.tiff, .bmp, or .jpg/.jpeg "
           "(JPEG quality 95, 4:4:4)")
    p.set_defaults(run=cmd_decode)

    p = sub.add_parser("info", help="print a file's header", description="Print srcodec headers without decoding pixels.")
    p.add_argument("inputs", nargs="+", help="srcodec files or folders")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("models", help="list the model zoo", description="List the models this installation can decode with.")
    p.add_argument("--json", action="store_true", help="full records as JSON")
    p.set_defaults(run=cmd_models)

    p = sub.add_parser("train", help="train a network from a recipe",
                       description="Train a network from a recipe (srcodec/recipes/*.json or a path); "
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
        code = args.run(args)
        sys.stdout.flush()  # a reader that went away shows here, not as a traceback at exit
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as tools killed by SIGPIPE do
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 141
    except (SrcodecError, OSError) as exc:
        print(f"srcodec: error: {_in_cli_words(str(exc), args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line, but say it is ours
        print(f"srcodec: internal error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
