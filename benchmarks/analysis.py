"""From result rows to rate-distortion curves, Bjontegaard deltas, bytes saved and crossovers.

A curve is one codec (or one srcodec model at one scale): its points are the mean bpp and
mean quality over the images at each quality setting. Only points on the curve's Pareto
front (more bits must buy more quality) are kept, since interpolation needs a monotone curve;
the dropped points stay in the results file.

Metrics where lower is better (the VGG16 feature distance) are negated inside a curve, so that
Pareto fronts, BD deltas and comparisons read the same for every metric (a positive BD-quality
is always an improvement); `Curve.values` gives the metric's own values back.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

BD_METHOD = "pchip"
HIGHER_IS_BETTER = {"psnr_rgb": True, "psnr_y": True, "ssim": True, "ms_ssim": True, "ssimulacra2": True,
                    "vgg_distance": False}


@dataclass(frozen=True)
class Curve:
    name: str  # "jpeg", "srcodec:vdsr-y-codec@x2", "srcodec:best", ...
    bpp: np.ndarray
    quality: np.ndarray  # the metric the curve was built for, negated when lower is better
    settings: tuple = ()  # what made each point (quality, or (model, scale, quality) for best)
    sign: int = 1  # -1: `quality` is the negated metric

    @property
    def values(self) -> np.ndarray:
        """The metric's own values at the curve's points."""
        return self.sign * self.quality


RC_MODEL = "rc"  # the model column of rate control's rows (`benchmarks.sweep`)
RC_CURVE = "srcodec:rc"


def srcodec_curve(model: str, scale: int) -> str:
    """The name of srcodec's curve for `model` at `scale`."""
    return f"srcodec:{model}@x{scale}"


def srcodec_setting(name: str) -> tuple[str, int] | None:
    """(model, scale) of a `srcodec_curve` name; None for other curves (baselines, best)."""
    if not name.startswith("srcodec:") or "@x" not in name:
        return None
    model, scale = name[len("srcodec:") :].rsplit("@x", 1)
    return model, int(scale)


def pareto(bpp, quality, settings=()) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Points sorted by rate, keeping only those better than every cheaper point; of points
    at the same rate (two models decoding the same bytes), only the best."""
    order = np.lexsort((-np.asarray(quality, dtype=float), np.asarray(bpp, dtype=float)))
    keep, best = [], -math.inf
    for i in order:
        if quality[i] > best:
            keep.append(i)
            best = quality[i]
    settings = tuple(settings[i] for i in keep) if len(settings) else ()
    return np.asarray(bpp)[keep], np.asarray(quality)[keep], settings


def curves(rows: list[dict], metric: str = "psnr_rgb") -> dict[str, Curve]:
    """One curve per baseline codec and per (srcodec model, scale), plus ``srcodec:best`` (the
    Pareto front of their points: the best fixed setting per rate) and ``srcodec:rc`` (rate
    control's rows: each image's own setting per budget). Rows whose `metric` is NaN (not
    measured) are left out."""
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    groups: dict[str, dict[int, list[dict]]] = {}
    for r in rows:
        if math.isnan(r.get(metric, math.nan)):
            continue
        if r["codec"] != "srcodec":
            name = r["codec"]
        else:
            name = RC_CURVE if r["model"] == RC_MODEL else srcodec_curve(r["model"], r["scale"])
        groups.setdefault(name, {}).setdefault(r["quality"], []).append(r)
    out, best_points = {}, []
    for name, by_quality in sorted(groups.items()):
        images = {r["image"] for rs in by_quality.values() for r in rs}
        qs = [q for q in sorted(by_quality) if len(by_quality[q]) == len(images)]  # complete settings only
        bpp = np.array([np.mean([r["bpp"] for r in by_quality[q]]) for q in qs])
        quality = np.array([sign * np.mean([r[metric] for r in by_quality[q]]) for q in qs])
        if srcodec_setting(name):
            best_points += [(b, v, (name[8:], q)) for b, v, q in zip(bpp, quality, qs)]
        out[name] = Curve(name, *pareto(bpp, quality, tuple(qs)), sign=sign)
    if best_points:
        b, v, s = zip(*best_points)
        out["srcodec:best"] = Curve("srcodec:best", *merge_close(*pareto(np.array(b), np.array(v), s)), sign=sign)
    return out


def merge_close(bpp: np.ndarray, quality: np.ndarray, settings: tuple) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Of Pareto points within SNAP (relative) in rate, keep the best: when curves meet (bicubic
    and a scale-1 network at the same JPEG quality differ by 7 header bytes and 0.8 dB), the
    worse point would make a near-vertical step that interpolation reads as the envelope."""
    keep = [i for i in range(len(bpp)) if i == len(bpp) - 1 or bpp[i + 1] > bpp[i] * (1 + SNAP)]
    return bpp[keep], quality[keep], tuple(settings[i] for i in keep) if len(settings) else ()


def bd(anchor: Curve, test: Curve) -> dict:
    """BD-rate (%) and BD-quality of `test` against `anchor` (pchip), with the ranges used.

    A negative BD-rate means `test` needs fewer bits for the same quality. Values are NaN
    when the curves have fewer than 2 points or do not overlap.
    """
    import bjontegaard

    result = {"bd_rate": math.nan, "bd_quality": math.nan, "quality_range": None, "bpp_range": None}
    if len(anchor.bpp) < 2 or len(test.bpp) < 2:
        return result
    low_q, high_q = max(anchor.quality.min(), test.quality.min()), min(anchor.quality.max(), test.quality.max())
    low_r, high_r = max(anchor.bpp.min(), test.bpp.min()), min(anchor.bpp.max(), test.bpp.max())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # partial overlap is reported through the ranges
        low_q, high_q = _snap(low_q, high_q, anchor.quality, test.quality)
        low_r, high_r = _snap(low_r, high_r, anchor.bpp, test.bpp)
        if high_q > low_q:
            a, t = _trim(anchor, anchor.quality, low_q, high_q), _trim(test, test.quality, low_q, high_q)
            result["bd_rate"] = float(bjontegaard.bd_rate(*a, *t, method=BD_METHOD, require_matching_points=False,
                                                          min_overlap=0))
            result["quality_range"] = (float(low_q), float(high_q))
        if high_r > low_r:
            a, t = _trim(anchor, anchor.bpp, low_r, high_r), _trim(test, test.bpp, low_r, high_r)
            result["bd_quality"] = float(bjontegaard.bd_psnr(*a, *t, method=BD_METHOD, require_matching_points=False,
                                                             min_overlap=0))
            result["bpp_range"] = (float(low_r), float(high_r))
    return result


SNAP = 0.01  # relative distance within which a range end moves onto a curve's point


def _snap(low: float, high: float, *axes: np.ndarray) -> tuple[float, float]:
    """Move the ends of the overlap [low, high] inwards onto a curve's own point when one lies
    within SNAP (relative) of them: two curves a header's bytes apart end a fraction of a
    percent apart, and the one that would otherwise need its next point outside the range
    (JPEG q95, 13 dB higher) bends the interpolation of the whole last interval."""
    for axis in axes:
        inside = axis[(axis >= low) & (axis <= high)]
        if len(inside):
            if inside[0] - low <= SNAP * abs(low):
                low = float(inside[0])
            if high - inside[-1] <= SNAP * abs(high):
                high = float(inside[-1])
    return low, high


def _trim(curve: Curve, axis: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """(bpp, quality) of the points of `curve` whose `axis` value lies in [low, high], plus the
    nearest point beyond an end that is not itself a point. Points outside the integration
    range would still bend pchip's end slopes, so two curves sampled at the same knots would
    differ by interpolation alone (a JPEG anchor with q5 and q95 gave JPEG + 27 bytes -0.9%)."""
    tol = 1e-9 * max(1.0, abs(high))
    first = int(np.searchsorted(axis, low - tol, "left"))
    last = int(np.searchsorted(axis, high + tol, "right")) - 1
    if first > last:  # no point inside: the two that bracket the range
        first, last = last, first
    if axis[first] > low + tol and first > 0:
        first -= 1
    if axis[last] < high - tol and last < len(axis) - 1:
        last += 1
    return curve.bpp[first : last + 1], curve.quality[first : last + 1]


def _interp_log_rate(curve: Curve, quality: float) -> float:
    """The bpp at which `curve` reaches `quality` (pchip in log-rate), NaN outside its range."""
    from scipy.interpolate import PchipInterpolator

    if len(curve.bpp) < 2 or not curve.quality.min() <= quality <= curve.quality.max():
        return math.nan
    return float(10 ** PchipInterpolator(curve.quality, np.log10(curve.bpp))(quality))


def quality_at(curve: Curve, bpp: float) -> float:
    """The quality `curve` reaches at `bpp` (pchip over log-rate), NaN outside its range."""
    from scipy.interpolate import PchipInterpolator

    if len(curve.bpp) < 2 or not curve.bpp.min() <= bpp <= curve.bpp.max():
        return math.nan
    return float(PchipInterpolator(np.log10(curve.bpp), curve.quality)(np.log10(bpp)))


def bytes_saved(anchor: Curve, test: Curve) -> list[dict]:
    """At each of the anchor's points: the share of bytes `test` saves at equal quality."""
    out = []
    for rate, quality, setting in zip(anchor.bpp, anchor.quality, anchor.settings or [None] * len(anchor.bpp)):
        test_rate = _interp_log_rate(test, float(quality))
        out.append({"anchor_setting": setting, "anchor_bpp": float(rate), "quality": float(quality),
                    "test_bpp": test_rate, "saved": 1.0 - test_rate / rate if not math.isnan(test_rate) else math.nan})
    return out


TIE_DB = 0.05  # quality differences below this are reported as a tie, not a win


def compare(test: Curve, baseline: Curve, tie: float = TIE_DB, samples: int = 400) -> dict:
    """Where along the common rate range `test` is better, worse, or tied with `baseline`.

    Returns ``range`` (the common bpp range, or None), ``segments`` (runs of
    ``(from_bpp, to_bpp, "better" | "worse" | "tie")`` in rate order, with `tie` dB of
    tolerance) and ``crossover``: the rate below which `test` is better, i.e. the end of a
    leading "better" run that does not cover the whole range and is not followed by another
    "better" run (None otherwise: better, tied around a crossing and better again is no
    crossover).
    """
    low, high = max(test.bpp.min(), baseline.bpp.min()), min(test.bpp.max(), baseline.bpp.max())
    if not high > low or len(test.bpp) < 2 or len(baseline.bpp) < 2:
        return {"range": None, "segments": [], "crossover": None}
    grid = np.geomspace(low, high, samples)
    diff = np.array([quality_at(test, b) - quality_at(baseline, b) for b in grid])
    labels = np.where(diff > tie, "better", np.where(diff < -tie, "worse", "tie"))
    segments, start = [], 0
    for i in range(1, samples + 1):
        if i == samples or labels[i] != labels[start]:
            # a run ends halfway (in log-rate) to the next run's first sample
            end = float(grid[-1]) if i == samples else float(np.sqrt(grid[i - 1] * grid[i]))
            begin = float(grid[0]) if start == 0 else segments[-1][1]
            segments.append((begin, end, str(labels[start])))
            start = i
    labels_after = [label for _, _, label in segments[1:]]
    crossover = segments[0][1] if segments[0][2] == "better" and labels_after and "better" not in labels_after else None
    return {"range": (float(low), float(high)), "segments": segments, "crossover": crossover}
