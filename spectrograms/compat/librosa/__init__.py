"""librosa's feature API (names, signatures, defaults, outputs) computed on this package's kernels.

Replace ``import librosa`` with ``from spectrograms.compat import librosa``: core functions live at
the top level as in librosa, with ``feature`` (and ``feature.inverse``), ``filters`` and ``onset``
submodules.
"""

__all__: list = []
