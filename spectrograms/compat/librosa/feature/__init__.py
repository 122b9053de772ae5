"""librosa.feature: spectral features, deltas and (in ``feature.inverse``) their inverses."""

from . import inverse
from ..constantq import chroma_cqt
from .spectral import *  # noqa: F401,F403
from .spectral import __all__ as _spectral
from .utils import delta

__all__ = list(_spectral) + ["delta", "inverse", "chroma_cqt"]
