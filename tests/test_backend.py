"""The Keras backend: chosen before Keras loads, JAX when TensorFlow is absent, and the JAX
decode (the light install's) within a grey level of TensorFlow's."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import srcodec
from srcodec import backend


@pytest.mark.parametrize(
    "named, installed, expected",
    [
        (None, {"tensorflow", "jax"}, "tensorflow"),
        (None, {"jax"}, "jax"),  # the light install
        ("tensorflow", {"jax"}, "jax"),
        ("jax", {"tensorflow", "jax"}, "jax"),
        (None, set(), "tensorflow"),  # nothing to switch to: require() says what to install
    ],
)
def test_the_backend_is_chosen_before_keras_loads(monkeypatch, tmp_path, named, installed, expected):
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no keras.json
    if named is None:
        monkeypatch.delenv("KERAS_BACKEND", raising=False)
    else:
        monkeypatch.setenv("KERAS_BACKEND", named)
    monkeypatch.setattr(backend, "find_spec", lambda name: object() if name in installed else None)
    assert backend.choose() == expected
    if expected in installed:
        assert backend.require() == expected
    else:
        with pytest.raises(srcodec.CodecUnavailableError, match=r"srcodec\[tensorflow\].*srcodec\[jax\]"):
            backend.require()


JAX_DECODE = """
import sys, numpy as np, srcodec, keras
assert keras.backend.backend() == "jax"
files = [open(p, "rb").read() for p in sys.argv[1:]]
out = list(srcodec.decode_many(files * 2, workers=4, precision="float32"))  # threads share one network
np.save(sys.stdout.buffer, np.stack(out))
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax not installed")
def test_the_jax_decode_matches_tensorflow(tmp_path, photo):
    paths = []
    for model, scale in (("srresnet-x2-codec", 2), ("vdsr-y-x1-codec-v2", 1)):
        path = tmp_path / f"{model}.jpg"
        path.write_bytes(srcodec.encode(photo, scale=scale, quality=40, model=model))
        paths.append(path)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", JAX_DECODE, *map(str, paths)], env=env, capture_output=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    import io

    jax_out = np.load(io.BytesIO(done.stdout))
    for k, path in enumerate(paths * 2):
        tf_out = srcodec.decode(path, precision="float32").astype(int)
        assert np.abs(jax_out[k] - tf_out).max() <= 1
