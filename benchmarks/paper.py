"""The SR papers' evaluation protocol, on our models, beside the papers' numbers.

Protocol (Dong et al. 2016, Kim et al. 2016): crop the HR image to a multiple of the scale,
make the LR image with MATLAB-style antialiased bicubic (srcodec's one downsampler), restore,
and compute PSNR on the Y channel (MATLAB rgb2ycbcr) with `scale` pixels shaved at each border.

Two columns per model. "Y-PSNR" follows the papers' code (for bicubic, too): the LR image
is the Y channel of the HR image resized in floating point (never rounded), the network runs on
its bicubic upsampling in float32 and the output is rounded once. "via restore" is the same
picture as srcodec delivers it: RGB LR rounded to uint8, `srcodec.restore` (Y through the
network, chroma bicubic, back to uint8 RGB), Y taken from that. The two differ by up to 0.2 dB
(measured at d6fe24c: the clean-trained models lose 0.00-0.14 dB to the roundings; the
JPEG-trained ones, which learnt to expect rounded input, move either way).

With ``--perceptual`` the "via restore" pictures are also scored with SSIMULACRA2 and the VGG16
feature distance (`srcodec.perceptual`), by which the perception-objective models are judged.

    python -m benchmarks.paper [--data ../shared/datasets] [--sets set5 set14 bsd100]
                               [--scales 2 3 4] [--models bicubic ...] [--perceptual]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import srcodec
from benchmarks import CURRENT_MODELS_HELP, current_models
from srcodec import inference, metrics, nets, resample, zoo

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"

# Y-PSNR (dB) from the papers, per (family, objective) at x2/x3/x4: VDSR (Kim et al. 2016) Table 2;
# SRResNet and SRGAN (Ledig et al. 2017) Table 4, the same generator trained for distortion or
# perception; Johnson et al. 2016 Table 1 (feature-loss x4).
PAPER = {
    ("bicubic", "distortion"): {"set5": (33.66, 30.39, 28.42), "set14": (30.24, 27.55, 26.00), "bsd100": (29.56, 27.21, 25.96)},
    ("srcnn", "distortion"): {"set5": (36.66, 32.75, 30.48), "set14": (32.42, 29.28, 27.49), "bsd100": (31.36, 28.41, 26.90)},
    ("vdsr", "distortion"): {"set5": (37.53, 33.66, 31.35), "set14": (33.03, 29.77, 28.01), "bsd100": (31.90, 28.82, 27.29)},
    ("srgan", "distortion"): {"set5": (None, None, 32.05), "set14": (None, None, 28.49), "bsd100": (None, None, 27.58)},
    ("srgan", "perception"): {"set5": (None, None, 29.40), "set14": (None, None, 26.02), "bsd100": (None, None, 25.16)},
    ("johnson", "perception"): {"set5": (None, None, 27.09), "set14": (None, None, 24.99), "bsd100": (None, None, 24.95)},
}


def load_set(folder: Path) -> list[np.ndarray]:
    """The images of a set; grey ones stay 2-D, since the papers take them as Y directly."""
    from PIL import Image

    images = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".bmp", ".jpg")):
        with Image.open(path) as im:
            images.append(np.asarray(im if im.mode == "L" else im.convert("RGB")))
    return images


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    return image[: image.shape[0] // scale * scale, : image.shape[1] // scale * scale]


def _papers_path(hr: np.ndarray, scale: int, net=None) -> float:
    """Y-PSNR as the papers' MATLAB code computes it (see the module docstring); `net` restores
    the bicubic-upsampled Y (None: bicubic itself)."""
    hr = modcrop(hr, scale)
    y = metrics.luma(hr)
    up = resample.imresize(resample.imresize(y / 255.0, 1.0 / scale), scale)
    if net is not None:
        up = inference.run_net(net, up[..., None].astype(np.float32))[..., 0]
    return metrics.psnr_y(y, resample.to_uint8(up * 255.0), crop=scale)


def bicubic_y_psnr(hr: np.ndarray, scale: int) -> float:
    """The papers' bicubic baseline exactly as their MATLAB code computes it (Y in float)."""
    return _papers_path(hr, scale)


def model_y_psnr(hr: np.ndarray, scale: int, model: str) -> float | None:
    """Y-PSNR of `model` by the papers' code path (see the module docstring); None for a model
    that does not restore luma from a bicubic-upsampled image, which that path cannot run."""
    record = zoo.get(model)
    if record.family != "bicubic" and (record.colour != "y" or nets.facts(record.family).input_space != "upsampled"):
        return None
    return _papers_path(hr, scale, zoo.load(record, "float32"))  # bicubic: no network


def restore_y_psnr(hr: np.ndarray, scale: int, model: str) -> float:
    """Y-PSNR of `model` restoring the clean bicubic LR image of `hr` (RGB through srcodec)."""
    return restore_scores(hr, scale, model)["restore"]


def restore_scores(hr: np.ndarray, scale: int, model: str, perceptual: bool = False) -> dict[str, float]:
    """Scores of `model` restoring the clean bicubic LR image of `hr` through srcodec: Y-PSNR
    ("restore") and, with `perceptual`, SSIMULACRA2 and the VGG16 feature distance."""
    hr = modcrop(hr, scale)
    sr = srcodec.restore(resample.degrade(hr, scale, codec=None), scale=scale, model=model)
    scores = {"restore": metrics.psnr_y(hr, sr, crop=scale)}
    if perceptual:
        from srcodec import perceptual as measures

        scores |= {"ssimulacra2": measures.ssimulacra2(hr, sr), "vgg": measures.vgg_distance(hr, sr)}
    return scores


def _mean(values) -> float | None:
    return None if None in values else float(np.mean(values))


def table(data: Path, sets, scales, models, perceptual: bool = False) -> list[dict]:
    rows = []
    models = ["bicubic"] + [m for m in models if m != "bicubic"]  # the baseline, always
    for name in sets:
        images = load_set(data / name)
        for scale in scales:
            for model in models:
                record = zoo.get(model)
                if scale not in record.scales:
                    continue
                paper = PAPER.get((record.family, record.objective), {}).get(name, (None,) * 3)[scale - 2]
                restored = [restore_scores(im, scale, model, perceptual) for im in images]
                rows.append(
                    {"set": name, "scale": scale, "model": model,
                     "psnr": _mean([model_y_psnr(im, scale, model) for im in images]),
                     **{key: _mean([r[key] for r in restored]) for key in restored[0]},
                     "paper": paper}
                )
    return rows


def update_scores(model_id: str, section: str, scores: dict) -> bool:
    """Merge `scores` into ``scores[section]`` of a shipped model's zoo record (JSON file in
    srcodec/weights/), keeping the entries a narrower run did not measure; returns False for
    models that are not shipped (bicubic, user models)."""
    import json

    path = zoo.WEIGHTS_DIR / f"{model_id}.json"
    if not path.is_file():
        return False
    record = json.loads(path.read_text())
    record.setdefault("scores", {}).setdefault(section, {}).update(scores)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.paper", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"folder holding the sets (default {DEFAULT_DATA})")
    parser.add_argument("--sets", nargs="+", default=["set5", "set14", "bsd100"])
    parser.add_argument("--scales", nargs="+", type=int, default=[2, 3, 4], choices=[2, 3, 4])
    parser.add_argument("--models", nargs="+", default=current_models(), help=CURRENT_MODELS_HELP)
    parser.add_argument("--perceptual", action="store_true", help="also SSIMULACRA2 and the VGG16 feature distance")
    parser.add_argument("--update-zoo", action="store_true", help="write the results into the shipped models' records")
    args = parser.parse_args(argv)
    missing = [s for s in args.sets if not (args.data / s).is_dir()]
    if missing:
        print(f"benchmarks.paper: data sets not found under {args.data}: {missing}", file=sys.stderr)
        return 2
    print(f"{'set':<7} {'x':>2} {'model':<22} {'Y-PSNR':>7} {'paper':>6} {'diff':>6} {'via restore':>11}"
          + (f" {'SSIMULACRA2':>11} {'VGG dist':>8}" if args.perceptual else ""))
    rows = table(args.data, args.sets, args.scales, args.models, args.perceptual)

    def cell(value, width, sign=""):
        return " " * (width - 1) + "-" if value is None else format(value, f"{sign}{width}.2f")

    for r in rows:
        diff = None if None in (r["psnr"], r["paper"]) else r["psnr"] - r["paper"]
        print(f"{r['set']:<7} {r['scale']:>2} {r['model']:<22} {cell(r['psnr'], 7)} {cell(r['paper'], 6)} "
              f"{cell(diff, 6, '+')} {cell(r['restore'], 11)}"
              + (f" {cell(r['ssimulacra2'], 11)} {r['vgg']:8.4f}" if args.perceptual else ""))
    if args.update_zoo:
        for model in args.models:
            mine = [r for r in rows if r["model"] == model]
            sections = [("paper_y_psnr", "psnr"), ("restore_y_psnr", "restore")]
            sections += [("restore_ssimulacra2", "ssimulacra2"), ("restore_vgg_distance", "vgg")] if args.perceptual else []
            for section, key in sections:
                scores = {f"{r['set']}_x{r['scale']}": round(r[key], 3) for r in mine if r[key] is not None}
                if scores and update_scores(model, section, scores):
                    print(f"{section} written to the zoo record of {model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
