"""SRCNN. Dong, Loy, He, Tang: "Image Super-Resolution Using Deep Convolutional Networks",
IEEE TPAMI 38(2), 2016.

Three convolutions on the bicubic-upsampled Y channel: patch extraction (9x9, 64), non-linear
mapping (5x5, 32 in the TPAMI 9-5-5 setting) and reconstruction (5x5, 1). 'same' padding
keeps the output the size of the input, so whole images and tiles need no cropping.
"""

from __future__ import annotations

import keras
from keras import layers

@keras.saving.register_keras_serializable(package="srcodec")
class SRCNN(keras.Model):
    def __init__(self, scale: int = 3, filters=(64, 32), kernels=(9, 5, 5), layer_dtype=None, **kwargs):
        super().__init__(**kwargs)
        self.scale = int(scale)
        self.filters = tuple(int(f) for f in filters)
        self.kernels = tuple(int(k) for k in kernels)
        if len(self.filters) != 2 or len(self.kernels) != 3:
            raise ValueError(f"SRCNN takes 2 filter counts and 3 kernel sizes, got {filters}, {kernels}")
        self.extract = layers.Conv2D(self.filters[0], self.kernels[0], padding="same", activation="relu", dtype=layer_dtype)
        self.map = layers.Conv2D(self.filters[1], self.kernels[1], padding="same", activation="relu", dtype=layer_dtype)
        # float32 whatever the policy, so bfloat16 bodies do not round the output (see `nets`)
        self.reconstruct = layers.Conv2D(1, self.kernels[2], padding="same", dtype="float32")

    def build(self, input_shape):
        shape = tuple(input_shape)
        self.extract.build(shape)
        shape = shape[:-1] + (self.filters[0],)
        self.map.build(shape)
        self.reconstruct.build(shape[:-1] + (self.filters[1],))
        self.built = True

    def call(self, x, training=False):
        return keras.ops.cast(self.reconstruct(self.map(self.extract(x))), x.dtype)

    def get_config(self):
        return {"scale": self.scale, "filters": list(self.filters), "kernels": list(self.kernels)}

    @property
    def receptive_field(self) -> int:
        return sum(self.kernels) - len(self.kernels) + 1


NETWORK = SRCNN
