"""The SRGAN discriminator (Ledig et al. 2017, Fig. 4), training side only.

Eight 3x3 convolutions with LeakyReLU(0.2), widths f, f, 2f, 2f, 4f, 4f, 8f, 8f, every second one
with stride 2, then a dense layer of 1024 (LeakyReLU) and one logit: real (1) or generated
(0). Two deviations: global average pooling before the dense layers, so any patch size works;
no batch normalisation (the generator's adversarial step runs this network frozen, and frozen
batch norm would switch to statistics gathered on other batches).
"""

from __future__ import annotations

import keras
from keras import layers


def build(filters: int = 64, channels: int = 3) -> keras.Model:
    """The discriminator for `channels`-channel images in 0..1; `filters` is f above."""
    x = inputs = keras.Input((None, None, channels))
    x = x * 2.0 - 1.0
    for i, width in enumerate((1, 1, 2, 2, 4, 4, 8, 8)):
        x = layers.Conv2D(width * filters, 3, strides=1 + i % 2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.LeakyReLU(0.2)(layers.Dense(1024)(x))
    return keras.Model(inputs, layers.Dense(1)(x), name="discriminator")
