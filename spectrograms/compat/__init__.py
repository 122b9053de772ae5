"""Drop-in namespaces that mirror other audio libraries' APIs on this package's kernels.

``from spectrograms.compat import librosa`` gives librosa's feature functions with librosa's names,
signatures, defaults and numbers (NumPy in, NumPy out; torch in, torch out).
"""

from . import librosa

__all__ = ["librosa"]
