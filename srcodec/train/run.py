"""Training the Y-channel families (SRCNN, VDSR) on pairs made by `resample.degrade`.

Training-only: the inference path (api, container, zoo, nets, resample) never imports this.

    srcodec train --recipe vdsr-y-codec --data ../shared/datasets --out runs/vdsr-y-codec

A run reads folders of images, makes LR/HR pairs with the codec's own degradation (clean
bicubic for the papers' protocol, or JPEG-coded at a range of qualities for codec-aware
models), samples augmented patches, and trains with Adam + cosine decay or with the VDSR
paper's SGD at a high learning rate with adjustable gradient clipping. It checkpoints (and
resumes from) ``OUT/checkpoint.weights.h5`` (network and optimizer state), logs loss and validation PSNR to ``OUT/log.jsonl``,
and writes ``OUT/<id>.weights.h5`` plus ``OUT/<id>.json``, a record the zoo takes as it is.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from srcodec import metrics, resample
from srcodec.errors import ArgumentError
from srcodec.inference import run_net
from srcodec.provenance import git_commit

RECIPES = Path(__file__).with_name("recipes")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (written beside the weights)."""

    model_id: str
    family: str
    net: dict = field(default_factory=dict)
    scales: tuple[int, ...] = (2, 3, 4)
    train_sets: tuple[str, ...] = ("t91", "bsd200")
    val_set: str = "set5"
    codec: str | None = None  # None: clean bicubic LR (papers' protocol)
    qualities: tuple[int, int] = (10, 95)  # inclusive range sampled for codec-aware pairs
    variants: int = 2  # degraded copies per (image, scale), each at its own quality
    patch: int = 41
    batch: int = 64
    steps: int = 5000
    optimizer: str = "adam"  # "adam" (cosine decay) or "sgd-clip" (VDSR: step decay, clipping)
    lr: float = 1e-4
    lr_floor: float = 0.01  # adam: final lr as a fraction of lr
    lr_decay_every: int = 0  # sgd-clip: multiply lr by 0.1 this often (0: never)
    clip_theta: float = 0.01  # sgd-clip: gradients are clipped to [-theta/lr, theta/lr]
    precision: str = "mixed_bfloat16"
    seed: int = 0
    val_every: int = 500
    default: tuple[int, ...] = ()  # scales at which the shipped model becomes model="auto"
    default_qualities: tuple[int, int] = (1, 100)  # ... for JPEG qualities in this range
    init: str | None = None  # zoo model whose weights start the run (same architecture); None: random

    @classmethod
    def from_dict(cls, raw: dict) -> "TrainConfig":
        unknown = set(raw) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ArgumentError(f"unknown recipe keys {sorted(unknown)}")
        raw = dict(raw)
        for key in ("scales", "train_sets", "qualities", "default", "default_qualities"):
            if key in raw:
                raw[key] = tuple(raw[key])
        return cls(**raw)

    @classmethod
    def from_json(cls, path: Path, **overrides) -> "TrainConfig":
        raw = {**json.loads(Path(path).read_text()), **{k: v for k, v in overrides.items() if v is not None}}
        return cls.from_dict(raw)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# ---- data ---------------------------------------------------------------------------------

def read_folder(folder: Path) -> list[np.ndarray]:
    """uint8 RGB images of a folder (grey ones as RGB), sorted by name."""
    from srcodec import images

    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in images.SUFFIXES)
    return [resample.as_rgb(images.to_array(path)) for path in paths]


def full_range_y(rgb: np.ndarray) -> np.ndarray:
    """Full-range Y (float32, 0..255): what the decoder's Y networks see."""
    return resample.rgb_to_ycbcr(rgb)[..., 0]


def make_pair(hr: np.ndarray, scale: int, codec: str | None, quality: int) -> tuple[np.ndarray, np.ndarray]:
    """(network input, target) full-image Y planes in 0..1 for one degradation of `hr`.

    The input is exactly what decoding computes: the degraded LR image, its Y upsampled with
    the codec's bicubic and cropped to the original size.
    """
    lr = resample.degrade(hr, scale, codec, quality)
    upsampled = resample.upsample(full_range_y(lr), scale)[: hr.shape[0], : hr.shape[1]]
    return (upsampled / 255.0).astype(np.float32), (full_range_y(hr) / 255.0).astype(np.float32)


class PatchSampler:
    """Random augmented patches from precomputed degraded pairs; batch i depends only on
    (seed, i), so a resumed run draws the same batches as an uninterrupted one."""

    def __init__(self, images: list[np.ndarray], config: TrainConfig, log=lambda msg: None) -> None:
        rng = np.random.default_rng(config.seed)
        self.pairs: list[tuple[np.ndarray, np.ndarray]] = []
        started = time.time()
        for n, hr in enumerate(images):
            for scale in config.scales:
                copies = 1 if config.codec is None else config.variants
                for _ in range(copies):
                    quality = int(rng.integers(config.qualities[0], config.qualities[1] + 1))
                    if scale == 1 and config.codec is None:
                        continue  # clean scale 1 is the identity: nothing to learn
                    pair = make_pair(hr, scale, config.codec, quality)
                    if min(pair[0].shape) >= config.patch:
                        self.pairs.append(pair)
            if n % 50 == 0:
                log(f"degraded {n + 1}/{len(images)} images ({time.time() - started:.0f}s)")
        if not self.pairs:
            raise ArgumentError(f"no training image is at least {config.patch} pixels on each side")
        areas = np.array([p[0].size for p in self.pairs], dtype=np.float64)
        self.weights = areas / areas.sum()
        self.config = config

    def batch(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        rng = np.random.default_rng((c.seed, index))
        x = np.empty((c.batch, c.patch, c.patch, 1), np.float32)
        y = np.empty_like(x)
        for i, k in enumerate(rng.choice(len(self.pairs), size=c.batch, p=self.weights)):
            inp, tgt = self.pairs[k]
            top = rng.integers(0, inp.shape[0] - c.patch + 1)
            left = rng.integers(0, inp.shape[1] - c.patch + 1)
            a = inp[top : top + c.patch, left : left + c.patch]
            b = tgt[top : top + c.patch, left : left + c.patch]
            turns, flip = rng.integers(0, 4), rng.integers(0, 2)
            a, b = np.rot90(a, turns), np.rot90(b, turns)
            if flip:
                a, b = a[:, ::-1], b[:, ::-1]
            x[i, ..., 0], y[i, ..., 0] = a, b
        return x, y


# ---- optimisation -------------------------------------------------------------------------

def _optimizer(config: TrainConfig):
    import keras

    if config.optimizer == "adam":
        schedule = keras.optimizers.schedules.CosineDecay(config.lr, config.steps, alpha=config.lr_floor)
        return keras.optimizers.Adam(schedule)
    if config.optimizer == "sgd-clip":
        boundaries = list(range(config.lr_decay_every, config.steps, config.lr_decay_every)) if config.lr_decay_every else []
        values = [config.lr * 0.1**i for i in range(len(boundaries) + 1)]
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values) if boundaries else config.lr
        return _adjustable_clip_sgd()(theta=config.clip_theta, learning_rate=schedule, momentum=0.9)
    raise ArgumentError(f"optimizer must be 'adam' or 'sgd-clip', got {config.optimizer!r}")


@functools.cache
def _adjustable_clip_sgd():
    """The optimizer class, made on first use so that importing this module needs no Keras."""
    import keras

    @keras.saving.register_keras_serializable(package="srcodec")
    class AdjustableClipSGD(keras.optimizers.SGD):
        """SGD whose gradients are clipped to [-theta/lr, theta/lr] at the current learning
        rate (Kim et al. 2016, Sec. 3.2): a high rate is safe early, and the bound widens as
        the rate decays."""

        def __init__(self, theta: float = 0.01, **kwargs):
            super().__init__(**kwargs)
            self.theta = float(theta)

        def _clip_gradients(self, grads):
            bound = self.theta / keras.ops.cast(self.learning_rate, "float32")
            return [None if g is None else keras.ops.clip(g, -bound, bound) for g in grads]

        def get_config(self):
            return {**super().get_config(), "theta": self.theta}

    return AdjustableClipSGD


# ---- validation ---------------------------------------------------------------------------

def validation_pairs(images: list[np.ndarray], config: TrainConfig) -> dict[int, list]:
    """(input, target) pairs per scale, degraded as in training (codec-aware runs at quality
    40); made once per run, since they do not change between validations."""
    return {scale: [make_pair(hr, scale, config.codec, 40) for hr in images] for scale in config.scales}


def validate(net, pairs: dict[int, list]) -> dict[str, float]:
    """Mean Y-PSNR per scale of `net` on `pairs`, on the papers' studio-range Y rounded to 8
    bits with `scale` border pixels cropped, so that clean runs read like the papers' tables."""
    out = {}
    for scale, scale_pairs in pairs.items():
        psnrs = []
        for inp, tgt in scale_pairs:
            pred = run_net(net, inp[..., None])[..., 0]
            # studio Y = 16 + 219/255 * full-range Y (same BT.601 weights, scaled)
            studio = [resample.to_uint8(16.0 + 219.0 * np.clip(y, 0, 1)) for y in (pred, tgt)]
            crop = slice(scale, -scale)
            psnrs.append(metrics.psnr_y(studio[1][crop, crop], studio[0][crop, crop]))
        out[f"x{scale}"] = round(float(np.mean(psnrs)), 3)
    return out


# ---- the run ------------------------------------------------------------------------------

def _start_from(net, model_id: str) -> None:
    """Copy the weights of zoo model `model_id` (digest-checked) into `net`."""
    from srcodec import zoo

    record = zoo.get(model_id)
    source = zoo.load(record)
    if record.family == "bicubic" or [w.shape for w in source.get_weights()] != [w.shape for w in net.get_weights()]:
        raise ArgumentError(f"init model {model_id!r} is not a network of this run's architecture")
    net.set_weights(source.get_weights())


def _save_checkpoint(net, out: Path) -> None:
    net.save_weights(out / "checkpoint.weights.h5")  # a compiled model's file holds the optimizer too


def _load_checkpoint(net, out: Path) -> None:
    net.optimizer.build(net.trainable_variables)  # so its slots exist to be filled
    net.load_weights(out / "checkpoint.weights.h5")


def train(config: TrainConfig, data: Path, out: Path, log=lambda msg: None, until: int | None = None) -> Path | None:
    """Run (or resume) `config` on the sets under `data`; return the path of the zoo record.
    `log` gets progress messages.

    With `until`, stop after that step (checkpointed; returns None): long runs can be split
    over several sittings without changing their result. Resuming with another config raises
    `ArgumentError`.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    commit = git_commit()  # the code the run starts with (a resumed run keeps its first)
    out.mkdir(parents=True, exist_ok=True)
    stored = out / "config.json"
    if (out / "state.json").exists() and stored.exists():  # resuming: the run must stay the same run
        before = TrainConfig.from_dict(json.loads(stored.read_text())).to_dict()
        changed = sorted(k for k, v in config.to_dict().items() if before[k] != v)
        if changed:
            raise ArgumentError(f"{out} holds a run of another config ({', '.join(changed)} differ); "
                                "resume with the same recipe and options, or use another --out")
    stored.write_text(json.dumps(config.to_dict(), indent=2))
    keras.utils.set_random_seed(config.seed)
    return _run(config, data, out, log, until, commit)


def _run(config: TrainConfig, data: Path, out: Path, log, until: int | None, commit: str) -> Path | None:
    import keras

    from srcodec import nets

    images = [im for name in config.train_sets for im in read_folder(data / name)]
    val_pairs = validation_pairs(read_folder(data / config.val_set), config) if config.val_set else {}
    sampler = PatchSampler(images, config, log)
    log(f"{len(sampler.pairs)} training pairs from {len(images)} images")

    module = nets.family(config.family)
    # The outer model stays float32 so the global residual and the loss are computed in full
    # precision; its convolutions compute in config.precision (possibly bfloat16).
    net = module.NETWORK(**{"scale": max(config.scales), **config.net}, dtype="float32", layer_dtype=config.precision)
    net.build((None, None, None, nets.facts(config.family).channels))
    net.compile(optimizer=_optimizer(config), loss="mean_squared_error")
    state_path = out / "state.json"
    if state_path.exists():
        state = json.loads(state_path.read_text())
        _load_checkpoint(net, out)
        log(f"resumed at step {state['step']}")
    else:
        state = {"step": 0, "seconds": 0.0, "val": [], "commit": commit}
        if config.init:
            _start_from(net, config.init)
            log(f"starting from the weights of {config.init}")

    started, losses = time.time() - state["seconds"], []
    step = state["step"]
    stop = config.steps if until is None else min(until, config.steps)
    with open(out / "log.jsonl", "a") as logfile:
        while step < stop:
            x, y = sampler.batch(step)
            losses.append(float(net.train_on_batch(x, y)))
            step += 1
            if step % config.val_every == 0 or step == stop:
                entry = {"step": step, "loss": float(np.mean(losses)), "seconds": round(time.time() - started, 1)}
                entry["val_psnr"] = validate(net, val_pairs) if val_pairs else {}
                losses = []
                state.update(step=step, seconds=entry["seconds"])
                state["val"].append(entry)
                _save_checkpoint(net, out)
                state_path.write_text(json.dumps(state))
                logfile.write(json.dumps(entry) + "\n")
                logfile.flush()
                log(json.dumps(entry))

    if step < config.steps:
        return None
    weights = out / f"{config.model_id}.weights.h5"
    inference_net = nets.build(config.family, net.get_config())  # float32, no optimizer
    inference_net.set_weights(net.get_weights())
    inference_net.save_weights(weights)
    from srcodec.zoo import sha256_file

    record = {
        "id": config.model_id,
        "family": config.family,
        "scales": list(config.scales),
        "config": net.get_config(),
        "weights": weights.name,
        "sha256": sha256_file(weights),
        "default": list(config.default),
        "default_qualities": list(config.default_qualities),
        "training": {
            "config": config.to_dict(),
            "steps": step,
            "seconds": state["seconds"],
            "commit": state.get("commit", commit),
            "data": [str(data / s) for s in config.train_sets],
            "keras": keras.__version__,
            "final_val_psnr": state["val"][-1]["val_psnr"] if state["val"] else {},
        },
        "scores": {},
    }
    path = out / f"{config.model_id}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
