import numpy as np
import pytest

from srcodec import nets

TINY = {
    "srcnn": {"filters": [4, 2], "kernels": [5, 3, 3]},
    "vdsr": {"depth": 4, "filters": 4},
    "srgan": {"scale": 2, "blocks": 2, "filters": 4},
    "johnson": {"scale": 2, "blocks": 1, "filters": 4},
    "johnson-resize": {"scale": 4, "blocks": 1, "filters": 4, "resize": 1},
    "pixelcnn": {"scale": 2, "blocks": 1, "filters": 4, "layers": 2, "width": 2},
}
CASES = [(name.split("-")[0], config) for name, config in TINY.items()]  # (family, a tiny config of it)
EACH = pytest.mark.parametrize("family, tiny_config", CASES, ids=list(TINY))


def test_every_family_has_a_tiny_config():
    assert {family for family, _ in CASES} == set(nets.FAMILIES)


def _out_scale(family: str, config: dict) -> int:
    """Output pixels per input pixel, a side."""
    return config.get("scale", 1) if nets.facts(family).input_space == "lowres" else 1


@EACH
def test_contract(family, tiny_config, tmp_path):
    module, facts = nets.family(family), nets.facts(family)
    net = nets.build(family, tiny_config)
    assert facts.colour in nets.COLOURS and facts.input_space in nets.INPUT_SPACES
    # get_config round-trips to the same architecture
    again = module.NETWORK(**net.get_config())
    again.build((None, None, None, facts.channels))
    assert [w.shape for w in again.get_weights()] == [w.shape for w in net.get_weights()]
    # float NHWC in; out the same size (upsampled input) or `scale` times larger (low resolution)
    x = np.random.default_rng(0).random((2, 13, 17, facts.channels)).astype(np.float32)
    s = _out_scale(family, tiny_config)
    assert tuple(net(x).shape) == (2, 13 * s, 17 * s, facts.channels)
    # weights-only save and load reproduce the outputs exactly
    path = tmp_path / "w.weights.h5"
    net.save_weights(path)
    again.load_weights(path)
    assert np.array_equal(np.asarray(net(x)), np.asarray(again(x)))


@EACH
def test_receptive_field_is_what_the_network_sees(family, tiny_config):
    """An impulse in one input pixel changes outputs up to half the receptive field away, in
    input pixels (for a low-resolution network: the output pixels' own input pixel)."""
    net = nets.build(family, tiny_config)
    channels, s = nets.facts(family).channels, _out_scale(family, tiny_config)
    size = 41
    x = np.zeros((1, size, size, channels), np.float32)
    base = np.asarray(net(x))
    x[0, size // 2, size // 2, :] = 1.0
    changed = np.argwhere(np.abs(np.asarray(net(x)) - base)[0].max(axis=-1) > 0) // s
    reach = np.abs(changed - size // 2).max()
    if nets.facts(family).sampled:  # the call is the conditioning's mean; drawing reaches further (tests/test_pixelcnn.py)
        assert reach <= net.receptive_field // 2
    elif nets.facts(family).input_space == "lowres":  # counted per stage in whole input pixels: may round up by one
        assert reach <= net.receptive_field // 2 <= reach + 1
    else:
        assert reach == net.receptive_field // 2


def test_vdsr_is_a_global_residual():
    net = nets.build("vdsr", TINY["vdsr"])
    tail = net.tail
    tail.set_weights([np.zeros_like(w) for w in tail.get_weights()])
    x = np.random.default_rng(1).random((1, 9, 9, 1)).astype(np.float32)
    assert np.array_equal(np.asarray(net(x)), x)


def test_vdsr_default_is_the_paper_network():
    net = nets.build("vdsr", {})
    convs = net.body + [net.tail]
    assert len(convs) == 20 and net.receptive_field == 41
    assert all(c.filters == 64 and c.kernel_size == (3, 3) for c in net.body)
    srcnn = nets.build("srcnn", {})
    assert [srcnn.extract.filters, srcnn.map.filters] == [64, 32]
    assert [c.kernel_size[0] for c in (srcnn.extract, srcnn.map, srcnn.reconstruct)] == [9, 5, 5]


@EACH
@pytest.mark.parametrize("tiny", [True, False])
def test_the_table_counts_parameters_without_building(family, tiny_config, tiny):
    config = tiny_config if tiny else {}
    facts = nets.facts(family)
    assert facts.parameters({**facts.defaults, **config}) == nets.build(family, config).count_params()


@pytest.mark.parametrize(
    "family, config, match",
    [
        ("vdsr", [], "must be a JSON object"),
        ("vdsr", {"foo": 1}, r"vdsr config takes \['depth', 'filters', 'scale'\], not \['foo'\]"),
        ("vdsr", {"depth": 1}, r"'depth' takes integers in 2\.\.64, got 1"),
        ("vdsr", {"filters": -1}, r"'filters' takes integers in 1\.\.256, got -1"),
        ("vdsr", {"filters": 1e9}, "'filters' takes integers"),
        ("vdsr", {"depth": 10**9}, "'depth' takes integers"),
        ("vdsr", {"depth": True}, "'depth' takes integers"),
        ("vdsr", {"depth": 64, "filters": 256}, "builds 36589825 parameters, over the limit of 10000000"),
        ("srcnn", {"kernels": [9, 4, 5]}, "odd"),
        ("srcnn", {"filters": [64]}, "list of 2 integers"),
    ],
)
def test_configs_are_checked_before_anything_is_built(family, config, match):
    with pytest.raises(ValueError, match=match):
        nets.facts(family).check_config(config)
    with pytest.raises(ValueError, match=match):
        nets.build(family, config)


def test_unknown_family():
    with pytest.raises(LookupError, match="family"):
        nets.family("espcn")


@EACH
def test_bfloat16_body_keeps_float32_weights_and_output(family, tiny_config):
    import keras

    full = nets.build(family, tiny_config)
    half = nets.build(family, tiny_config, precision="bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"  # set on the layers, not globally
    assert "mixed_bfloat16" in {layer.dtype_policy.name for layer in half.layers}
    half.set_weights(full.get_weights())
    assert all(w.dtype == np.float32 for w in half.get_weights())
    x = np.random.default_rng(2).random((1, 16, 16, nets.facts(family).channels)).astype(np.float32)
    out_full, out_half = np.asarray(full(x)), np.asarray(half(x))
    assert out_half.dtype == np.float32
    assert np.abs(out_half - out_full).max() < 0.02  # bfloat16 inner layers: close, not equal
    with pytest.raises(ValueError, match="precision"):
        nets.build(family, tiny_config, precision="float16")


@pytest.mark.parametrize("scale, stages", [(2, [2]), (3, [3]), (4, [2, 2])])
def test_srresnet_upsamples_by_pixel_shuffle_and_starts_without_checkerboard(scale, stages):
    import keras

    net = nets.build("srgan", {"scale": scale, "blocks": 1, "filters": 4})
    assert [conv.filters for conv in net.up] == [4 * r * r for r in stages]
    features = np.random.default_rng(3).random((1, 5, 5, 4)).astype(np.float32)
    for conv, r in zip(net.up, stages):  # ICNR: every sub-pixel of a channel starts equal
        out = np.asarray(keras.ops.depth_to_space(conv(features), r, data_format="channels_last"))
        blocks = out.reshape(1, 5, r, 5, r, 4)
        assert np.allclose(blocks, blocks[:, :, :1, :, :1], atol=1e-6)
    # untrained, the network is nearest-neighbour upsampling plus a near-zero residual
    x = np.random.default_rng(4).random((1, 6, 7, 3)).astype(np.float32)
    nearest = np.repeat(np.repeat(x, scale, axis=1), scale, axis=2)
    assert np.abs(np.asarray(net(x)) - nearest).max() < 0.1


def test_srresnet_defaults_are_the_papers_size():
    net = nets.build("srgan", {})
    assert (net.scale, len(net.body), net.filters) == (4, 16, 64)


@pytest.mark.parametrize("family, config", [
    ("srcnn", {}), ("vdsr", {"depth": 5, "filters": 8}), ("srgan", {"scale": 2, "blocks": 2, "filters": 8}),
    ("srgan", {"scale": 3, "blocks": 1, "filters": 4}), ("srgan", {"scale": 4, "blocks": 1, "filters": 4}),
])
def test_the_table_counts_the_work_of_every_convolution_where_it_runs(family, config, monkeypatch):
    """Multiply-adds per output pixel, traced from the convolutions a forward pass runs."""
    import keras

    counted = []
    call = keras.layers.Conv2D.call

    def traced(layer, inputs):
        out = call(layer, inputs)
        kh, kw, c_in, c_out = layer.kernel.shape
        counted.append(out.shape[1] * out.shape[2] * kh * kw * c_in * c_out)
        return out

    net = nets.build(family, config)
    monkeypatch.setattr(keras.layers.Conv2D, "call", traced)
    x = np.zeros((1, 12, 12, nets.facts(family).channels), np.float32)
    out = net(x)
    assert sum(counted) / (out.shape[1] * out.shape[2]) == pytest.approx(nets.facts(family).work(config))


def test_a_folding_restorer_runs_its_body_at_half_resolution():
    """scale 1, unshuffle 2: same size out; odd sizes padded by run_net; the impulse reach
    stays within the receptive field; a quarter of a full-resolution body's work."""
    from srcodec.inference import run_net

    config = {"scale": 1, "blocks": 2, "filters": 4, "unshuffle": 2}
    net = nets.build("srgan", config)
    assert net.input_multiple == 2 and net.get_config()["unshuffle"] == 2
    assert nets.facts("srgan").parameters({**nets.facts("srgan").defaults, **config}) == net.count_params()
    x = np.random.default_rng(5).random((13, 18, 3)).astype(np.float32)
    out = run_net(net, x)
    assert out.shape == x.shape
    padded = np.pad(x, ((0, 1), (0, 0), (0, 0)), mode="edge")
    assert np.allclose(out, run_net(net, padded)[:13], atol=1e-6)
    size = 40
    z = np.zeros((1, size, size, 3), np.float32)
    base = np.asarray(net(z))
    z[0, size // 2, size // 2, :] = 1.0
    changed = np.argwhere(np.abs(np.asarray(net(z)) - base)[0].max(axis=-1) > 0)
    assert np.abs(changed - size // 2).max() <= net.receptive_field // 2
    full = nets.facts("srgan").work({"blocks": 12, "filters": 64, "scale": 2})  # body at 1/2 per side
    assert nets.facts("srgan").work({"blocks": 12, "filters": 64, "unshuffle": 2}) == pytest.approx(full, rel=0.02)


def test_johnson_upsamples_by_stride_two_stages_of_the_papers_size():
    net = nets.build("johnson", {})
    assert net.scale == 4 and len(net.body) == 4 and len(net.up) == 2
    assert [net.head.kernel_size, net.tail.kernel_size] == [(9, 9), (9, 9)]
    assert all(layer.strides == (2, 2) for layer in net.up)
    with pytest.raises(ValueError, match="powers of two"):
        nets.facts("johnson").check_config({"scale": 3})
    # the lightest network per output pixel at x4 (the claim, from the table)
    x4 = {name: nets.facts(name).work({**config, "scale": 4}) for name, config in
          (("johnson", {}), ("srgan", {"blocks": 12}), ("vdsr", {}))}
    assert x4["johnson"] == min(x4.values())


@pytest.mark.parametrize("scale", [2, 4])
def test_johnsons_base_is_pillows_bilinear_upsampling(scale):
    from PIL import Image

    from srcodec.nets.johnson import upsample_bilinear

    x = np.random.default_rng(0).random((1, 7, 9, 3)).astype(np.float32)
    ours = np.asarray(upsample_bilinear(x, scale))[0]
    pillow = [np.asarray(Image.fromarray(x[0, ..., c]).resize((9 * scale, 7 * scale), Image.BILINEAR)) for c in range(3)]
    assert np.abs(ours - np.stack(pillow, axis=-1)).max() < 1e-6
