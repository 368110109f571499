"""The model zoo: one record per model id, weights verified against their digest before use.

Shipped models are pairs of files in ``srcodec/weights/``: ``<id>.json`` (the record) and
``<id>.weights.h5`` (weights only; networks are built from code). The built-in ``bicubic``
decoder has no weights. Users add their own with `register_model`, or by naming folders of
such pairs (e.g. `srcodec train` run folders) in ``SRCODEC_MODELS``, which also reaches the
command line.

An id names exact weights forever: new weights get a new id. When they improve on a shipped
model of the same purpose, the old record names its successor in ``superseded_by`` and stays, so
that files naming it still decode; benchmarks sweep only the models nobody superseded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from srcodec.container import DIGEST_BYTES, MAX_SCALE, MODEL_ID
from srcodec.errors import ArgumentError, UnknownModelError, WeightsError

WEIGHTS_DIR = Path(__file__).with_name("weights")
MODELS_ENV = "SRCODEC_MODELS"  # folders (os.pathsep between them) of models of one's own, read with the zoo
COLOURS = ("y", "rgb")


@dataclass(frozen=True)
class ModelRecord:
    """Everything the zoo knows about one model id."""

    id: str
    family: str  # "bicubic" or a module of srcodec.nets
    scales: tuple[int, ...]
    colour: str = "rgb"
    config: dict = field(default_factory=dict)
    weights: Path | None = None
    sha256: str | None = None
    default: tuple[int, ...] = ()  # the scales at which model="auto" picks this model
    default_qualities: tuple[int, int] = (1, 100)  # ... when encoding at a quality in this range
    sampled: bool = False  # decoding draws samples: the header carries seed and temperature
    superseded_by: str | None = None  # a better model for the same job; this one stays to decode old files
    training: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)

    @property
    def digest(self) -> bytes | None:
        """The truncated SHA-256 that files encoded for this model carry."""
        return bytes.fromhex(self.sha256)[:DIGEST_BYTES] if self.sha256 else None

    def summary(self) -> dict:
        """A JSON-ready dict of the record (paths as strings)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["scales"] = list(self.scales)
        out["weights"] = str(self.weights) if self.weights else None
        return out


BICUBIC = ModelRecord(
    id="bicubic",
    family="bicubic",
    scales=tuple(range(1, MAX_SCALE + 1)),
    colour="rgb",
    training={"note": "no training: MATLAB-style bicubic interpolation"},
)

_lock = threading.RLock()  # guards _records
_records: dict[str, ModelRecord] = {}
_build_lock = threading.Lock()  # guards _loaded: one network is built at a time, records stay readable
_loaded: dict[tuple[str, str, str], object] = {}  # (id, sha256, precision) -> network


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_record(record: ModelRecord) -> None:
    """Raise `ArgumentError` for a record that could not decode anything."""
    from srcodec import nets

    if not isinstance(record.id, str) or not MODEL_ID.fullmatch(record.id):
        raise ArgumentError(f"model id must match {MODEL_ID.pattern}, got {record.id!r}")
    if record.family != "bicubic" and record.family not in nets.FAMILIES:
        raise ArgumentError(f"family must be 'bicubic' or one of {nets.FAMILIES}, got {record.family!r}")
    if not record.scales or any(not 1 <= s <= MAX_SCALE for s in record.scales):
        raise ArgumentError(f"scales must be a non-empty subset of 1..{MAX_SCALE}, got {record.scales}")
    if not set(record.default) <= set(record.scales):
        raise ArgumentError(f"default scales {record.default} must be among the model's scales {record.scales}")
    low, high = record.default_qualities
    if not 1 <= low <= high <= 100:
        raise ArgumentError(f"default_qualities must be 1 <= low <= high <= 100, got {record.default_qualities}")
    if record.colour not in COLOURS:
        raise ArgumentError(f"colour must be one of {COLOURS}, got {record.colour!r}")
    if record.family == "bicubic":
        return
    if record.weights is None or not isinstance(record.sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", record.sha256):
        raise ArgumentError(f"model {record.id!r} needs a weights file and its sha256 (64 hex digits), got {record.sha256!r}")


def _shipped(record: ModelRecord) -> bool:
    return record.family == "bicubic" or (record.weights is not None and record.weights.parent == WEIGHTS_DIR)


def _check_defaults(record: ModelRecord, records) -> None:
    """Raise `ArgumentError` when ``model="auto"`` could pick `record` or another of `records`
    for the same scale and quality: the choice would hang on the ids' alphabetical order."""
    low, high = record.default_qualities
    for other in records:
        shared = set(record.default) & set(other.default)
        if other.id != record.id and shared and low <= other.default_qualities[1] and other.default_qualities[0] <= high:
            raise ArgumentError(
                f"model {record.id!r} would be the default at scale {min(shared)} where {other.id!r} already is "
                f"(qualities {other.default_qualities[0]}..{other.default_qualities[1]}); "
                "leave `default` empty and name the model when encoding"
            )


def _record_from_json(path: Path) -> ModelRecord:
    raw = json.loads(path.read_text())
    raw["scales"] = tuple(raw["scales"])
    raw["default"] = tuple(raw.get("default") or ())
    raw["default_qualities"] = tuple(raw.get("default_qualities") or (1, 100))
    raw["weights"] = path.parent / raw["weights"]
    return ModelRecord(**raw)


def _user_record_files() -> list[Path]:
    """The records in the folders `MODELS_ENV` names: each ``<id>.json`` that has its
    ``<id>.weights.h5`` beside it, as a `srcodec train` run folder holds them."""
    files = []
    for folder in filter(None, os.environ.get(MODELS_ENV, "").split(os.pathsep)):
        if not Path(folder).is_dir():
            raise WeightsError(f"{MODELS_ENV} names {folder!r}, which is not a folder")
        files += [p for p in sorted(Path(folder).glob("*.json")) if p.with_name(p.stem + ".weights.h5").is_file()]
    return files


def _ensure_loaded() -> None:
    """Read the shipped records, then those in the folders `MODELS_ENV` names (as if registered),
    all or none: a broken one raises `WeightsError` naming its file (every time, not only the
    first)."""
    with _lock:
        if _records:
            return
        records, paths = {BICUBIC.id: BICUBIC}, {}
        for path in sorted(WEIGHTS_DIR.glob("*.json")) + _user_record_files():
            try:
                record = _record_from_json(path)
                _check_record(record)
                if records.get(record.id, record) != record:
                    raise ArgumentError(f"model id {record.id!r} is already taken by {paths[record.id]}")
                _check_defaults(record, [r for r in records.values() if _shipped(r) == _shipped(record)])
            except (OSError, ValueError, KeyError, TypeError) as exc:  # ArgumentError is a ValueError
                raise WeightsError(f"broken zoo record {path}: {exc}") from None
            records[record.id], paths[record.id] = record, path
        for record in records.values():
            successor = records.get(record.superseded_by)
            if record.superseded_by and (successor is None or successor.superseded_by or record.default):
                raise WeightsError(
                    f"broken zoo record {paths[record.id]}: superseded_by must name a current "
                    f"model, and a superseded model cannot be a default; got {record.superseded_by!r}"
                )
        _records.update(records)


def register_model(
    model_id: str,
    weights: str | os.PathLike,
    *,
    family: str,
    scales,
    colour: str | None = None,
    config: dict | None = None,
    sha256: str | None = None,
    default=(),
    default_qualities=(1, 100),
    training: dict | None = None,
    scores: dict | None = None,
) -> ModelRecord:
    """Add a model of your own; files naming `model_id` then decode with it.

    `sha256` pins the weights (the file is checked against it on load); when omitted, the
    file's current digest is taken. `default` lists the scales at which ``model="auto"``
    picks it, in preference to the shipped default, for JPEG qualities in `default_qualities`.
    Raises `ArgumentError` for a bad record (the network is built once from `config` to check
    it), an id already registered differently, or a default that another registered model
    already has at an overlapping quality; `WeightsError` when the file is missing.
    """
    from srcodec import nets

    path = Path(weights)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    if colour is None:
        colour = nets.family(family).COLOUR if family in nets.FAMILIES else "rgb"
    record = ModelRecord(
        id=model_id,
        family=family,
        scales=tuple(int(s) for s in scales),
        colour=colour,
        config=dict(config or {}),
        weights=path.resolve(),
        sha256=(sha256 or sha256_file(path)).lower(),
        default=tuple(int(s) for s in default),
        default_qualities=tuple(int(q) for q in default_qualities),
        training=dict(training or {}),
        scores=dict(scores or {}),
    )
    _check_record(record)
    expected = nets.family(family).COLOUR  # imports Keras: only here, never on the bicubic path
    if record.colour != expected:
        raise ArgumentError(f"family {family!r} restores {expected!r}, not {record.colour!r}")
    try:
        nets.build(family, record.config)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"config {record.config} does not build a {family} network: {exc}") from None
    with _lock:
        _ensure_loaded()
        old = _records.get(model_id)
        if old is not None and old != record:
            raise ArgumentError(f"model id {model_id!r} is already registered differently; ids name exact models")
        _check_defaults(record, [r for r in _records.values() if not _shipped(r)])  # over shipped ones: wins
        _records[model_id] = record
    return record


def unregister_model(model_id: str) -> None:
    """Remove a model added with `register_model` (shipped models stay)."""
    with _lock:
        record = _records.get(model_id)
        if record is None or _shipped(record):
            raise UnknownModelError(f"no user-registered model {model_id!r}")
        del _records[model_id]
    with _build_lock:
        for key in [k for k in _loaded if k[0] == model_id]:
            del _loaded[key]


def list_models(superseded: bool = True) -> list[ModelRecord]:
    """All registered models, sorted by id; without those a newer model superseded when
    `superseded` is False (benchmarks' default)."""
    _ensure_loaded()
    with _lock:
        return [_records[k] for k in sorted(_records) if superseded or not _records[k].superseded_by]


def get(model_id: str) -> ModelRecord:
    """The record of `model_id`; raises `UnknownModelError`."""
    _ensure_loaded()
    with _lock:
        record = _records.get(model_id)
    if record is None:
        raise UnknownModelError(
            f"unknown model {model_id!r}; known: {', '.join(sorted(_records))} "
            f"(models of your own: name their folders in {MODELS_ENV})"
        )
    return record


def resolve(model: str, scale: int, grey: bool = False, quality: int | None = None) -> ModelRecord:
    """The record `model` names for `scale`; ``"auto"`` picks the default model for it and
    the encoding `quality` (unknown quality: only models that are the default at every one)."""
    if model == "auto":
        def covers(r: ModelRecord) -> bool:
            low, high = r.default_qualities
            return low <= quality <= high if quality is not None else (low, high) == (1, 100)

        candidates = [r for r in list_models() if scale in r.default and covers(r)]
        candidates.sort(key=_shipped)  # a registered model's default overrides a shipped one's
        return candidates[0] if candidates else BICUBIC
    record = get(model)
    if scale not in record.scales:
        raise UnknownModelError(f"model {model!r} serves scales {list(record.scales)}, not {scale}")
    return record


def load(record: ModelRecord, precision: str = "float32"):
    """Build the network of `record` (computing in `precision`, see `srcodec.nets`) and load
    its weights after checking their SHA-256.

    Networks are cached per (id, digest, precision). Raises `WeightsError` on a missing file
    or a digest mismatch. While one thread builds a network, others still look up records and
    run the networks already built.
    """
    if record.family == "bicubic":
        return None
    key = (record.id, record.sha256, precision)
    net = _loaded.get(key)  # one dict read: atomic, so the cached path takes no lock
    if net is not None:
        return net
    with _build_lock:
        if key in _loaded:
            return _loaded[key]
        path = Path(record.weights)
        if not path.is_file():
            raise WeightsError(f"weights of model {record.id!r} not found: {path}")
        actual = sha256_file(path)
        if actual != record.sha256:
            raise WeightsError(
                f"weights of model {record.id!r} do not match the zoo: sha256 {actual[:16]}..., "
                f"expected {record.sha256[:16]}... ({path})"
            )
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from srcodec import nets

        net = nets.build(record.family, record.config, precision)
        try:
            net.load_weights(path)
        except Exception as exc:  # h5py / Keras raise many types for a bad file
            raise WeightsError(f"cannot load weights of model {record.id!r} from {path}: {exc}") from exc
        _loaded[key] = net
        return net
