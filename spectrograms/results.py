"""Result objects. Each owns a torch tensor and hands its memory out without a copy: ``.tensor``,
``.data`` (a writable NumPy view), ``__array__`` and the DLPack protocol.
"""

from __future__ import annotations

import enum
from copy import copy as shallow_copy
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from .errors import InvalidInputError, SpectrogramError
from .filterbanks import chroma_labels
from .params import ChromaParams, LogParams, MelParams, MfccParams, SpectrogramParams

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["TensorResult", "Spectrogram", "StftResult", "Chromagram", "Mfcc", "Fft2dResult",
           "DLPACK_FLAG_BITMASK_READ_ONLY", "DLPACK_FLAG_BITMASK_IS_COPIED", "KDLCPU", "KDLCUDA", "KDLCUDA_HOST",
           "KDLOPENCL", "KDLVULKAN", "KDLMETAL", "KDLVPI", "KDLROCM", "KDLROCM_HOST", "KDLEXT_DEV",
           "KDLCUDA_MANAGED", "KDLONE_API", "KDLWEB_GPU", "KDLHEXAGON"]

_DLPACK_ALIGNMENT = 64

# The DLPack standard's flag bits and device types (dlpack.h, DLDeviceType), under the seed library's
# names, for code that reads __dlpack_device__() tuples or versioned-capsule flags.
DLPACK_FLAG_BITMASK_READ_ONLY = 1
DLPACK_FLAG_BITMASK_IS_COPIED = 2
KDLCPU = 1
KDLCUDA = 2
KDLCUDA_HOST = 3
KDLOPENCL = 4
KDLVULKAN = 7
KDLMETAL = 8
KDLVPI = 9
KDLROCM = 10
KDLROCM_HOST = 11
KDLEXT_DEV = 12
KDLCUDA_MANAGED = 13
KDLONE_API = 14
KDLWEB_GPU = 15
KDLHEXAGON = 16


class _NotShareableError(SpectrogramError, BufferError):
    """``__dlpack__(copy=False)`` on a result whose memory cannot be shared as it is: the array API
    asks for a ``BufferError`` there (it is also the library's :class:`SpectrogramError`)."""


class TensorResult:
    """Base of the result types: a tensor plus the protocols that share it.

    ``torch.from_dlpack(result)``, ``numpy.from_dlpack(result)`` and ``jax.dlpack.from_dlpack(result)``
    share memory with ``result.data``; the capsule keeps the memory alive after the result is gone.
    ``result.__dlpack__(copy=True)`` exports independent memory. TensorFlow takes only a capsule:
    ``tf.experimental.dlpack.from_dlpack(result.__dlpack__())``.
    """

    def __init__(self, tensor: torch.Tensor):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
        self.tensor = tensor

    @property
    def data(self) -> np.ndarray:
        """Writable NumPy view of the tensor (CPU only); writes show in ``.tensor`` and vice versa."""
        return self.tensor.detach().numpy()

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.tensor.shape)

    @property
    def dtype(self) -> torch.dtype:
        return self.tensor.dtype

    @property
    def device(self) -> torch.device:
        return self.tensor.device

    @property
    def floor(self) -> float:
        """The value that means "silence", which batching pads with: 0 (the dB floor for dB spectrograms)."""
        return 0.0

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        array = self.data
        if dtype is not None and np.dtype(dtype) != array.dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __len__(self) -> int:
        return self.tensor.shape[0]

    # Any: NumPy's own index and result types (a view, or a scalar for a full index).
    def __getitem__(self, index: Any) -> Any:
        """Indexes the NumPy view, so ``spec[0]`` is a view of the first row."""
        return self.data[index]

    def __dlpack__(self, *, stream: Any | None = None, max_version: tuple[int, int] | None = None,
                   dl_device: tuple[enum.IntEnum, int] | None = None, copy: bool | None = None) -> Any:
        # Any: the capsule torch returns (torch leaves its own __dlpack__ unannotated).
        tensor = self._exportable(copy=copy)
        # Forward only what the caller passed: torch's own default for stream is -1, not None.
        kwargs: dict[str, Any] = {key: value for key, value in (("stream", stream), ("max_version", max_version),
                                                 ("dl_device", dl_device)) if value is not None}
        return tensor.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[enum.IntEnum, int]:
        return self.tensor.__dlpack_device__()

    def _exportable(self, copy: bool | None) -> torch.Tensor:
        tensor = self.tensor
        if tensor.requires_grad:
            raise InvalidInputError(
                "this result's tensor requires grad and cannot be exported through DLPack; "
                "export result.tensor.detach() instead"
            )
        # Consumers rely on 64-byte alignment (JAX copies otherwise; TensorFlow aborts the process
        # on a misaligned buffer), so a view that is not aligned or contiguous is exported as a copy.
        aligned = tensor.is_contiguous() and tensor.data_ptr() % _DLPACK_ALIGNMENT == 0
        if copy is False and not aligned:
            raise _NotShareableError(
                f"__dlpack__(copy=False): this result is a {'misaligned' if tensor.is_contiguous() else 'strided'} "
                f"view that cannot be shared without a copy (exports need contiguous memory aligned to "
                f"{_DLPACK_ALIGNMENT} bytes); pass copy=None to allow one, or copy=True"
            )
        if copy or not aligned:
            tensor = tensor.clone(memory_format=torch.contiguous_format)
        return tensor


class BinsByFrames(TensorResult):
    """A result laid out as ``(..., n_bins, n_frames)``."""

    @property
    def n_bins(self) -> int:
        """Number of frequency bins (rows)."""
        return self.tensor.shape[-2]

    @property
    def n_frames(self) -> int:
        """Number of frames (columns)."""
        return self.tensor.shape[-1]


class _Axes(BinsByFrames):
    """A :class:`BinsByFrames` result with frequency and time axes."""

    def __init__(self, tensor: torch.Tensor, frequencies: npt.ArrayLike, times: npt.ArrayLike | None,
                 params: SpectrogramParams, n_samples: int | None):
        super().__init__(tensor)
        self.frequencies = np.asarray(frequencies, dtype=np.float64)
        self._times: npt.NDArray[np.float64] | None = None if times is None else np.asarray(times, dtype=np.float64)
        self.spectrogram_params = params
        self.n_samples = n_samples

    @property
    def sample_rate(self) -> float:
        return self.spectrogram_params.sample_rate

    @property
    def T(self) -> np.ndarray:  # noqa: N802  (the seed library's name, as NumPy's)
        """The values as a NumPy view with the last two axes swapped: ``(n_frames, n_bins)``."""
        swapped: np.ndarray[Any, Any] = self.data.swapaxes(-1, -2)  # NumPy types swapaxes as Any
        return swapped

    def astype(self, dtype: npt.DTypeLike) -> np.ndarray[Any, Any]:
        """The values as a NumPy array of ``dtype`` (``"float32"``, ``"float64"``, a NumPy dtype); a copy,
        as the seed library's ``astype``."""
        values: np.ndarray[Any, Any] = self.data.astype(dtype)  # NumPy's overload for a DTypeLike gives Any
        return values

    @property
    def times(self) -> npt.NDArray[np.float64]:
        """Seconds of each frame, ``i * hop / sample_rate`` (its centre with ``centre=True``), shape
        ``(n_frames,)``; made on first use (None given to the
        constructor), since per-clip calls in a data pipeline rarely look at it."""
        if self._times is None:
            self._times = self.spectrogram_params.frame_times(self.n_frames)
        return self._times

    def frequency_range(self) -> tuple[float, float]:
        """Lowest and highest band frequency in Hz."""
        return float(self.frequencies[0]), float(self.frequencies[-1])

    def duration(self) -> float:
        """Time in seconds of the last frame, ``(n_frames - 1) * hop / sample_rate``, as the seed library
        defines it (the signal's own length is ``n_samples / sample_rate``)."""
        return max(self.n_frames - 1, 0) * self.spectrogram_params.stft.hop_size / self.sample_rate

    def unbatch(self) -> list[Self]:
        """The items of a batched result ``(batch, n_bins, n_frames)`` as results of their own (views, no
        copy, sharing the metadata); a result without a batch dimension is returned alone in a list."""
        if self.tensor.dim() != 3:
            return [self]
        return [self._with_tensor(item) for item in self.tensor]

    def _with_tensor(self, tensor: torch.Tensor) -> Self:
        result = shallow_copy(self)
        result.tensor = tensor
        return result


class Spectrogram(_Axes):
    """A spectrogram of shape ``(n_bins, n_frames)``, or ``(batch, n_bins, n_frames)`` for a batch.

    Attributes:
        tensor: the values (float32 for float32 input, float64 for float64 input).
        frequencies: Hz of each row (FFT bin or band centre), shape ``(n_bins,)``.
        times: seconds of each frame, ``i * hop / sample_rate``, shape ``(n_frames,)``.
        params: the :class:`SpectrogramParams`.
        scale: ``"power"``, ``"magnitude"`` or ``"db"``.
        frequency_scale: ``"linear"``, ``"mel"``, ...
        band_params: the filterbank's parameters (e.g. :class:`MelParams`), None for linear.
        db_params: the :class:`LogParams` of a dB spectrogram, else None.
        n_samples: length of the source signal in samples.
    """

    # band_params: MelParams, ErbParams, LogHzParams, CqtParams, ... (whatever made the bands), hence object.
    def __init__(self, tensor: torch.Tensor, frequencies: npt.ArrayLike, times: npt.ArrayLike | None,
                 params: SpectrogramParams, *, scale: str, frequency_scale: str = "linear",
                 band_params: object = None, db_params: LogParams | None = None, n_samples: int | None = None):
        super().__init__(tensor, frequencies, times, params, n_samples)
        self.scale = scale
        self.frequency_scale = frequency_scale
        self.band_params = band_params
        self.db_params = db_params

    def __len__(self) -> int:
        """The number of frames, as the seed library's ``len(spectrogram)`` (indexing still picks rows)."""
        return self.n_frames

    @property
    def params(self) -> SpectrogramParams:
        """The :class:`SpectrogramParams` (the seed library's ``params``)."""
        return self.spectrogram_params

    @property
    def mel_params(self) -> MelParams | None:
        return self.band_params if self.frequency_scale == "mel" and isinstance(self.band_params, MelParams) else None

    @property
    def floor(self) -> float:
        """The value that means "silence" here: the dB floor for dB spectrograms, else 0. Padding uses it."""
        if self.scale != "db":
            return 0.0
        if self.db_params is None:
            raise InvalidInputError("this dB spectrogram was made without db_params, so it has no floor to pad with")
        return self.db_params.floor_db

    def db_range(self) -> tuple[float, float]:
        """Smallest and largest value in dB (power and magnitude values are converted)."""
        extremes = torch.aminmax(self.tensor.detach())
        low, high = float(extremes.min), float(extremes.max)
        if self.scale == "db":
            return low, high
        factor = 10.0 if self.scale == "power" else 20.0
        tiny = float(np.finfo(np.float64).tiny)
        return float(factor * np.log10(max(low, tiny))), float(factor * np.log10(max(high, tiny)))

    def __repr__(self) -> str:
        kind = f"{self.frequency_scale} {self.scale}"
        return f"Spectrogram({kind}, shape={self.shape}, dtype={self.dtype}, sample_rate={self.sample_rate:g})"


def power_of(spectrum: torch.Tensor) -> torch.Tensor:
    """``|spectrum|^2`` in the spectrum's real dtype, squared in float64 so that a complex64 value whose
    square overflows float32 is seen (and refused) rather than returned as ``inf``.

    Raises:
        InvalidInputError: a power beyond the range of the result's dtype.
    """
    parts = torch.view_as_real(spectrum)
    real_dtype = parts.dtype
    if real_dtype == torch.float32:
        parts = parts.double()
    power = parts.square().sum(-1)
    if not bool(torch.isfinite(power).all()) or (real_dtype == torch.float32 and
                                                 float(power.max()) > torch.finfo(torch.float32).max):
        raise InvalidInputError(
            f"the power spectrum exceeds the {str(real_dtype).removeprefix('torch.')} range "
            f"({torch.finfo(real_dtype).max:.3g}): |X|^2 overflows. Scale the signal down (float32 audio is "
            "normally within [-1, 1]), pass float64, or use the magnitude spectrum"
        )
    return power.to(real_dtype)


def magnitude_of(spectrum: torch.Tensor) -> torch.Tensor:
    """``|spectrum|`` without the overflow or underflow of ``sqrt(re^2 + im^2)`` (torch's complex abs is
    ``hypot``), refusing the rare value beyond the dtype's range (``|X|`` up to ``sqrt(2)`` times it)."""
    magnitude = spectrum.abs()
    if not bool(torch.isfinite(magnitude).all()):
        raise InvalidInputError(
            f"the magnitude spectrum exceeds the {str(magnitude.dtype).removeprefix('torch.')} range "
            f"({torch.finfo(magnitude.dtype).max:.3g}); scale the signal down or pass float64"
        )
    return magnitude


class _Complex:
    """``power`` and ``magnitude`` of a result holding a complex ``tensor``."""

    tensor: torch.Tensor

    def power(self) -> torch.Tensor:
        """``|X|^2`` as a real tensor of the same shape (see :func:`power_of`)."""
        return power_of(self.tensor)

    def magnitude(self) -> torch.Tensor:
        """``|X|`` as a real tensor of the same shape (see :func:`magnitude_of`)."""
        return magnitude_of(self.tensor)


class StftResult(_Complex, _Axes):
    """A complex STFT of shape ``(n_fft // 2 + 1, n_frames)`` (or with a leading batch dimension).

    ``.data`` is a complex NumPy view; DLPack exports a complex tensor.
    """

    @property
    def frequency_resolution(self) -> float:
        """Hz between adjacent bins: ``sample_rate / n_fft``."""
        return self.sample_rate / self.spectrogram_params.stft.n_fft

    @property
    def time_resolution(self) -> float:
        """Seconds between adjacent frames: ``hop_size / sample_rate``."""
        return self.spectrogram_params.stft.hop_size / self.sample_rate

    @property
    def params(self) -> SpectrogramParams:
        """The :class:`SpectrogramParams` (the seed library's ``params``)."""
        return self.spectrogram_params

    def norm(self) -> np.ndarray[Any, Any]:
        """``|X|`` as a NumPy array (the seed library's name for the magnitude)."""
        return self.magnitude().detach().cpu().numpy()

    def __repr__(self) -> str:
        return f"StftResult(shape={self.shape}, dtype={self.dtype}, sample_rate={self.sample_rate:g})"


class Chromagram(_Axes):
    """Energy per pitch class, shape ``(n_chroma, n_frames)`` or ``(batch, n_chroma, n_frames)``.

    Rows are in pitch-class order from C: ``pitch_classes[i]`` names row ``i``. Each frame is
    normalised as ``chroma_params.norm`` says (by default its largest value is 1).

    Attributes:
        tensor: the values (float32 for float32 input, float64 for float64 input).
        pitch_classes: label of each row, ``("C", "C#", ..., "B")`` for 12 bins.
        frequencies: Hz of each pitch class in octave 4 (C4 = 261.6 Hz at ``tuning=0``), shape ``(n_chroma,)``.
        times: seconds of each frame, ``i * hop / sample_rate``, shape ``(n_frames,)``.
        params: the :class:`SpectrogramParams`.
        chroma_params: the :class:`ChromaParams`.
        n_samples: length of the source signal in samples.
    """

    def __init__(self, tensor: torch.Tensor, frequencies: npt.ArrayLike, times: npt.ArrayLike | None,
                 params: SpectrogramParams, chroma_params: ChromaParams, *, n_samples: int | None = None):
        super().__init__(tensor, frequencies, times, params, n_samples)
        self.chroma_params = chroma_params
        self.pitch_classes = chroma_labels(chroma_params.n_chroma)

    @property
    def params(self) -> ChromaParams:
        """The :class:`ChromaParams` (as the seed library's ``Chromagram.params``); the STFT's are
        ``spectrogram_params``."""
        return self.chroma_params

    @property
    def labels(self) -> list[str]:
        """The pitch class of each row, ``["C", "C#", ..., "B"]`` (the seed library's name)."""
        return list(self.pitch_classes)

    @property
    def n_chroma(self) -> int:
        return self.n_bins

    def __repr__(self) -> str:
        return f"Chromagram(shape={self.shape}, dtype={self.dtype}, norm={self.chroma_params.norm!r})"


class Mfcc(_Axes):
    """Mel-frequency cepstral coefficients, shape ``(n_mfcc, n_frames)`` or ``(batch, n_mfcc, n_frames)``.

    Attributes:
        tensor: the values (float32 for float32 input, float64 for float64 input).
        frequencies: the coefficient index of each row (MFCCs have no frequency axis), shape ``(n_mfcc,)``.
        times: seconds of each frame, ``i * hop / sample_rate``, shape ``(n_frames,)``.
        params: the :class:`SpectrogramParams`.
        mel_params, mfcc_params, db_params: the :class:`MelParams`, :class:`MfccParams` and
            :class:`LogParams` the coefficients were computed with.
        n_samples: length of the source signal in samples.
    """

    def __init__(self, tensor: torch.Tensor, times: npt.ArrayLike | None, params: SpectrogramParams,
                 mel_params: MelParams, mfcc_params: MfccParams, db_params: LogParams, *, n_samples: int | None = None):
        super().__init__(tensor, np.arange(tensor.shape[-2]), times, params, n_samples)
        self.mel_params = mel_params
        self.mfcc_params = mfcc_params
        self.db_params = db_params

    @property
    def params(self) -> MfccParams:
        """The :class:`MfccParams` (as the seed library's ``Mfcc.params``); the STFT's are
        ``spectrogram_params``."""
        return self.mfcc_params

    @property
    def n_mfcc(self) -> int:
        return self.n_bins

    def __repr__(self) -> str:
        return f"Mfcc(shape={self.shape}, dtype={self.dtype}, sample_rate={self.sample_rate:g})"


class Fft2dResult(_Complex, TensorResult):
    """The 2-D FFT of real data in NumPy's real-input layout: shape ``(rows, cols // 2 + 1)`` (or with
    leading batch dims), complex64 for float32 data and complex128 for float64.

    ``.data`` is a complex NumPy view and DLPack exports a complex tensor. ``ifft2d(result)`` (or
    :meth:`inverse`) recovers the data, since the result remembers the number of columns.

    Attributes:
        tensor: the complex spectrum.
        input_shape: ``(rows, cols)`` of the transformed data.
    """

    def __init__(self, tensor: torch.Tensor, input_shape: tuple[int, int]):
        super().__init__(tensor)
        self.input_shape = (int(input_shape[0]), int(input_shape[1]))

    @property
    def n_rows(self) -> int:
        return self.input_shape[0]

    @property
    def n_cols(self) -> int:
        """Columns of the data (the spectrum has ``n_cols // 2 + 1``)."""
        return self.input_shape[1]

    def inverse(self) -> torch.Tensor:
        """The real data back, shape ``(..., rows, cols)`` (see :func:`spectrograms.ifft2d`)."""
        from .fft import ifft2d  # fft builds these results

        return ifft2d(self)

    def __repr__(self) -> str:
        return f"Fft2dResult(shape={self.shape}, dtype={self.dtype}, input_shape={self.input_shape})"
