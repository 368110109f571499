"""Training losses, by name in the recipe: pixel losses, the VGG16 feature (content) loss,
the total-variation regulariser, the adversarial loss and the 256-way cross-entropy. Keras
losses and layers only, so a run works on the TensorFlow and the JAX backends alike."""

from __future__ import annotations

from srcodec.errors import ArgumentError

PIXEL_LOSSES = {"mse": "mean_squared_error", "l1": "mean_absolute_error"}
CROSS_ENTROPY = "cross_entropy"  # the sampled families' likelihood loss
FEATURE_PREFIX = "vgg:"  # a content loss "vgg:<layer>" compares VGG16 activations at that layer


def pixel(name: str) -> str:
    """The Keras loss of pixel loss `name` ("mse": the papers' SRCNN/VDSR/SRResNet; "l1":
    EDSR's, which converges faster on residual networks)."""
    try:
        return PIXEL_LOSSES[name]
    except KeyError:
        raise ArgumentError(f"loss must be one of {sorted(PIXEL_LOSSES)}, got {name!r}") from None


def feature_extractor(content: str):
    """For content loss "vgg:<layer>" (e.g. "vgg:block2_conv2", Johnson's relu2_2, or
    "vgg:block5_conv3", the deepest VGG16 block for SRGAN): a frozen Keras model mapping RGB in
    0..1 to that layer's activations, VGG16's preprocessing included. None for a pixel loss.
    Several layers, "vgg:block1_conv2+block2_conv2": one vector per image, each layer's part
    scaled so that the vector's MSE is the mean of the layers' MSEs (`stacked`).
    The weights come from `srcodec.perceptual` (``SRCODEC_VGG16``)."""
    if content in PIXEL_LOSSES or content == CROSS_ENTROPY:
        return None
    if not content.startswith(FEATURE_PREFIX):
        raise ArgumentError(f"content loss must be one of {sorted(PIXEL_LOSSES)} or 'vgg:<layer>', got {content!r}")
    import keras

    from srcodec import perceptual

    layers = tuple(content[len(FEATURE_PREFIX) :].split("+"))
    vgg = perceptual.feature_net(layers)
    mean = keras.ops.convert_to_tensor(perceptual.CAFFE_MEAN_BGR)
    x = inputs = keras.Input((None, None, 3))
    x = keras.ops.flip(x * 255.0, axis=-1) - mean  # RGB 0..1 -> caffe BGR
    features = vgg(x)
    features = list(features) if isinstance(features, (list, tuple)) else [features]
    output = features[0] if len(features) == 1 else stacked()(features)
    model = keras.Model(inputs, output, name="vgg_" + "_".join(layers))
    model.trainable = False
    return model


def stacked():
    """A layer taking a list of feature maps (N x H_l x W_l x C_l) to one N x sum(H_l W_l C_l)
    vector, each map's part multiplied by sqrt(total / (count x its size)): the MSE of two such
    vectors is the unweighted mean of the maps' MSEs, whatever their resolutions."""
    import keras

    class Stacked(keras.layers.Layer):
        def call(self, maps):
            flat = [keras.ops.reshape(m, (keras.ops.shape(m)[0], -1)) for m in maps]
            sizes = [keras.ops.cast(keras.ops.shape(f)[1], "float32") for f in flat]
            total = sum(sizes)
            return keras.ops.concatenate([f * keras.ops.sqrt(total / (len(flat) * n)) for f, n in zip(flat, sizes)], axis=1)

        def compute_output_shape(self, shapes):
            return (shapes[0][0], None)

    return Stacked(name="stacked_features")


def total_variation(y_true, y_pred):
    """Per image: the mean squared difference between horizontally and vertically adjacent
    output values (Johnson et al.'s regulariser against high-frequency artefacts; `y_true` is
    not read)."""
    import keras

    dx = y_pred[:, :, 1:, :] - y_pred[:, :, :-1, :]
    dy = y_pred[:, 1:, :, :] - y_pred[:, :-1, :, :]
    return keras.ops.mean(dx * dx, axis=(1, 2, 3)) + keras.ops.mean(dy * dy, axis=(1, 2, 3))


def adversarial():
    """Binary cross-entropy on the discriminator's logits (SRGAN's -log D(G(x)) for the
    generator, with targets 1)."""
    import keras

    return keras.losses.BinaryCrossentropy(from_logits=True)


def cross_entropy():
    """256-way cross-entropy on logits over the levels of each output value (PixelCNN)."""
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
