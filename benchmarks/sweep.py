"""The rate-distortion sweep: units of work, their execution, and the results file.

A unit is one (image, codec, model, scale, quality) setting; `run_unit` turns it into one row
and depends on nothing but the unit, so any executor can run units anywhere (here: a process
pool, one image's units per task so each process decodes the reference once and keeps its
networks loaded). Rows are appended to the results file as they finish; a rerun skips the
units already there, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import csv
import functools
import json
import multiprocessing
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks import analysis
from srcodec import backend
from srcodec.provenance import git_commit

COLUMNS = ("image", "codec", "model", "scale", "quality", "bytes", "bpp", "psnr_rgb", "psnr_y", "ssim",
           "ms_ssim", "ssimulacra2", "vgg_distance", "encode_s", "decode_s", "perceptual_s")
PERCEPTUAL = ("ssimulacra2", "vgg_distance")  # NaN in rows made without --perceptual
BASELINES = ("jpeg", "webp", "avif", "jxl")
SAMPLE_PREFIX = "skimage:"

# srcodec's qualities are a subset of the baselines': a curve sampled at other knots than its
# anchor differs from it by pchip's interpolation error alone (measured on BSD100: -1.4% BD-rate
# for srcodec's bicubic x1, which is JPEG + 27 bytes, against a jpeg curve with 70 and 80).
_BASELINE_QUALITIES = (5, 10, 20, 30, 40, 50, 60, 75, 90, 95)
QUALITIES = {
    "jpeg": _BASELINE_QUALITIES,
    "webp": _BASELINE_QUALITIES,
    "avif": _BASELINE_QUALITIES,
    "jxl": _BASELINE_QUALITIES,
    "srcodec": (10, 20, 30, 40, 50, 60, 75, 90),  # 8: network decodes dominate the run time
}
QUICK_QUALITIES = {name: (5, 10, 20, 30, 40, 60, 80, 95) for name in QUALITIES}
SRCODEC_SCALES = (1, 2, 3, 4)
QUICK_SCALES = (1, 2)  # the encoder's default and the artifact-removal setting
# Rate control's rows: srcodec.choose with the default models, one budget per image and JPEG
# quality (the plain JPEG's size at that quality), so each image picks its own scale and quality.
# Such a unit's scale is the largest scale searched.
RC_MODEL = analysis.RC_MODEL


@dataclass(frozen=True)
class Unit:
    image: str  # a path, or "skimage:NAME" for an embedded sample
    codec: str  # a baseline codec, or "srcodec"
    model: str  # zoo id for srcodec, "" for baselines
    scale: int
    quality: int
    perceptual: bool = False  # score SSIMULACRA2 and the VGG16 feature distance too (~1 s a row more)

    @property
    def key(self) -> tuple:
        return row_key(asdict(self))


def row_key(row: dict) -> tuple:
    """What identifies a setting, for resuming: image paths compare as absolute paths, so a
    sweep resumed from another spelling of the same folder does not start over."""
    image = row["image"]
    if not image.startswith(SAMPLE_PREFIX):
        image = os.path.abspath(image)
    return (image, row["codec"], row["model"], row["scale"], row["quality"])


@functools.lru_cache(maxsize=4)
def load_reference(image: str) -> np.ndarray:
    """uint8 RGB (or grey) pixels of a path or embedded sample, cached per process."""
    if image.startswith(SAMPLE_PREFIX):
        from skimage import data

        return getattr(data, image[len(SAMPLE_PREFIX):])()
    from srcodec import images

    return images.to_array(image)


@functools.lru_cache(maxsize=4)
def _scorer(image: str):
    """The reference prepared for scoring (`metrics.Reference`), in RGB, cached per process:
    each image is scored some 170 times (44 instead of 71 ms a row on a BSD100 image)."""
    from srcodec import metrics, resample

    return metrics.Reference(resample.as_rgb(load_reference(image)))


@functools.lru_cache(maxsize=2)
def _perceptual_scorers(image: str) -> tuple:
    """(SSIMULACRA2, VGG16 feature distance) against the reference, cached per process; the
    feature distance is None when the VGG16 weights are not here (`srcodec.perceptual`)."""
    from srcodec import perceptual
    from srcodec.errors import WeightsError

    reference = load_reference(image)
    try:
        features = perceptual.FeatureDistance(reference)
    except WeightsError:
        features = None
    return perceptual.Ssimulacra2(reference), features


def _code(unit: Unit, reference: np.ndarray) -> tuple[bytes, np.ndarray, float, float]:
    import encoders
    import srcodec
    from srcodec import resample

    start = time.perf_counter()
    if unit.model == RC_MODEL:
        budget = len(encoders.jpeg.encode(reference, unit.quality))
        data = srcodec.choose(reference, target_bytes=budget, scales=tuple(range(1, unit.scale + 1))).data
    elif unit.codec == "srcodec":
        data = srcodec.encode(reference, scale=unit.scale, quality=unit.quality, model=unit.model)
    else:
        data = encoders.get(unit.codec).encode(reference, unit.quality)
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    if unit.codec == "srcodec":
        decoded = srcodec.decode(data)
    else:
        decoded = encoders.get(unit.codec).decode(data)
        if reference.ndim == 2:
            decoded = resample.as_grey(decoded)
    decode_s = time.perf_counter() - start
    return data, decoded, encode_s, decode_s


def run_unit(unit: Unit) -> dict:
    """Code, decode and score one setting; returns one results row."""
    from srcodec import metrics, resample

    reference = load_reference(unit.image)
    data, decoded, encode_s, decode_s = _code(unit, reference)
    rgb_out = resample.as_rgb(decoded)
    scorer = _scorer(unit.image)
    ssim, ms_ssim = scorer.ssim_and_ms_ssim(rgb_out)
    perceptual = {name: float("nan") for name in PERCEPTUAL}
    start = time.perf_counter()
    if unit.perceptual:
        ssimulacra2, features = _perceptual_scorers(unit.image)
        perceptual["ssimulacra2"] = ssimulacra2(rgb_out)
        if features is not None:
            perceptual["vgg_distance"] = features(rgb_out)
    return {
        **{k: v for k, v in asdict(unit).items() if k != "perceptual"},
        "bytes": len(data),
        "bpp": metrics.bpp(len(data), reference.shape),
        "psnr_rgb": scorer.psnr_rgb(rgb_out),
        "psnr_y": scorer.psnr_y(rgb_out),
        "ssim": ssim,
        "ms_ssim": ms_ssim,
        **perceptual,
        "encode_s": encode_s,
        "decode_s": decode_s,
        "perceptual_s": time.perf_counter() - start if unit.perceptual else 0.0,
    }


def _run_image(units: list[Unit]) -> list[dict]:
    backend.quiet_tensorflow()  # a worker process: TensorFlow's load-time lines would break the progress bar
    return [run_unit(u) for u in units]


def _thread_env(threads: int) -> dict[str, str]:
    """The environment that holds a worker's thread pools (TensorFlow, OpenMP, OpenCV) to
    `threads`: with every worker using all the cores, they oversubscribe the machine."""
    pools = ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")
    return {**{pool: str(threads) for pool in pools}, "TF_NUM_INTEROP_THREADS": "1"}


def _init_worker(threads: int) -> None:
    """Give each worker process its share of the cores. Runs before TensorFlow loads."""
    os.environ.update(_thread_env(threads))


def plan(images: list[str], codecs, models, quick: bool, perceptual: bool = False, rc: bool = False) -> list[Unit]:
    """Every unit of a sweep: baselines at their qualities, each srcodec model at each scale
    it serves (of 1..4; quick: of 1..2) at the srcodec qualities, and with `rc` rate control
    over the same scales at the budgets of plain JPEG at the srcodec qualities; `perceptual`
    scores them with the perceptual metrics too."""
    from srcodec import zoo

    qualities = QUICK_QUALITIES if quick else QUALITIES
    scales = QUICK_SCALES if quick else SRCODEC_SCALES
    units = []
    for image in images:
        for codec in codecs:
            units += [Unit(image, codec, "", 1, q, perceptual) for q in qualities[codec]]
        for model in models:
            for scale in zoo.get(model).scales:
                if scale in scales:
                    units += [Unit(image, "srcodec", model, scale, q, perceptual) for q in qualities["srcodec"]]
        if rc:
            units += [Unit(image, "srcodec", RC_MODEL, max(scales), q, perceptual) for q in qualities["srcodec"]]
    return units


def header_record() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    import encoders

    versions = {}
    for dist in ("srcodec", "numpy", "pillow", "pillow-jxl-plugin", "opencv-python-headless", "scikit-image", "keras",
                 "tensorflow", "bjontegaard", "ssimulacra2"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    versions["codecs"] = {n: m.version() for n, m in encoders.CODECS.items() if m.available}
    return {
        "versions": versions,
        "git_commit": git_commit(),
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


class ResultsFile:
    """Rows in JSON lines (first line ``{"header": ...}``) or CSV (``#`` header comment line)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.csv = self.path.suffix == ".csv"

    def read(self) -> tuple[dict | None, list[dict]]:
        if not self.path.exists():
            return None, []
        header, rows = None, []
        text = self.path.read_text()
        if self.csv:
            lines = text.splitlines()
            if not text.endswith("\n"):
                lines = lines[:-1]  # cut short by an interruption (maybe inside a number): runs again
            if lines and lines[0].startswith("# "):
                header = json.loads(lines[0][2:])
                lines = lines[1:]
            for row in csv.DictReader(lines):
                try:
                    rows.append({k: _parse(k, row[k]) for k in COLUMNS})
                except (KeyError, TypeError, ValueError):
                    continue  # a row cut short by an interruption: its unit runs again
        else:
            for line in text.splitlines():
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption: its unit runs again
                if "header" in record:
                    header = record["header"]
                else:
                    rows.append(record)
        return header, rows

    def start(self, header: dict) -> None:
        if self.path.exists():
            data = self.path.read_bytes()
            if data and not data.endswith(b"\n"):  # cut short mid-row: drop that row, so the next starts clean
                data = data[: data.rfind(b"\n") + 1]
                with open(self.path, "rb+") as f:
                    f.truncate(len(data))
            if data:
                return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", newline="") as f:
            if self.csv:
                f.write("# " + json.dumps(header) + "\n")
                csv.writer(f).writerow(COLUMNS)
            else:
                f.write(json.dumps({"header": header}) + "\n")

    def append(self, rows: list[dict]) -> None:
        with open(self.path, "a", newline="") as f:
            for row in rows:
                if self.csv:
                    csv.writer(f).writerow([row[c] for c in COLUMNS])
                else:
                    f.write(json.dumps({c: row[c] for c in COLUMNS}) + "\n")


def _parse(column: str, value: str):
    if column in ("scale", "quality", "bytes"):
        return int(value)
    if column in ("image", "codec", "model"):
        return value
    return float(value)


class SweepError(RuntimeError):
    """The sweep cannot go on, or some of its units failed (the others' rows are saved)."""


PROVENANCE = ("git_commit", "versions")  # header fields whose change would mix results


ENGINES = ("process", "ray")


def run(units: list[Unit], results: ResultsFile, workers: int, progress=None, engine: str = "process",
        address: str | None = None) -> list[dict]:
    """Run the units not yet in `results`; return all rows (old and new).

    `engine` "process": a pool of `workers` local processes; "ray": Ray tasks of one CPU each
    (srcodec[ray]), on a local Ray of `workers` CPUs, or on the cluster at `address`.

    Refuses (`SweepError`) to add to rows made by other code or library versions. A unit that
    fails does not stop the others: their rows are saved, then `SweepError` names the failures
    (rerunning retries just those)."""
    header, rows = results.read()
    current = header_record()
    if header and rows:
        changed = [k for k in PROVENANCE if header.get(k) != current[k]]
        if changed:
            raise SweepError(
                f"{results.path} holds {len(rows)} rows made with another {' and '.join(changed)} "
                f"({header.get('git_commit')} vs {current['git_commit']} now); resuming would mix them: "
                "use another --out, or delete the file to start over"
            )
    elif header and results.path.exists():
        results.path.unlink()  # a header and no rows: start afresh, under this run's header
    results.start(current)  # writes the header only into an empty file
    done = {row_key(r) for r in rows}
    todo = [u for u in units if u.key not in done]
    by_image: dict[str, list[Unit]] = {}
    for unit in todo:
        by_image.setdefault(unit.image, []).append(unit)
    if progress is not None:
        progress.reset(total=len(todo))
    if not todo:
        return rows
    tasks = [chunk for units in by_image.values() for chunk in _chunks(units, 24)]
    failures: list[str] = []

    def collect(chunk: list[Unit], outcome) -> None:
        try:
            new = outcome()
        except Exception as exc:  # noqa: BLE001 -- any failure of one image's units; reported below
            failures.append(f"{chunk[0].image} ({len(chunk)} settings): {type(exc).__name__}: {exc}")
            return
        results.append(new)
        rows.extend(new)
        if progress is not None:
            progress.update(len(new))

    if engine == "ray":
        _run_on_ray(tasks, collect, workers, address)
    elif workers <= 1:
        for chunk in tasks:
            collect(chunk, lambda: _run_image(chunk))
    else:
        threads = max(1, (os.cpu_count() or 1) // workers)
        # spawn, not fork: the parent may have loaded TensorFlow, whose threads do not survive a fork
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                 initargs=(threads,)) as pool:
            futures = {pool.submit(_run_image, chunk): chunk for chunk in tasks}
            for future in as_completed(futures):
                collect(futures[future], future.result)
    if failures:
        raise SweepError(f"{len(failures)} of {len(tasks)} tasks failed (the rest are saved; rerun to retry):\n  "
                         + "\n  ".join(failures[:5]) + ("\n  ..." if len(failures) > 5 else ""))
    return rows


def _run_on_ray(tasks: list[list[Unit]], collect, workers: int, address: str | None) -> None:
    """Each image's chunk as a Ray task of one CPU, its network thread pools sized to it."""
    from srcodec.scaleout import ray_session

    ray = ray_session(address, workers)
    remote = ray.remote(num_cpus=1, runtime_env={"env_vars": _thread_env(1)})(_run_image)
    pending = {remote.remote(chunk): chunk for chunk in tasks}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        chunk = pending.pop(ready[0])
        collect(chunk, lambda: ray.get(ready[0]))


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
