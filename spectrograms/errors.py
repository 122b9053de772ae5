"""The library's exceptions. Every error it raises on purpose is a :class:`SpectrogramError`.

Bad values are also ``ValueError`` and wrong types also ``TypeError``, so code written against the
standard exceptions keeps working.
"""

__all__ = [
    "SpectrogramError",
    "InvalidInputError",
    "InvalidTypeError",
    "ArgumentTypeError",
    "DimensionMismatchError",
    "FFTBackendError",
    "InternalError",
    "AudioFileError",
]


class SpectrogramError(Exception):
    """Base class of every error raised by spectrograms."""


class InvalidInputError(SpectrogramError, ValueError):
    """A signal or parameter has a value outside what is allowed (the message names it)."""


class InvalidTypeError(SpectrogramError, TypeError):
    """A signal or parameter has the wrong type (the message names it)."""


class ArgumentTypeError(InvalidTypeError, RuntimeError):
    """torch's dispatcher refused an argument's type against a native op's schema. Still a
    RuntimeError, the type torch gives it, so code written against torch's error keeps working."""


class DimensionMismatchError(SpectrogramError, ValueError):
    """Shapes that must agree do not (e.g. bin counts of spectrograms batched together)."""


class FFTBackendError(SpectrogramError, RuntimeError):
    """The native FFT backend failed or is unavailable."""


class InternalError(SpectrogramError, RuntimeError):
    """An invariant of the library itself failed: a bug to report, not a problem with the input."""


class AudioFileError(SpectrogramError, ValueError):
    """An audio file (or manifest, or dataset folder) is missing, unreadable or holds unusable data.

    The message always starts with the offending path (and, for manifests, the line), then the reason.
    """
