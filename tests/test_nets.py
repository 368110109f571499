import numpy as np
import pytest

from srcodec import nets

TINY = {"srcnn": {"filters": [4, 2], "kernels": [5, 3, 3]}, "vdsr": {"depth": 4, "filters": 4}}


CONFIGS = [(family, TINY[family]) for family in nets.FAMILIES] + [("vdsr", {**TINY["vdsr"], "channels": 3})]


@pytest.mark.parametrize("family, config", CONFIGS)
def test_contract(family, config, tmp_path):
    module = nets.family(family)
    net = nets.build(family, config)
    assert module.colour(config) in ("y", "rgb") and isinstance(module.UPSAMPLED_INPUT, bool)
    channels = nets.channels(family, config)
    assert channels == (1 if module.colour(config) == "y" else 3)
    # get_config round-trips to the same architecture
    again = module.NETWORK(**net.get_config())
    again.build((None, None, None, channels))
    assert [w.shape for w in again.get_weights()] == [w.shape for w in net.get_weights()]
    # float NHWC in, same size out (these families work on upsampled images)
    x = np.random.default_rng(0).random((2, 13, 17, channels)).astype(np.float32)
    assert tuple(net(x).shape) == (2, 13, 17, channels)
    # weights-only save and load reproduce the outputs exactly
    path = tmp_path / "w.weights.h5"
    net.save_weights(path)
    again.load_weights(path)
    assert np.array_equal(np.asarray(net(x)), np.asarray(again(x)))


@pytest.mark.parametrize("family", nets.FAMILIES)
def test_receptive_field_is_what_the_network_sees(family):
    net = nets.build(family, TINY[family])
    size = 41
    x = np.zeros((1, size, size, 1), np.float32)
    base = np.asarray(net(x))
    x[0, size // 2, size // 2, 0] = 1.0
    changed = np.argwhere(np.abs(np.asarray(net(x)) - base)[0, ..., 0] > 0)
    reach = np.abs(changed - size // 2).max()
    assert reach == net.receptive_field // 2


def test_vdsr_is_a_global_residual():
    net = nets.build("vdsr", TINY["vdsr"])
    tail = net.tail
    tail.set_weights([np.zeros_like(w) for w in tail.get_weights()])
    x = np.random.default_rng(1).random((1, 9, 9, 1)).astype(np.float32)
    assert np.array_equal(np.asarray(net(x)), x)


def test_rgb_vdsr_from_luma_weights_restores_luma_only():
    from srcodec import resample
    from srcodec.nets import vdsr

    rng = np.random.default_rng(2)
    luma_net = nets.build("vdsr", TINY["vdsr"])
    luma_net.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in luma_net.get_weights()])
    rgb_net = nets.build("vdsr", {**TINY["vdsr"], "channels": 3})
    rgb_net.set_weights(vdsr.rgb_from_y(luma_net.get_weights()))
    x = rng.random((1, 12, 12, 3)).astype(np.float32)
    y = (x @ resample.LUMA.astype(np.float32))[..., None]
    out = np.asarray(rgb_net(x))
    assert np.abs(out - x).max() > 1e-2  # the residual is not trivially zero ...
    assert np.allclose(out - x, np.asarray(luma_net(y)) - y, atol=1e-5)  # ... and is the luma one's
    ycc_in, ycc_out = resample.rgb_to_ycbcr(x[0] * 255), resample.rgb_to_ycbcr(out[0] * 255)
    assert np.allclose(ycc_in[..., 1:], ycc_out[..., 1:], atol=1e-3)  # chroma untouched
    with pytest.raises(ValueError, match="luma"):
        vdsr.rgb_from_y(rgb_net.get_weights())
    with pytest.raises(ValueError, match="channels"):
        nets.build("vdsr", {**TINY["vdsr"], "channels": 2})


def test_vdsr_default_is_the_paper_network():
    net = nets.build("vdsr", {})
    convs = net.body + [net.tail]
    assert len(convs) == 20 and net.receptive_field == 41
    assert all(c.filters == 64 and c.kernel_size == (3, 3) for c in net.body)
    srcnn = nets.build("srcnn", {})
    assert [srcnn.extract.filters, srcnn.map.filters] == [64, 32]
    assert [c.kernel_size[0] for c in (srcnn.extract, srcnn.map, srcnn.reconstruct)] == [9, 5, 5]


def test_unknown_family():
    with pytest.raises(LookupError, match="family"):
        nets.family("espcn")


@pytest.mark.parametrize("family", nets.FAMILIES)
def test_bfloat16_body_keeps_float32_weights_and_output(family):
    import keras

    full = nets.build(family, TINY[family])
    half = nets.build(family, TINY[family], precision="bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"  # the policy is restored
    half.set_weights(full.get_weights())
    assert all(w.dtype == np.float32 for w in half.get_weights())
    x = np.random.default_rng(2).random((1, 16, 16, 1)).astype(np.float32)
    out_full, out_half = np.asarray(full(x)), np.asarray(half(x))
    assert out_half.dtype == np.float32
    assert np.abs(out_half - out_full).max() < 0.02  # bfloat16 inner layers: close, not equal
    with pytest.raises(ValueError, match="precision"):
        nets.build(family, TINY[family], precision="float16")
