"""Kaldi's fbank, MFCC and spectrogram features with ``torchaudio.compliance.kaldi``'s signatures,
defaults, shapes ``(frames, bins)`` and values, plus batched forms.

Every step runs on all frames of all items at once: frames are a strided view of the (reflected, for
``snip_edges=False``) signal, then dither, DC removal, energy, pre-emphasis, window, FFT, mel filters,
log and mean subtraction are each one tensor operation. Works on any device torch runs on and is
differentiable (except through ``dither``'s noise).

Two departures, both toward Kaldi itself: bad options raise :class:`~spectrograms.errors.InvalidInputError`
naming the option (torchaudio asserts), and a mel filter that no FFT bin falls into is an error
(Kaldi's ``MelBanks`` refuses it; torchaudio silently returns ``log(eps)`` for that bin).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..errors import InvalidInputError, InvalidTypeError
from ..filterbanks import dct_matrix
from . import kaldi_native
from .kaldi_banks import _integer, _number, get_mel_banks, inverse_mel_scale, mel_scale  # noqa: F401

__all__ = [
    "fbank",
    "mfcc",
    "spectrogram",
    "fbank_batch",
    "mfcc_batch",
    "spectrogram_batch",
    "get_mel_banks",
    "mel_scale",
    "inverse_mel_scale",
    "WINDOW_TYPES",
]

WINDOW_TYPES = ("hamming", "hanning", "povey", "rectangular", "blackman")
# Kaldi floors spectra and energies at float's machine epsilon whatever the precision of the data.
_EPSILON = torch.finfo(torch.float32).eps


def _framing(sample_frequency, frame_shift, frame_length, round_to_power_of_two, preemphasis_coefficient,
             window_type):
    """Checks the framing options; returns ``(shift, size, padded_size)`` in samples."""
    sample_frequency = _number("sample_frequency", sample_frequency)
    if sample_frequency <= 0:
        raise InvalidInputError(f"sample_frequency must be > 0 Hz, got {sample_frequency}")
    shift = int(sample_frequency * _number("frame_shift", frame_shift) * 0.001)
    size = int(sample_frequency * _number("frame_length", frame_length) * 0.001)
    if shift <= 0:
        raise InvalidInputError(f"frame_shift={frame_shift} ms is shorter than one sample at {sample_frequency} Hz; "
                                f"it must be at least {1000.0 / sample_frequency:g} ms")
    if size < 2:
        raise InvalidInputError(f"frame_length={frame_length} ms gives {size} samples at {sample_frequency} Hz; "
                                f"a frame needs at least 2 samples ({2000.0 / sample_frequency:g} ms)")
    padded = 1 << (size - 1).bit_length() if round_to_power_of_two else size
    if padded % 2:
        raise InvalidInputError(f"frame_length={frame_length} ms gives an odd FFT size {padded}; use "
                                "round_to_power_of_two=True or a frame_length of an even number of samples")
    coefficient = _number("preemphasis_coefficient", preemphasis_coefficient)
    if not 0.0 <= coefficient <= 1.0:
        raise InvalidInputError(f"preemphasis_coefficient must be in [0, 1], got {coefficient}")
    if window_type not in WINDOW_TYPES:
        raise InvalidInputError(f"window_type must be one of {', '.join(WINDOW_TYPES)}; got {window_type!r}")
    return shift, size, padded


def _window(window_type: str, size: int, blackman_coeff: float, dtype, device) -> torch.Tensor:
    """Kaldi's symmetric frame windows, built in the signal's dtype with torch's window functions.

    Building them in the working precision (not in float64 and rounded) keeps float32 frames bitwise
    equal to torchaudio's: a bin far below its frame's energy is ill-conditioned in float32 (its log
    moves by ~1e-3 for a 1-ulp change of the window), and torchaudio is the reference.
    """
    if window_type == "rectangular":
        return torch.ones(size, dtype=dtype, device=device)
    if window_type == "blackman":
        phase = (2.0 * math.pi / (size - 1)) * torch.arange(size, dtype=dtype, device=device)
        return blackman_coeff - 0.5 * torch.cos(phase) + (0.5 - blackman_coeff) * torch.cos(2.0 * phase)
    if window_type == "hamming":
        return torch.hamming_window(size, periodic=False, alpha=0.54, beta=0.46, dtype=dtype, device=device)
    window = torch.hann_window(size, periodic=False, dtype=dtype, device=device)
    # Dan Povey's window: a Hann raised to 0.85, so it falls to zero less steeply at the edges.
    return window.pow(0.85) if window_type == "povey" else window


# --- Framing and the shared front half ------------------------------------------------------------


def _as_batch(waveforms, lengths, name="waveforms", check_finite=True):
    if not isinstance(waveforms, torch.Tensor):
        raise InvalidTypeError(f"{name} must be a torch.Tensor, got {type(waveforms).__name__}")
    if waveforms.dtype not in (torch.float32, torch.float64):
        raise InvalidTypeError(f"{name} must be float32 or float64, got {waveforms.dtype}")
    if waveforms.dim() != 2:
        raise InvalidInputError(f"{name} must have shape (batch, time), got {tuple(waveforms.shape)}")
    if check_finite and not bool(torch.isfinite(waveforms).all()):  # torchaudio returns NaN features; Kaldi refuses the file
        raise InvalidInputError(f"{name} contains NaN or Inf samples; clean it, e.g. with torch.nan_to_num, first")
    if lengths is None:
        lengths = torch.full((waveforms.shape[0],), waveforms.shape[1], dtype=torch.long)
    else:
        lengths = torch.as_tensor(lengths)
        if lengths.dtype.is_floating_point or lengths.dtype.is_complex or lengths.dtype == torch.bool:
            raise InvalidTypeError(f"lengths must hold integers, got {lengths.dtype}")
        lengths = lengths.to(torch.long).flatten()
        if lengths.numel() != waveforms.shape[0]:
            raise InvalidInputError(f"lengths has {lengths.numel()} entries for a batch of {waveforms.shape[0]}")
        if lengths.numel() and (int(lengths.min()) < 0 or int(lengths.max()) > waveforms.shape[1]):
            raise InvalidInputError(f"lengths must lie in [0, {waveforms.shape[1]}] (the time axis), got "
                                    f"{lengths.tolist()}")
    return waveforms, lengths.to(waveforms.device)


def _select_channel(waveform, channel):
    """torchaudio's convention: ``(channels, time)`` and a channel index (negative means 0); a 1-D
    signal is taken as one channel."""
    if not isinstance(waveform, torch.Tensor):
        raise InvalidTypeError(f"waveform must be a torch.Tensor, got {type(waveform).__name__}")
    if waveform.dim() == 1:
        waveform = waveform[None]
    if waveform.dim() != 2:
        raise InvalidInputError(f"waveform must have shape (channels, time) or (time,), got {tuple(waveform.shape)}")
    channel = max(_integer("channel", channel, -(2**62)), 0)
    if channel >= waveform.shape[0]:
        raise InvalidInputError(f"channel={channel} is out of range for a waveform of {waveform.shape[0]} channels")
    return waveform[channel:channel + 1]


def _frame_counts(lengths, size, shift, snip_edges, min_samples):
    """Frames per item: those that fit with ``snip_edges``, else ``round(length / shift)``; none for an
    item shorter than ``min_samples``."""
    too_short = lengths < size
    if bool(too_short.any()):
        item = int(torch.nonzero(too_short).flatten()[0])
        raise InvalidInputError(f"item {item} has {int(lengths[item])} samples, fewer than one frame of {size} "
                                "samples (frame_length); pad it or use a shorter frame_length")
    counts = 1 + (lengths - size) // shift if snip_edges else (lengths + shift // 2) // shift
    return torch.where(lengths < min_samples, 0, counts)


def _frames(signal, lengths, size, shift, snip_edges, min_samples):
    """All frames of all items: ``(batch, frames, size)`` and the per-item frame counts.

    ``snip_edges`` keeps only frames that fit; otherwise there are ``round(length / shift)`` frames
    over the item reflected at both ends (the first and last samples repeated, as Kaldi does), built by
    gathering each item's own reflected index map once.
    """
    counts = _frame_counts(lengths, size, shift, snip_edges, min_samples)
    n_frames = int(counts.max()) if counts.numel() else 0
    span = (n_frames - 1) * shift + size if n_frames else size
    if snip_edges:
        source = signal[:, :span]
    else:
        pad = size // 2 - shift // 2
        position = torch.arange(span, device=signal.device)[None, :] - pad
        last = lengths[:, None]
        index = torch.where(position < 0, -position - 1, torch.where(position >= last, 2 * last - 1 - position,
                                                                     position))
        source = signal.gather(1, index.clamp(min=0).minimum((last - 1).clamp(min=0)))
    if source.shape[1] < span:  # no frames at all but a width to unfold
        source = torch.nn.functional.pad(source, (0, span - source.shape[1]))
    return source.unfold(-1, size, shift)[:, :n_frames], counts


def _log_energy(frames, energy_floor):
    energy = frames.square().sum(-1).clamp(min=_EPSILON).log()
    return energy.clamp(min=math.log(energy_floor)) if energy_floor != 0.0 else energy


def _frame_settings(sample_frequency, frame_shift, frame_length, round_to_power_of_two, preemphasis_coefficient,
                    window_type, dither, energy_floor, min_duration):
    shift, size, padded = _framing(sample_frequency, frame_shift, frame_length, round_to_power_of_two,
                                   preemphasis_coefficient, window_type)
    energy_floor = _number("energy_floor", energy_floor)
    if energy_floor < 0:
        raise InvalidInputError(f"energy_floor must be >= 0 (0 for no floor), got {energy_floor}")
    min_samples = _number("min_duration", min_duration) * float(sample_frequency)
    return shift, size, padded, _number("dither", dither), energy_floor, min_samples


@lru_cache(maxsize=32)
def _native_window(window_type, size, blackman_coeff, dtype, wide):
    # Built in the signal's dtype, as torchaudio builds it, then widened exactly for a wide kernel.
    window = _window(window_type, size, blackman_coeff, dtype, "cpu")
    return window.double() if wide else window


@lru_cache(maxsize=32)
def _native_bank(num_mel_bins, padded, sample_frequency, low_freq, high_freq, vtln_low, vtln_high, vtln_warp, dtype):
    banks, _ = get_mel_banks(num_mel_bins, padded, sample_frequency, low_freq, high_freq, vtln_low, vtln_high,
                             vtln_warp)
    return kaldi_native.bank_rows(banks, dtype)


def _native(signal, lengths, generator, options, out_dtype=None, **layout):
    """The fused CPU kernel (kaldi_native.py) on the frame options: ``(features, log_energy, counts,
    padded)``; ``layout`` is the kernel's bank and output-column keywords.

    float32 signals are worked in float64 (the kernel's ``wide``), rounding only the features to
    float32. Single FFT bins far below their frame's energy and cepstra (the lifter multiplies by up to
    1 + L / 2) are ill-conditioned in float32, where torchaudio's own float32 result is up to 2e-3
    from the exact one, and float32 mel energies at 80 bins reach 1e-3 from it (tests/compliance/test_kaldi.py); worked in
    float64 the kernel gives the exact value for about 25% more time than float32 (600 s fbank). The
    window keeps the float32 values torchaudio multiplies by.

    ``out_dtype=torch.float64`` for a float32 signal: the features of ``signal.double()`` (float64 window,
    float64 output), without that float64 copy of the signal (widening a float32 sample is exact).
    """
    shift, size, padded, dither, energy_floor, min_samples = _frame_settings(
        options["sample_frequency"], options["frame_shift"], options["frame_length"],
        options["round_to_power_of_two"], options["preemphasis_coefficient"], options["window_type"],
        options["dither"], options["energy_floor"], options["min_duration"])
    counts = _frame_counts(lengths, size, shift, options["snip_edges"], min_samples)
    wide = signal.dtype == torch.float32
    as_float64 = wide and out_dtype == torch.float64
    window = _native_window(options["window_type"], size, _number("blackman_coeff", options["blackman_coeff"]),
                            torch.float64 if as_float64 else signal.dtype, wide)
    if callable(layout.get("n_cols")):
        layout["n_cols"] = layout["n_cols"](padded)
    features, energy = kaldi_native.frames_features(
        signal, lengths, counts, window, shift=shift, padded=padded, snip_edges=bool(options["snip_edges"]),
        remove_dc_offset=bool(options["remove_dc_offset"]),
        preemphasis_coefficient=float(options["preemphasis_coefficient"]), raw_energy=bool(options["raw_energy"]),
        energy_floor=energy_floor, dither=dither, generator=generator, wide=wide,
        out_dtype=torch.float64 if as_float64 else None, **layout)
    return features, energy, counts, padded


def _windowed(signal, lengths, *, blackman_coeff, dither, energy_floor, frame_length, frame_shift, min_duration,
              preemphasis_coefficient, raw_energy, remove_dc_offset, round_to_power_of_two, sample_frequency,
              snip_edges, window_type, generator):
    """Frames, dithers, removes DC, measures energy, pre-emphasises and windows every frame at once.

    Returns ``(frames (batch, frames, padded), log_energy (batch, frames), counts, padded)``.
    """
    shift, size, padded, dither, energy_floor, min_samples = _frame_settings(
        sample_frequency, frame_shift, frame_length, round_to_power_of_two, preemphasis_coefficient, window_type,
        dither, energy_floor, min_duration)
    frames, counts = _frames(signal, lengths, size, shift, snip_edges, min_samples)
    if dither != 0.0:
        frames = frames + dither * torch.randn(frames.shape, generator=generator, dtype=frames.dtype,
                                               device=frames.device)
    if remove_dc_offset:
        frames = frames - frames.mean(-1, keepdim=True)
    if raw_energy:
        energy = _log_energy(frames, energy_floor)
    if preemphasis_coefficient != 0.0:
        # Kaldi's per-frame pre-emphasis: the first sample is its own predecessor.
        previous = torch.cat((frames[..., :1], frames[..., :-1]), dim=-1)
        frames = frames - float(preemphasis_coefficient) * previous
    frames = frames * _window(window_type, size, float(blackman_coeff), frames.dtype, frames.device)
    if not raw_energy:
        energy = _log_energy(frames, energy_floor)
    return frames, energy, counts, padded


def _finish(features, counts, subtract_mean, native=False):
    """Zeroes the padding frames and, for ``subtract_mean``, removes each item's mean over its own frames.

    ``native``: the fused kernel made ``features``; it has refused non-finite values and zeroed the
    padding frames already.
    """
    if native and not subtract_mean:
        return features
    if not native and not torch.compiler.is_compiling() and not bool(torch.isfinite(features).all()):
        # Finite input whose frame energies overflow (float32 samples near 1e19 and above): refused
        # rather than returned as inf/NaN features.
        raise InvalidInputError(f"the waveform is too loud for {features.dtype}: its frame energies leave the "
                                "range of the dtype; scale it down or pass it as float64")
    valid = (torch.arange(features.shape[1], device=features.device)[None, :] < counts[:, None])[..., None]
    features = features * valid
    if subtract_mean:
        mean = features.sum(1, keepdim=True) / counts.clamp(min=1)[:, None, None].to(features.dtype)
        features = (features - mean) * valid
    return features


def _power_spectrum(frames, padded):
    spectrum = torch.fft.rfft(frames, n=padded)
    return spectrum.real.square() + spectrum.imag.square()


# --- Batched forms: (batch, time) + lengths -> (batch, frames, bins) + frame counts ----------------

_FRAME_OPTIONS = dict(blackman_coeff=0.42, dither=0.0, energy_floor=1.0, frame_length=25.0, frame_shift=10.0,
                      min_duration=0.0, preemphasis_coefficient=0.97, raw_energy=True, remove_dc_offset=True,
                      round_to_power_of_two=True, sample_frequency=16000.0, snip_edges=True, window_type="povey")
_SPECTROGRAM_OPTIONS = dict(_FRAME_OPTIONS, subtract_mean=False)
_FBANK_OPTIONS = dict(_SPECTROGRAM_OPTIONS, high_freq=0.0, htk_compat=False, low_freq=20.0, num_mel_bins=23,
                      use_energy=False, use_log_fbank=True, use_power=True, vtln_high=-500.0, vtln_low=100.0,
                      vtln_warp=1.0)
_MFCC_OPTIONS = dict(_FBANK_OPTIONS, cepstral_lifter=22.0, num_ceps=13)
for _name in ("use_log_fbank", "use_power"):
    del _MFCC_OPTIONS[_name]


def _options(function_name, defaults, given):
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise InvalidTypeError(f"{function_name} got unknown option(s) {', '.join(unknown)}; "
                               f"it takes {', '.join(sorted(defaults))}")
    return {**defaults, **given}


def _frame_option_subset(options):
    return {name: options[name] for name in _FRAME_OPTIONS}


def spectrogram_batch(waveforms: torch.Tensor, lengths=None, *, generator: torch.Generator | None = None,
                      **options) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`spectrogram` over a batch in one pass.

    Args:
        waveforms: float32/float64, shape ``(batch, time)``; item ``i`` is ``waveforms[i, :lengths[i]]``.
        lengths: per-item sample counts, shape ``(batch,)``; default all ``time``.
        generator: torch random generator for ``dither``.
        **options: :func:`spectrogram`'s keywords except ``channel`` (same defaults).

    Returns:
        ``(features, frame_lengths)``: shape ``(batch, frames, padded_window // 2 + 1)`` (frames past an
        item's own count are 0) and ``(batch,)`` int64; ``features[i, :frame_lengths[i]]`` equals
        ``spectrogram(waveforms[i:i+1, :lengths[i]], **options)``.
    """
    options = _options("spectrogram_batch", _SPECTROGRAM_OPTIONS, options)
    # The fused kernel checks the samples in its own pass (a separate isfinite pass costs as much as it).
    signal, lengths = _as_batch(waveforms, lengths, check_finite=not kaldi_native.native_allowed(waveforms))
    if kaldi_native.native_allowed(signal):  # Kaldi puts log energy in bin 0: the kernel writes it there
        features, _, counts, _ = _native(signal, lengths, generator, options, n_cols=lambda padded: padded // 2 + 1,
                                         energy_col=0)
        return _finish(features, counts, options["subtract_mean"], native=True), counts
    frames, energy, counts, padded = _windowed(signal, lengths, generator=generator,
                                               **_frame_option_subset(options))
    features = _power_spectrum(frames, padded).clamp(min=_EPSILON).log()
    features = torch.cat((energy[..., None], features[..., 1:]), dim=-1)
    return _finish(features, counts, options["subtract_mean"]), counts


def _log_mel(signal, lengths, generator, options, use_power, use_log_fbank, out_dtype=None):
    """The fbank pipeline without energy columns or mean subtraction: ``(log_mel, energy, counts)``."""
    def banks_for(padded):
        return get_mel_banks(options["num_mel_bins"], padded, float(options["sample_frequency"]),
                             options["low_freq"], options["high_freq"], options["vtln_low"], options["vtln_high"],
                             options["vtln_warp"])[0]

    if kaldi_native.native_allowed(signal):
        shift, size, padded = _framing(options["sample_frequency"], options["frame_shift"], options["frame_length"],
                                       options["round_to_power_of_two"], options["preemphasis_coefficient"],
                                       options["window_type"])
        bank = _native_bank(_integer("num_mel_bins", options["num_mel_bins"], 4), padded,
                            *(_number(name, options[name]) for name in ("sample_frequency", "low_freq", "high_freq",
                                                                         "vtln_low", "vtln_high", "vtln_warp")),
                            torch.float64)  # the kernel works in float64 (see _native)
        mel, energy, counts, _ = _native(signal, lengths, generator, options, out_dtype, bank=bank,
                                         use_power=use_power, use_log=use_log_fbank, n_cols=bank[0].shape[0])
        return mel, energy, counts
    if out_dtype == torch.float64:  # the torch path computes float64 features from float64 samples
        signal = signal.double()
    frames, energy, counts, padded = _windowed(signal, lengths, generator=generator,
                                               **_frame_option_subset(options))
    banks = banks_for(padded)
    spectrum = _power_spectrum(frames, padded)[..., :-1]  # the Nyquist bin has no weight in Kaldi's banks
    if not use_power:
        spectrum = spectrum.sqrt()
    mel = spectrum @ banks.to(dtype=signal.dtype, device=signal.device).T
    if use_log_fbank:
        mel = mel.clamp(min=_EPSILON).log()
    return mel, energy, counts


def fbank_batch(waveforms: torch.Tensor, lengths=None, *, generator: torch.Generator | None = None,
                dtype: torch.dtype | None = None, **options) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`fbank` over a batch in one pass.

    Args:
        waveforms: float32/float64, shape ``(batch, time)``; item ``i`` is ``waveforms[i, :lengths[i]]``.
        lengths: per-item sample counts, shape ``(batch,)``; default all ``time``.
        generator: torch random generator for ``dither``.
        dtype: the features' dtype: None (the waveforms'), or ``torch.float64``, which gives float32
            waveforms' features as those of ``waveforms.double()`` without copying them to float64.
        **options: :func:`fbank`'s keywords except ``channel`` (same defaults).

    Returns:
        ``(features, frame_lengths)``: shape ``(batch, frames, num_mel_bins + use_energy)`` (frames past
        an item's own count are 0) and ``(batch,)`` int64; ``features[i, :frame_lengths[i]]`` equals
        ``fbank(waveforms[i:i+1, :lengths[i]], **options)``.
    """
    options = _options("fbank_batch", _FBANK_OPTIONS, options)
    # The fused kernel checks the samples in its own pass (a separate isfinite pass costs as much as it).
    signal, lengths = _as_batch(waveforms, lengths, check_finite=not kaldi_native.native_allowed(waveforms))
    if dtype is not None and dtype not in (signal.dtype, torch.float64):
        raise InvalidInputError(f"dtype must be None, the waveforms' {signal.dtype} or torch.float64, got {dtype!r}")
    mel, energy, counts = _log_mel(signal, lengths, generator, options, options["use_power"],
                                   options["use_log_fbank"], dtype)
    if options["use_energy"]:
        parts = (mel, energy[..., None]) if options["htk_compat"] else (energy[..., None], mel)
        mel = torch.cat(parts, dim=-1)
    return _finish(mel, counts, options["subtract_mean"], native=kaldi_native.native_allowed(signal)), counts


def mfcc_batch(waveforms: torch.Tensor, lengths=None, *, generator: torch.Generator | None = None,
               **options) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`mfcc` over a batch in one pass.

    Args:
        waveforms: float32/float64, shape ``(batch, time)``; item ``i`` is ``waveforms[i, :lengths[i]]``.
        lengths: per-item sample counts, shape ``(batch,)``; default all ``time``.
        generator: torch random generator for ``dither``.
        **options: :func:`mfcc`'s keywords except ``channel`` (same defaults).

    Returns:
        ``(features, frame_lengths)``: shape ``(batch, frames, num_ceps)`` (frames past an item's own
        count are 0) and ``(batch,)`` int64.
    """
    options = _options("mfcc_batch", _MFCC_OPTIONS, options)
    num_ceps = _integer("num_ceps", options["num_ceps"], 1)
    num_mel_bins = _integer("num_mel_bins", options["num_mel_bins"], 4)
    if num_ceps > num_mel_bins:
        raise InvalidInputError(f"num_ceps={num_ceps} must be at most num_mel_bins={num_mel_bins}")
    # The fused kernel checks the samples in its own pass (a separate isfinite pass costs as much as it).
    signal, lengths = _as_batch(waveforms, lengths, check_finite=not kaldi_native.native_allowed(waveforms))
    mel, energy, counts = _log_mel(signal, lengths, generator, options, True, True)
    basis = dct_matrix(num_ceps, num_mel_bins, torch.float64)  # orthonormal; row 0 is sqrt(1 / num_mel_bins)
    lifter = _number("cepstral_lifter", options["cepstral_lifter"])
    if lifter != 0.0:
        basis = basis * (1.0 + 0.5 * lifter * torch.sin(math.pi * torch.arange(num_ceps, dtype=torch.float64)
                                                         / lifter))[:, None]
    cepstra = mel @ basis.to(dtype=signal.dtype, device=signal.device).T
    if options["use_energy"]:
        cepstra = torch.cat((energy[..., None], cepstra[..., 1:]), dim=-1)
    if options["htk_compat"]:
        # HTK puts C0 (or the energy) last; without energy, C0 loses the DCT's sqrt(1/2) row scale.
        c0 = cepstra[..., :1] if options["use_energy"] else cepstra[..., :1] * math.sqrt(2.0)
        cepstra = torch.cat((cepstra[..., 1:], c0), dim=-1)
    return _finish(cepstra, counts, options["subtract_mean"], native=kaldi_native.native_allowed(signal)), counts


# --- torchaudio.compliance.kaldi's functions --------------------------------------------------------


def _single(batch_function, waveform, channel, generator, options):
    signal = _select_channel(waveform, channel)
    if signal.dtype not in (torch.float32, torch.float64):
        raise InvalidTypeError(f"waveform must be float32 or float64, got {signal.dtype}")
    _framing(options["sample_frequency"], options["frame_shift"], options["frame_length"],
             options["round_to_power_of_two"], options["preemphasis_coefficient"], options["window_type"])
    if signal.shape[1] < _number("min_duration", options["min_duration"]) * options["sample_frequency"]:
        return signal.new_empty(0)  # torchaudio's answer for a segment shorter than min_duration
    features, _ = batch_function(signal, generator=generator, **options)
    return features[0]


def spectrogram(waveform: torch.Tensor, blackman_coeff: float = 0.42, channel: int = -1, dither: float = 0.0,
                energy_floor: float = 1.0, frame_length: float = 25.0, frame_shift: float = 10.0,
                min_duration: float = 0.0, preemphasis_coefficient: float = 0.97, raw_energy: bool = True,
                remove_dc_offset: bool = True, round_to_power_of_two: bool = True,
                sample_frequency: float = 16000.0, snip_edges: bool = True, subtract_mean: bool = False,
                window_type: str = "povey", *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Kaldi's log power spectrogram (``compute-spectrogram-feats``), as ``torchaudio.compliance.kaldi``.

    Args:
        waveform: float32/float64, shape ``(channels, time)`` (or ``(time,)``).
        channel: channel to use; negative means 0.
        generator: torch random generator for ``dither`` (an addition to torchaudio's signature).
        Other arguments: as torchaudio and Kaldi (frame lengths in ms, frequencies in Hz).

    Returns:
        Shape ``(frames, padded_window // 2 + 1)``; column 0 holds the frame's log energy. An empty
        tensor when the signal is shorter than ``min_duration`` seconds.

    Raises:
        InvalidInputError: an option out of range (the message names it) or a signal shorter than a frame.
        InvalidTypeError: a non-tensor or non-float signal.
    """
    options = dict(blackman_coeff=blackman_coeff, dither=dither, energy_floor=energy_floor,
                   frame_length=frame_length, frame_shift=frame_shift, min_duration=min_duration,
                   preemphasis_coefficient=preemphasis_coefficient, raw_energy=raw_energy,
                   remove_dc_offset=remove_dc_offset, round_to_power_of_two=round_to_power_of_two,
                   sample_frequency=sample_frequency, snip_edges=snip_edges, subtract_mean=subtract_mean,
                   window_type=window_type)
    return _single(spectrogram_batch, waveform, channel, generator, options)


def fbank(waveform: torch.Tensor, blackman_coeff: float = 0.42, channel: int = -1, dither: float = 0.0,
          energy_floor: float = 1.0, frame_length: float = 25.0, frame_shift: float = 10.0, high_freq: float = 0.0,
          htk_compat: bool = False, low_freq: float = 20.0, min_duration: float = 0.0, num_mel_bins: int = 23,
          preemphasis_coefficient: float = 0.97, raw_energy: bool = True, remove_dc_offset: bool = True,
          round_to_power_of_two: bool = True, sample_frequency: float = 16000.0, snip_edges: bool = True,
          subtract_mean: bool = False, use_energy: bool = False, use_log_fbank: bool = True, use_power: bool = True,
          vtln_high: float = -500.0, vtln_low: float = 100.0, vtln_warp: float = 1.0, window_type: str = "povey",
          *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Kaldi's log mel filterbank energies (``compute-fbank-feats``), as ``torchaudio.compliance.kaldi``.

    Args:
        waveform: float32/float64, shape ``(channels, time)`` (or ``(time,)``).
        channel: channel to use; negative means 0.
        generator: torch random generator for ``dither`` (an addition to torchaudio's signature).
        Other arguments: as torchaudio and Kaldi (frame lengths in ms, frequencies in Hz; ``high_freq``
            and ``vtln_high`` <= 0 / < 0 are offsets from Nyquist).

    Returns:
        Shape ``(frames, num_mel_bins + use_energy)`` (energy first, or last with ``htk_compat``). An
        empty tensor when the signal is shorter than ``min_duration`` seconds.

    Raises:
        InvalidInputError: an option out of range (the message names it), a signal shorter than a frame,
            or more mel bins than the FFT resolves.
        InvalidTypeError: a non-tensor or non-float signal.
    """
    options = dict(blackman_coeff=blackman_coeff, dither=dither, energy_floor=energy_floor,
                   frame_length=frame_length, frame_shift=frame_shift, high_freq=high_freq, htk_compat=htk_compat,
                   low_freq=low_freq, min_duration=min_duration, num_mel_bins=num_mel_bins,
                   preemphasis_coefficient=preemphasis_coefficient, raw_energy=raw_energy,
                   remove_dc_offset=remove_dc_offset, round_to_power_of_two=round_to_power_of_two,
                   sample_frequency=sample_frequency, snip_edges=snip_edges, subtract_mean=subtract_mean,
                   use_energy=use_energy, use_log_fbank=use_log_fbank, use_power=use_power, vtln_high=vtln_high,
                   vtln_low=vtln_low, vtln_warp=vtln_warp, window_type=window_type)
    return _single(fbank_batch, waveform, channel, generator, options)


def mfcc(waveform: torch.Tensor, blackman_coeff: float = 0.42, cepstral_lifter: float = 22.0, channel: int = -1,
         dither: float = 0.0, energy_floor: float = 1.0, frame_length: float = 25.0, frame_shift: float = 10.0,
         high_freq: float = 0.0, htk_compat: bool = False, low_freq: float = 20.0, num_ceps: int = 13,
         min_duration: float = 0.0, num_mel_bins: int = 23, preemphasis_coefficient: float = 0.97,
         raw_energy: bool = True, remove_dc_offset: bool = True, round_to_power_of_two: bool = True,
         sample_frequency: float = 16000.0, snip_edges: bool = True, subtract_mean: bool = False,
         use_energy: bool = False, vtln_high: float = -500.0, vtln_low: float = 100.0, vtln_warp: float = 1.0,
         window_type: str = "povey", *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Kaldi's MFCCs (``compute-mfcc-feats``), as ``torchaudio.compliance.kaldi``.

    Args:
        waveform: float32/float64, shape ``(channels, time)`` (or ``(time,)``).
        channel: channel to use; negative means 0.
        generator: torch random generator for ``dither`` (an addition to torchaudio's signature).
        Other arguments: as torchaudio and Kaldi.

    Returns:
        Shape ``(frames, num_ceps)`` (C0 or energy first; last with ``htk_compat``). An empty tensor when
        the signal is shorter than ``min_duration`` seconds.

    Raises:
        InvalidInputError: an option out of range (the message names it), ``num_ceps > num_mel_bins``,
            or a signal shorter than a frame.
        InvalidTypeError: a non-tensor or non-float signal.
    """
    options = dict(blackman_coeff=blackman_coeff, cepstral_lifter=cepstral_lifter, dither=dither,
                   energy_floor=energy_floor, frame_length=frame_length, frame_shift=frame_shift,
                   high_freq=high_freq, htk_compat=htk_compat, low_freq=low_freq, num_ceps=num_ceps,
                   min_duration=min_duration, num_mel_bins=num_mel_bins,
                   preemphasis_coefficient=preemphasis_coefficient, raw_energy=raw_energy,
                   remove_dc_offset=remove_dc_offset, round_to_power_of_two=round_to_power_of_two,
                   sample_frequency=sample_frequency, snip_edges=snip_edges, subtract_mean=subtract_mean,
                   use_energy=use_energy, vtln_high=vtln_high, vtln_low=vtln_low, vtln_warp=vtln_warp,
                   window_type=window_type)
    return _single(mfcc_batch, waveform, channel, generator, options)
