"""VDSR. Kim, Lee, Lee: "Accurate Image Super-Resolution Using Very Deep Convolutional
Networks", CVPR 2016.

20 3x3 convolutions (64 filters, ReLU; the last one has 1 filter and no activation) learn the
residual between the bicubic-upsampled Y channel and the original; the input is added back.
One network serves several scales because it only ever sees upsampled images, and with
scale 1 in its training mix it also removes JPEG artifacts at full size.

``channels=3`` is srcodec's extension for the codec: the same network on the upsampled RGB
image, so that it restores chroma too. The paper's luma-only network leaves the chroma that
JPEG's 4:2:0 coding blurred to bicubic upsampling, and RGB-PSNR counts those errors.
`rgb_from_y` turns a luma network's weights into an RGB network computing the same thing, the
start of such a model's training.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from srcodec.resample import LUMA

UPSAMPLED_INPUT = True
CHANNELS = (1, 3)


def colour(config: dict) -> str:
    return "y" if config.get("channels", 1) == 1 else "rgb"


@keras.saving.register_keras_serializable(package="srcodec")
class VDSR(keras.Model):
    def __init__(self, scale: int = 2, depth: int = 20, filters: int = 64, channels: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.depth, self.filters, self.channels = int(scale), int(depth), int(filters), int(channels)
        if self.depth < 2:
            raise ValueError(f"VDSR depth must be at least 2, got {depth}")
        if self.channels not in CHANNELS:
            raise ValueError(f"VDSR channels must be one of {CHANNELS}, got {channels}")
        init = keras.initializers.HeNormal()
        self.body = [
            layers.Conv2D(self.filters, 3, padding="same", activation="relu", kernel_initializer=init)
            for _ in range(self.depth - 1)
        ]
        # A near-zero last layer starts the network at bicubic (residual ~ 0) instead of at
        # He-scaled noise, which short CPU budgets cannot afford to unlearn. It follows the
        # policy: its output, the residual, is small, so bfloat16 moves restored pixels by under
        # 0.05 grey levels, and this 64->1 convolution took 20 of VDSR's 240 ms in float32.
        self.tail = layers.Conv2D(self.channels, 3, padding="same", kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3))

    def build(self, input_shape):
        shape = tuple(input_shape)
        for conv in self.body:
            conv.build(shape)
            shape = shape[:-1] + (self.filters,)
        self.tail.build(shape)
        self.built = True

    def call(self, x):
        y = x
        for conv in self.body:
            y = conv(y)
        return x + keras.ops.cast(self.tail(y), x.dtype)

    def get_config(self):
        return {"scale": self.scale, "depth": self.depth, "filters": self.filters, "channels": self.channels}

    @property
    def receptive_field(self) -> int:
        return 2 * self.depth + 1


def rgb_from_y(weights: list[np.ndarray]) -> list[np.ndarray]:
    """The weights of a ``channels=3`` VDSR that computes what the luma VDSR with `weights`
    does: its first layer sees the luma of the RGB input (the luma kernel times each channel's
    luma weight), and its residual is added to all three channels, which moves luma by the
    residual and leaves chroma as upsampled (the luma weights sum to 1)."""
    first, *middle, tail_kernel, tail_bias = weights
    if first.shape[2] != 1 or tail_kernel.shape[3] != 1:
        raise ValueError("rgb_from_y takes the weights of a luma (channels=1) VDSR")
    return [first * LUMA.astype(first.dtype)[:, None], *middle, np.repeat(tail_kernel, 3, axis=3), np.repeat(tail_bias, 3)]


NETWORK = VDSR
