"""One training run: build, optimise, validate, checkpoint and resume, export.

    srcodec train --recipe vdsr-y-codec --data ../shared/datasets --out runs/vdsr-y-codec

It checkpoints (and resumes from) ``OUT/checkpoint.weights.h5`` (network and optimizer
state), logs loss and validation PSNR to ``OUT/log.jsonl``, and writes the inference network
alone to ``OUT/<id>.weights.h5`` plus ``OUT/<id>.json``, a record the zoo takes as it is.
"""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path

import numpy as np

from srcodec import nets
from srcodec.errors import ArgumentError
from srcodec.provenance import git_commit
from srcodec.train import objectives
from srcodec.train.config import TrainConfig
from srcodec.train.data import PatchSampler, read_folder
from srcodec.train.validate import validate, validation_pairs


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


# ---- the run ------------------------------------------------------------------------------

def _start_from(net, model_id: str) -> None:
    """Copy the weights of zoo model `model_id` (digest-checked) into `net`.

    The architectures must match, except that `net` may fold its input by pixel-unshuffle
    where the source does not (an x1 restorer started from an x2 upscaler): the first kernel's
    input channels are then the source's repeated over the u^2 sub-pixels and divided by u^2,
    so the body first sees the u x u mean of the input, the low-resolution image it was
    trained on.
    """
    from srcodec import zoo

    record = zoo.get(model_id)
    weights = [] if record.family == "bicubic" else zoo.load(record).get_weights()
    shapes = [w.shape for w in net.get_weights()]
    if weights and shapes[0] != weights[0].shape and shapes[0][2] % weights[0].shape[2] == 0:
        folds = shapes[0][2] // weights[0].shape[2]  # u^2; space_to_depth puts sub-pixels outermost
        weights[0] = np.tile(weights[0], (1, 1, folds, 1)) / folds
    if [w.shape for w in weights] != shapes:
        raise ArgumentError(f"init model {model_id!r} is not a network of this run's architecture")
    net.set_weights(weights)


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
    objective = objectives.make(net, config, _optimizer(config))
    state_path = out / "state.json"
    if state_path.exists():
        state = json.loads(state_path.read_text())
        objective.load(out)
        log(f"resumed at step {state['step']}")
    else:
        state = {"step": 0, "seconds": 0.0, "val": [], "commit": commit}
        if config.init:
            _start_from(net, config.init)
            log(f"starting from the weights of {config.init}")

    started, batch_losses = time.time() - state["seconds"], []  # per step: {"loss": ..., and a GAN's parts}
    step = state["step"]
    progress_every = max(1, config.val_every // 10)
    stop = config.steps if until is None else min(until, config.steps)
    with open(out / "log.jsonl", "a") as logfile:
        while step < stop:
            x, y = sampler.batch(step)
            batch_losses.append(objective.train_step(x, y))
            step += 1
            if step % progress_every == 0 and step % config.val_every:  # a sign of life between validations
                log(f"step {step}/{stop}, loss {batch_losses[-1]['loss']:.4g}, "
                    f"{(time.time() - started - state['seconds']) / (step - state['step']):.2f} s/step")
            if step % config.val_every == 0 or step == stop:
                entry = {"step": step, **{k: float(np.mean([b[k] for b in batch_losses])) for k in batch_losses[0]},
                         "seconds": round(time.time() - started, 1)}
                entry["val_psnr"] = validate(net, val_pairs) if val_pairs else {}
                batch_losses = []
                state.update(step=step, seconds=entry["seconds"])
                state["val"].append(entry)
                objective.save(out)
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
        "objective": config.objective,
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
    if nets.facts(config.family).sampled:
        from srcodec.nets import sampling

        record.update(temperature=config.temperature, sampler=sampling.SAMPLER_VERSION)
    path = out / f"{config.model_id}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
