"""spectrograms: fast audio features for PyTorch on FFTW.

Audio goes in (NumPy array, torch tensor or list; one signal ``(time,)`` or a batch
``(batch, time)``); results come out as tensor-backed objects (:class:`Spectrogram`, ...) that share
their memory with NumPy, PyTorch, JAX and any DLPack consumer.
"""

from . import _extension  # noqa: F401  (fails loudly when the native extension is missing)
from . import compute, errors, features, fft, fft_axes, filterbanks, image, lapped, params, planner, results
from . import binaural
from .binaural import *  # noqa: F401,F403
from .compute import *  # noqa: F401,F403  (each module's __all__ is the public API)
from .errors import *  # noqa: F401,F403
from .features import *  # noqa: F401,F403
from .fft import *  # noqa: F401,F403
from .fft_axes import *  # noqa: F401,F403
from .filterbanks import *  # noqa: F401,F403
from .image import *  # noqa: F401,F403
from .lapped import *  # noqa: F401,F403
from .params import *  # noqa: F401,F403
from .planner import *  # noqa: F401,F403
from .results import *  # noqa: F401,F403
from . import cqt, typed_plans
from .cqt import *  # noqa: F401,F403
from .typed_plans import *  # noqa: F401,F403

__version__ = "0.1.0"

__all__ = [name for module in (binaural, cqt,
                               compute, features, fft, fft_axes, errors, filterbanks, image, lapped, params, planner,
                                       results, typed_plans)
           for name in module.__all__]
