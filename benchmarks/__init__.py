"""srcodec's benchmarks: scripts that print tables. Nothing in srcodec imports this package.

* ``python -m benchmarks.paper``: the SR papers' protocol (Y-PSNR, border crop) on Set5, Set14
  and BSD100 at x2/x3/x4, our models beside the papers' numbers.
"""

CURRENT_MODELS_HELP = "default: every zoo model not superseded by a newer one"


def current_models() -> list[str]:
    """The zoo ids the scripts measure by default: superseded models stay only to decode old files."""
    from srcodec import zoo

    return [r.id for r in zoo.list_models(superseded=False)]


DEFAULT_MODELS_HELP = "default: bicubic and the default model of every scale, what model='auto' decodes with"


def default_models() -> list[str]:
    """The RD sweep's default: what srcodec users get (`model="auto"`), and bicubic beside it.
    The other models (research, perceptual, sampled ones: PixelCNN takes ~26 s a decode) are
    swept when named."""
    from srcodec import zoo

    return [r.id for r in zoo.list_models(superseded=False) if r.id == "bicubic" or r.default]
