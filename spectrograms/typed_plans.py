"""The seed library's 15 typed plans (``LinearPowerPlan`` ... ``LogHzDbPlan``): a
:class:`~spectrograms.SpectrogramPlan` fixed to one band type and scale, with the seed's
``compute_frame`` and ``dtype``.

``MelDbPlan(params, mel_params, db_params=None, dtype=None).compute(x)`` equals
``SpectrogramPlanner().mel_db_plan(params, mel_params, db_params).compute(x)``; ``dtype`` (``"float32"`` or
``"float64"``) casts the input to that precision first, and None (the default) keeps the input's, so
float32 audio stays float32.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

from ._dtype import plan_dtype
from ._validate import check_type
from .errors import InvalidInputError
from .inputs import as_signal
from .params import ErbParams, LogHzParams, LogParams, MelParams, SpectrogramParams, StftParams
from .planner import BandParams, SpectrogramPlan, band_filterbank
from .results import Spectrogram

__all__ = [f"{bands}{scale}Plan" for bands in ("Linear", "Mel", "Erb", "LogHz")
           for scale in ("Power", "Magnitude", "Db")]

def check_frame_request(signal: torch.Tensor, stft: StftParams, frame_idx: object) -> int:
    """``frame_idx`` after checking that ``signal`` is one signal and the frame is one of its frames.

    Raises:
        InvalidInputError: a batch, or ``frame_idx`` outside ``[0, n_frames)``.
    """
    if signal.dim() != 1:
        raise InvalidInputError(f"compute_frame takes one signal (time,), got shape {tuple(signal.shape)}")
    n_frames = stft.n_frames(signal.shape[-1])
    if isinstance(frame_idx, bool) or not isinstance(frame_idx, (int, np.integer)) or not 0 <= frame_idx < n_frames:
        raise InvalidInputError(f"frame_idx must be an int in [0, {n_frames}), got {frame_idx!r}")
    return int(frame_idx)


class _TypedPlan(SpectrogramPlan):
    """One band type and scale; subclasses name them in ``_BAND_TYPE`` and ``_SCALE``."""

    _BAND_TYPE: type[BandParams] | None = None
    _SCALE = "power"

    # Positional arguments as the seed takes them, checked here so that a missing or extra one is named.
    def __init__(self, params: SpectrogramParams, *args: object, dtype: str | None = None):
        check_type("params", params, SpectrogramParams)
        band_params: object = None
        if self._BAND_TYPE is not None:
            if not args:
                raise InvalidInputError(f"{type(self).__name__} needs its {self._BAND_TYPE.__name__}")
            band_params, args = args[0], args[1:]
        db_params = args[0] if args and self._SCALE == "db" else None
        if len(args) > (1 if self._SCALE == "db" else 0):
            raise InvalidInputError(f"{type(self).__name__} got {len(args)} extra positional arguments")
        filterbank = band_filterbank(params, band_params, self._BAND_TYPE) if self._BAND_TYPE else None
        db = check_type("db_params", db_params, LogParams) if db_params is not None else None
        super().__init__(params, scale=self._SCALE, filterbank=filterbank, db_params=db)
        self._dtype = plan_dtype(dtype)
        self.dtype = dtype

    def _signal(self, samples: object) -> torch.Tensor:
        signal = as_signal(samples)
        return signal if self._dtype is None else signal.to(self._dtype)

    def compute(self, samples: object) -> Spectrogram:
        """The spectrogram of one signal ``(time,)`` or a batch ``(batch, time)`` (in the plan's dtype
        when it has one), shape ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``."""
        return super().compute(self._signal(samples))

    def compute_frame(self, samples: object, frame_idx: int) -> npt.NDArray[np.floating]:
        """Frame ``frame_idx`` of the spectrogram of one signal ``(time,)``, shape ``(n_bins,)``.

        Only the samples that frame reads go through the native pass.

        Raises:
            InvalidInputError: a batch, or ``frame_idx`` outside ``[0, n_frames)``.
        """
        signal = self._signal(samples)
        stft = self.params.stft
        frame_idx = check_frame_request(signal, stft, frame_idx)
        # The frame's own samples, padded as the full signal would be, through one non-centred pass.
        pad = stft.n_fft // 2 if stft.centre else 0
        if stft.centre:
            mode = "reflect" if stft.pad_mode == "reflect" else "constant"
            signal = torch.nn.functional.pad(signal[None, None], (pad, pad), mode=mode)[0, 0]
        start = frame_idx * stft.hop_size
        frame = signal[start:start + stft.n_fft]
        framed = SpectrogramPlan(SpectrogramParams(type(stft)(stft.n_fft, stft.hop_size, stft.window, False),
                                                   self.params.sample_rate),
                                 scale=self.scale, filterbank=self.filterbank, db_params=self.db_params)
        return framed.apply(frame)[..., 0].detach().numpy()


class LinearPowerPlan(_TypedPlan):
    """The seed library's ``LinearPowerPlan``: linear power spectrogram plan,
    ``LinearPowerPlan(params, dtype=None)``."""

    _SCALE = "power"


class LinearMagnitudePlan(_TypedPlan):
    """The seed library's ``LinearMagnitudePlan``: linear magnitude spectrogram plan,
    ``LinearMagnitudePlan(params, dtype=None)``."""

    _SCALE = "magnitude"


class LinearDbPlan(_TypedPlan):
    """The seed library's ``LinearDbPlan``: linear db spectrogram plan,
    ``LinearDbPlan(params, db_params=None, dtype=None)``."""

    _SCALE = "db"


class MelPowerPlan(_TypedPlan):
    """The seed library's ``MelPowerPlan``: mel power spectrogram plan,
    ``MelPowerPlan(params, band_params, dtype=None)``."""

    _BAND_TYPE = MelParams
    _SCALE = "power"


class MelMagnitudePlan(_TypedPlan):
    """The seed library's ``MelMagnitudePlan``: mel magnitude spectrogram plan,
    ``MelMagnitudePlan(params, band_params, dtype=None)``."""

    _BAND_TYPE = MelParams
    _SCALE = "magnitude"


class MelDbPlan(_TypedPlan):
    """The seed library's ``MelDbPlan``: mel db spectrogram plan,
    ``MelDbPlan(params, band_params, db_params=None, dtype=None)``."""

    _BAND_TYPE = MelParams
    _SCALE = "db"


class ErbPowerPlan(_TypedPlan):
    """The seed library's ``ErbPowerPlan``: erb power spectrogram plan,
    ``ErbPowerPlan(params, band_params, dtype=None)``."""

    _BAND_TYPE = ErbParams
    _SCALE = "power"


class ErbMagnitudePlan(_TypedPlan):
    """The seed library's ``ErbMagnitudePlan``: erb magnitude spectrogram plan,
    ``ErbMagnitudePlan(params, band_params, dtype=None)``."""

    _BAND_TYPE = ErbParams
    _SCALE = "magnitude"


class ErbDbPlan(_TypedPlan):
    """The seed library's ``ErbDbPlan``: erb db spectrogram plan,
    ``ErbDbPlan(params, band_params, db_params=None, dtype=None)``."""

    _BAND_TYPE = ErbParams
    _SCALE = "db"


class LogHzPowerPlan(_TypedPlan):
    """The seed library's ``LogHzPowerPlan``: loghz power spectrogram plan,
    ``LogHzPowerPlan(params, band_params, dtype=None)``."""

    _BAND_TYPE = LogHzParams
    _SCALE = "power"


class LogHzMagnitudePlan(_TypedPlan):
    """The seed library's ``LogHzMagnitudePlan``: loghz magnitude spectrogram plan,
    ``LogHzMagnitudePlan(params, band_params, dtype=None)``."""

    _BAND_TYPE = LogHzParams
    _SCALE = "magnitude"


class LogHzDbPlan(_TypedPlan):
    """The seed library's ``LogHzDbPlan``: loghz db spectrogram plan,
    ``LogHzDbPlan(params, band_params, db_params=None, dtype=None)``."""

    _BAND_TYPE = LogHzParams
    _SCALE = "db"
