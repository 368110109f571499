"""srcodec's benchmarks: scripts that print tables. Nothing in srcodec imports this package.

* ``python -m benchmarks.paper``: the SR papers' protocol (Y-PSNR, border crop) on Set5, Set14
  and BSD100 at x2/x3/x4, our models beside the papers' numbers.
"""

CURRENT_MODELS_HELP = "default: every zoo model not superseded by a newer one"


def current_models() -> list[str]:
    """The zoo ids the scripts measure by default: superseded models stay only to decode old files."""
    from srcodec import zoo

    return [r.id for r in zoo.list_models(superseded=False)]
