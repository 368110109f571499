import numpy as np
import pytest

from benchmarks.paper import bicubic_y_psnr, load_set, restore_y_psnr
from srcodec import resample


def test_constant_image_stays_constant():
    x = np.full((12, 18, 3), 77, np.uint8)
    for scale in (2, 3, 4):
        assert (resample.downsample(x, scale) == 77).all()
        assert np.allclose(resample.upsample(x, scale), 77, atol=1e-3)


def test_sizes_follow_ceil():
    x = np.zeros((13, 7, 3), np.uint8)
    assert resample.downsample(x, 3).shape == (5, 3, 3)
    assert resample.lr_size(13, 7, 3) == (5, 3)
    assert resample.upsample(np.zeros((5, 3)), 3).shape == (15, 9)
    assert resample.downsample(np.zeros((1, 1), np.uint8), 4).shape == (1, 1)


def test_downsampling_a_ramp_samples_its_centres():
    # Bicubic reproduces linear functions; with scale s, LR pixel i sits at HR (i + 0.5) * s - 0.5.
    ramp = np.tile(np.arange(48, dtype=np.float64), (48, 1)) * 2.0
    lr = resample.imresize(ramp, 1 / 4)
    centres = ((np.arange(12) + 0.5) * 4 - 0.5) * 2.0
    assert np.allclose(lr[6, 3:9], centres[3:9], atol=1e-9)


def test_antialiasing_removes_a_nyquist_pattern():
    stripes = np.tile(np.array([0.0, 255.0]), (32, 16))  # period 2 along width
    lr = resample.imresize(stripes, 1 / 2)
    assert np.ptp(lr[4:-4, 4:-4]) < 1e-6  # flat grey, no aliasing


def test_ycbcr_round_trip_and_reference_values():
    rgb = np.random.default_rng(0).integers(0, 256, (20, 20, 3)).astype(np.uint8)
    back = resample.to_uint8(resample.ycbcr_to_rgb(resample.rgb_to_ycbcr(rgb)))
    assert np.abs(back.astype(int) - rgb).max() <= 1
    white = np.array([[[255, 255, 255]]], np.uint8)
    assert np.allclose(resample.rgb_to_ycbcr(white), [255, 128, 128], atol=1e-3)
    assert np.allclose(resample.rgb_to_y_studio(white), 235.0)
    assert np.allclose(resample.rgb_to_y_studio(np.zeros((1, 1, 3))), 16.0)


def test_to_uint8_rounds_half_up_and_clips():
    assert resample.to_uint8(np.array([-3.0, 0.5, 1.49, 254.5, 300.0])).tolist() == [0, 1, 1, 255, 255]


def test_refine_chroma_keeps_luma_and_chroma_that_follows_it():
    y = np.random.default_rng(1).random((40, 50)) * 255
    ycc = np.stack([y, 0.3 * y + 40, 150 - 0.2 * y], -1).astype(np.float32)
    out = resample.refine_chroma(ycc, 3)
    assert np.array_equal(out[..., 0], ycc[..., 0])
    assert np.abs(out - ycc).max() < 0.2  # chroma linear in luma is the filter's fixed point


def test_refine_chroma_smooths_chroma_blocks_that_luma_lacks():
    blocks = np.kron(np.indices((6, 6)).sum(0) % 2, np.ones((8, 8))) * 20 + 118  # 8x8 checkerboard
    ycc = np.stack([np.full((48, 48), 90.0), blocks, blocks], -1).astype(np.float32)
    out = resample.refine_chroma(ycc, 4)
    assert np.ptp(out[8:-8, 8:-8, 1:]) < 0.5 * np.ptp(blocks)
    assert np.allclose(out[..., 1:].mean(), blocks.mean(), atol=1.0)


def test_degrade_is_what_encode_stores(photo):
    import encoders

    payload = resample.compress(photo, 2, "jpeg", 40)
    assert np.array_equal(resample.degrade(photo, 2, "jpeg", 40), encoders.jpeg.decode(payload))
    assert np.array_equal(resample.degrade(photo, 3, None), resample.downsample(photo, 3))


def test_padding_keeps_pixel_grid(photo):
    # A size that does not divide: the LR image equals that of the edge-padded image.
    odd = photo[:95, :127]
    assert np.array_equal(resample.downsample(odd, 2), resample.downsample(resample.pad_to_multiple(odd, 2), 2))
    assert resample.pad_to_multiple(odd, 2).shape[:2] == (96, 128)


@pytest.mark.parametrize("scale,paper", [(2, 33.66), (3, 30.39), (4, 28.42)])
def test_set5_bicubic_matches_the_papers(set5, scale, paper):
    images = load_set(set5)
    exact = np.mean([bicubic_y_psnr(im, scale) for im in images])
    through_codec = np.mean([restore_y_psnr(im, scale, "bicubic") for im in images])
    assert abs(exact - paper) < 0.05, exact
    assert abs(through_codec - paper) < 0.05, through_codec
