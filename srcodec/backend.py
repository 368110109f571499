"""Which Keras backend runs the networks, chosen before anything imports Keras.

Keras 3 reads its backend once, at its first import: ``KERAS_BACKEND``, else the ``backend``
of ``$KERAS_HOME/keras.json`` (default ``~/.keras``), else TensorFlow. srcodec ships for
TensorFlow (``pip install srcodec[tensorflow]``); a light decoder install has JAX instead
(``pip install srcodec[jax]``). When nothing names a backend, or what is named is TensorFlow, and
TensorFlow is not installed but JAX is, `choose` sets ``KERAS_BACKEND=jax``. It imports
neither library (importlib.util.find_spec only looks), so the bicubic path stays Keras-free;
`quiet_tensorflow` imports TensorFlow with its load-time output hidden (the CLI, the benchmarks).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from importlib.util import find_spec


def configured() -> str:
    """The backend Keras would pick now, were it imported: the environment, keras.json or TensorFlow."""
    named = os.environ.get("KERAS_BACKEND")
    if named:
        return named
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as f:
            return str(json.load(f).get("backend") or "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def choose() -> str:
    """Set ``KERAS_BACKEND=jax`` when TensorFlow would be used but is absent and JAX is here;
    returns the backend Keras will use (Keras' own, when it is already imported)."""
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    backend = configured()
    if backend == "tensorflow" and find_spec("tensorflow") is None and find_spec("jax") is not None:
        os.environ["KERAS_BACKEND"] = backend = "jax"
    return backend


INSTALL_HINT = ("decoding with a network model needs a Keras backend: pip install 'srcodec[tensorflow]' "
                "(the fastest on CPUs) or 'srcodec[jax]' (a light install)")


def require() -> str:
    """The backend Keras will use; raises `CodecUnavailableError` naming the extras to install
    when it is not installed (checked without importing it)."""
    backend = choose()
    if "keras" not in sys.modules and find_spec(backend) is None:
        from srcodec.errors import CodecUnavailableError

        raise CodecUnavailableError(f"{INSTALL_HINT} (Keras would use {backend!r}, which is not installed)")
    return backend


@contextlib.contextmanager
def _stderr_hidden():
    """Send file descriptor 2 (C libraries' stderr) to a temporary file for the block; what
    was written there is shown if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def quiet_tensorflow() -> None:
    """Import TensorFlow so that TF_CPP_MIN_LOG_LEVEL (3, nothing, unless set) governs all
    it prints, which it does not by itself: its libraries log INFO lines as they load, through
    absl before absl::InitializeLog, whatever the setting, and its Python logger ignores the
    setting (retracing warnings would break the progress bar). For the command line and the
    benchmarks' worker processes; the library itself leaves TensorFlow's output alone."""
    if "tensorflow" in sys.modules or choose() != "tensorflow":
        return  # already imported, or Keras runs on another backend (JAX: a light install)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # 3 hides errors too: "failed call to cuInit" on CPUs
    level = os.environ["TF_CPP_MIN_LOG_LEVEL"]
    with _stderr_hidden() if level in ("1", "2", "3") else contextlib.nullcontext():
        import tensorflow as tf
    if level in ("2", "3"):
        tf.get_logger().setLevel("ERROR")
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
