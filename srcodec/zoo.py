"""The model zoo: one record per model id, weights verified against their digest before use.

Shipped models are pairs of files in ``srcodec/weights/``: ``<id>.json`` (the record) and
``<id>.weights.h5`` (weights only; networks are built from code). The built-in ``bicubic``
decoder has no weights. Users add their own with `register_model`, or by naming folders of
such pairs (e.g. `srcodec train` run folders) in ``SRCODEC_MODELS``, which also reaches the
command line.

Records are checked when read (types, ranges, the family's config options and parameter budget,
weights beside the record): a broken one is listed by `broken_records` and fails only the files
that name it, never the others.

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
OBJECTIVES = ("distortion", "perception")  # "auto" defaults are distortion models only
MAX_RECORD_BYTES = 1 << 20  # a record file larger than this is refused unread


@dataclass(frozen=True)
class ModelRecord:
    """Everything the zoo knows about one model id."""

    id: str
    family: str  # "bicubic" or a module of srcodec.nets
    scales: tuple[int, ...]
    config: dict = field(default_factory=dict)
    weights: Path | None = None
    sha256: str | None = None
    objective: str = "distortion"  # what training minimised: "distortion" (MSE/L1) or "perception"
    default: tuple[int, ...] = ()  # the scales at which model="auto" picks this model
    default_qualities: tuple[int, int] = (1, 100)  # ... when encoding at a quality in this range
    superseded_by: str | None = None  # a better model for the same job; this one stays to decode old files
    temperature: float | None = None  # sampled models: the default sampling temperature
    sampler: int | None = None  # sampled models: the version of `nets.sampling` their files decode with
    training: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)
    shipped: bool = field(default=False, compare=False)  # read from the package's weights folder

    @property
    def colour(self) -> str:
        """"y" or "rgb", from the family table (bicubic: "rgb")."""
        from srcodec import nets

        return "rgb" if self.family == "bicubic" else nets.facts(self.family).colour

    @property
    def sampled(self) -> bool:
        """Decoding draws samples: the header carries seed and temperature."""
        from srcodec import nets

        return self.family != "bicubic" and nets.facts(self.family).sampled

    @property
    def digest(self) -> bytes | None:
        """The truncated SHA-256 that files encoded for this model carry."""
        return bytes.fromhex(self.sha256)[:DIGEST_BYTES] if self.sha256 else None

    @property
    def role(self) -> str:
        """"superseded by ID", "default for x2", "default for x1 (jpeg q1-90)", or ""."""
        if self.superseded_by:
            return f"superseded by {self.superseded_by}"
        if not self.default:
            return ""
        role = "default for " + ",".join(f"x{s}" for s in self.default)
        low, high = self.default_qualities
        return role if (low, high) == (1, 100) else f"{role} (jpeg q{low}-{high})"

    def __repr__(self) -> str:  # one line; the whole record (training log, scores) is summary()'s
        role = f", {self.role}" if self.role else ""
        return f"<ModelRecord {self.id}: {self.family}, scales {','.join(map(str, self.scales))}{role}>"

    def summary(self) -> dict:
        """A JSON-ready dict of the record (paths as strings)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out.update(colour=self.colour, sampled=self.sampled, scales=list(self.scales))
        out["weights"] = str(self.weights) if self.weights else None
        return out


BICUBIC = ModelRecord(
    id="bicubic",
    family="bicubic",
    scales=tuple(range(1, MAX_SCALE + 1)),
    training={"note": "no training: MATLAB-style bicubic interpolation"},
    shipped=True,
)

_lock = threading.RLock()  # guards _records and _broken
_records: dict[str, ModelRecord] = {}
_broken: dict[str, str] = {}  # record file -> why it was refused
_broken_ids: dict[str, str] = {}  # model id (or the file's stem) -> why its record was refused
_build_lock = threading.Lock()  # guards _loaded: one network is built at a time, records stay readable
_loaded: dict[tuple[str, str, str], object] = {}  # (id, sha256, precision) -> network


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_record(record: ModelRecord) -> None:
    """Raise `ArgumentError` for a record that could not decode anything, naming the field:
    types and ranges of every field, the family's config options and parameter budget (see
    `srcodec.nets`), without building a network."""
    from srcodec import nets

    if not isinstance(record.id, str) or not MODEL_ID.fullmatch(record.id):
        raise ArgumentError(f"model id must match {MODEL_ID.pattern}, got {record.id!r}")
    if record.family not in nets.TABLE:  # "bicubic" is the built-in record alone
        raise ArgumentError(f"family must be one of {tuple(nets.TABLE)}, got {record.family!r}")
    for name in ("scales", "default", "default_qualities"):
        if not isinstance(getattr(record, name), tuple):
            raise ArgumentError(f"{name} must be a list of integers, got {getattr(record, name)!r}")
    if not record.scales or not all(_is_int(s, 1, MAX_SCALE) for s in record.scales):
        raise ArgumentError(f"scales must be a non-empty subset of 1..{MAX_SCALE}, got {record.scales}")
    if not set(record.default) <= set(record.scales):
        raise ArgumentError(f"default scales {record.default} must be among the model's scales {record.scales}")
    qualities = record.default_qualities
    if len(qualities) != 2 or not all(_is_int(q, 1, 100) for q in qualities) or qualities[0] > qualities[1]:
        raise ArgumentError(f"default_qualities must be [low, high] with 1 <= low <= high <= 100, got {qualities}")
    if record.objective not in OBJECTIVES:
        raise ArgumentError(f"objective must be one of {OBJECTIVES}, got {record.objective!r}")
    if record.default and record.objective != "distortion":
        raise ArgumentError(f"only distortion models can be a default; {record.id!r} is a {record.objective} model")
    if record.superseded_by is not None and not isinstance(record.superseded_by, str):
        raise ArgumentError(f"superseded_by must be a model id, got {record.superseded_by!r}")
    for name in ("training", "scores"):
        if not isinstance(getattr(record, name), dict):
            raise ArgumentError(f"{name} must be a JSON object, got {getattr(record, name)!r}")
    facts = nets.facts(record.family)
    try:
        facts.check_config(record.config)
    except ValueError as exc:
        raise ArgumentError(f"model {record.id!r}: {exc}") from None
    if facts.sampled:
        from srcodec.nets import sampling

        if isinstance(record.temperature, bool) or not isinstance(record.temperature, (int, float)) or not 0 <= record.temperature <= 65.535:
            raise ArgumentError(f"a sampled model needs a default temperature in 0..65.535, got {record.temperature!r}")
        if record.sampler != sampling.SAMPLER_VERSION:
            raise ArgumentError(
                f"model {record.id!r} decodes with sampler version {record.sampler!r}; this srcodec has "
                f"version {sampling.SAMPLER_VERSION} (files would not decode to the pixels they were made for)"
            )
    elif record.temperature is not None or record.sampler is not None:
        raise ArgumentError(f"temperature and sampler are for sampled families; {record.family!r} is deterministic")
    built_for = record.config.get("scale", facts.defaults.get("scale"))
    if facts.input_space == "lowres" and record.scales != (built_for,):
        raise ArgumentError(f"a {record.family} network upsamples by its config's scale {built_for}; scales must be [{built_for}]")
    if not isinstance(record.weights, Path) or not isinstance(record.sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", record.sha256):
        raise ArgumentError(f"model {record.id!r} needs a weights file and its sha256 (64 hex digits), got {record.sha256!r}")


def _shipped(record: ModelRecord) -> bool:
    return record.family == "bicubic" or record.shipped


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


def _record_from_json(path: Path, shipped: bool) -> ModelRecord:
    """The record in `path`; its weights must be a file name in the same folder."""
    with open(path, "rb") as f:
        text = f.read(MAX_RECORD_BYTES + 1)
    if len(text) > MAX_RECORD_BYTES:
        raise ArgumentError(f"record is larger than {MAX_RECORD_BYTES} bytes")
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ArgumentError("record must be a JSON object")
    unknown = sorted(set(raw) - set(ModelRecord.__dataclass_fields__) - {"colour", "sampled", "shipped"})
    if unknown:
        raise ArgumentError(f"unknown record fields {unknown}")
    for key in ("scales", "default", "default_qualities"):
        if isinstance(raw.get(key), list):
            raw[key] = tuple(raw[key])
    raw.setdefault("default_qualities", (1, 100))
    weights = raw.get("weights")
    if weights is not None:
        if not isinstance(weights, str) or not weights.endswith(".weights.h5") or Path(weights).name != weights:
            raise ArgumentError(f"weights must name a .weights.h5 file beside the record, got {weights!r}")
        raw["weights"] = path.parent / weights
    derived = {k: raw.pop(k) for k in ("colour", "sampled") if k in raw}
    raw.pop("shipped", None)
    record = ModelRecord(**raw, shipped=shipped)
    _check_record(record)
    for key, value in derived.items():  # written by older versions; must agree with the family table
        if value != getattr(record, key):
            raise ArgumentError(f"{key} {value!r} contradicts family {record.family!r} ({getattr(record, key)!r})")
    return record


def _user_record_files(broken: dict) -> list[Path]:
    """The records in the folders `MODELS_ENV` names: each ``<id>.json`` that has its
    ``<id>.weights.h5`` beside it, as a `srcodec train` run folder holds them. A name that is
    not a folder goes into `broken`."""
    files = []
    for folder in filter(None, os.environ.get(MODELS_ENV, "").split(os.pathsep)):
        if not Path(folder).is_dir():
            broken[Path(folder)] = f"{MODELS_ENV} names {folder!r}, which is not a folder"
            continue
        files += [p for p in sorted(Path(folder).glob("*.json")) if p.with_name(p.stem + ".weights.h5").is_file()]
    return files


def _ensure_loaded() -> None:
    """Read the shipped records, then those in the folders `MODELS_ENV` names (as if
    registered). A broken record is set aside with the reason (`broken_records`); only the
    files naming it fail, with `WeightsError`."""
    with _lock:
        if _records:
            return
        records, paths, broken = {BICUBIC.id: BICUBIC}, {}, {}
        shipped_files = sorted(WEIGHTS_DIR.glob("*.json"))
        for path in shipped_files + _user_record_files(broken):
            try:
                record = _record_from_json(path, shipped=path in shipped_files)
                if record.id in records:
                    raise ArgumentError(f"model id {record.id!r} is already taken by {paths[record.id]}")
                _check_defaults(record, [r for r in records.values() if _shipped(r) == _shipped(record)])
            except (OSError, ValueError, KeyError, TypeError) as exc:  # ArgumentError is a ValueError
                broken[path] = f"broken zoo record {path}: {exc}"
                continue
            records[record.id], paths[record.id] = record, path
        for record in list(records.values()):
            successor = records.get(record.superseded_by)
            if record.superseded_by and (successor is None or successor.superseded_by or record.default):
                broken[paths[record.id]] = (
                    f"broken zoo record {paths[record.id]}: superseded_by must name a current "
                    f"model, and a superseded model cannot be a default; got {record.superseded_by!r}"
                )
                del records[record.id]
        _records.update(records)
        _broken.update({str(path): why for path, why in broken.items()})
        for path, why in broken.items():
            if path.suffix == ".json":
                _broken_ids.setdefault(_record_id(path), why)


def _record_id(path: Path) -> str:
    """The id a record file claims (its file name's stem when the id cannot be read)."""
    try:
        claimed = json.loads(path.read_bytes()[:MAX_RECORD_BYTES]).get("id")
    except (OSError, ValueError, AttributeError):
        claimed = None
    return claimed if isinstance(claimed, str) else path.stem


def broken_records() -> dict[str, str]:
    """Record files that were refused, and why (their models decode nothing)."""
    _ensure_loaded()
    with _lock:
        return dict(_broken)


def register_model(
    model_id: str,
    weights: str | os.PathLike,
    *,
    family: str,
    scales,
    config: dict | None = None,
    sha256: str | None = None,
    objective: str = "distortion",
    default=(),
    default_qualities=(1, 100),
    temperature: float | None = None,
    sampler: int | None = None,
    training: dict | None = None,
    scores: dict | None = None,
) -> ModelRecord:
    """Add a model of your own; files naming `model_id` then decode with it.

    `sha256` pins the weights (the file is checked against it on load); when omitted, the
    file's current digest is taken. `objective` is "distortion" (trained on a pixel loss) or
    "perception". `default` lists the scales at which ``model="auto"`` picks it, in preference
    to the shipped default, for JPEG qualities in `default_qualities` (distortion models only).
    Sampled families need `temperature` (the default) and `sampler` (`nets.sampling.SAMPLER_VERSION`).
    Raises `ArgumentError` for a bad record (the config is checked against the family table,
    then the network is built once), an id already registered differently, or a default that
    another registered model already has at an overlapping quality; `WeightsError` when the
    file is missing or not a regular file.
    """
    from srcodec import nets

    path = Path(weights)
    if not path.is_file():
        raise WeightsError(f"weights file not found (or not a regular file): {path}")
    try:
        record = ModelRecord(
            id=model_id,
            family=family,
            scales=tuple(scales),
            config=dict(config or {}),
            weights=path.resolve(),
            sha256=(sha256 or sha256_file(path)).lower(),
            objective=objective,
            default=tuple(default),
            default_qualities=tuple(default_qualities),
            temperature=temperature,
            sampler=sampler,
            training=dict(training or {}),
            scores=dict(scores or {}),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise ArgumentError(f"cannot make a model record of these arguments: {exc}") from None
    _check_record(record)
    try:
        nets.build(family, record.config)  # imports Keras: only here, never on the bicubic path
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"config {record.config} does not build a {family} network: {exc}") from None
    with _lock:
        _ensure_loaded()
        old = _records.get(model_id)
        if old is not None:
            if old != record:
                raise ArgumentError(f"model id {model_id!r} is already registered differently; ids name exact models")
            return old
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


class Models(list):
    """A list of model records that shows one line per model at the prompt."""

    def __repr__(self) -> str:
        return "[" + ",\n ".join(map(repr, self)) + "]"


def list_models(superseded: bool = True) -> Models:
    """All registered models (a list of `ModelRecord`), sorted by id; without those a newer
    model superseded when `superseded` is False (benchmarks' default)."""
    _ensure_loaded()
    with _lock:
        return Models(_records[k] for k in sorted(_records) if superseded or not _records[k].superseded_by)


def get(model_id: str) -> ModelRecord:
    """The record of `model_id`; raises `UnknownModelError`."""
    _ensure_loaded()
    with _lock:
        record, broken = _records.get(model_id), _broken_ids.get(model_id)
    if record is None and broken:
        raise WeightsError(broken)
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
        from srcodec import backend, nets

        backend.require()
        net = nets.build(record.family, record.config, precision, initialize=False)
        try:
            net.load_weights(path)
        except Exception as exc:  # h5py / Keras raise many types for a bad file
            raise WeightsError(f"cannot load weights of model {record.id!r} from {path}: {exc}") from exc
        _loaded[key] = net
        return net
