"""torchaudio.functional's effects: ``phase_vocoder``, ``pitch_shift``, ``speed`` and ``add_noise``.

Each takes the arguments of its ``torchaudio.functional`` namesake, in the same order and with the
same defaults, and returns torchaudio 2.11's values (float32 within 1e-5 of the output's peak, float64
within 1e-10; tests/test_effects.py). Resampling is :func:`spectrograms.functional.resample` (the
native polyphase kernel on CPU); pitch_shift's STFTs are torch's (``_stretch`` says why).
Shapes: waveforms ``(..., time)``, complex spectrograms ``(..., freq, frames)``.
"""

from __future__ import annotations

import math

import torch

from ._validate import finite_float, positive_float, positive_int
from .errors import DimensionMismatchError, InvalidInputError, InvalidTypeError

__all__ = ["phase_vocoder", "pitch_shift", "speed", "add_noise"]

# Refused before allocating: a stretched spectrogram beyond this many elements (16 GiB of complex64)
# comes from a rate near 0, not from audio.
_MAX_STRETCHED_ELEMENTS = 2**31
_MAX_OCTAVES = 10


def _real_tensor(name: str, value) -> torch.Tensor:
    from .functional import _float_tensor

    return _float_tensor(name, value)


def phase_vocoder(complex_specgrams: torch.Tensor, rate: float, phase_advance: torch.Tensor) -> torch.Tensor:
    """Speeds a complex STFT up by ``rate`` without changing its pitch, as ``torchaudio.functional.phase_vocoder``.

    Output frame ``i`` sits at input time ``i * rate``: its magnitude interpolates linearly between the
    two input frames around it, and its phase is the first frame's phase plus the running sum (one
    ``cumsum`` over all frames) of each step's phase advance, the expected ``phase_advance`` corrected
    by the measured deviation wrapped to ``[-pi, pi]``.

    Args:
        complex_specgrams: complex ``(..., freq, frames)``.
        rate: speed-up factor (> 0; 1 returns the input itself).
        phase_advance: expected phase advance per hop in each bin, ``(freq, 1)``
            (``linspace(0, pi * hop_length, freq)[..., None]``).

    Returns:
        complex ``(..., freq, ceil(frames / rate))``, the input's dtype. Differentiable.
    """
    if not isinstance(complex_specgrams, torch.Tensor) or not complex_specgrams.is_complex():
        raise InvalidTypeError("complex_specgrams must be a complex tensor (a complex STFT), got "
                               f"{getattr(complex_specgrams, 'dtype', type(complex_specgrams).__name__)}")
    rate = positive_float("rate", rate)
    if complex_specgrams.dim() < 2:
        raise InvalidInputError(f"complex_specgrams must have shape (..., freq, frames), got "
                                f"{tuple(complex_specgrams.shape)}")
    phase_advance = _real_tensor("phase_advance", phase_advance)
    if rate == 1.0:
        return complex_specgrams
    shape = complex_specgrams.shape
    n_freq, n_frames = shape[-2], shape[-1]
    if phase_advance.shape not in ((n_freq, 1), (1, 1), (1,), ()):
        raise InvalidInputError(f"phase_advance must have shape (freq={n_freq}, 1), got {tuple(phase_advance.shape)}")
    n_out = math.ceil(n_frames / rate)
    if n_out * complex_specgrams.numel() // max(n_frames, 1) > _MAX_STRETCHED_ELEMENTS:
        raise InvalidInputError(f"rate={rate} stretches {n_frames} frames to {n_out}, beyond "
                                f"{_MAX_STRETCHED_ELEMENTS} elements in all; use a larger rate")
    specs = complex_specgrams.reshape(-1, n_freq, n_frames)
    real_dtype = specs.real.dtype
    # torch.arange with a float step, as torchaudio computes the positions (so the frame indices and
    # interpolation weights agree with it to the last bit)
    positions = torch.arange(0, n_frames, rate, device=specs.device, dtype=real_dtype)
    alphas = positions % 1.0
    index = positions.long()
    # Two zero frames past the end: the last positions read one or two frames beyond the input.
    padded = torch.nn.functional.pad(specs, [0, 2])
    both = padded.index_select(-1, torch.cat((index, index + 1)))
    norms, angles = both.abs(), both.angle()
    norm_0, norm_1 = norms[..., :n_out], norms[..., n_out:]
    advance = phase_advance.to(real_dtype)
    deviation = angles[..., n_out:] - angles[..., :n_out] - advance
    deviation = deviation - 2 * math.pi * torch.round(deviation / (2 * math.pi))
    steps = deviation + advance
    # Output frame i's phase: the first input frame's, plus the advances of steps 0 .. i-1.
    phase = torch.cumsum(torch.cat((specs[..., :1].angle(), steps[..., :-1]), dim=-1), dim=-1)
    magnitude = alphas * norm_1 + (1 - alphas) * norm_0
    return torch.polar(magnitude, phase).reshape(*shape[:-1], n_out)


def _stretch(waveform: torch.Tensor, rate: float, n_fft: int, win_length: int, hop_length: int,
             window: torch.Tensor) -> torch.Tensor:
    """The waveform stretched in time by ``1 / rate`` (STFT, phase vocoder, inverse STFT), ``(batch, time')``.

    The STFTs here are ATen's ``torch.stft``/``torch.istft``, not the FFTW ops: the phase vocoder sums
    each bin's phase steps over all frames, and in silence (speech pauses, digital zeros) a bin of ~1e-17
    has a phase set by the FFT's rounding alone, so after the first pause every later frame's phase
    depends on which FFT computed the pause. Another FFT of equal accuracy gives a different, equally
    valid output (0.6 of the peak away on the espeak speech); only torch's FFT reproduces torchaudio's.
    """
    length = waveform.shape[-1]
    window = window.to(device=waveform.device)
    spec = torch.stft(waveform, n_fft, hop_length, win_length, window, center=True, pad_mode="reflect",
                      normalized=False, onesided=True, return_complex=True)
    n_freq = spec.shape[-2]
    phase_advance = torch.linspace(0, math.pi * hop_length, n_freq, device=spec.device, dtype=waveform.dtype)
    stretched = phase_vocoder(spec, rate, phase_advance[..., None])
    return torch.istft(stretched, n_fft, hop_length, win_length, window, length=int(round(length / rate)))


def _fit_length(waveform: torch.Tensor, length: int) -> torch.Tensor:
    if waveform.shape[-1] >= length:
        return waveform[..., :length]
    return torch.nn.functional.pad(waveform, [0, length - waveform.shape[-1]])


def _pitch_framing(n_fft, win_length, hop_length):
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    if win_length > n_fft:
        raise InvalidInputError(f"win_length must be in [1, n_fft={n_fft}], got {win_length}")
    hop_length = win_length // 4 if hop_length is None else positive_int("hop_length", hop_length)
    if hop_length == 0:
        raise InvalidInputError(f"hop_length defaults to win_length // 4, which is 0 for win_length={win_length}; "
                                "pass a hop_length")
    return n_fft, win_length, hop_length


def pitch_shift_rates(sample_rate: int, n_steps: float, bins_per_octave: int) -> tuple[float, int]:
    """``(rate, orig_freq)``: the stretch factor ``2 ** (-n_steps / bins_per_octave)`` and the rate the
    stretched waveform is resampled from (``int(sample_rate / rate)``, to ``sample_rate``), as torchaudio."""
    from .functional import _integer_rate

    sample_rate = _integer_rate("sample_rate", sample_rate)
    n_steps = finite_float("n_steps", n_steps)
    bins_per_octave = positive_int("bins_per_octave", bins_per_octave)
    # Beyond 10 octaves either way the stretched signal or the resampling kernel is gigabytes for a
    # second of audio (torchaudio runs out of memory there).
    if abs(n_steps / bins_per_octave) > _MAX_OCTAVES:
        raise InvalidInputError(f"n_steps / bins_per_octave must be within +-{_MAX_OCTAVES} octaves, got "
                                f"n_steps={n_steps}, bins_per_octave={bins_per_octave}")
    rate = 2.0 ** (-n_steps / bins_per_octave)
    orig_freq = int(sample_rate / rate)
    if orig_freq <= 0:
        raise InvalidInputError(f"n_steps={n_steps} with bins_per_octave={bins_per_octave} lowers {sample_rate} Hz "
                                f"to int({sample_rate} * {rate:g}) = 0 Hz; shift by less or give a higher sample_rate")
    return rate, orig_freq


def pitch_shift(waveform: torch.Tensor, sample_rate: int, n_steps: float, bins_per_octave: int = 12,
                n_fft: int = 512, win_length: int | None = None, hop_length: int | None = None,
                window: torch.Tensor | None = None) -> torch.Tensor:
    """Shifts the pitch by ``n_steps`` steps of ``1 / bins_per_octave`` octave, as ``torchaudio.functional.pitch_shift``.

    The waveform is stretched in time by ``1 / rate`` with ``rate = 2 ** (-n_steps / bins_per_octave)``
    (STFT centred with reflect padding, :func:`phase_vocoder`, inverse STFT), resampled from
    ``int(sample_rate / rate)`` to ``sample_rate`` Hz and cut or zero-padded to the input's length.

    In the input's dtype, as torchaudio: float32 phase vocoding is ill-conditioned (the accumulated
    phases reach ``pi * hop_length * frames`` radians, where a float32 ulp is ~1e-3 rad), so float32
    results of torchaudio and ours are both ~1e-3 of the peak away from the float64 result; use float64
    input for accurate shifts.

    Args:
        waveform: float ``(..., time)``.
        sample_rate: its rate in Hz. n_steps: steps to shift (fractional allowed, negative lowers).
        bins_per_octave: steps per octave (12). n_fft: FFT size (512).
        win_length: window length (``n_fft``). hop_length: hop (``win_length // 4``).
        window: ``(win_length,)`` (``torch.hann_window(win_length)``).

    Returns:
        ``(..., time)`` in the input's dtype. Differentiable with respect to ``waveform``.
    """
    from .functional import resample

    waveform = _real_tensor("waveform", waveform)
    rate, orig_freq = pitch_shift_rates(sample_rate, n_steps, bins_per_octave)
    framing = _pitch_framing(n_fft, win_length, hop_length)
    return _pitch_shift(waveform, rate, framing, window, lambda x: resample(x, orig_freq, int(sample_rate)))


def _pitch_shift(waveform: torch.Tensor, rate: float, framing: tuple[int, int, int], window: torch.Tensor | None,
                 resampler) -> torch.Tensor:
    """pitch_shift after validation; ``resampler`` maps the stretched ``(batch, time')`` back to the rate."""
    n_fft, win_length, hop_length = framing
    compute = waveform.float() if waveform.dtype in (torch.float16, torch.bfloat16) else waveform
    if window is None:
        window = torch.hann_window(win_length, device=waveform.device, dtype=compute.dtype)
    window = window.to(compute.dtype)
    shape = compute.shape
    flat = compute.reshape(-1, shape[-1])
    stretched = _stretch(flat, rate, n_fft, win_length, hop_length, window)
    shifted = stretched if rate == 1.0 else resampler(stretched)
    return _fit_length(shifted, shape[-1]).reshape(shape).to(waveform.dtype)


def speed_rates(orig_freq: int, factor: float) -> tuple[int, int]:
    """``(source, target)``: ``int(factor * orig_freq)`` and ``orig_freq`` divided by their gcd, as torchaudio."""
    orig = positive_float("orig_freq", orig_freq)
    factor = positive_float("factor", factor)
    source, target = int(factor * orig), int(orig)
    if source <= 0 or target <= 0:
        raise InvalidInputError(f"factor={factor} with orig_freq={orig_freq} gives a source rate of {source} Hz; "
                                "both int(factor * orig_freq) and orig_freq must be positive")
    gcd = math.gcd(source, target)
    return source // gcd, target // gcd


def speed(waveform: torch.Tensor, orig_freq: int, factor: float,
          lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Plays the waveform ``factor`` times faster (pitch moves with it), as ``torchaudio.functional.speed``.

    Resamples from ``int(factor * orig_freq)`` to ``orig_freq`` Hz (rates divided by their gcd).

    Args:
        waveform: float ``(..., time)``. orig_freq: its rate in Hz. factor: > 1 shortens, < 1 lengthens.
        lengths: valid samples of each signal, ``(...)``, or None.

    Returns:
        ``(waveform', lengths')``: ``(..., ceil(time / factor'))`` with ``factor'`` the exact rate
        ratio, and ``ceil(lengths * target / source)`` in ``lengths``' dtype (None without ``lengths``).
    """
    from .functional import resample

    waveform = _real_tensor("waveform", waveform)
    source, target = speed_rates(orig_freq, factor)
    out_lengths = None
    if lengths is not None:
        if not isinstance(lengths, torch.Tensor):
            raise InvalidTypeError(f"lengths must be a torch.Tensor or None, got {type(lengths).__name__}")
        out_lengths = torch.ceil(lengths * target / source).to(lengths.dtype)
    return resample(waveform, source, target), out_lengths


def add_noise(waveform: torch.Tensor, noise: torch.Tensor, snr: torch.Tensor,
              lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Adds ``noise`` scaled to a signal-to-noise ratio of ``snr`` dB, as ``torchaudio.functional.add_noise``.

    ``y = x + a * n`` with ``a = sqrt(|x|^2 / |n|^2 * 10 ** (-snr / 10))``, the energies summed over the
    first ``lengths`` samples of each signal (all of them without ``lengths``); leading singleton
    dimensions broadcast as in torchaudio.

    Args:
        waveform: float ``(..., L)``. noise: float ``(..., L)``. snr: dB, ``(...)``.
        lengths: valid samples, ``(...)``, or None.

    Returns:
        ``(..., L)``. Differentiable with respect to all three tensors.
    """
    waveform, noise = _real_tensor("waveform", waveform), _real_tensor("noise", noise)
    if not isinstance(snr, torch.Tensor):
        raise InvalidTypeError(f"snr must be a torch.Tensor of dB values with shape (...), got {type(snr).__name__}")
    if lengths is not None and not isinstance(lengths, torch.Tensor):
        raise InvalidTypeError(f"lengths must be a torch.Tensor or None, got {type(lengths).__name__}")
    if not (waveform.dim() - 1 == noise.dim() - 1 == snr.dim() and (lengths is None or lengths.dim() == snr.dim())):
        raise DimensionMismatchError(
            "waveform (..., L), noise (..., L), snr (...) and lengths (...) must have matching leading "
            f"dimensions, got waveform {tuple(waveform.shape)}, noise {tuple(noise.shape)}, snr {tuple(snr.shape)}"
            + ("" if lengths is None else f", lengths {tuple(lengths.shape)}"))
    n = waveform.shape[-1]
    if noise.shape[-1] != n:
        raise DimensionMismatchError(f"waveform and noise must have the same length, got {n} and {noise.shape[-1]}")
    if lengths is not None:
        valid = torch.arange(n, device=lengths.device).expand(waveform.shape) < lengths.unsqueeze(-1)
        signal_part, noise_part = waveform * valid, noise * valid
    else:
        signal_part, noise_part = waveform, noise
    energy_signal = torch.linalg.vector_norm(signal_part, ord=2, dim=-1) ** 2
    energy_noise = torch.linalg.vector_norm(noise_part, ord=2, dim=-1) ** 2
    # the ratio in dB, as torchaudio forms it (its rounding, and its inf/NaN for silent noise)
    current_snr = 10 * (torch.log10(energy_signal) - torch.log10(energy_noise))
    scale = 10 ** ((current_snr - snr) / 20.0)
    return waveform + scale.unsqueeze(-1) * noise
