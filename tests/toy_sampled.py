"""A toy sampled family for the tests: one 3x3 convolution from the upsampled RGB image to 256
logits per channel, drawn pixel by pixel with `srcodec.nets.sampling` (no autoregression: the
point is the plumbing of seeds, temperatures and tiles, not the model)."""

import keras
import numpy as np

from srcodec.nets import sampling
from srcodec.nets import Family, Option

FAMILY = Family(
    name="toy",
    colour="rgb",
    input_space="upsampled",
    sampled=True,
    tileable=True,
    options={"scale": Option(1, 8)},
    defaults={},
    parameters=lambda c: 9 * 3 * 3 * sampling.LEVELS + 3 * sampling.LEVELS,
    multiply_adds=lambda c: 9 * 3 * 3 * sampling.LEVELS,
    module="toy_sampled",
)


class Toy(keras.Model):
    def __init__(self, scale=2, layer_dtype=None, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.conv = keras.layers.Conv2D(3 * sampling.LEVELS, 3, padding="same", dtype=layer_dtype)

    def build(self, input_shape):
        self.conv.build(input_shape)
        self.built = True

    def call(self, x, training=False):
        logits = self.conv(x)
        return keras.ops.reshape(logits, (*keras.ops.shape(logits)[:3], 3, sampling.LEVELS))

    def sample(self, x, *, seed, temperature, origin):
        logits = np.asarray(self(x))[0]
        levels = [sampling.draw(logits[..., c, :], seed, temperature, origin, c) for c in range(3)]
        return (np.stack(levels, axis=-1) / 255.0)[None].astype(np.float32)

    def get_config(self):
        return {"scale": self.scale}

    @property
    def receptive_field(self):
        return 3


NETWORK = Toy
