"""Batch decoding throughput: one thread, `decode_many`'s threads, a local process pool, Ray.

    python -m benchmarks.throughput [--data ../shared/datasets/bsd100] [--images 20] [--scale 2]
                                    [--workers 2] [--no-ray]

The first `--images` images of `--data` are encoded at quality 40 with the default model of
`--scale`, then decoded every way; each row times the whole batch, start-up included (a
process pool's workers and Ray's actors each load the network), and gives files/s and output
MP/s. Ray (srcodec[ray]) runs on a local Ray of `--workers` CPUs, started before the clock.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _decode_files(paths: list[str]) -> None:
    import srcodec
    from srcodec import backend

    backend.quiet_tensorflow()  # once per worker process
    for path in paths:
        srcodec.decode(Path(path))


def main(argv: list[str] | None = None) -> int:
    import srcodec
    from benchmarks.paper import DEFAULT_DATA
    from srcodec import backend

    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA / "bsd100")
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args(argv)

    sources = sorted(p for p in args.data.iterdir() if p.suffix.lower() == ".png")[: args.images]
    if not sources:
        print(f"no .png images in {args.data}", file=sys.stderr)
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for source in sources:
            path = Path(folder) / (source.stem + ".sr.jpg")
            path.write_bytes(srcodec.encode(source, scale=args.scale, quality=40))
            files.append(str(path))
        model = srcodec.inspect(Path(files[0])).model
        pixels = sum(info.width * info.height for info in map(srcodec.inspect, map(Path, files)))

        def timed(name: str, run) -> None:
            started = time.perf_counter()
            run()
            seconds = time.perf_counter() - started
            rows.append((name, seconds, len(files) / seconds, pixels / seconds / 1e6))

        backend.quiet_tensorflow()
        srcodec.decode(Path(files[0]))  # this process's network: loaded once, for the thread rows
        timed("one thread (network loaded)", lambda: _decode_files(files))
        timed(f"decode_many, {args.workers} threads", lambda: list(srcodec.decode_many(files, workers=args.workers)))
        chunks = [files[k :: args.workers] for k in range(args.workers)]
        context = multiprocessing.get_context("spawn")

        def pool() -> None:
            with ProcessPoolExecutor(args.workers, mp_context=context) as executor:
                list(executor.map(_decode_files, chunks))

        timed(f"process pool, {args.workers} processes (each loads TF and the network)", pool)
        if not args.no_ray:
            from srcodec import scaleout

            ray = scaleout.ray_session(num_cpus=args.workers)  # started before the clock

            def on_ray() -> None:
                report = scaleout.transcode(files, "decode", out=Path(folder) / "ray", actors=args.workers)
                failed = [r for r in report if r["error"]]
                if failed:
                    raise RuntimeError(f"{len(failed)} files failed on Ray: {failed[0]['error']}")

            timed(f"Ray Data, {args.workers} actors (each loads TF and the network)", on_ray)
            timed(f"Ray Data again ({args.workers} new actors, Ray running)", on_ray)
            ray.shutdown()
    print(f"\n{len(files)} files of {args.data} at x{args.scale} q40, decoded by {model}\n")
    print("| how | seconds | files/s | MP/s |")
    print("|---|---|---|---|")
    for name, seconds, per_second, mps in rows:
        print(f"| {name} | {seconds:.1f} | {per_second:.2f} | {mps:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
