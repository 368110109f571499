"""Pixel Recursive Super Resolution. Dahl, Norouzi, Shlens, 2017.

One low-resolution image fits many high-resolution ones. A conditioning network (a ResNet on
the LR image) gives logits over the 256 levels of every output value; a PixelCNN prior
(gated, masked convolutions) gives logits that depend on the values already drawn; their sum
is sampled value by value, with a temperature, so the output commits to one answer instead of
averaging them. Training: cross-entropy of (prior + conditioning) plus cross-entropy of the
conditioning logits alone (both outputs of the network's teacher-forced call).

Two orders of generation:

* `PixelCNN`, the codec family (``NETWORK``): a *parallel* order for photos. The output is
  folded by space-to-depth into the LR grid, K = 3 s^2 values per LR pixel (sub-pixel (i, j)
  in raster order, R, G, B innermost: value k = (i s + j) 3 + c, the order of
  ``depth_to_space``). Decoding takes K steps; step k draws value k at *every* LR position at
  once. The masks say this order through the channels alone: every prior layer splits its
  channels into K groups, and a kernel tap from input group a to output group b is kept when
  a < b in the first layer (value k never sees itself) and a <= b after it; the kernels are
  3x3 with every spatial tap kept, because at step k the values < k of all neighbours are
  already drawn. So a decode is K network evaluations, not 3 H W.
* `RasterPixelCNN`, the paper's raster order (one grey value per step), for small images (the
  MNIST ambiguity experiment, `benchmarks.ambiguity`): the gated PixelCNN of van den Oord et
  al. 2016 (vertical and horizontal stacks, so no blind spot), dilated for reach.

Deviation from the paper, in both: the prior's gates also receive the conditioning network's
features (van den Oord et al.'s conditional PixelCNN), besides the summed logits. A prior that
sees only drawn values cannot know where a committed structure should start: on the MNIST
experiment, the point where a digit's first ink may appear is known only to the conditioning.
In `PixelCNN` also: the conditioning logits are the learned ones plus a discretised Laplace
around the bilinear upsample of the LR input (its width learned per value): trained from
uniform logits, 3000 steps left the conditioning's mean 1-1.4 dB below bicubic; the base
starts it at an interpolator.
Everything runs per pixel at inference, so tiles decode as the whole image does (the draws are
keyed on absolute output positions, `srcodec.nets.sampling`).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from srcodec.nets import sampling
from srcodec.nets.johnson import bilinear_phases
from srcodec.nets.srgan import ResidualBlock

LEVELS = sampling.LEVELS


def gate(x):
    """Gated activation: tanh of the first half of the channels times sigmoid of the second."""
    a, b = ops.split(x, 2, axis=-1)
    return ops.tanh(a) * ops.sigmoid(b)


def to_input(levels):
    """uint8 levels (or floats in 0..255) to the prior's input scale, -1..1."""
    return ops.cast(levels, "float32") / 127.5 - 1.0


class Conditioning(layers.Layer):
    """The conditioning ResNet: a 3x3 convolution (ReLU) and `blocks` residual blocks; its
    output is the feature map both the conditioning logits and the prior's gates read."""

    def __init__(self, filters: int, blocks: int, **kwargs):
        super().__init__(**kwargs)
        self.head = layers.Conv2D(filters, 3, padding="same", activation="relu", dtype=self.dtype_policy)
        self.body = [ResidualBlock(filters, activation="relu", dtype=self.dtype_policy) for _ in range(blocks)]

    def build(self, input_shape):
        self.head.build(input_shape)
        shape = tuple(input_shape[:-1]) + (self.head.filters,)
        for block in self.body:
            block.build(shape)
        self.built = True

    def call(self, x):
        y = self.head(x)
        for block in self.body:
            y = block(y)
        return y

    @property
    def radius(self) -> int:
        return 1 + 2 * len(self.body)


class GroupMaskedConv2D(layers.Layer):
    """A 'same' convolution whose input and output channels are each split into `groups`
    equal groups; output group b reads input group a only where a < b (`strict`) or a <= b.
    ``call(x, group=g)`` computes output group g alone."""

    def __init__(self, filters: int, kernel_size: int, groups: int, strict: bool, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.groups, self.strict = int(filters), int(kernel_size), int(groups), bool(strict)

    def build(self, input_shape):
        c_in, k = int(input_shape[-1]), self.kernel_size
        fan_in = k * k * c_in / 2  # about half the taps are masked on average
        self.kernel = self.add_weight(
            shape=(k, k, c_in, self.filters), name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=float(np.sqrt(1.0 / fan_in))),
        )
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros")
        a = np.arange(c_in) * self.groups // c_in
        b = np.arange(self.filters) * self.groups // self.filters
        keep = a[:, None] < b[None, :] if self.strict else a[:, None] <= b[None, :]
        self.mask = np.broadcast_to(keep, (k, k, c_in, self.filters)).astype(np.float32)

    def call(self, x, group: int | None = None):
        kernel, bias, mask = self.kernel, self.bias, self.mask
        if group is not None:
            width = self.filters // self.groups
            cut = slice(group * width, (group + 1) * width)
            kernel, bias, mask = kernel[..., cut], bias[cut], mask[..., cut]
        kernel = kernel * ops.cast(mask, kernel.dtype)
        return ops.conv(x, kernel, padding="same") + bias


@keras.saving.register_keras_serializable(package="srcodec")
class PixelCNN(keras.Model):
    """The codec model (parallel order, RGB, low-resolution input).

    ``call(lr)`` gives the conditioning distribution's mean (B, sH, sW, 3 in 0..1: what a
    per-pixel model would answer, deterministic, the family contract's output); ``call([lr, hr])``
    (teacher forcing, hr in 0..1) gives [prior + conditioning, conditioning] in the folded
    layout (B, H, W, K, 256), whose targets are `target_levels`; ``sample`` draws.
    """

    teacher_forced = True

    def __init__(self, scale: int = 2, blocks: int = 4, filters: int = 64, layers: int = 3, width: int = 8,
                 layer_dtype=None, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.blocks, self.filters = int(scale), int(blocks), int(filters)
        self.depth, self.width = int(layers), int(width)
        k, hidden = self.values, self.values * self.width
        d = layer_dtype
        self.conditioning = Conditioning(self.filters, self.blocks, dtype=d)
        self.cond_logits = keras.layers.Conv2D(k * LEVELS, 1, kernel_initializer="zeros", dtype=d)  # the base alone at first
        self.cond_gates = [keras.layers.Conv2D(2 * hidden, 1, dtype=d) for _ in range(self.depth)]
        # one masked convolution per half of each gate, so that the halves keep the groups
        self.gates = [
            [GroupMaskedConv2D(hidden, 3, k, strict=(n == 0), dtype=d) for _ in range(2)] for n in range(self.depth)
        ]
        self.mixes = [GroupMaskedConv2D(hidden, 1, k, strict=False, dtype=d) for _ in range(self.depth - 1)]
        self.out = GroupMaskedConv2D(k * LEVELS, 1, k, strict=False, dtype=d)

    @property
    def values(self) -> int:
        """Output values per low-resolution pixel: the steps of a decode."""
        return 3 * self.scale**2

    def build(self, input_shape):
        shape = tuple(input_shape[:-1])
        self.conditioning.build(shape + (3,))
        features = shape + (self.filters,)
        hidden = shape + (self.values * self.width,)
        self.cond_logits.build(features)
        for n in range(self.depth):
            self.cond_gates[n].build(features)
            for conv in self.gates[n]:
                conv.build(shape + (self.values,) if n == 0 else hidden)
        for mix in self.mixes:
            mix.build(hidden)
        self.out.build(hidden)
        # softplus(-1.26) = 0.25: the conditioning starts as a Laplace of scale 4 levels around bilinear
        self.base_rate = self.add_weight(shape=(self.values,), name="base_rate",
                                         initializer=keras.initializers.Constant(-1.26))
        self.built = True

    def _conditioning(self, lr, features):
        """The conditioning logits (B, H, W, K, 256), float32: the learned ones plus those of a
        discretised Laplace around the bilinear upsample of `lr` (its scale learned per value),
        so training starts from an interpolator instead of from uniform logits."""
        b, h, w = ops.shape(lr)[0], ops.shape(lr)[1], ops.shape(lr)[2]
        learned = ops.reshape(ops.cast(self.cond_logits(features), "float32"), (b, h, w, self.values, LEVELS))
        base = bilinear_phases(ops.cast(lr, "float32"), self.scale)[..., None] * 255.0
        rate = ops.softplus(ops.cast(self.base_rate, "float32"))[:, None]
        return learned - rate * ops.abs(ops.arange(LEVELS, dtype="float32") - base)

    def gate_inputs(self, features):
        """The conditioning's per-layer gate inputs to the prior (computed once per decode)."""
        return [g(features) for g in self.cond_gates]

    def prior(self, folded, gate_inputs, group: int | None = None):
        """Prior logits from `folded` (B, H, W, K) values in -1..1 and `gate_inputs`; only
        group `group`'s when given (B, H, W, 256): one step of a decode."""
        h = folded
        for n in range(self.depth):
            t, s = ops.split(gate_inputs[n], 2, axis=-1)
            g = ops.tanh(self.gates[n][0](h) + t) * ops.sigmoid(self.gates[n][1](h) + s)
            h = g if n == 0 else h + self.mixes[n - 1](g)
        return self.out(h, group=group)

    def _unfold(self, logits):
        """(B, H, W, K, 256) -> (B, sH, sW, 3, 256)."""
        b, h, w = ops.shape(logits)[0], ops.shape(logits)[1], ops.shape(logits)[2]
        s = self.scale
        x = ops.reshape(logits, (b, h, w, s, s, 3, LEVELS))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5, 6))
        return ops.reshape(x, (b, h * s, w * s, 3, LEVELS))

    def call(self, inputs, training=False):
        teacher = isinstance(inputs, (list, tuple))
        lr = inputs[0] if teacher else inputs
        features = self.conditioning(lr)
        cond = self._conditioning(lr, features)
        if not teacher:  # the conditioning's mean, (B, sH, sW, 3) in 0..1
            mean = ops.sum(ops.softmax(self._unfold(cond), axis=-1) * ops.arange(LEVELS, dtype="float32"), axis=-1)
            return mean / 255.0
        folded = ops.space_to_depth(to_input(ops.round(inputs[1] * 255.0)), self.scale, data_format="channels_last")
        prior = ops.cast(self.prior(folded, self.gate_inputs(features)), "float32")
        return [ops.reshape(prior, ops.shape(cond)) + cond, cond]  # trained in the folded layout: no transposes

    def target_levels(self, hr: np.ndarray) -> np.ndarray:
        """The levels of `hr` (B, sH, sW, 3 in 0..1) in the layout of the teacher-forced
        outputs: (B, H, W, K), value k = (i s + j) 3 + c."""
        b, hh, ww, _ = hr.shape
        s = self.scale
        levels = np.rint(np.asarray(hr) * 255.0).astype(np.int32)
        return levels.reshape(b, hh // s, s, ww // s, s, 3).transpose(0, 1, 3, 2, 4, 5).reshape(b, hh // s, ww // s, -1)

    def sample(self, x, *, seed: int, temperature: float, origin: tuple[int, int]):
        """Draw the output of `x` (1, H, W, 3 in 0..1): K steps, each drawing one value of every
        LR pixel at once; returns (1, sH, sW, 3) in 0..1 (whole levels / 255)."""
        s, k = self.scale, self.values
        x = ops.convert_to_tensor(np.asarray(x, np.float32))
        features = self.conditioning(x)
        cond = np.asarray(self._conditioning(x, features), np.float32)[0]
        gate_inputs = self.gate_inputs(features)
        h, w = cond.shape[:2]
        levels = np.zeros((h, w, k), np.uint8)
        folded = np.full((1, h, w, k), -1.0, np.float32)
        for step in range(k):
            logits = np.asarray(self.prior(ops.convert_to_tensor(folded), gate_inputs, group=step))[0]
            (i, j), channel = divmod(step // 3, s), step % 3
            rows, cols = origin[0] + s * np.arange(h) + i, origin[1] + s * np.arange(w) + j
            levels[..., step] = sampling.draw_at(logits + cond[..., step, :], seed, temperature, rows, cols, channel)
            folded[0, ..., step] = levels[..., step] / 127.5 - 1.0
        out = levels.reshape(h, w, s, s, 3).transpose(0, 2, 1, 3, 4).reshape(h * s, w * s, 3)
        return (out / 255.0)[None].astype(np.float32)

    def get_config(self):
        return {"scale": self.scale, "blocks": self.blocks, "filters": self.filters, "layers": self.depth,
                "width": self.width}

    @property
    def receptive_field(self) -> int:
        """In LR pixels. Step k's logits read the values < k within the prior's radius (one
        pixel per 3x3 layer) and the features within that radius of it; a value drawn at the
        last step so depends, through the K - 1 earlier steps, on K prior radii plus the
        conditioning's."""
        return 2 * (self.values * self.depth + self.conditioning.radius) + 1


# ---- raster order (the paper's), grey, for small images -----------------------------------

def _pad(x, top=0, left=0, right=0):
    return ops.pad(x, ((0, 0), (top, 0), (left, right), (0, 0)))


class RasterPixelCNN(keras.Model):
    """Conditional gated PixelCNN over one grey channel in raster order.

    The conditioning input is given on the output grid (B, H, W, C): what it holds is the
    caller's (the MNIST experiment lifts its 28x28 digit there). Layer n has dilation
    `dilations[n % len]`: the vertical stack reads rows r - d and r (columns c - d, c, c + d),
    the horizontal stack columns c - d and c of row r (the first layer: column c - 1 only),
    plus the vertical stack of row r - 1, so value (r, c) sees every value above and to the
    left within the reach, and nothing else.

    A deviation from the paper: every horizontal gate also reads the ink drawn in all rows
    above (`ink_above`, one number per row), so a decision far down the image (draw the
    digit's second copy or not) can see the first one without learning to carry it through
    the dilated stacks, which 1000 CPU steps did not teach it.
    """

    def __init__(self, conditioning_channels: int = 3, blocks: int = 2, filters: int = 32, layers: int = 8,
                 width: int = 32, dilations=(1, 2, 4, 8), **kwargs):
        super().__init__(**kwargs)
        self.conditioning_channels, self.blocks, self.filters = int(conditioning_channels), int(blocks), int(filters)
        self.depth, self.width, self.dilations = int(layers), int(width), tuple(int(d) for d in dilations)
        w = self.width
        self.conditioning = Conditioning(self.filters, self.blocks)
        self.cond_logits = keras.layers.Conv2D(LEVELS, 1)
        self.cond_gates = [keras.layers.Conv2D(4 * w, 1) for _ in range(self.depth)]  # vertical and horizontal
        self.vertical = [keras.layers.Conv2D(2 * w, (2, 3), dilation_rate=self.dilation(n)) for n in range(self.depth)]
        self.down = [keras.layers.Conv2D(2 * w, 1) for _ in range(self.depth)]  # vertical -> horizontal
        self.horizontal = [keras.layers.Conv2D(2 * w, (1, 1 if n == 0 else 2), dilation_rate=self.dilation(n))
                           for n in range(self.depth)]
        self.mixes = [keras.layers.Conv2D(w, 1) for _ in range(self.depth)]
        self.above_gates = [keras.layers.Conv2D(2 * w, 1) for _ in range(self.depth)]
        self.out = keras.layers.Conv2D(LEVELS, 1)

    def dilation(self, n: int) -> int:
        return 1 if n == 0 else self.dilations[n % len(self.dilations)]

    def build(self, input_shape):
        shape = tuple(input_shape[:-1])
        self.conditioning.build(shape + (self.conditioning_channels,))
        features, hidden = shape + (self.filters,), shape + (self.width,)
        self.cond_logits.build(features)
        for n in range(self.depth):
            self.cond_gates[n].build(features)
            self.vertical[n].build(shape + (1,) if n == 0 else hidden)
            self.down[n].build(shape + (2 * self.width,))
            self.horizontal[n].build(shape + (1,) if n == 0 else hidden)
            self.mixes[n].build(hidden)
            self.above_gates[n].build(tuple(input_shape[:-2]) + (1, 1))
        self.out.build(hidden)
        self.built = True

    def vertical_stack(self, x, gate_inputs):
        """Per layer, the vertical stack's gate input projected for the horizontal stack, for
        every row r from the values of rows < r (x: B, H, W, 1 in -1..1)."""
        v, links = x, []
        for n in range(self.depth):
            d = self.dilation(n)
            pre = self.vertical[n](_pad(v, top=d, left=d, right=d)) + ops.split(gate_inputs[n], 2, axis=-1)[0]
            links.append(self.down[n](_pad(pre, top=1)[:, :-1]))  # row r reads row r - 1
            v = gate(pre) if n == 0 else v + gate(pre)
        return links

    @staticmethod
    def ink_above(x):
        """(B, H, 1, 1): the ink (levels / 255) in all rows above each row of `x` (B, H, W, 1
        in -1..1; undrawn values are -1, no ink), per column of width."""
        rows = ops.sum((x + 1.0) / 2.0, axis=(2, 3), keepdims=True)
        return (ops.cumsum(rows, axis=1) - rows) / ops.cast(ops.shape(x)[2], x.dtype)

    def above_inputs(self, x):
        """Per layer, the horizontal gates' input from `ink_above(x)` (B, H, 1, 2 width)."""
        above = self.ink_above(x)
        return [g(above) for g in self.above_gates]

    def horizontal_stack(self, x, links, gate_inputs, above_inputs):
        """Logits (B, H, W, 256) of the prior from the values left of each pixel in its row,
        the vertical stack's `links` and the rows' `above_inputs`."""
        h = x
        for n in range(self.depth):
            d = self.dilation(n)
            shifted = _pad(h, left=1)[:, :, :-1] if n == 0 else _pad(h, left=d)
            pre = (self.horizontal[n](shifted) + links[n] + ops.split(gate_inputs[n], 2, axis=-1)[1]
                   + above_inputs[n])
            g = self.mixes[n](gate(pre))
            h = g if n == 0 else h + g
        return self.out(ops.relu(h))

    def call(self, inputs, training=False):
        """[conditioning (B, H, W, C), target (B, H, W, 1) in 0..1] -> [prior + conditioning,
        conditioning] logits, each (B, H, W, 1, 256)."""
        condition, target = inputs
        features = self.conditioning(condition)
        cond = self.cond_logits(features)
        gate_inputs = [g(features) for g in self.cond_gates]
        x = to_input(ops.round(target * 255.0))
        prior = self.horizontal_stack(x, self.vertical_stack(x, gate_inputs), gate_inputs, self.above_inputs(x))
        return [ops.expand_dims(prior + cond, 3), ops.expand_dims(cond, 3)]

    @property
    def reach(self) -> int:
        """Rows above a value that its logits read."""
        return sum(self.dilation(n) for n in range(self.depth)) + 1

    def sample(self, condition, seeds, temperature: float = 1.0) -> np.ndarray:
        """Draw one image per row of `condition` (N, H, W, C), value by value in raster order,
        image n with seed `seeds[n]`; uint8 (N, H, W). Per row, the vertical stack runs once
        (on the rows within reach); per value, the horizontal stack runs on its row only."""
        condition = np.asarray(condition, np.float32)
        n, height, width = condition.shape[:3]
        features = self.conditioning(condition)
        cond = np.asarray(self.cond_logits(features), np.float64)
        gate_inputs = [np.asarray(g(features)) for g in self.cond_gates]
        seeds = np.asarray(seeds, np.uint64).reshape(n, 1, 1)
        canvas = np.full((n, height, width, 1), -1.0, np.float32)
        levels = np.zeros((n, height, width), np.uint8)
        for r in range(height):
            top = max(0, r - self.reach)
            links = self.vertical_stack(canvas[:, top : r + 1], [g[:, top : r + 1] for g in gate_inputs])
            links = [link[:, -1:] for link in links]
            row_gates = [g[:, r : r + 1] for g in gate_inputs]
            above = [a[:, -1:] for a in self.above_inputs(canvas[:, : r + 1])]  # once per row, not per value
            for c in range(width):
                logits = np.asarray(self.horizontal_stack(canvas[:, r : r + 1], links, row_gates, above))[:, 0, c]
                drawn = sampling.draw_at((logits + cond[:, r, c])[:, None, None], seeds, temperature,
                                         np.array([r]), np.array([c]), 0)[:, 0, 0]
                levels[:, r, c] = drawn
                canvas[:, r, c, 0] = drawn / 127.5 - 1.0
        return levels


NETWORK = PixelCNN
