"""Batch transcoding on Ray Data, for when one machine is not enough (``pip install srcodec[ray]``).

    results = srcodec.scaleout.transcode(["photos/", "s3://bucket/more/"], "encode", out="encoded/",
                                         quality=40)

Files are read with Ray Data (local paths, folders, or any URI its filesystems take: s3://,
gs://, ...), transcoded by actors that each load their network once and keep it for every file
they get, and written by the driver (or returned). Without `address` a local Ray starts with
this machine's CPUs; with one (``"auto"``, ``"ray://host:10001"``) the work goes to that cluster.
An actor's output bytes are those `encode` / `decode` give in this process: the same code, the
same weights (checked by digest), so a cluster transcodes as one machine does.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from srcodec import container, images
from srcodec.errors import ArgumentError, CodecUnavailableError

MODES = ("encode", "decode")
SUFFIX = {"encode": ".sr.jpg", "decode": ".png"}


def ray_session(address: str | None = None, num_cpus: int | None = None):
    """The `ray` module with Ray started: the running one, else the cluster at `address`, else
    a local Ray of `num_cpus` (default: this machine's). Quiet: errors only, no dashboard.
    Raises `CodecUnavailableError` when Ray Data is not installed."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data is its own extra of ray)
    except ImportError:
        raise CodecUnavailableError("scale-out needs Ray Data: pip install 'srcodec[ray]'") from None
    if not ray.is_initialized():
        import logging

        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.ERROR, runtime_env={"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}})
    return ray


class _Transcoder:
    """One Ray actor: transcodes batches of {"path", "bytes"} rows with one loaded model."""

    def __init__(self, mode: str, options: dict):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.mode, self.options = mode, options

    def __call__(self, batch: dict) -> dict:
        from PIL import Image

        from srcodec import api

        data, errors = [], []
        for raw in batch["bytes"]:
            try:
                if self.mode == "encode":
                    with Image.open(io.BytesIO(raw)) as im:
                        out = api.encode(im, **self.options)
                else:  # PNG, with the file's ICC profile (Pillow writes the image's info)
                    buffer = io.BytesIO()
                    api.open_image(raw, **self.options).save(buffer, "PNG")
                    out = buffer.getvalue()
                data.append(out)
                errors.append("")
            except Exception as exc:  # noqa: BLE001 - one bad file fails only itself; reported per row
                data.append(b"")
                errors.append(f"{type(exc).__name__}: {exc}")
        return {"path": list(batch["path"]), "data": data, "error": errors}


def _files(sources: list[str], mode: str) -> list[str]:
    """Paths and folders expanded as the command line does (`images.expand`); URIs as given."""
    suffixes, encoded = (images.SUFFIXES, False) if mode == "encode" else (container.SUFFIXES, True)
    found = []
    for source in sources:
        found += [source] if "://" in source else [str(p) for p, _ in images.expand([source], suffixes, encoded)]
    return found


def transcode(
    sources,
    mode: str,
    *,
    out: str | os.PathLike | None = None,
    address: str | None = None,
    actors: int | None = None,
    cpus_per_actor: float = 1.0,
    batch_size: int = 4,
    **options,
) -> list[dict]:
    """Encode or decode (`mode`) the files of `sources` (paths, folders, URIs) on Ray Data.

    `options` go to `encode` / `decode`. `actors`: how many transcoders run at once (default:
    the cluster's CPUs / `cpus_per_actor`). With `out`, each result is written there as
    ``<name>.sr.jpg`` (encode) or ``<name>.png`` (decode); returns one dict per file, in input
    order: {"path", "bytes" (output size), "error" ("" when it worked)}, plus "data" (the
    output's bytes) when `out` is None. A file that fails does not stop the others.
    """
    if mode not in MODES:
        raise ArgumentError(f"mode must be one of {MODES}, got {mode!r}")
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    paths = _files([os.fspath(s) for s in sources], mode)
    if not paths:
        return []
    ray = ray_session(address)
    if actors is None:
        actors = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_actor))
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    # reading takes no CPU slot: with every CPU given to an actor, reads would otherwise wait forever
    dataset = ray.data.read_binary_files(paths, include_paths=True, override_num_blocks=len(paths), num_cpus=0)
    results = dataset.map_batches(
        _Transcoder,
        fn_constructor_kwargs={"mode": mode, "options": options},
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus_per_actor,
        batch_format="numpy",
    )
    by_path = {row["path"]: row for row in results.iter_rows()}
    target = None if out is None else Path(out)
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
    report = []
    for path in paths:
        row = by_path.get(path.split("://", 1)[-1], by_path.get(path))
        entry = {"path": path, "bytes": len(row["data"]) if row else 0, "error": row["error"] if row else "no result"}
        if row and not row["error"]:
            if target is None:
                entry["data"] = bytes(row["data"])
            else:
                name = Path(path).name
                stem = name[: -len(".sr.jpg")] if name.endswith(".sr.jpg") else Path(name).stem
                (target / (stem + SUFFIX[mode])).write_bytes(bytes(row["data"]))
        report.append(entry)
    return report
