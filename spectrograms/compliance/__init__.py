"""Front-ends that give another library's numbers exactly (``kaldi``: ``torchaudio.compliance.kaldi``)."""

from . import kaldi

__all__ = ["kaldi"]
