"""The frozen record of everything that determines a training run (a recipe)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from srcodec.errors import ArgumentError

RECIPES = Path(__file__).parents[1] / "recipes"


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
    loss: str = "mse"  # content loss: "mse", "l1", or "vgg:<layer>[+<layer>...]" (VGG16 features; see `losses`)
    content_weight: float = 1.0  # its weight (SRGAN scales VGG features by 1/12.75: 0.00615 on their MSE)
    tv_weight: float = 0.0  # > 0: plus this x the total variation of the output (Johnson's regulariser)
    pixel_weight: float = 0.0  # > 0 with a feature loss: plus this x the per-pixel MSE (anchors colours and flat areas)
    adversarial_weight: float = 0.0  # > 0: train against a discriminator (SRGAN: 1e-3)
    discriminator_filters: int = 64  # its first width (see `discriminator.build`)
    discriminator_lr: float = 1e-4  # its Adam learning rate (constant)
    objective: str = "distortion"  # the zoo record's: "distortion" (pixel loss) or "perception"
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
    temperature: float = 1.0  # sampled families: the shipped record's default temperature
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
