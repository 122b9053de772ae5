"""Shared parts of the feature layers: frame counts, torchaudio keyword translation, the fused-op base."""

from __future__ import annotations

import inspect
import math
import numbers
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .. import ops
from ..export import onnx as _onnx_translation  # noqa: F401  (torch.onnx.export of the layers needs no arguments)
from .._validate import (
    call_native,
    check_type,
    check_unread_samples_finite,
    one_of,
    positive_int,
)
from ..errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from ..filterbanks import Filterbank
from ..ops._frames import n_frames
from ..params import (
    LogParams,
    SpectrogramParams,
    StftParams,
    WindowType,
)
from ..planner import window_tensor


def frame_lengths(sample_lengths, n_fft: int, hop_length: int, center: bool = True):
    """Frame counts of signals of ``sample_lengths`` samples (what a padded batch's mask needs).

    Args:
        sample_lengths: an int or an int tensor of any shape (e.g. ``(batch,)``).
        n_fft, hop_length, center: the framing of the transform (``center`` default True).

    Returns:
        The frame count of :meth:`spectrograms.StftParams.n_frames` (``1 + n // hop_length`` with
        ``center`` and an even ``n_fft``, ``1 + (n - n_fft) // hop_length`` without ``center``), 0 for
        signals too short for one frame; an int for an int, an int64 tensor for a tensor.

    Raises:
        InvalidTypeError: ``sample_lengths`` is neither an int nor an integer tensor.
        InvalidInputError: ``n_fft`` or ``hop_length`` not a positive int.
    """
    n_fft, hop_length = positive_int("n_fft", n_fft), positive_int("hop_length", hop_length)
    if isinstance(sample_lengths, torch.Tensor):
        if sample_lengths.dtype.is_floating_point or sample_lengths.dtype.is_complex:
            raise InvalidTypeError(f"sample_lengths must be an integer tensor, got dtype {sample_lengths.dtype}")
        return n_frames(sample_lengths.long(), n_fft, hop_length, center).clamp(min=0)
    if isinstance(sample_lengths, bool) or not isinstance(sample_lengths, numbers.Integral):
        raise InvalidTypeError(f"sample_lengths must be an int or an int tensor, got {type(sample_lengths).__name__}")
    return max(n_frames(int(sample_lengths), n_fft, hop_length, center), 0)


# --- Construction from torchaudio's keywords -------------------------------------------------------


_STFT_KEYWORDS = ("sample_rate", "n_fft", "win_length", "hop_length", "window_fn", "wkwargs", "normalized",
                  "center", "pad_mode")


def _stft_keywords(arguments: dict) -> SpectrogramParams:
    """SpectrogramParams equivalent to torchaudio's Spectrogram keywords (``_STFT_KEYWORDS`` of ``arguments``).

    A window shorter than ``n_fft`` is zero-padded on both sides, and ``normalized`` scales the window
    (by its L2 norm, or ``1 / sqrt(n_fft)`` for ``"frame_length"``), which is what ``torch.stft`` and
    torchaudio do to the spectrum.
    """
    sample_rate, n_fft, win_length, hop_length, window_fn, wkwargs, normalized, center, pad_mode = (
        arguments[name] for name in _STFT_KEYWORDS)
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    if win_length > n_fft:
        raise InvalidInputError(f"win_length must be in [1, n_fft={n_fft}], got {win_length}")
    hop_length = win_length // 2 if hop_length is None else hop_length
    if normalized not in (False, True, "window", "frame_length"):
        raise InvalidInputError(f"normalized must be a bool, 'window' or 'frame_length', got {normalized!r}")
    one_of("pad_mode", pad_mode, TORCH_PAD_MODES)
    if window_fn is torch.hann_window and not wkwargs and win_length == n_fft and not normalized:
        window = WindowType.hann
    else:
        coefficients = _window_coefficients(window_fn, win_length, wkwargs)
        left = (n_fft - win_length) // 2
        coefficients = F.pad(coefficients, (left, n_fft - win_length - left))
        if normalized in (True, "window"):
            coefficients = coefficients / coefficients.square().sum().sqrt()
        elif normalized == "frame_length":
            coefficients = coefficients / math.sqrt(n_fft)
        window = WindowType.custom(coefficients.tolist())
    # replicate/circular centre padding is done by the layer before the op (see _SpectralTransform), whose
    # frames are then uncentred; the parameters keep a mode the op knows.
    native_pad = pad_mode if pad_mode in ("constant", "reflect") else "constant"
    # torchaudio's spellings, so that a refusal names the keyword the caller used
    return SpectrogramParams(StftParams(n_fft, window=window, pad_mode=native_pad, hop_length=hop_length,
                                        center=center), sample_rate)


# torch.stft's centre-padding modes (torchaudio passes its pad_mode to it).
TORCH_PAD_MODES = ("reflect", "constant", "replicate", "circular")


def _window_coefficients(window_fn, win_length: int, wkwargs) -> torch.Tensor:
    """``window_fn(win_length, **wkwargs)`` computed in float64 where the function takes a dtype (all of
    torch's window functions do), so float64 layers get float64 windows rather than widened float32."""
    wkwargs = dict(wkwargs or {})
    if "dtype" not in wkwargs:
        try:
            return window_fn(win_length, dtype=torch.float64, **wkwargs).to(torch.float64)
        except TypeError:  # a user's window function without a dtype keyword
            pass
    return window_fn(win_length, **wkwargs).to(torch.float64)


def _pre_padded(signal: torch.Tensor, pad: int, mode: str) -> torch.Tensor:
    """``signal (..., time)`` padded by ``pad`` samples on both sides in torch's ``replicate`` or
    ``circular`` mode, as ``torch.stft(center=True, pad_mode=mode)`` pads."""
    if mode == "circular" and signal.shape[-1] < pad:
        raise InvalidInputError(f"pad_mode='circular' needs at least n_fft // 2 = {pad} samples, got "
                                f"{signal.shape[-1]}")
    if mode == "replicate" and signal.shape[-1] == 0:
        raise InvalidInputError("pad_mode='replicate' needs at least one sample, got an empty signal")
    flat = signal.reshape(-1, 1, signal.shape[-1])
    padded = F.pad(flat, (pad, pad), mode=mode)
    return padded.reshape(signal.shape[:-1] + (padded.shape[-1],))


def _keywords_given(init, arguments: dict, names) -> list[str]:
    """The keyword arguments among ``names`` that differ from their default in ``init``'s signature."""
    defaults = inspect.signature(init).parameters
    return [name for name in names if arguments[name] is not defaults[name].default
            and arguments[name] != defaults[name].default]


def _objects_or_keywords(init, arguments: dict, keywords, objects: dict):
    """Refuses mixing the parameter-object form with torchaudio keywords, which would be ambiguous."""
    passed = [name for name, (value, _) in objects.items() if value is not None]
    given = _keywords_given(init, arguments, keywords)
    if passed and given:
        raise InvalidTypeError(
            f"pass either parameter objects ({', '.join(objects)}) or torchaudio-style keywords, not both; "
            f"got {', '.join(passed)} and {', '.join(given)}"
        )
    for name, (value, expected) in objects.items():
        if value is not None:
            check_type(name, value, expected)


def _check_power(power, allow_complex: bool = False) -> float | None:
    if power is None and allow_complex:
        return None
    if power not in (1, 2):
        also = ", or None for the complex STFT" if allow_complex else ""
        raise InvalidInputError(f"power must be 1.0 (magnitude) or 2.0 (power){also}; got {power!r}")
    return float(power)


def _check_db(db_params) -> float | None:
    if db_params is None:
        return None
    check_type("db_params", db_params, LogParams)
    return db_params.floor_db


# --- Feature layers ---------------------------------------------------------------------------------


class _SpectralTransform(nn.Module):
    """Window, framing and an optional filterbank as buffers; forward is one call of the fused op."""

    # Python-only attributes TorchScript must not compile (the frequency axis is a NumPy array).
    __jit_unused_properties__ = ["n_bins"]

    def __init__(self, params: SpectrogramParams, filterbank: Filterbank | None, power: float | None,
                 floor_db: float | None, root_of_band_power: bool = False, pad_mode: str | None = None):
        super().__init__()
        check_type("params", params, SpectrogramParams)
        self.params = params
        stft = params.stft
        self.n_fft, self.hop_length = stft.n_fft, stft.hop_size
        self.center, self.pad_mode = stft.centre, stft.pad_mode
        # torch's replicate/circular modes (the torchaudio keyword pad_mode): the layer pads, the op frames
        # the padded signal uncentred.
        self.pre_pad: str = pad_mode if stft.centre and pad_mode in ("replicate", "circular") else ""
        if self.pre_pad:
            self.pad_mode = pad_mode
        # The seed's band magnitude, sqrt(filterbank @ |X|^2): the op computes the band power, forward its root.
        self.root_of_band_power = bool(root_of_band_power and power == 1.0 and filterbank is not None
                                       and floor_db is None)
        self.power, self.floor_db = (2.0 if self.root_of_band_power else power), floor_db
        # Clones: the plan caches share these tensors, and load_state_dict copies into buffers in place.
        self.register_buffer("window", window_tensor(stft, torch.float32).clone())
        csr = filterbank.csr(torch.float32) if filterbank is not None else (None, None, None)
        for name, tensor in zip(("fb_crow", "fb_col", "fb_val"), csr):
            self.register_buffer(name, tensor.clone() if tensor is not None else None)
        # float64 twins, derived from the parameters (not state): float64 input computes with windows and
        # filters built in float64, not float32 values widened by .double().
        self.register_buffer("_window64", window_tensor(stft, torch.float64).clone(), persistent=False)
        fb_val64 = filterbank.csr(torch.float64)[2].clone() if filterbank is not None else None
        self.register_buffer("_fb_val64", fb_val64, persistent=False)
        self.frequencies = filterbank.frequencies if filterbank is not None else params.bin_frequencies()

    @property
    def n_bins(self) -> int:
        """Rows of the output: the filterbank's bands, else ``n_fft // 2 + 1``."""
        return len(self.frequencies)

    def frame_lengths(self, sample_lengths):
        """Frame counts of inputs of ``sample_lengths`` samples (see :func:`frame_lengths`)."""
        return frame_lengths(sample_lengths, self.n_fft, self.hop_length, self.center)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """Computes the features.

        Args:
            waveform: float tensor ``(..., time)``.

        Returns:
            ``(..., n_bins, n_frames)`` in the input's dtype (complex for ``power=None``).
        """
        if torch.jit.is_scripting():
            return self._features_scripted(waveform)
        return self._features(waveform)

    def _window_for(self, dtype: torch.dtype) -> torch.Tensor:
        if dtype == torch.float64 and self._window64.dtype == torch.float64:
            return self._window64
        return self.window.to(dtype)

    def _fb_val_for(self, dtype: torch.dtype) -> torch.Tensor | None:
        fb_val, fb_val64 = self.fb_val, self._fb_val64
        if fb_val is None:
            return None
        if dtype == torch.float64 and fb_val64 is not None and fb_val64.dtype == torch.float64:
            return fb_val64
        return fb_val.to(dtype)

    def _features_scripted(self, waveform: torch.Tensor) -> torch.Tensor:
        """``forward`` under ``torch.jit.script``: the same op call, without the Python-side checks
        (the op's own checks still run)."""
        signal = waveform
        if waveform.dtype == torch.float16 or waveform.dtype == torch.bfloat16:
            signal = waveform.float()
        window = self._window_for(signal.dtype)
        power = self.power
        center, pad_mode = self.center, self.pad_mode
        if self.pre_pad != "":
            flat = signal.reshape(-1, 1, signal.shape[-1])
            padded = F.pad(flat, (self.n_fft // 2, self.n_fft // 2), mode=self.pre_pad)
            signal = padded.reshape(signal.shape[:-1] + (padded.shape[-1],))
            center, pad_mode = False, "constant"
        if power is None:
            return torch.ops.spectrograms.stft(signal, window, self.n_fft, self.hop_length, center, pad_mode)
        else:
            out = torch.ops.spectrograms.spectrogram(signal, window, self.n_fft, self.hop_length, center,
                                                     pad_mode, power, self.fb_crow, self.fb_col,
                                                     self._fb_val_for(signal.dtype), self.floor_db)
            if self.root_of_band_power:
                out = out.sqrt()
            return out.to(waveform.dtype)

    @torch.jit.unused
    def _features(self, waveform: torch.Tensor) -> torch.Tensor:
        signal = _compute_dtype(waveform)
        window = self._window_for(signal.dtype)
        fb_val = self._fb_val_for(signal.dtype)
        center, pad_mode = self.center, self.pad_mode
        if self.center and self.n_fft > signal.shape[-1] and not torch.compiler.is_compiling():
            # librosa's warning for a centred frame longer than the whole signal (mostly padding)
            warnings.warn(f"n_fft={self.n_fft} is too large for input signal of length={signal.shape[-1]}",
                          UserWarning, stacklevel=5)  # the caller of the layer, past nn.Module's call
        if self.pre_pad:
            signal, center, pad_mode = _pre_padded(signal, self.n_fft // 2, self.pre_pad), False, "constant"
        # torch.onnx.export translates the op itself (spectrograms.export.onnx); here only the eager
        # check, which a traced graph cannot carry (a host sync on data).
        if not torch.onnx.is_in_onnx_export():
            check_unread_samples_finite(signal, self.n_fft, self.hop_length, center)
        if self.power is None:
            return call_native(ops.stft, signal, window, n_fft=self.n_fft, hop_length=self.hop_length,
                               center=center, pad_mode=pad_mode)
        filterbank = None
        if self.fb_crow is not None:
            filterbank = (self.fb_crow, self.fb_col, fb_val)
        out = call_native(ops.spectrogram, signal, window, n_fft=self.n_fft, hop_length=self.hop_length,
                          center=center, pad_mode=pad_mode, power=self.power, filterbank=filterbank,
                          floor_db=self.floor_db)
        if self.root_of_band_power:
            out = out.sqrt()
        return out.to(waveform.dtype)

    def extra_repr(self) -> str:
        scale = {None: "complex", 1.0: "magnitude", 2.0: "power"}[self.power]
        if self.root_of_band_power:
            scale = "magnitude (root of the band power)"
        db = f", floor_db={self.floor_db}" if self.floor_db is not None else ""
        return (f"n_fft={self.n_fft}, hop_length={self.hop_length}, n_bins={self.n_bins}, {scale}{db}, "
                f"center={self.center}, pad_mode={self.pad_mode!r}")


def _compute_dtype(waveform: torch.Tensor) -> torch.Tensor:
    if not isinstance(waveform, torch.Tensor):
        raise InvalidTypeError(f"the input must be a torch.Tensor (..., time), got {type(waveform).__name__}")
    if waveform.dim() == 0:
        raise DimensionMismatchError("the input must be a waveform of shape (..., time), got a 0-d tensor")
    if waveform.dtype in (torch.float32, torch.float64):
        return waveform
    if waveform.dtype in (torch.float16, torch.bfloat16):
        return waveform.float()  # the kernels are float32/float64; the result goes back to the input dtype
    raise InvalidTypeError(f"the input must be a floating-point waveform, got dtype {waveform.dtype}")

