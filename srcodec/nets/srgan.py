"""SRResNet, the generator of SRGAN. Ledig et al.: "Photo-Realistic Single Image
Super-Resolution Using a Generative Adversarial Network", CVPR 2017.

A convolution to `filters` channels (PReLU), `blocks` residual blocks (3x3 conv, PReLU, 3x3
conv, plus the block's input), a 3x3 convolution closing a long skip from the first one,
sub-pixel upsampling (a 3x3 convolution to filters * r^2 channels, pixel shuffle by r, PReLU;
one stage of r = scale for x2/x3, two of r = 2 for x4), and a convolution to RGB. Everything
before the upsampling runs at low resolution, which is where the capacity per FLOP comes from.

Deviations from the paper, each for this codec:

* 3x3 first and last convolutions, as EDSR, instead of the paper's 9x9: with 3 channels on one
  side they vectorise poorly (oneDNN, bfloat16, 480x320 output: 586 ms with 9x9, 213 ms with
  3x3 for 12 blocks of 64), and the blocks give the reach.
* No batch normalisation (Lim et al., EDSR, CVPR 2017 Workshops: it hurts SR, and it costs a
  per-layer pass at inference).
* The output adds the nearest-neighbour upsampled input (a global residual), so an untrained
  network starts near the input instead of at noise, and training goes on detail only.
  Nearest, not bicubic: exact on every backend, and no wider than one input pixel.
* Each sub-pixel convolution starts as ICNR (Aitken et al. 2017): the r^2 sub-kernels of each
  output channel are equal, so the freshly initialised upsampler is nearest-neighbour and has
  no checkerboard.
* Width and depth are config (`filters`, `blocks`); the paper's 64 x 16 costs ~360 k
  multiply-adds per output pixel at x2, above this CPU's budget (see the zoo records).
* `unshuffle` (not in the paper): the input is first folded by pixel-unshuffle (space to
  depth) into a `unshuffle`-times smaller image of `unshuffle`^2 x 3 channels, and the upsampling
  covers `scale * unshuffle`. With scale 1 and unshuffle 2 this is a restorer at the input's own
  size whose body runs at half resolution: a quarter of the work of a full-resolution body.
  Inputs must then be a multiple of `unshuffle` on each side (`input_multiple`); the decoder's
  `run_net` pads them by edge replication.

The same network serves the MSE-trained SRResNet models and the adversarially trained SRGAN
ones; which is which is the zoo record's objective, not the code.
"""

from __future__ import annotations


import keras
from keras import layers


def stages(scale: int) -> list[int]:
    """The pixel-shuffle factors that make up `scale` (x4: two x2 stages, as the paper)."""
    if scale == 1:
        return []
    if scale == 4:
        return [2, 2]
    if scale == 8:
        return [2, 2, 2]
    return [scale]


class ICNR(keras.initializers.Initializer):
    """He-normal kernels repeated over the r^2 sub-pixel positions of each output channel."""

    def __init__(self, ratio: int, seed=None):
        self.ratio, self.seed = int(ratio), seed

    def __call__(self, shape, dtype=None):
        kh, kw, c_in, c_out = shape
        base = keras.initializers.HeNormal(seed=self.seed)((kh, kw, c_in, c_out // self.ratio**2), dtype=dtype)
        # depth_to_space reads channel (i * r + j) * C + c for sub-pixel (i, j) of channel c
        return keras.ops.tile(base, (1, 1, 1, self.ratio**2))

    def get_config(self):
        return {"ratio": self.ratio, "seed": self.seed}


def upsample_nearest(x, scale: int):
    """`scale` times larger by repeating each pixel (NHWC)."""
    return x if scale == 1 else keras.ops.repeat(keras.ops.repeat(x, scale, axis=1), scale, axis=2)


def _conv(filters: int, kernel: int, dtype, **kwargs):
    return layers.Conv2D(filters, kernel, padding="same", dtype=dtype, **kwargs)


class ResidualBlock(layers.Layer):
    """conv 3x3, activation, conv 3x3, plus the input: SRResNet's block without batch norm
    (PReLU), and the Johnson family's (ReLU)."""

    def __init__(self, filters: int, activation: str = "prelu", **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conv1 = _conv(self.filters, 3, self.dtype_policy)
        if activation == "prelu":
            self.act = layers.PReLU(shared_axes=[1, 2], dtype=self.dtype_policy)
        else:
            self.act = layers.Activation(activation, dtype=self.dtype_policy)
        self.conv2 = _conv(self.filters, 3, self.dtype_policy)

    def build(self, input_shape):
        self.conv1.build(input_shape)
        self.act.build(input_shape)
        self.conv2.build(input_shape)
        self.built = True

    def call(self, x):
        return x + self.conv2(self.act(self.conv1(x)))


@keras.saving.register_keras_serializable(package="srcodec")
class SRResNet(keras.Model):
    def __init__(self, scale: int = 4, blocks: int = 16, filters: int = 64, unshuffle: int = 1, layer_dtype=None, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.blocks, self.filters, self.unshuffle = int(scale), int(blocks), int(filters), int(unshuffle)
        f = self.filters
        self.head = _conv(f, 3, layer_dtype)
        self.head_act = layers.PReLU(shared_axes=[1, 2], dtype=layer_dtype)
        self.body = [ResidualBlock(f, dtype=layer_dtype) for _ in range(self.blocks)]
        self.body_end = _conv(f, 3, layer_dtype)
        self.up = [_conv(f * r * r, 3, layer_dtype, kernel_initializer=ICNR(r)) for r in stages(self.scale * self.unshuffle)]
        self.up_act = [layers.PReLU(shared_axes=[1, 2], dtype=layer_dtype) for _ in self.up]
        # Its output is a residual over the nearest-neighbour upsampled input, so it may compute
        # in bfloat16 like VDSR's (float32 cost 50 of 210 ms: 3 output channels vectorise poorly).
        # Near zero at first: the untrained network is the nearest-neighbour upsampling.
        self.tail = _conv(3, 3, layer_dtype, kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3))

    def build(self, input_shape):
        shape = tuple(input_shape)
        self.head.build(shape[:-1] + (shape[-1] * self.unshuffle**2,))
        shape = shape[:-1] + (self.filters,)
        self.head_act.build(shape)
        for block in self.body:
            block.build(shape)
        self.body_end.build(shape)
        for conv, act in zip(self.up, self.up_act):
            conv.build(shape)
            act.build(shape)
        self.tail.build(shape)
        self.built = True

    def call(self, x, training=False):
        folded = x if self.unshuffle == 1 else keras.ops.space_to_depth(x, self.unshuffle, data_format="channels_last")
        first = self.head_act(self.head(folded))
        y = first
        for block in self.body:
            y = block(y)
        y = first + self.body_end(y)
        for conv, act, r in zip(self.up, self.up_act, stages(self.scale * self.unshuffle)):
            y = act(keras.ops.depth_to_space(conv(y), r, data_format="channels_last"))
        return upsample_nearest(x, self.scale) + keras.ops.cast(self.tail(y), x.dtype)

    def get_config(self):
        config = {"scale": self.scale, "blocks": self.blocks, "filters": self.filters}
        return config if self.unshuffle == 1 else {**config, "unshuffle": self.unshuffle}

    @property
    def input_multiple(self) -> int:
        """Input sides must be a multiple of this (the pixel-unshuffle's factor)."""
        return self.unshuffle

    @property
    def receptive_field(self) -> int:
        """In input pixels, rounded up per stage: the 3x3 head, two 3x3 per block, the closing
        3x3, one 3x3 per upsampling stage, the 3x3 tail at output resolution, all at the folded
        resolution (`unshuffle` input pixels each), plus the fold's own width."""
        reach = 1 + 2 * self.blocks + 1  # low-resolution radius before upsampling
        for _ in stages(self.scale * self.unshuffle):
            reach += 1  # each stage's 3x3: one pixel at its resolution, at most one input pixel
        reach += 1  # the tail
        return 2 * (reach + 1) * self.unshuffle + 1 if self.unshuffle > 1 else 2 * reach + 1


NETWORK = SRResNet
