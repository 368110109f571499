"""Many files in one call: `encode_many` and `decode_many`.

Both run `encode` / `decode` on a pool of threads and yield the results in input order as they
come. At most `2 * workers` items are in flight (read but not yet yielded), so memory stays
bounded however long the input iterable is; networks are loaded once and shared by every thread
(`zoo.load` caches them; `decode` is thread-safe and gives the same bytes as from one thread).
"""

from __future__ import annotations

import collections
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator

from srcodec.api import decode, encode
from srcodec.errors import ArgumentError

ERRORS = ("raise", "return")


def default_workers() -> int:
    """Threads for batch work: the network's convolutions already use every core, so a few
    more threads only overlap the payload codec and the I/O with them."""
    return min(4, os.cpu_count() or 1)


def _ordered(work: Callable, items: Iterable, workers: int | None, errors: str) -> Iterator:
    if errors not in ERRORS:
        raise ArgumentError(f"errors must be one of {ERRORS}, got {errors!r}")
    workers = default_workers() if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ArgumentError(f"workers must be a positive integer or None, got {workers!r}")
    pending: collections.deque = collections.deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="srcodec") as pool:
        try:
            for item in items:
                pending.append(pool.submit(work, item))
                if len(pending) >= 2 * workers:
                    yield _result(pending.popleft(), errors)
            while pending:
                yield _result(pending.popleft(), errors)
        finally:  # the caller stopped early or an error is raised: drop the queued work
            for future in pending:
                future.cancel()


def _result(future, errors: str):
    if errors == "raise":
        return future.result()
    exc = future.exception()
    return exc if exc is not None else future.result()


def decode_many(sources: Iterable, *, workers: int | None = None, errors: str = "raise", **options) -> Iterator:
    """Decode each of `sources` (bytes, paths or binary file objects, as for `decode`) with
    `options` as `decode` takes them; yield the images in input order.

    `errors="raise"` raises a file's error when its turn comes (files after it are not
    decoded); ``"return"`` yields the exception in its place and goes on.
    """
    return _ordered(lambda source: decode(source, **options), sources, workers, errors)


def encode_many(images: Iterable, *, workers: int | None = None, errors: str = "raise", **options) -> Iterator:
    """Encode each of `images` (as `encode` takes them) with `options`; yield the files' bytes
    in input order. `workers` and `errors` as for `decode_many`."""
    return _ordered(lambda image: encode(image, **options), images, workers, errors)
