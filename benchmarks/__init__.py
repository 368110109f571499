"""srcodec's benchmarks: scripts that print tables. Nothing in srcodec imports this package.

* ``python -m benchmarks.paper``: the SR papers' protocol (Y-PSNR, border crop) on Set5, Set14
  and BSD100 at x2/x3/x4, our models beside the papers' numbers.
"""
