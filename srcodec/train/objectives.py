"""One training wrapper per objective, each owning its step, its optimizers and its checkpoint.

* `Regression`: a content loss (pixel, or VGG16 features) on the network alone, plus
  optionally the per-pixel MSE beside a feature loss and the total variation of its output:
  Keras' own train step on the network compiled with it (SRCNN, VDSR, SRResNet, Johnson).
* `Likelihood`: the sampled families (PixelCNN): 256-way cross-entropy of the network's logits
  (each of its outputs, e.g. prior + conditioning and conditioning alone) against the target's
  levels; recipes ask for it with ``"loss": "cross_entropy"``.
* `Adversarial`: SRGAN (Ledig et al. 2017). Each step trains the discriminator on a batch of
  real and generated patches (its own Adam), then the generator on content loss plus
  `adversarial_weight` x the cross-entropy of the discriminator, frozen, calling its output
  real (the generator's optimizer), plus the same optional per-pixel and TV terms.

Both are made of compiled Keras models and `train_on_batch`, so they run unchanged on the
TensorFlow and the JAX backends. Freezing is by each model's ``trainable`` flag, set before
each of its steps (JAX reads the trainable variables at every call; TensorFlow at its trace).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from srcodec.train import discriminator, losses
from srcodec.train.config import TrainConfig

CHECKPOINT = "checkpoint.weights.h5"  # the network and its optimizer (and a GAN's combined model)
DISCRIMINATOR_CHECKPOINT = "discriminator.weights.h5"  # the discriminator and its optimizer


def make(net, config: TrainConfig, optimizer):
    """The wrapper `config` asks for, around `net` (built), with the generator's `optimizer`."""
    if config.adversarial_weight > 0:
        return Adversarial(net, config, optimizer)
    return (Likelihood if config.loss == losses.CROSS_ENTROPY else Regression)(net, config, optimizer)


def _inputs(config: TrainConfig):
    import keras

    from srcodec import nets

    return keras.Input((None, None, nets.facts(config.family).channels))


def _content(config: TrainConfig, image):
    """(the content output for the generated `image`, its Keras loss, the feature model or None)."""
    features = losses.feature_extractor(config.loss)
    if features is None:
        return image, losses.pixel(config.loss), None
    return features(image), "mean_squared_error", features


def _extras(config: TrainConfig) -> list[tuple]:
    """Extra outputs, each the generated image itself under another loss: (name, Keras loss,
    weight) for the per-pixel MSE beside a feature loss and the total variation, where asked."""
    return [(name, loss, weight) for name, loss, weight in (
        ("pixel", "mean_squared_error", config.pixel_weight),
        ("tv", losses.total_variation, config.tv_weight),
    ) if weight > 0]


def _extra_logs(logs: dict, extras: list[tuple]) -> dict[str, float]:
    return {name: float(logs[f"{name}_loss"]) for name, _, _ in extras}


class Regression:
    def __init__(self, net, config: TrainConfig, optimizer) -> None:
        import keras

        self.net = net
        self.extras = _extras(config)
        if config.loss in losses.PIXEL_LOSSES and not self.extras:  # the network compiled itself (checkpoints as they always were)
            self.model, self.features = net, None
            weights = None if config.content_weight == 1.0 else [config.content_weight]
            net.compile(optimizer=optimizer, loss=losses.pixel(config.loss), loss_weights=weights)
            return
        inputs = _inputs(config)
        image = net(inputs)
        content, loss, self.features = _content(config, image)
        outputs, loss, weights = [content], [loss], [config.content_weight]
        for name, extra_loss, weight in self.extras:
            outputs.append(keras.layers.Identity(name=name)(image))
            loss.append(extra_loss)
            weights.append(weight)
        self.model = keras.Model(inputs, outputs)
        self.model.compile(optimizer=optimizer, loss=loss, loss_weights=weights)

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        target = y if self.features is None else self.features.predict_on_batch(y)
        if not self.extras:
            return {"loss": float(self.model.train_on_batch(x, target))}
        logs = self.model.train_on_batch(x, [target] + [y] * len(self.extras), return_dict=True)
        return {"loss": float(logs["loss"]), **_extra_logs(logs, self.extras)}

    def save(self, out: Path) -> None:
        self.model.save_weights(out / CHECKPOINT)  # a compiled model's file holds the optimizer too

    def load(self, out: Path) -> None:
        self.model.optimizer.build(self.model.trainable_variables)  # so its slots exist to be filled
        self.model.load_weights(out / CHECKPOINT)


class Likelihood(Regression):
    """A network with ``teacher_forced`` set (PixelCNN) is called on [input, target], since its
    prior reads the target's earlier values; its outputs are [prior + conditioning,
    conditioning], each scored against the target's levels (``net.target_levels``)."""

    def __init__(self, net, config: TrainConfig, optimizer) -> None:
        self.net = self.model = net
        self.teacher_forced = getattr(net, "teacher_forced", False)
        self.outputs = 2 if self.teacher_forced else len(net.outputs) if getattr(net, "outputs", None) else 1
        net.compile(optimizer=optimizer, loss=[losses.cross_entropy()] * self.outputs if self.outputs > 1 else losses.cross_entropy())

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        # targets in 0..1 -> the 256 levels (in the network's layout where it has its own)
        levels = self.net.target_levels(y) if self.teacher_forced else np.rint(y * 255.0).astype(np.int32)
        targets = [levels] * self.outputs if self.outputs > 1 else levels
        logs = self.model.train_on_batch([x, y] if self.teacher_forced else x, targets, return_dict=True)
        return {"loss": float(logs["loss"])}


class Adversarial:
    def __init__(self, net, config: TrainConfig, optimizer) -> None:
        import keras

        self.net = net
        inputs = _inputs(config)
        self.discriminator = discriminator.build(config.discriminator_filters, inputs.shape[-1])
        self.discriminator.compile(optimizer=keras.optimizers.Adam(config.discriminator_lr), loss=losses.adversarial())
        generated = net(inputs)
        content, content_loss, self.features = _content(config, generated)
        self.discriminator.trainable = False
        self.extras = _extras(config)
        named = [keras.layers.Identity(name=name) for name in ("content", "adversarial")]  # names the losses' logs
        outputs = [named[0](content), named[1](self.discriminator(generated))]
        outputs += [keras.layers.Identity(name=name)(generated) for name, _, _ in self.extras]
        self.model = keras.Model(inputs, outputs)
        self.model.compile(
            optimizer=optimizer,
            loss=[content_loss, losses.adversarial()] + [loss for _, loss, _ in self.extras],
            loss_weights=[config.content_weight, config.adversarial_weight] + [weight for _, _, weight in self.extras],
        )

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        n = len(x)
        fake = np.asarray(self.net.predict_on_batch(x), np.float32)
        self.discriminator.trainable = True
        d_loss = self.discriminator.train_on_batch(
            np.concatenate([y, fake]), np.concatenate([np.ones((n, 1), np.float32), np.zeros((n, 1), np.float32)])
        )
        self.discriminator.trainable = False
        target = y if self.features is None else self.features.predict_on_batch(y)
        logs = self.model.train_on_batch(x, [target, np.ones((n, 1), np.float32)] + [y] * len(self.extras), return_dict=True)
        return {"loss": float(logs["loss"]), "content": float(logs["content_loss"]),
                "adversarial": float(logs["adversarial_loss"]), "discriminator": float(d_loss),
                **_extra_logs(logs, self.extras)}

    def save(self, out: Path) -> None:
        self.model.save_weights(out / CHECKPOINT)
        self.discriminator.save_weights(out / DISCRIMINATOR_CHECKPOINT)

    def load(self, out: Path) -> None:
        self.discriminator.trainable = True
        self.discriminator.optimizer.build(self.discriminator.trainable_variables)
        self.discriminator.load_weights(out / DISCRIMINATOR_CHECKPOINT)
        self.discriminator.trainable = False
        self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(out / CHECKPOINT)
