"""Training losses, by name in the recipe. Keras losses only (`keras.ops`), so a run works on
the TensorFlow and the JAX backends alike."""

from __future__ import annotations

from srcodec.errors import ArgumentError

PIXEL_LOSSES = {"mse": "mean_squared_error", "l1": "mean_absolute_error"}


def pixel(name: str) -> str:
    """The Keras loss of pixel loss `name` ("mse": the papers' SRCNN/VDSR/SRResNet; "l1":
    EDSR's, which converges faster on residual networks)."""
    try:
        return PIXEL_LOSSES[name]
    except KeyError:
        raise ArgumentError(f"loss must be one of {sorted(PIXEL_LOSSES)}, got {name!r}") from None
