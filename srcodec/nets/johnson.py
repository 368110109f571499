"""The Johnson perceptual-loss network, super-resolution variant. Johnson, Alahi, Fei-Fei:
"Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV 2016 (its
supplementary material gives the architecture).

A 9x9 convolution to `filters` channels (ReLU), `blocks` residual blocks (3x3 conv, ReLU, 3x3
conv, plus the block's input; the code is SRResNet's block with ReLU), log2(scale)
fractionally strided convolutions (3x3, stride 1/2, ReLU), and a 9x9 convolution to RGB. The
body runs at low resolution and the upsampling is learned, as in SRResNet, but the network is
shallow (the paper: 4 blocks of 64) and the work per output pixel is the smallest of the five
families. What makes the family is its training: a feature-reconstruction loss on a frozen
VGG16 (relu2_2) plus a total-variation regulariser instead of a per-pixel loss (see
`srcodec.train`); the same network trained with MSE is the paper's per-pixel twin.

Deviations from the paper, each for this codec:

* No batch normalisation (as this codebase's SRResNet, Lim et al. 2017): at inference it is a
  per-channel affine map that the convolutions absorb, and without it training needs no batch
  statistics. Instance normalisation, which the paper's style-transfer nets use, is out: it
  would make a tile's output depend on the whole tile.
* The output adds the bilinearly upsampled input (a global residual) instead of the paper's
  scaled tanh, so an untrained network starts at the input and training goes on detail only;
  the output is clipped by the decoder, not squashed. Bilinear, not SRResNet's nearest
  neighbour: the untrained network then starts from a smooth picture instead of 4x4 blocks,
  which a feature loss hardly penalises (relu2_2 sits behind a pooling layer). It did not cure
  the grid the feature loss grows (docs/results/johnson.md); the per-pixel twins train well
  with it.
* Scales are powers of two (one stride-1/2 stage each), as in the paper (x4, x8); the codec
  models so far are x4 (x2 is not trained yet).
* `resize` 1 (not the paper; the shipped models use it): each stage is a nearest-neighbour x2
  resize followed by a 3x3 convolution (Odena et al., "Deconvolution and Checkerboard
  Artifacts", Distill 2016) instead of the transposed convolution, whose 3x3 kernel at stride 2
  gives even and odd output pixels different numbers of taps. Trained with the feature loss,
  the paper's layer left a 4-pixel grid over the whole picture (BSD100 x4 files; SSIMULACRA2
  -37.1 against bicubic's -35.5 on image 3 at q40); the resize stages did not stop the feature
  loss from growing one either (docs/results/johnson.md). The resize costs 4x the stage's
  work (it runs at the stage's output resolution: 81 k multiply-adds per output pixel at x4
  instead of 46 k).
"""

from __future__ import annotations

import keras
from keras import layers

from srcodec.nets.srgan import ResidualBlock, upsample_nearest


def stages(scale: int) -> int:
    """The stride-1/2 stages that make up `scale` (a power of two)."""
    if scale < 1 or scale & (scale - 1):
        raise ValueError(f"the johnson family upsamples by powers of two, not {scale}")
    return scale.bit_length() - 1


def bilinear_phases(x, scale: int):
    """The `scale`^2 sub-pixel phases of a bilinear upsample with pixel centres aligned (as
    Pillow and OpenCV; edges replicated), each a fixed 2x2 blend of the edge-padded input,
    concatenated in ``depth_to_space`` order: (B, H, W, scale^2 C), channel (i scale + j) C + c
    for output pixel (scale y + i, scale x + j). Works on symbolic shapes; reaches one input pixel."""
    padded = keras.ops.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="symmetric")  # width 1: the edge repeated

    def blend(t, lo, mid, hi):  # t: the phase's offset from the pixel centre, in input pixels
        return (-t) * lo + (1 + t) * mid if t < 0 else (1 - t) * mid + t * hi

    offsets = [(p + 0.5) / scale - 0.5 for p in range(scale)]
    rows = [blend(t, padded[:, :-2], padded[:, 1:-1], padded[:, 2:]) for t in offsets]
    return keras.ops.concatenate([blend(t, r[:, :, :-2], r[:, :, 1:-1], r[:, :, 2:]) for r in rows for t in offsets], axis=-1)


def upsample_bilinear(x, scale: int):
    """`scale` times larger by bilinear interpolation: `bilinear_phases` interleaved by pixel shuffle."""
    if scale == 1:
        return x
    return keras.ops.depth_to_space(bilinear_phases(x, scale), scale, data_format="channels_last")


@keras.saving.register_keras_serializable(package="srcodec")
class Johnson(keras.Model):
    def __init__(self, scale: int = 4, blocks: int = 4, filters: int = 64, resize: int = 0, layer_dtype=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.scale, self.blocks, self.filters, self.resize = int(scale), int(blocks), int(filters), int(resize)
        f = self.filters
        self.head = layers.Conv2D(f, 9, padding="same", activation="relu", dtype=layer_dtype)
        self.body = [ResidualBlock(f, activation="relu", dtype=layer_dtype) for _ in range(self.blocks)]
        if self.resize:
            self.up = [layers.Conv2D(f, 3, padding="same", activation="relu", dtype=layer_dtype)
                       for _ in range(stages(self.scale))]
        else:
            self.up = [layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu", dtype=layer_dtype)
                       for _ in range(stages(self.scale))]
        # a residual over the bilinearly upsampled input, near zero at first
        self.tail = layers.Conv2D(3, 9, padding="same", dtype=layer_dtype,
                                  kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3))

    def build(self, input_shape):
        shape = tuple(input_shape)
        self.head.build(shape)
        shape = shape[:-1] + (self.filters,)
        for layer in (*self.body, *self.up, self.tail):
            layer.build(shape)
        self.built = True

    def call(self, x, training=False):
        y = self.head(x)
        for block in self.body:
            y = block(y)
        for layer in self.up:
            y = layer(upsample_nearest(y, 2) if self.resize else y)
        return upsample_bilinear(x, self.scale) + keras.ops.cast(self.tail(y), x.dtype)

    def get_config(self):
        config = {"scale": self.scale, "blocks": self.blocks, "filters": self.filters}
        return {**config, "resize": 1} if self.resize else config

    @property
    def receptive_field(self) -> int:
        """In input pixels: the 9x9 head (4 each side), two 3x3 per block, one input pixel per
        stage (a 3x3 transposed convolution, or a 3x3 convolution after a x2 resize, reaches one
        pixel of the stage's input), and the 9x9 tail at output resolution (4 output pixels,
        rounded up to whole input pixels); the bilinear base reaches one input pixel, less."""
        reach = 4 + 2 * self.blocks + stages(self.scale) + -(-4 // self.scale)
        return 2 * reach + 1


NETWORK = Johnson
