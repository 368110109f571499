import math

import numpy as np
import pytest

from benchmarks import analysis
from benchmarks.analysis import Curve


def line(name, bpp, slope=6.0, offset=30.0):
    bpp = np.asarray(bpp, dtype=float)
    return Curve(name, bpp, offset + slope * np.log2(bpp), tuple(range(len(bpp))))


BPP = [0.1, 0.2, 0.4, 0.8, 1.6]


def test_a_curve_against_itself_is_zero():
    c = line("c", BPP)
    result = analysis.bd(c, c)
    assert result["bd_rate"] == pytest.approx(0.0, abs=1e-9)
    assert result["bd_quality"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("factor", [0.7, 0.5, 1.25])
def test_a_rate_shift_gives_that_factor(factor):
    anchor = line("a", BPP)
    test = Curve("t", anchor.bpp * factor, anchor.quality, anchor.settings)  # same quality, factor x the bits
    assert analysis.bd(anchor, test)["bd_rate"] == pytest.approx((factor - 1) * 100, abs=1e-6)
    # and a quality shift at the same rates gives that many dB
    lifted = Curve("l", anchor.bpp, anchor.quality + 0.8)
    assert analysis.bd(anchor, lifted)["bd_quality"] == pytest.approx(0.8, abs=1e-9)


def test_points_outside_the_overlap_do_not_bend_the_result():
    # a curved RD (pchip is not exact on it): the test curve is the anchor's middle knots at
    # 0.9x the bits, so the answer is exactly -10% whatever the anchor holds beyond them
    bpp = np.array([0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2])
    quality = 30 + 6 * np.log2(bpp) - 0.8 * np.log2(bpp) ** 2
    anchor = Curve("a", bpp, quality)
    test = Curve("t", bpp[2:5] * 0.9, quality[2:5])
    assert analysis.bd(anchor, test)["bd_rate"] == pytest.approx(-10.0, abs=1e-6)


def test_a_header_s_bytes_do_not_pull_in_a_far_point():
    # JPEG + a few header bytes against JPEG whose last point is a near-lossless outlier
    bpp = np.array([0.17, 0.31, 0.55, 0.91, 1.23, 1.62, 2.88, 3.77])
    quality = np.array([23.1, 25.7, 28.0, 30.2, 31.8, 33.7, 37.3, 50.7])
    anchor = Curve("jpeg", bpp, quality)
    test = Curve("jpeg+header", bpp[1:-1] * 1.003, quality[1:-1])
    result = analysis.bd(anchor, test)
    assert result["bd_rate"] == pytest.approx(0.3, abs=1e-6)
    assert -0.02 < result["bd_quality"] < 0  # a few hundredths of a dB at most, never a gain
    assert result["bpp_range"][1] == pytest.approx(2.88)  # snapped onto the anchor's point


def test_the_best_envelope_merges_points_a_header_apart():
    bpp = np.array([0.5, 0.909, 0.9091, 1.6])
    quality = np.array([29.0, 30.2, 31.0, 32.0])
    assert analysis.merge_close(bpp, quality, ("a", "b", "c", "d"))[2] == ("a", "c", "d")
    assert analysis.merge_close(bpp[:2], quality[:2], ("a", "b"))[2] == ("a", "b")  # far apart: both


def test_bytes_saved_at_equal_quality():
    anchor = line("a", BPP)
    test = Curve("t", anchor.bpp * 0.6, anchor.quality)
    saved = analysis.bytes_saved(anchor, test)
    assert [s["saved"] for s in saved[1:-1]] == pytest.approx([0.4] * 3, abs=1e-9)


def test_crossover_of_two_lines():
    # test is 1 dB better at 0.1 bpp and gains 2 dB less per doubling: they meet at 0.1 * 2**0.5
    baseline = line("b", BPP, slope=6.0, offset=30.0)
    test = Curve("t", baseline.bpp, 30.0 + 1.0 + 4.0 * np.log2(baseline.bpp / 0.1) + 6.0 * np.log2(0.1))
    result = analysis.compare(test, baseline, tie=0.0)
    assert [s[2] for s in result["segments"]] == ["better", "worse"]
    assert result["crossover"] == pytest.approx(0.1 * 2**0.5, rel=1e-2)
    # with a tolerance, the region around the crossing is a tie of the right width
    tied = analysis.compare(test, baseline, tie=0.5)
    assert [s[2] for s in tied["segments"]] == ["better", "tie", "worse"]
    assert tied["crossover"] == pytest.approx(0.1 * 2 ** 0.25, rel=1e-2)  # 2 dB per doubling: 0.5 dB = 1/4 doubling
    lower = Curve("low", baseline.bpp, baseline.quality - 1)
    assert analysis.compare(baseline, lower)["segments"] == [(0.1, pytest.approx(1.6), "better")]
    assert analysis.compare(baseline, lower)["crossover"] is None
    assert [s[2] for s in analysis.compare(lower, baseline)["segments"]] == ["worse"]
    # better, tied where the curves touch, better again: no rate below which alone test wins
    touching = Curve("touch", baseline.bpp, baseline.quality + np.abs(np.log2(baseline.bpp / 0.4)))
    assert [s[2] for s in analysis.compare(touching, baseline, tie=0.5)["segments"]] == ["better", "tie", "better"]
    assert analysis.compare(touching, baseline, tie=0.5)["crossover"] is None
    almost = Curve("almost", baseline.bpp * 1.001, baseline.quality)
    assert [s[2] for s in analysis.compare(almost, baseline)["segments"]] == ["tie"]


def test_pareto_drops_dominated_points():
    bpp, quality, settings = analysis.pareto(np.array([0.3, 0.1, 0.2, 0.4]), np.array([31.0, 29.0, 32.0, 31.5]), ("a", "b", "c", "d"))
    assert bpp.tolist() == [0.1, 0.2] and settings == ("b", "c")
    # two models decoding the same bytes: one point per rate, the better one (pchip needs it)
    bpp, quality, settings = analysis.pareto(np.array([0.1, 0.2, 0.2]), np.array([29.0, 30.0, 30.5]), ("a", "b", "c"))
    assert bpp.tolist() == [0.1, 0.2] and settings == ("a", "c")


def test_curves_from_rows_and_the_best_envelope():
    rows = []
    for image in ("i1", "i2"):
        for q, (b, p) in enumerate([(0.1, 28.0), (0.2, 30.0), (0.4, 32.0)]):
            rows.append({"image": image, "codec": "jpeg", "model": "", "scale": 1, "quality": q, "bpp": b, "psnr_rgb": p})
            rows.append({"image": image, "codec": "srcodec", "model": "m", "scale": 2, "quality": q, "bpp": b * 0.5, "psnr_rgb": p - 0.5})
            rows.append({"image": image, "codec": "srcodec", "model": "m", "scale": 1, "quality": q, "bpp": b, "psnr_rgb": p + 0.1})
    rows.append({"image": "i1", "codec": "jpeg", "model": "", "scale": 1, "quality": 9, "bpp": 0.9, "psnr_rgb": 40.0})  # i2 missing
    c = analysis.curves(rows)
    assert set(c) == {"jpeg", "srcodec:m@x2", "srcodec:m@x1", "srcodec:best"}
    assert c["jpeg"].bpp.tolist() == [0.1, 0.2, 0.4]  # the incomplete setting is left out
    best = c["srcodec:best"]
    assert best.settings[0] == ("m@x2", 0) and best.settings[-1] == ("m@x1", 2)
    assert np.all(np.diff(best.quality) > 0)


def test_no_overlap_is_nan():
    a = line("a", [0.1, 0.2])
    b = Curve("b", np.array([1.0, 2.0]), np.array([50.0, 60.0]))
    result = analysis.bd(a, b)
    assert math.isnan(result["bd_rate"]) and math.isnan(result["bd_quality"])
    assert analysis.compare(a, b) == {"range": None, "segments": [], "crossover": None}


def test_a_lower_is_better_metric_reads_like_the_others():
    """The VGG16 feature distance falls with more bits: its curves are negated inside, so a codec
    that needs 0.8x the bits for the same distance has BD-rate -20% and a positive BD-quality."""
    def rows(codec, factor):
        return [{"image": "i", "codec": codec, "model": "", "scale": 1, "quality": q, "bpp": b * factor,
                 "vgg_distance": 2.0 - 0.4 * np.log2(b), "psnr_rgb": math.nan}
                for q, b in enumerate(BPP)]

    noise = [{**rows("jpeg", 1.0)[0], "quality": 99, "bpp": 5.0, "vgg_distance": math.nan}]  # not measured: left out
    curves = analysis.curves(rows("jpeg", 1.0) + rows("webp", 0.8) + noise, "vgg_distance")
    jpeg, webp = curves["jpeg"], curves["webp"]
    assert jpeg.sign == -1 and len(jpeg.bpp) == len(BPP)
    assert np.allclose(jpeg.values, 2.0 - 0.4 * np.log2(BPP))  # the metric's own values for plots and tables
    result = analysis.bd(jpeg, webp)
    assert result["bd_rate"] == pytest.approx(-20.0, abs=1e-6) and result["bd_quality"] > 0
    assert analysis.curves(rows("jpeg", 1.0), "psnr_rgb") == {}  # a metric no row measured: no curve
