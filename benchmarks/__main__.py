"""The rate-distortion harness.

    python -m benchmarks [IMAGES...] --out DIR [--quick] [--perceptual] [--rc] [--codecs ...] [--models ...]
                         [--workers N] [--engine process|ray [--address ADDR]] [--format jsonl|csv]

IMAGES are files, folders or skimage:NAME for one of scikit-image's sample photos (none:
astronaut, chelsea and coffee). Writes DIR/results.jsonl
(or .csv; rerun the same command to resume an interrupted sweep), DIR/report.html,
DIR/summary.md and the RD plots, and prints the summary.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchmarks import DEFAULT_MODELS_HELP, default_models, report, sweep
from srcodec import demo, images


def collect(inputs: list[str]) -> list[str]:
    if not inputs:
        return [sweep.SAMPLE_PREFIX + name for name in demo.SAMPLES]
    found = []
    for name in inputs:
        path = Path(name)
        if name.startswith(sweep.SAMPLE_PREFIX):
            found.append(_sample(name))
        elif path.is_dir():
            found += sorted(str(p) for p in path.iterdir() if p.suffix.lower() in images.SUFFIXES)
        elif path.is_file():
            found.append(str(path))
        else:
            raise FileNotFoundError(f"no such image or folder: {name}")
    if not found:
        raise FileNotFoundError(f"no images found in {inputs}")
    return found


def _sample(name: str) -> str:
    from skimage import data

    if not callable(getattr(data, name[len(sweep.SAMPLE_PREFIX):], None)):
        raise FileNotFoundError(f"no scikit-image sample {name!r} (e.g. {sweep.SAMPLE_PREFIX}{demo.SAMPLES[0]})")
    return name


def main(argv: list[str] | None = None) -> int:
    import encoders
    import srcodec

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="*", help="image files, folders or skimage:NAME (default: three scikit-image samples)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--quick", action="store_true",
                        help="8 qualities a curve (instead of 10-11), srcodec at scales 1 and 2 only")
    parser.add_argument("--perceptual", action="store_true",
                        help="also score SSIMULACRA2 and the VGG16 feature distance (~1 s a setting more)")
    parser.add_argument("--rc", action="store_true",
                        help="also run rate control (srcodec:rc: each image's own setting at plain JPEG's sizes; "
                             "a decode per scale searched a setting)")
    parser.add_argument("--codecs", nargs="*", default=[c for c in sweep.BASELINES if encoders.get(c).available],
                        choices=sweep.BASELINES, help="baseline codecs (default: all available)")
    parser.add_argument("--models", nargs="*", default=None, help=f"zoo models for srcodec ({DEFAULT_MODELS_HELP})")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel processes (Ray: CPUs of the local Ray)")
    parser.add_argument("--engine", choices=sweep.ENGINES, default="process",
                        help="process: a local process pool (default); ray: Ray tasks (pip install 'srcodec[ray]')")
    parser.add_argument("--address", help="with --engine ray: the Ray cluster to use (default: start a local one)")
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    args = parser.parse_args(argv)

    try:
        images = collect(args.images)
        models = args.models if args.models is not None else default_models()
        families = {m: (srcodec.zoo.get(m).family, srcodec.zoo.get(m).objective) for m in models}
    except (FileNotFoundError, srcodec.SrcodecError) as exc:
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        return 1
    units = sweep.plan(images, args.codecs, models, args.quick, args.perceptual, rc=args.rc)
    results = sweep.ResultsFile(args.out / f"results.{args.format}")
    from tqdm import tqdm

    started = time.time()
    try:
        with tqdm(total=len(units), unit="setting", disable=None, file=sys.stderr) as bar:
            rows = sweep.run(units, results, args.workers, progress=bar, engine=args.engine, address=args.address)
    except sweep.SweepError as exc:
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        return 1
    header, _ = results.read()
    wanted = {u.key for u in units}
    rows = [r for r in rows if sweep.row_key(r) in wanted]
    title = f"srcodec rate-distortion: {len(images)} image(s), {len(rows)} settings"
    summary = report.write(rows, header, families, args.out, title)
    print(summary)
    print(f"wrote {args.out / 'report.html'}, {args.out / 'summary.md'}, {results.path} "
          f"({time.time() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
