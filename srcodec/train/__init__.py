"""Training: everything the inference path does not need, one module per concern.

Training-only: the inference path (api, container, zoo, nets, resample) never imports this.

* `config`: `TrainConfig`, the recipe (a frozen dataclass, JSON beside the weights);
* `data`: LR/HR pairs made by `resample.degrade` (clean bicubic for the papers' protocol, or
  coded by the codec over a range of qualities for codec-aware models), in the family's input
  space, and repeatable augmented patches;
* `losses`: pixel losses (and, with the families that need them, feature and adversarial ones);
* `validate`: PSNR on a held-out set during the run;
* `run`: the run itself, with checkpoint/resume and export of the inference network.
"""

from srcodec.train.config import RECIPES, TrainConfig
from srcodec.train.data import PatchSampler, full_range_y, make_pair, read_folder
from srcodec.train.run import train
from srcodec.train.validate import validate, validation_pairs

__all__ = [
    "RECIPES",
    "TrainConfig",
    "PatchSampler",
    "full_range_y",
    "make_pair",
    "read_folder",
    "train",
    "validate",
    "validation_pairs",
]
