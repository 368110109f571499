"""The report: RD plots, equal-bytes crops, a self-contained HTML page and a Markdown summary."""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

import numpy as np

from benchmarks import analysis
from benchmarks.sweep import BASELINES, load_reference

HEADLINE_QUALITIES = (5, 10, 20, 40, 60, 75, 80)  # plain JPEG settings at which bytes saved are reported (those swept)


def _fmt(value, spec=".2f", unit="", none="-") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return none
    return format(value, spec) + unit


# report name -> (results column, axis label); the perceptual ones only when a sweep measured them
METRICS = {
    "psnr": ("psnr_rgb", "RGB-PSNR (dB)"),
    "ssim": ("ssim", "SSIM (RGB)"),
    "ssimulacra2": ("ssimulacra2", "SSIMULACRA2 (higher is better)"),
    "vgg": ("vgg_distance", "VGG16 feature distance (LPIPS formula, uniform weights; lower is better)"),
}
OBJECTIVE_METRIC = {"distortion": "psnr", "perception": "ssimulacra2"}  # how each objective's models are judged


def summarise(rows: list[dict], models: dict[str, tuple[str, str]]) -> dict:
    """Everything the report says, as data. `models`: zoo id -> (family, objective) of the
    swept models."""
    all_curves = {name: analysis.curves(rows, column) for name, (column, _) in METRICS.items()}
    all_curves = {name: c for name, c in all_curves.items() if c}  # perceptual: only when measured
    psnr, ssim = all_curves.get("psnr", {}), all_curves.get("ssim", {})
    anchor_p, anchor_s = psnr.get("jpeg"), ssim.get("jpeg")
    summary = {"bd": {}, "saved": {}, "crossover": {}, "families": {}, "curves": all_curves}
    if anchor_p is not None:
        for name in psnr:
            if name != "jpeg":
                summary["bd"][name] = {
                    metric: analysis.bd(curves["jpeg"], curves[name])
                    for metric, curves in all_curves.items() if "jpeg" in curves and name in curves
                }
    best_p, best_s = psnr.get("srcodec:best"), ssim.get("srcodec:best")
    if best_p is not None and anchor_p is not None:
        for metric, anchor, best in (("psnr", anchor_p, best_p), ("ssim", anchor_s, best_s)):
            saved = analysis.bytes_saved(anchor, best)
            summary["saved"][metric] = [s for s in saved if s["anchor_setting"] in HEADLINE_QUALITIES] or saved
        for codec in BASELINES:
            if codec in psnr:
                summary["crossover"][codec] = analysis.compare(best_p, psnr[codec])
    summary["rc"] = _rate_control(rows, psnr)
    from srcodec import nets, zoo

    for family in nets.TABLE:
        summary["families"][family] = [
            (r.id if r.id in models else f"{r.id} (not in this sweep{_successor(r)})") + f" [{r.objective}]"
            for r in zoo.list_models() if r.family == family
        ] or None
    return summary


def _rate_control(rows: list[dict], psnr: dict) -> dict | None:
    """How rate control used its budgets (each the plain JPEG's size at a quality) and what
    choosing per image gained over the best fixed setting; None without rate control's rows."""
    jpeg = {(r["image"], r["quality"]): r["bytes"] for r in rows if r["codec"] == "jpeg"}
    used = {}
    for r in rows:
        if r["model"] == analysis.RC_MODEL and (r["image"], r["quality"]) in jpeg:
            used.setdefault(r["quality"], []).append(r["bytes"] / jpeg[r["image"], r["quality"]])
    if not used:
        return None
    budgets = [{"quality": q, "images": len(u), "over": sum(x > 1 for x in u), "mean_use": float(np.mean(u)),
                "min_use": float(np.min(u))} for q, u in sorted(used.items())]
    gain = None
    if analysis.RC_CURVE in psnr and "srcodec:best" in psnr:
        gain = analysis.bd(psnr["srcodec:best"], psnr[analysis.RC_CURVE])
    return {"budgets": budgets, "against_best": gain}


def _successor(record) -> str:
    return f": superseded by {record.superseded_by}" if record.superseded_by else ""


def markdown(summary: dict, title: str) -> str:
    lines = [f"# {title}", ""]
    perceptual = [m for m in ("ssimulacra2", "vgg") if m in summary["curves"]]
    lines += ["## Bjontegaard deltas against plain JPEG (pchip; negative BD-rate = fewer bytes)", "",
              "| curve | BD-rate PSNR | BD-PSNR (dB) | PSNR range (dB) | BD-rate SSIM | BD-SSIM |"
              + "".join(f" BD-rate {m} | BD-{m} (+ better) |" for m in perceptual),
              "|---|---|---|---|---|---|" + "---|---|" * len(perceptual)]
    for name, r in sorted(summary["bd"].items()):
        p, s = r["psnr"], r["ssim"]
        rng = f"{p['quality_range'][0]:.1f}-{p['quality_range'][1]:.1f}" if p["quality_range"] else "no overlap"
        extra = "".join(
            f" {_fmt(r[m]['bd_rate'], '+.1f', '%')} | {_fmt(r[m]['bd_quality'], '+.3f')} |" if m in r else " - | - |"
            for m in perceptual
        )
        lines.append(f"| {name} | {_fmt(p['bd_rate'], '+.1f', '%')} | {_fmt(p['bd_quality'], '+.2f')} | {rng} | "
                     f"{_fmt(s['bd_rate'], '+.1f', '%')} | {_fmt(s['bd_quality'], '+.4f')} |" + extra)
    if perceptual:
        lines += ["", "(vgg: the VGG16 feature distance, LPIPS's formula with uniform weights, not LPIPS; "
                  "its BD-quality is the distance saved, so positive is better)"]
    if summary["saved"]:
        lines += ["", "## Bytes saved by srcodec (best model and scale per rate) against plain JPEG", "",
                  "| JPEG quality | JPEG bpp | PSNR | srcodec bpp | saved at equal PSNR | SSIM | saved at equal SSIM |",
                  "|---|---|---|---|---|---|---|"]
        for p, s in zip(summary["saved"]["psnr"], summary["saved"]["ssim"]):
            lines.append(f"| {p['anchor_setting']} | {p['anchor_bpp']:.3f} | {p['quality']:.2f} | {_fmt(p['test_bpp'], '.3f')} | "
                         f"{_fmt(p['saved'] * 100, '+.1f', '%')} | {s['quality']:.4f} | {_fmt(s['saved'] * 100, '+.1f', '%')} |")
        lines += ["", "(a '-' means srcodec's curve does not reach that quality within its measured range)"]
    if summary["crossover"]:
        lines += ["", f"## Crossover: srcodec (best) against each codec, RGB-PSNR (tie: within {analysis.TIE_DB} dB)", ""]
        for codec, c in summary["crossover"].items():
            if c["range"] is None:
                lines.append(f"- {codec}: no common bit-rate range")
                continue
            labels = [label for _, _, label in c["segments"]]
            kinds = sorted(set(labels), key=["better", "tie", "worse"].index)
            if c["crossover"]:
                head = f"srcodec is better below {c['crossover']:.3f} bpp"
            elif len(kinds) == 1 or kinds == ["better", "tie"]:
                head = f"srcodec is {' or '.join(kinds).replace('tie', 'tied')} over the whole common range"
            else:
                head = f"srcodec is {labels[0]} from {c['range'][0]:.3f} bpp"
            runs = "; ".join(f"{label} {a:.3f}-{b:.3f}" for a, b, label in c["segments"])
            lines.append(f"- {codec}: {head} (runs, bpp: {runs})")
    if summary.get("rc"):
        rc = summary["rc"]
        lines += ["", "## Rate control (srcodec:rc): budgets of plain JPEG's size, each image choosing its setting", "",
                  "| JPEG quality | images | over budget | budget used (mean) | (least) |", "|---|---|---|---|---|"]
        for b in rc["budgets"]:
            lines.append(f"| {b['quality']} | {b['images']} | {b['over']} | {b['mean_use']:.1%} | {b['min_use']:.1%} |")
        if rc["against_best"]:
            g = rc["against_best"]
            lines += ["", f"Against srcodec:best (the best fixed setting per rate): BD-rate PSNR "
                          f"{_fmt(g['bd_rate'], '+.1f', '%')}, BD-PSNR {_fmt(g['bd_quality'], '+.2f')} dB (negative BD-rate: "
                          "choosing per image needs fewer bytes; rate control uses the default models only)"]
    lines += ["", "## Network families (models [objective])", ""]
    for family, ids in summary["families"].items():
        lines.append(f"- {family}: {', '.join(ids) if ids else 'no model yet'}")
    return "\n".join(lines) + "\n"


MARKERS = "osD^v<>ph*XP"


def _plot(curves: dict, ylabel: str, path_stem: Path) -> list[Path]:
    """One RD plot. Every curve has its own colour (tab20: 20 of them) and its own marker, so
    that curves stay apart past ten, and in print."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colours = plt.get_cmap("tab20").colors
    for i, (name, c) in enumerate(sorted(curves.items())):
        style = dict(color=colours[i % len(colours)], marker=MARKERS[i % len(MARKERS)])
        if name.startswith("srcodec:") and name != "srcodec:best":
            ax.plot(c.bpp, c.values, "--", lw=0.9, ms=3, alpha=0.8, label=name[8:], **style)
        else:
            ax.plot(c.bpp, c.values, "-", lw=2.2 if name == "srcodec:best" else 1.6, ms=4, label=name, **style)
    ax.set_xscale("log")
    ax.set_xlabel("bits per pixel (whole file / original pixels)")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    paths = [path_stem.with_suffix(".png"), path_stem.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=110)
    plt.close(fig)
    return paths


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def best_per_family(bd: dict, models: dict[str, tuple[str, str]]) -> list[tuple[str, int]]:
    """(model, scale) of the curve with the lowest BD-rate against JPEG in `bd` (`summary["bd"]`)
    for each (family, objective): distortion models by PSNR, perception models by SSIMULACRA2
    (PSNR when the sweep did not measure it), so a perceptual model is shown beside its MSE twin.
    Curves without a BD-rate (NaN: no overlap) are left out."""
    best: dict[tuple[str, str], tuple[float, str, int]] = {}
    for name, r in bd.items():
        setting = analysis.srcodec_setting(name)
        if setting is None or setting[0] not in models:
            continue
        model, scale = setting
        group = models[model]
        metric = OBJECTIVE_METRIC.get(group[1], "psnr")
        rate = r.get(metric, r["psnr"])["bd_rate"]
        if rate is None or math.isnan(rate):
            continue
        if group not in best or rate < best[group][0]:
            best[group] = (rate, model, scale)
    return [(model, scale) for _, model, scale in sorted(best.values(), key=lambda b: b[1])]


def equal_bytes_crops(image: str, budget: int, picks: list[tuple[str, int]], size: int = 128) -> list[tuple[str, int, np.ndarray]]:
    """(label, bytes, crop) per baseline codec and per srcodec (model, scale) of `picks`, each at
    the highest quality whose file fits `budget`."""
    import encoders
    import srcodec

    reference = load_reference(image)
    h, w = reference.shape[:2]
    top, left = max(h // 2 - size // 2, 0), max(w // 2 - size // 2, 0)
    crop = lambda x: x[top : top + size, left : left + size]  # noqa: E731

    def fit(encode, decode):
        fitted = encoders.fit_budget(encode, budget)
        return (len(fitted[1]), crop(decode(fitted[1]))) if fitted else None

    out = [("original", 0, crop(reference))]
    for codec in BASELINES:
        module = encoders.get(codec)
        if module.available:
            got = fit(lambda q: module.encode(reference, q), module.decode)
            if got:
                out.append((codec, *got))
    for model_id, scale in picks:
        got = fit(lambda q: srcodec.encode(reference, scale=scale, quality=q, model=model_id), srcodec.decode)
        if got:
            out.append((f"srcodec {model_id} x{scale}", *got))
    return out


def write(rows: list[dict], header: dict, models: dict[str, str], out: Path, title: str) -> str:
    """Write the plots, report.html and summary.md under `out`; return the Markdown summary."""
    summary = summarise(rows, models)
    md = markdown(summary, title)
    (out / "summary.md").write_text(md)
    plots = [p for name, curves in summary["curves"].items() for p in _plot(curves, METRICS[name][1], out / f"rd_{name}")]

    images = sorted({r["image"] for r in rows})
    crops_html = ""
    if images and "jpeg" in summary["curves"].get("psnr", {}):
        jpeg_rows = [r for r in rows if r["image"] == images[0] and r["codec"] == "jpeg"]
        low = min(jpeg_rows, key=lambda r: abs(r["bpp"] - 0.25)) if jpeg_rows else None
        if low:
            budget = low["bytes"]
            cells = "".join(
                f"<figure><img src='data:image/png;base64,{base64.b64encode(_png(np.kron(c, np.ones((2, 2, 1) if c.ndim == 3 else (2, 2), np.uint8)))).decode()}'>"
                f"<figcaption>{html.escape(label)}{f' ({n} B)' if n else ''}</figcaption></figure>"
                for label, n, c in equal_bytes_crops(images[0], budget, best_per_family(summary["bd"], models))
            )
            crops_html = (f"<h2>Equal bytes: {html.escape(images[0])}, at most {budget} bytes each "
                          f"(centre crop, shown 2x; srcodec: each family's model and scale with the best "
                          f"BD-rate)</h2><div class='crops'>{cells}</div>")
    figures = "".join(
        f"<img src='data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}'>" for p in plots if p.suffix == ".png"
    )
    page = f"""<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}} img{{max-width:100%}}
.crops{{display:flex;flex-wrap:wrap;gap:8px}} figure{{margin:0}} figcaption{{font-size:12px}}
pre{{background:#f6f6f6;padding:8px;overflow:auto}}</style></head><body>
<h1>{html.escape(title)}</h1>{figures}{crops_html}<h2>Summary</h2><pre>{html.escape(md)}</pre>
<h2>Run</h2><pre>{html.escape(str(header))}</pre></body></html>"""
    (out / "report.html").write_text(page)
    return md
