"""Rate control: budgets met and used, quality targets reached in the fewest bytes, targets that
cannot be met named with the nearest file possible."""

from __future__ import annotations

import pytest

import srcodec
from srcodec import metrics, zoo


def test_a_byte_budget_is_met_with_the_best_psnr_of_the_scales_that_fit(photo):
    choice = srcodec.choose(photo, target_bytes=2500, model="bicubic")
    assert choice.bytes <= 2500 and choice.target == "bytes" and choice.goal == 2500
    fitting = [t for t in choice.tried if t[2] <= 2500]
    assert choice.decodes == len(choice.tried) == len(fitting) == 4  # one decode a scale
    assert choice.psnr == max(t[3] for t in fitting)
    decoded = srcodec.decode(choice.data)
    assert choice.psnr == pytest.approx(metrics.psnr_rgb(photo, decoded))
    assert (choice.scale, choice.quality, choice.model) == (srcodec.inspect(choice.data).scale, choice.quality, "bicubic")
    if choice.quality < 100:  # the highest quality that fits at that scale
        assert len(srcodec.encode(photo, scale=choice.scale, quality=choice.quality + 1, model="bicubic")) > 2500


def test_the_budget_is_used(photo):
    for budget in (1500, 3000, 6000):
        assert 0.9 * budget <= srcodec.choose(photo, target_bytes=budget, model="bicubic").bytes <= budget


def test_bpp_budgets_count_the_input_pixels(photo):
    choice = srcodec.choose(photo, target_bpp=1.0, model="bicubic")
    assert choice.goal == 96 * 128 // 8 and choice.bpp <= 1.0


def test_a_budget_too_small_names_the_smallest_file(photo):
    smallest = len(srcodec.encode(photo, scale=4, quality=1, model="bicubic"))
    with pytest.raises(srcodec.TargetError, match=f"no file fits 100 bytes: the smallest is {smallest} bytes "
                                                  r"\(scale 4, quality 1\)"):
        srcodec.choose(photo, target_bytes=100, model="bicubic")
    assert isinstance(srcodec.TargetError("x"), ValueError)


def test_a_huge_budget_buys_the_best_file(photo):
    choice = srcodec.choose(photo, target_bytes=10**9, model="bicubic")
    assert choice.quality == 100 and choice.scale == 1


def test_a_psnr_target_is_reached_in_the_fewest_bytes_found(photo):
    choice = srcodec.choose(photo, target_psnr=28.0, model="bicubic")
    assert choice.psnr >= 28.0 and choice.target == "psnr"
    reaching = [t for t in choice.tried if t[3] >= 28.0]
    assert choice.bytes == min(t[2] for t in reaching)
    if choice.quality > 1:  # the lowest quality that reaches it at that scale
        lower = srcodec.decode(srcodec.encode(photo, scale=choice.scale, quality=choice.quality - 1, model="bicubic"))
        assert metrics.psnr_rgb(photo, lower) < 28.0
    assert choice.decodes < 40


def test_an_ssim_target(grey_photo):
    choice = srcodec.choose(grey_photo, target_ssim=0.8, model="bicubic")
    assert choice.ssim >= 0.8 and srcodec.decode(choice.data).shape == grey_photo.shape


def test_an_unreachable_target_names_the_best_possible(photo):
    with pytest.raises(srcodec.TargetError, match=r"PSNR 80 dB is out of reach: the best is [\d.]+ dB \(scale 1, "
                                                  r"quality 100, \d+ bytes\)"):
        srcodec.choose(photo, target_psnr=80, model="bicubic")


def test_encode_takes_the_targets_and_a_scale_bounds_the_search(photo):
    blob = srcodec.encode(photo, target_bytes=3000, scale=2, model="bicubic")
    assert len(blob) <= 3000 and srcodec.inspect(blob).scale == 2
    assert blob == srcodec.choose(photo, target_bytes=3000, scales=(2,), model="bicubic").data
    assert srcodec.encode(photo) == srcodec.encode(photo, scale=2, quality=75)  # the defaults are unchanged


@pytest.mark.parametrize("kwargs", [
    {"target_bytes": 1000, "quality": 50},
    {"target_bytes": 1000, "target_psnr": 30},
    {"target_bytes": 0},
    {"target_bytes": 1000.5},
    {"target_psnr": float("nan")},
    {"target_ssim": 1.5},
    {"target_bpp": True},
])
def test_bad_targets_are_argument_errors(photo, kwargs):
    with pytest.raises(srcodec.ArgumentError):
        srcodec.encode(photo, model="bicubic", **kwargs)


def test_the_default_models_are_searched_with_the_decoder_in_the_loop(photo):
    """With model="auto" each scale's default network decodes its candidate (shipped weights)."""
    choice = srcodec.choose(photo, target_bytes=3000)
    by_scale = {t[0]: t for t in choice.tried}
    assert set(by_scale) == {1, 2, 3, 4} and choice.psnr == max(t[3] for t in choice.tried)
    assert choice.model == srcodec.inspect(choice.data).model == zoo.resolve("auto", choice.scale, quality=choice.quality).id
    assert srcodec.decode(choice.data).shape == photo.shape
