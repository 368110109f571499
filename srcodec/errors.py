"""The exceptions srcodec raises: one base class, a few precise subclasses.

Each subclass also inherits the built-in a caller would naturally catch, so
``except ValueError`` keeps working for code that does not know srcodec.
"""


class SrcodecError(Exception):
    """Base class of every error srcodec raises on purpose."""


class FormatError(SrcodecError, ValueError):
    """The bytes are not a well-formed srcodec file (magic, truncation, CRC, field values)."""


class UnsupportedVersionError(FormatError):
    """The file's format version is newer (or other) than this library reads."""


class LimitError(SrcodecError, ValueError):
    """The work would exceed a limit: pixels, JPEG scans (decompression-bomb guards)."""


class TimeLimitError(LimitError, TimeoutError):
    """Decoding ran past the time it was given (`decode(..., timeout=)`)."""


class ImageError(SrcodecError, ValueError):
    """The input image cannot be encoded as given (dtype, shape, alpha, mode)."""


class UnknownModelError(SrcodecError, LookupError):
    """No model with this id is registered, or it does not serve the requested scale."""


class WeightsError(SrcodecError, OSError):
    """Model weights are missing, or do not match the digest in the zoo or in the file."""


class CodecUnavailableError(SrcodecError, ImportError):
    """The inner codec's backend library is not installed."""


class ArgumentError(SrcodecError, ValueError):
    """A keyword argument is out of range or of the wrong type."""


class TargetError(SrcodecError, ValueError):
    """A rate-control target cannot be met (`encode(..., target_bytes=)` and the like); the
    message names the nearest file possible."""
