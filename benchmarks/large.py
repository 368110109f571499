"""Peak memory and time of decoding a large image (tiled inference).

    python -m benchmarks.large [--width 6000 --height 4000] [--model auto] [--scale 2]

Encodes a synthetic photo-like image (scikit-image's astronaut, tiled and mirrored), then
decodes it in a fresh process and reports that process's peak resident memory (which
includes the Python and TensorFlow runtime) and the decode time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

import numpy as np

CHILD = """
import json, resource, sys, time
import srcodec
blob = open(sys.argv[1], 'rb').read()
start = time.perf_counter()
image = srcodec.decode(blob)
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "shape": list(image.shape)}))
"""


def synthetic(width: int, height: int) -> np.ndarray:
    from skimage import data

    tile = data.astronaut()
    tile = np.concatenate([tile, tile[:, ::-1]], axis=1)
    tile = np.concatenate([tile, tile[::-1]], axis=0)
    reps = (-(-height // tile.shape[0]), -(-width // tile.shape[1]), 1)
    return np.ascontiguousarray(np.tile(tile, reps)[:height, :width])


def main(argv: list[str] | None = None) -> int:
    import srcodec

    parser = argparse.ArgumentParser(prog="python -m benchmarks.large", description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--quality", type=int, default=75)
    parser.add_argument("--model", default="auto")
    args = parser.parse_args(argv)
    blob = srcodec.encode(synthetic(args.width, args.height), scale=args.scale, quality=args.quality, model=args.model)
    with tempfile.NamedTemporaryFile(suffix=".sr.jpg") as f:
        f.write(blob)
        f.flush()
        out = subprocess.run([sys.executable, "-c", CHILD, f.name], capture_output=True, text=True)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return 1
    result = json.loads(out.stdout.strip().splitlines()[-1])
    model = srcodec.inspect(blob).model
    print(f"{'model':<20} {'output':>11} {'bytes':>9} {'decode s':>9} {'peak MB':>8}")
    print(f"{model:<20} {args.width:>5}x{args.height:<5} {len(blob):>9} {result['seconds']:9.1f} {result['peak_mb']:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
