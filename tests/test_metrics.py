import numpy as np
import pytest

from srcodec import metrics
from srcodec.errors import WeightsError


def test_psnr_of_a_known_error():
    a = np.zeros((10, 10, 3), np.uint8)
    b = a + 5  # MSE 25
    assert metrics.psnr_rgb(a, b) == pytest.approx(10 * np.log10(255**2 / 25))
    assert metrics.psnr_rgb(a, a) == float("inf")


def test_paper_protocol_crops_the_border():
    a = np.full((20, 20, 3), 100, np.uint8)
    b = a.copy()
    b[:2] = 0  # damage only inside the 2-pixel border
    assert metrics.psnr_y(a, b, crop=2) == float("inf")
    assert metrics.psnr_y(a, b, crop=0) < 30


def test_y_is_matlab_studio_range():
    white = np.full((4, 4, 3), 255, np.uint8)
    assert (metrics.luma(white) == 235).all()
    grey = np.full((4, 4), 7, np.uint8)
    assert metrics.luma(grey) is grey


def test_ssim_bounds_and_order(photo):
    assert metrics.ssim_rgb(photo, photo) == pytest.approx(1.0)
    noisy = np.clip(photo + np.random.default_rng(0).normal(0, 8, photo.shape), 0, 255).astype(np.uint8)
    noisier = np.clip(photo + np.random.default_rng(0).normal(0, 20, photo.shape), 0, 255).astype(np.uint8)
    assert 0 < metrics.ssim_rgb(photo, noisier) < metrics.ssim_rgb(photo, noisy) < 1
    assert 0 < metrics.ssim_y(photo, noisier, crop=2) < metrics.ssim_y(photo, noisy, crop=2) < 1


def test_bpp_counts_the_whole_file_over_original_pixels():
    assert metrics.bpp(3000, (480, 320, 3)) == pytest.approx(8 * 3000 / (480 * 320))


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        metrics.psnr_rgb(np.zeros((4, 4)), np.zeros((4, 5)))


def test_ms_ssim_bounds_order_and_small_images(photo):
    assert metrics.ms_ssim(photo, photo) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    noisy = np.clip(photo + rng.normal(0, 8, photo.shape), 0, 255).astype(np.uint8)
    noisier = np.clip(photo + rng.normal(0, 20, photo.shape), 0, 255).astype(np.uint8)
    assert 0 < metrics.ms_ssim(photo, noisier) < metrics.ms_ssim(photo, noisy) < 1
    tiny = photo[:12, :12]
    assert 0 < metrics.ms_ssim(tiny, noisy[:12, :12]) < 1


def test_ssim_is_scikit_image_structural_similarity(photo):
    from skimage.metrics import structural_similarity

    noisy = np.clip(photo + np.random.default_rng(1).normal(0, 10, photo.shape), 0, 255).astype(np.uint8)
    reference = structural_similarity(photo, noisy, data_range=255, gaussian_weights=True, sigma=1.5,
                                      use_sample_covariance=False, channel_axis=2)
    assert metrics.ssim_rgb(photo, noisy) == pytest.approx(reference, abs=1e-6)
    both = metrics.ssim_and_ms_ssim(photo, noisy)
    assert both == (metrics.ssim_rgb(photo, noisy), metrics.ms_ssim(photo, noisy))
    tiny = photo[:6, :9]  # smaller than the window: the whole map
    assert 0 < metrics.ssim_rgb(tiny, noisy[:6, :9]) < 1


def test_prepared_reference_scores_exactly_as_the_functions(photo):
    rng = np.random.default_rng(2)
    for reference in (photo, photo[:40, :23, 1]):  # RGB, and grey too small for five MS-SSIM scales
        test = np.clip(reference + rng.normal(0, 12, reference.shape), 0, 255).astype(np.uint8)
        prepared = metrics.Reference(reference)
        assert prepared.ssim_and_ms_ssim(test) == metrics.ssim_and_ms_ssim(reference, test)
        assert prepared.ssim_and_ms_ssim(test)[0] == metrics.ssim_rgb(reference, test)
        assert prepared.psnr_rgb(test) == metrics.psnr_rgb(reference, test)
        assert prepared.psnr_y(test) == metrics.psnr_y(reference, test)
        with pytest.raises(ValueError, match="shape"):
            prepared.ssim_and_ms_ssim(test[1:])


def test_perceptual_metrics_rank_degradations(photo, vgg16):
    import srcodec
    from srcodec import perceptual

    worse, better = (srcodec.decode(srcodec.encode(photo, scale=2, quality=q, model="bicubic")) for q in (10, 80))
    assert perceptual.ssimulacra2(photo, photo) == pytest.approx(100.0)
    assert perceptual.ssimulacra2(photo, worse) < perceptual.ssimulacra2(photo, better) < 100
    distance = perceptual.FeatureDistance(photo)
    assert distance(photo) == pytest.approx(0.0, abs=1e-6)
    assert distance(worse) > distance(better) > 0.05
    assert perceptual.vgg_distance(photo, better) == pytest.approx(distance(better), rel=1e-5)
    grey = photo[..., 1]
    assert perceptual.ssimulacra2(grey, grey) == pytest.approx(100.0)  # grey is scored as RGB


def test_the_vgg16_weights_are_found_or_named(monkeypatch, tmp_path):
    from srcodec import perceptual

    monkeypatch.setenv(perceptual.VGG16_ENV, str(tmp_path / "none.h5"))
    perceptual.feature_net.cache_clear()
    with pytest.raises(WeightsError, match="not a file"):
        perceptual.feature_net()
    perceptual.feature_net.cache_clear()
