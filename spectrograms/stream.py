"""Streams: feed audio in chunks, get back the frames that became complete, equal to the offline result.

``stream = plan.stream()`` works for every plan kind (linear/mel/ERB/log-Hz x power/magnitude/dB, MFCC,
chromagram, PCEN) and :func:`kaldi_fbank_stream` / :func:`kaldi_mfcc_stream` give Kaldi's online front-end
(``snip_edges`` true or false, as kaldi-native-fbank's ``OnlineFbank``)::

    stream = plan.stream()
    for chunk in chunks:                 # any sizes, 0 and 1 sample included; (time,) or (batch, time)
        frames = stream.push(chunk)      # result object (..., n_bins, new_frames)
    frames = stream.flush()              # the frames that need the end of the signal
    stream.reset()                       # start a new signal

Concatenating everything a stream returns along the last axis gives the offline result of the same
plan on the whole signal (bitwise for the fused kernel: each frame is the same arithmetic on the same
samples).

The plans' streams keep their state in a native object (``spectrograms._C.SpectrogramStream``, the pybind11
binding of spectrograms_ext/stream_kernel.cpp, also registered as ``torch.classes.spectrograms.SpectrogramStream``
for TorchScript): a push of a float tensor of the stream's dtype and batch size is one
native call that appends the samples and computes the new frames (Python checks only the tensor's type,
dtype and grad flag; anything else, and every error, takes the validating path, which names the problem).
Kaldi's front-ends, whose pipeline is Python's, carry their samples in a tensor (:class:`FeatureStream`).

How: frame ``i`` reads the padded samples ``[i * hop - left, i * hop - left + frame_length)`` of the
signal, where ``left`` is the centre padding (``n_fft // 2``) or Kaldi's ``frame_length // 2 -
frame_shift // 2`` (``snip_edges=False``). A push appends to a carried buffer, then runs the plan's
native op with ``centre=False`` on the stretch of samples that holds exactly the frames now complete.
Positions before 0 (and, at :meth:`~FeatureStream.flush`, after the end) are filled by the padding
rule: zeros, reflection (``x[-p]``, as ``pad_mode="reflect"``) or Kaldi's symmetric reflection
(``x[-p - 1]``). The carried state is only the samples not yet consumed (at most one frame plus one
push) and, for PCEN, the filter state: memory does not grow with the stream's length.
"""

from __future__ import annotations

import numpy as np
import torch

from ._extension import _C
from .errors import DimensionMismatchError, InvalidInputError, InvalidTypeError, SpectrogramError
from .inputs import _as_float, as_tensor
from .results import BinsByFrames, Chromagram, Mfcc, Spectrogram

__all__ = ["FeatureStream", "NativeFeatureStream", "StreamClosedError", "StreamFrames", "StreamSpectrogram",
           "StreamMfcc", "StreamChromagram", "plan_stream", "cqt_stream", "kaldi_fbank_stream", "kaldi_mfcc_stream"]

_PAD_MODES = ("constant", "reflect", "symmetric")


class StreamClosedError(SpectrogramError, RuntimeError):
    """A push or flush on a stream that was already flushed (call ``reset()`` to start a new signal)."""


class StreamFrames(BinsByFrames):
    """Frames a stream returned that have no richer result type (Kaldi features).

    Attributes:
        tensor: ``(..., n_bins, n_frames)``.
        first_frame: index of the first of these frames in the whole stream.
        times: seconds of each frame's centre, shape ``(n_frames,)``.
    """

    def __init__(self, tensor: torch.Tensor, first_frame: int, times: np.ndarray):
        super().__init__(tensor)
        self.first_frame = first_frame
        self.times = times



class FeatureStream:
    """A stateful extractor over one signal or a batch of signals advancing together.

    Built by ``plan.stream()`` (or :func:`kaldi_fbank_stream`); not constructed directly.

    Args:
        frame_length: samples per frame (``n_fft``).
        hop: samples between frame starts.
        left_pad: padded samples before sample 0 (the centre padding).
        pad_mode: ``"constant"`` (zeros), ``"reflect"`` or ``"symmetric"`` (Kaldi).
        count: the offline frame count for a signal of ``n`` samples (called at flush; may raise the
            offline entry point's error for a signal it refuses).
        compute: ``(..., m) padded samples -> (..., n_bins, frames)`` on frames starting every ``hop``
            samples with no padding; ``first_frame`` is passed too, for stateful kernels.
        wrap: ``(tensor, first_frame) -> result object``.
        state: an optional object with ``reset()``, for kernels that carry more than samples (PCEN).
    """

    def __init__(self, *, frame_length: int, hop: int, left_pad: int, pad_mode: str, count, compute, wrap,
                 n_bins: int, sample_rate: float, state=None):
        if pad_mode not in _PAD_MODES:
            raise InvalidInputError(f"pad_mode must be one of {_PAD_MODES}, got {pad_mode!r}")
        self.frame_length, self.hop, self.left_pad, self.pad_mode = frame_length, hop, left_pad, pad_mode
        self.n_bins, self.sample_rate = n_bins, sample_rate
        self._count, self._compute, self._wrap, self._state = count, compute, wrap, state
        # samples a reflection needs before frame 0 can be made: x[left] (reflect) or x[left - 1]
        self._first_needs = max(frame_length - left_pad,
                                left_pad + 1 if pad_mode == "reflect" and left_pad else left_pad)
        self.reset()

    # --- state ------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forgets the signal: the next push starts a new one (any dtype and batch size again)."""
        self._buffer: torch.Tensor | None = None   # (batch..., capacity); column 0 is sample _start
        self._start = 0          # signal position of the buffer's first column
        self._fill = 0           # valid columns in the buffer
        self._received = 0       # samples pushed so far
        self._next = 0           # index of the next frame to emit
        self._input_dtype: torch.dtype | None = None
        self._float_dtype: torch.dtype | None = None  # what the samples are computed in
        self._batch_shape: tuple[int, ...] | None = None
        self._closed = False
        if self._state is not None:
            self._state.reset()

    @property
    def frames_emitted(self) -> int:
        """Frames returned so far (by push and flush)."""
        return self._next

    @property
    def samples_received(self) -> int:
        return self._received

    @property
    def latency(self) -> int:
        """Samples that must arrive after a frame's centre before the frame is returned:
        ``frame_length - frame_length // 2`` (the wait for the next hop boundary comes on top)."""
        return self.frame_length - self.frame_length // 2

    @property
    def first_frame_samples(self) -> int:
        """Samples a new stream needs before it returns its first frame."""
        return self._first_needs

    @property
    def batch_shape(self) -> tuple[int, ...] | None:
        """The batch shape fixed by the first push (``()`` for one signal), None before it."""
        return self._batch_shape

    @property
    def carried_samples(self) -> int:
        """Samples held for frames not yet complete (bounded by about a frame plus one push)."""
        return self._fill

    # --- input --------------------------------------------------------------------------------------

    def _checked_chunk(self, samples) -> torch.Tensor:
        """``samples`` as a float tensor, after every check a push makes (naming what is wrong); the first
        push fixes the input dtype and the batch shape."""
        if self._closed:
            raise StreamClosedError("this stream was flushed; call reset() before pushing a new signal")
        raw = as_tensor(samples, "samples")
        if self._input_dtype is not None and raw.dtype != self._input_dtype:
            raise InvalidTypeError(f"samples has dtype {raw.dtype} but this stream started with "
                                   f"{self._input_dtype}; a stream keeps one dtype until reset()")
        chunk = _as_float(raw, "samples")
        if chunk.dim() not in (1, 2):
            raise InvalidInputError(f"samples must have shape (time,) or (batch, time), got {tuple(chunk.shape)}")
        if self._batch_shape is None:
            if chunk.dim() == 2 and chunk.shape[0] == 0:
                raise InvalidInputError(f"samples has an empty batch (shape {tuple(chunk.shape)})")
            self._input_dtype, self._float_dtype, self._batch_shape = raw.dtype, chunk.dtype, tuple(chunk.shape[:-1])
        elif tuple(chunk.shape[:-1]) != self._batch_shape:
            raise DimensionMismatchError(f"samples has batch shape {tuple(chunk.shape[:-1])} but this stream "
                                         f"started with {self._batch_shape}; a stream keeps one batch size until "
                                         "reset()")
        return chunk

    def _as_chunk(self, samples) -> torch.Tensor:
        chunk = self._checked_chunk(samples)
        if self._buffer is None:
            capacity = 4 * self.frame_length + 2 * chunk.shape[-1]
            self._buffer = chunk.new_empty((*chunk.shape[:-1], capacity))
        return chunk

    def _append(self, chunk: torch.Tensor) -> None:
        n = chunk.shape[-1]
        if self._fill + n > self._buffer.shape[-1]:
            self._compact(n)
        self._buffer[..., self._fill:self._fill + n].copy_(chunk)
        self._fill += n
        self._received += n

    def _compact(self, incoming: int) -> None:
        """Drops the columns no frame needs any more and makes room for ``incoming`` samples."""
        keep_from = self._keep_from()
        drop = keep_from - self._start
        kept = self._fill - drop
        needed = kept + incoming
        buffer = self._buffer
        if needed > buffer.shape[-1]:
            buffer = buffer.new_empty((*buffer.shape[:-1], 2 * needed + 2 * self.frame_length))
        buffer[..., :kept] = self._buffer[..., drop:self._fill].clone() if buffer is self._buffer else \
            self._buffer[..., drop:self._fill]
        self._buffer, self._start, self._fill = buffer, keep_from, kept

    def _keep_from(self) -> int:
        # The next frame's first sample, but also the last frame_length samples, which a reflection
        # at the end (flush) may read.
        next_start = self._next * self.hop - self.left_pad
        return max(0, self._start, min(next_start, self._received - self.frame_length))

    # --- frames -------------------------------------------------------------------------------------

    def _ready(self) -> int:
        """Frames complete now: every one whose last sample has arrived (and, for reflection, the
        samples mirrored into the left padding)."""
        if self._received < self._first_needs:
            return 0
        return max(0, (self._received + self.left_pad - self.frame_length) // self.hop + 1)

    def _segment(self, first: int, stop: int) -> torch.Tensor:
        """The padded samples of frames ``first`` to ``stop - 1``, shape ``(batch..., span)``."""
        low = first * self.hop - self.left_pad
        high = (stop - 1) * self.hop - self.left_pad + self.frame_length
        if low >= self._start and high <= self._received:
            return self._buffer[..., low - self._start:high - self._start]
        position = torch.arange(low, high)
        n = self._received
        if self.pad_mode == "reflect":
            index = torch.where(position < 0, -position, torch.where(position >= n, 2 * n - 2 - position, position))
        elif self.pad_mode == "symmetric":
            index = torch.where(position < 0, -position - 1,
                                torch.where(position >= n, 2 * n - 1 - position, position))
        else:
            index = position.clamp(0, n - 1)
        index = (index - self._start).clamp(0, self._fill - 1)
        segment = self._buffer.index_select(-1, index.to(self._buffer.device))
        if self.pad_mode == "constant":
            outside = ((position < 0) | (position >= n)).to(self._buffer.device)
            segment = segment.masked_fill(outside, 0.0)
        return segment

    def _emit(self, stop: int):
        first = self._next
        if stop <= first:
            return self._wrap(self._empty(), first)
        values = self._compute(self._segment(first, stop), first)
        self._next = stop
        return self._wrap(values, first)

    def _empty(self) -> torch.Tensor:
        return torch.empty((*(self._batch_shape or ()), self.n_bins, 0), dtype=self._float_dtype or torch.float32)

    def push(self, samples):
        """Appends samples and returns the frames that became complete.

        Args:
            samples: ``(time,)`` for one signal or ``(batch, time)`` for a batch of signals advancing
                together; any length, 0 included. NumPy, torch or a list; float32/float64 (or int PCM,
                scaled as everywhere in the library). The first push fixes the dtype and batch size.

        Returns:
            The plan's result object, shape ``(n_bins, new_frames)`` or ``(batch, n_bins, new_frames)``.

        Raises:
            StreamClosedError: the stream was flushed and not reset.
            InvalidTypeError: another dtype than the stream started with.
            DimensionMismatchError: another batch size than the stream started with.
        """
        chunk = self._as_chunk(samples)
        if chunk.shape[-1]:
            self._append(chunk)
        return self._emit(self._ready())

    def flush(self):
        """Returns the frames that need the end of the signal (right padding) and closes the stream.

        Raises:
            StreamClosedError: flushed twice without reset().
            InvalidInputError: a signal the offline plan refuses (e.g. too short for reflection).
        """
        if self._closed:
            raise StreamClosedError("this stream was already flushed; call reset() before using it again")
        total = self._count(self._received) if self._received else 0
        out = self._emit(total)
        self._closed = True
        return out

    def __repr__(self):
        return (f"{type(self).__name__}(frame_length={self.frame_length}, hop={self.hop}, "
                f"left_pad={self.left_pad}, pad_mode={self.pad_mode!r}, frames_emitted={self.frames_emitted})")


# --- plans ------------------------------------------------------------------------------------------


def _frame_times(first: int, count: int, hop: int, offset: float, sample_rate: float) -> np.ndarray:
    return ((first + np.arange(count)) * hop + offset) / sample_rate


def _stft_geometry(stft) -> dict:
    left = stft.n_fft // 2 if stft.centre else 0
    return dict(frame_length=stft.n_fft, hop=stft.hop_size, left_pad=left,
                pad_mode=stft.pad_mode if stft.centre else "constant")


class _StreamTimes:
    """Frame times counted from the start of the stream, made on first use (a warm push should not pay
    for an array nobody reads). The metadata (frequencies, params, scale, ...) is read from the
    stream's template result, so that making a result per push sets only its tensor and first frame."""

    first_frame = 0
    _times = None  # (on the class, not read from the template: each result has its own times)

    def __getattr__(self, name):
        template = self.__dict__.get("_template")
        if template is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(template, name)

    @property
    def times(self) -> np.ndarray:
        if self._times is None:
            self._times = _frame_times(self.first_frame, self.n_frames, self._time_hop, self._time_offset,
                                       self.spectrogram_params.sample_rate)
        return self._times


class StreamSpectrogram(_StreamTimes, Spectrogram):
    """A :class:`Spectrogram` of the frames one push or flush returned; ``first_frame`` is the index
    of the first of them in the whole stream, ``times`` count from the stream's start."""


class StreamMfcc(_StreamTimes, Mfcc):
    """An :class:`Mfcc` of the frames one push or flush returned (``first_frame``, ``times`` as
    :class:`StreamSpectrogram`)."""


class StreamChromagram(_StreamTimes, Chromagram):
    """A :class:`Chromagram` of the frames one push or flush returned (``first_frame``, ``times`` as
    :class:`StreamSpectrogram`)."""


def _native_stream(plan, dtype: torch.dtype):
    """The native stream state of a :class:`~spectrograms.planner.SpectrogramPlan` computing in ``dtype``,
    made from the plan's own window and filterbank in that dtype (the values offline uses)."""
    stft = plan.params.stft
    kwargs = plan._kwargs_for(torch.empty(0, dtype=dtype))
    crow, col, val = kwargs["filterbank"] if kwargs["filterbank"] is not None else (None, None, None)
    # The pybind11 binding of the native class, not torch.classes' ScriptObject: a ScriptObject method call
    # boxes its arguments and cost ~1.7 us more per push than the frame of a 10 ms push takes to compute.
    return _C.SpectrogramStream(
        kwargs["window"], stft.n_fft, stft.hop_size, stft.n_fft // 2 if stft.centre else 0,
        stft.centre and stft.pad_mode == "reflect", kwargs["power"] == 1.0, kwargs["floor_db"], crow, col, val)


class NativeFeatureStream(FeatureStream):
    """The stream of a plan whose frames come from the fused spectrogram kernel (every plan of the
    planner and :class:`~spectrograms.pcen.PcenPlan`); same interface as :class:`FeatureStream`.

    Args:
        plan: the :class:`~spectrograms.planner.SpectrogramPlan` whose frames the stream computes.
        template: a result object with no frames (``(..., n_bins, 0)``) whose metadata each returned
            result copies.
        post: ``(frames, first_frame) -> features`` applied to the spectrogram frames of each push (the
            DCT of MFCC, chroma normalisation, PCEN), or None.
        n_bins: rows of the features (after ``post``).
        state: an optional object with ``reset()`` for what ``post`` carries (PCEN's filter state).
    """

    def __init__(self, plan, *, template, n_bins: int, post=None, state=None):
        stft = plan.params.stft
        self._plan, self._template, self._post = plan, template, post
        self._result_type = type(template)
        self._natives: dict = {}
        self._native = None
        self._fast_dtype = None
        super().__init__(**_stft_geometry(stft), count=stft.n_frames, compute=None, wrap=None, n_bins=n_bins,
                         sample_rate=plan.params.sample_rate, state=state)

    def reset(self) -> None:
        """Forgets the signal: the next push starts a new one (any dtype and batch size again)."""
        if getattr(self, "_native", None) is not None:
            self._native.reset()
        self._native = None
        self._fast_dtype = None   # the dtype a bare tensor may be pushed in without Python's checks
        super().reset()

    @property
    def carried_samples(self) -> int:
        return 0 if self._native is None else self._native.counters()[2]

    @property
    def buffer_capacity(self) -> int:
        """Columns of the native buffer of carried samples (grows only to about a frame plus two pushes)."""
        return 0 if self._native is None else self._native.counters()[3]

    @property
    def samples_received(self) -> int:
        return 0 if self._native is None else self._native.counters()[0]

    def push(self, samples):
        # The warm path: a few attribute reads, one native call, the result object; nothing else.
        if type(samples) is torch.Tensor and samples.dtype is self._fast_dtype and not samples.requires_grad:
            try:
                values = self._native_push(samples)
            except Exception as error:  # noqa: BLE001  (the checked path says what was wrong)
                return self._push_failed(samples, error)
            if self._post is None:
                first = self._next
                self._next = first + values.shape[-1]
                result = self._result_type.__new__(self._result_type)
                result.tensor, result.first_frame, result._template = values, first, self._template
                return result
        else:
            values = self._checked_push(samples)
        first = self._next
        self._next = first + values.shape[-1]
        return self._result(values, first)

    def _checked_push(self, samples) -> torch.Tensor:
        chunk = self._checked_chunk(samples)
        if isinstance(samples, torch.Tensor) and samples.requires_grad and torch.is_grad_enabled():
            raise InvalidInputError("samples requires grad, but a stream computes features without autograd "
                                    "history; use the offline plan or layer for training (or push .detach())")
        if self._native is None:
            dtype = chunk.dtype
            if dtype not in self._natives:
                self._natives[dtype] = _native_stream(self._plan, dtype)
            self._native = self._natives[dtype]
            self._native_push = self._native.push  # a bound method is made per attribute lookup
            if self._input_dtype == dtype:
                self._fast_dtype = dtype
        try:
            return self._native.push(chunk)
        except Exception as error:  # noqa: BLE001  (the samples were appended; their frames were refused)
            raise InvalidInputError(str(error).split("\n")[0]) from None

    def _push_failed(self, samples, error):
        self._checked_chunk(samples)  # raises the named error for bad input, which the native call refused
        if samples.device.type != "cpu":
            raise InvalidInputError(f"samples is on {samples.device}; streams run on the CPU") from None
        raise InvalidInputError(str(error).split("\n")[0]) from None

    def _result(self, values: torch.Tensor, first: int):
        if self._post is not None:
            values = self._post(values, first) if values.shape[-1] else \
                values.new_empty((*values.shape[:-2], self.n_bins, 0))
        result = self._result_type.__new__(self._result_type)
        if isinstance(result, _StreamTimes):
            result.tensor, result.first_frame, result._template = values, first, self._template
        else:
            result.__dict__.update(self._template.__dict__)
            result.tensor, result.first_frame = values, first
        return result

    def flush(self):
        """Returns the frames that need the end of the signal (right padding) and closes the stream.

        Raises:
            StreamClosedError: flushed twice without reset().
            InvalidInputError: a signal the offline plan refuses (e.g. too short for reflection).
        """
        if self._closed:
            raise StreamClosedError("this stream was already flushed; call reset() before using it again")
        received = self.samples_received
        total = self._count(received) if received else 0
        first = self._next
        if self._native is None or total <= first:
            values = self._empty() if self._native is None else self._native.emit(first)
        else:
            try:
                values = self._native.emit(total)
            except Exception as error:  # noqa: BLE001
                raise InvalidInputError(str(error).split("\n")[0]) from None
        self._next = max(first, total)
        self._closed, self._fast_dtype = True, None
        return self._result(values, first)


def _template(cls, *args, hop, offset, **kwargs):
    template = cls(*args, **kwargs)
    template._time_hop, template._time_offset = hop, offset
    return template


def _offset(stft) -> float:
    return 0  # as SpectrogramParams.frame_times: i * hop / sample_rate, centred or not


def spectrogram_stream(plan) -> NativeFeatureStream:
    """The stream of a :class:`~spectrograms.planner.SpectrogramPlan`: results are :class:`StreamSpectrogram`."""
    params, stft = plan.params, plan.params.stft
    template = _template(StreamSpectrogram, torch.empty(plan.n_bins, 0), plan.frequencies, None, params,
                         hop=stft.hop_size, offset=_offset(stft), scale=plan.scale,
                         frequency_scale=plan.filterbank.name if plan.filterbank is not None else "linear",
                         band_params=plan.filterbank.params if plan.filterbank is not None else None,
                         db_params=plan.db_params)
    post = (lambda power, first: power.sqrt()) if plan.magnitude_from_power else None
    return NativeFeatureStream(plan, template=template, n_bins=plan.n_bins, post=post)


def mfcc_stream(plan) -> NativeFeatureStream:
    """The stream of an :class:`~spectrograms.planner.MfccPlan`: results are :class:`StreamMfcc`."""
    params, stft = plan.params, plan.params.stft
    template = _template(StreamMfcc, torch.empty(plan.n_mfcc, 0), None, params, plan.mel_params, plan.mfcc_params,
                         plan.db_params, hop=stft.hop_size, offset=_offset(stft))

    def dct(mel_db, first):
        return torch.matmul(plan.basis(mel_db.dtype, mel_db.device), mel_db)

    return NativeFeatureStream(plan.mel_plan, template=template, n_bins=plan.n_mfcc, post=dct)


def chromagram_stream(plan) -> NativeFeatureStream:
    """The stream of a :class:`~spectrograms.planner.ChromagramPlan`: results are :class:`StreamChromagram`."""
    from .planner import normalize_frames

    params, stft = plan.params, plan.params.stft
    template = _template(StreamChromagram, torch.empty(plan.n_chroma, 0), plan.spectrum_plan.frequencies, None, params,
                         plan.chroma_params, hop=stft.hop_size, offset=_offset(stft))
    norm = plan.chroma_params.norm
    return NativeFeatureStream(plan.spectrum_plan, template=template, n_bins=plan.n_chroma,
                               post=lambda bands, first: normalize_frames(bands, norm))


def cqt_stream(plan) -> FeatureStream:
    """The stream of a :class:`~spectrograms.cqt.CqtPlan` (zero centre padding, as the seed frames the
    CQT): the plan's blocked kernel products on the samples of the ready frames; results are
    :class:`StreamSpectrogram`."""
    from .cqt import cqt_tensor

    params, stft = plan.params, plan.params.stft
    floor_db = plan.db_params.floor_db if plan.db_params is not None else None
    template = _template(StreamSpectrogram, torch.empty(plan.n_bins, 0), plan.frequencies, None, params,
                         hop=stft.hop_size, offset=_offset(stft), scale=plan.scale, frequency_scale="cqt",
                         band_params=plan.cqt_params, db_params=plan.db_params)

    def compute(segment, first):
        if plan._dtype is not None:
            segment = segment.to(plan._dtype)
        if not bool(torch.isfinite(segment).all()):
            raise InvalidInputError("samples must be finite; the signal has NaN or Inf values")
        return cqt_tensor(segment, plan.kernels(segment.dtype, segment.device), plan._blocks, stft.n_fft,
                          stft.hop_size, False, plan.scale, floor_db)

    def wrap(tensor, first):
        result = StreamSpectrogram.__new__(StreamSpectrogram)
        result.tensor, result.first_frame, result._template = tensor, first, template
        return result

    return FeatureStream(frame_length=stft.n_fft, hop=stft.hop_size, left_pad=stft.n_fft // 2 if stft.centre else 0,
                         pad_mode="constant", count=stft.n_frames, compute=compute, wrap=wrap, n_bins=plan.n_bins,
                         sample_rate=params.sample_rate)


def plan_stream(plan) -> FeatureStream:
    """``plan.stream()`` for any plan of the planner (and :class:`~spectrograms.pcen.PcenPlan`)."""
    from .planner import ChromagramPlan, MfccPlan, SpectrogramPlan

    if isinstance(plan, SpectrogramPlan):
        return spectrogram_stream(plan)
    if isinstance(plan, MfccPlan):
        return mfcc_stream(plan)
    if isinstance(plan, ChromagramPlan):
        return chromagram_stream(plan)
    from .cqt import CqtPlan

    if isinstance(plan, CqtPlan):
        return cqt_stream(plan)
    if hasattr(plan, "_make_stream"):
        return plan._make_stream()
    raise InvalidTypeError(f"plan must be a plan of SpectrogramPlanner or a PcenPlan, got {type(plan).__name__}")


from .stream_kaldi import kaldi_fbank_stream, kaldi_mfcc_stream  # noqa: E402  (they build on FeatureStream)
