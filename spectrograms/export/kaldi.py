"""Kaldi's fbank, MFCC and spectrogram in plain torch ops, for the layers of
:mod:`spectrograms.nn.frontends` while ``torch.onnx.export`` or ``torch.export`` traces them.

The eager layers call the fused ``spectrograms::kaldi_frames_features`` kernel, whose output frame count
is read from the per-item lengths (a value, not a shape), so the exporters cannot trace it with a
dynamic time axis. A whole waveform (no ``lengths``) has ``1 + (T - size) // shift`` frames (or
``(T + shift // 2) // shift`` without ``snip_edges``), a function of the shape alone: this module
computes exactly that case with the same steps as :mod:`spectrograms.compliance.kaldi` (framing,
DC removal, energy, pre-emphasis, window, power spectrum, mel bank, log, DCT and lifter, mean
subtraction), in float64 like the kernel's ``wide`` mode, rounding only the output. The DFT is the
two-product Cooley-Tukey form of :mod:`spectrograms.export.portable` (matrix products every ONNX
runtime has). The window, the bank and the DCT are built once, outside the tracer's fake-tensor and proxy modes,
as constants: their checks read values (an empty mel filter is refused), which a tracer cannot do.

Not exportable: ``dither != 0`` (random noise, whose values no exported graph can reproduce; deployed
front-ends use 0) and the batched ``forward(waveform, lengths)`` form (its frame count is the longest
item's, a value).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import unset_fake_temporarily
from torch.fx.experimental.proxy_tensor import disable_proxy_modes_tracing

from ..compliance import kaldi as _kaldi
from ..compliance.kaldi_banks import _integer, _number, get_mel_banks
from ..errors import InvalidInputError
from ..filterbanks import dct_matrix
from .portable import _dft_power_layout

_EPSILON = torch.finfo(torch.float32).eps


@lru_cache(maxsize=32)
def _constants(kind: str, items: tuple) -> dict:
    """Window, mel bank and DCT for these options (float64, CPU), built outside any fake-tensor mode."""
    options = dict(items)
    # Real tensors, not recorded in the graph (some window functions have no ONNX translation).
    with unset_fake_temporarily(), disable_proxy_modes_tracing():
        shift, size, padded = _kaldi._framing(options["sample_frequency"], options["frame_shift"],
                                              options["frame_length"], options["round_to_power_of_two"],
                                              options["preemphasis_coefficient"], options["window_type"])
        # The window in float32 first, as the kernel takes it (torchaudio's float32 values), then widened.
        window = _kaldi._window(options["window_type"], size, _number("blackman_coeff", options["blackman_coeff"]),
                                torch.float32, "cpu").double()
        out = dict(shift=shift, size=size, padded=padded, window=window)
        if kind in ("fbank", "mfcc"):
            out["bank"] = get_mel_banks(options["num_mel_bins"], padded, float(options["sample_frequency"]),
                                        options["low_freq"], options["high_freq"], options["vtln_low"],
                                        options["vtln_high"], options["vtln_warp"])[0].double()
        if kind == "mfcc":
            num_ceps = _integer("num_ceps", options["num_ceps"], 1)
            basis = dct_matrix(num_ceps, out["bank"].shape[0], torch.float64)
            lifter = _number("cepstral_lifter", options["cepstral_lifter"])
            if lifter != 0.0:
                basis = basis * (1.0 + 0.5 * lifter * torch.sin(
                    math.pi * torch.arange(num_ceps, dtype=torch.float64) / lifter))[:, None]
            out["dct"] = basis
    return out


def _frames(signal: torch.Tensor, size: int, shift: int, snip_edges: bool) -> torch.Tensor:
    """``(frames, size)`` from ``(T,)``: the frame count follows from the shape alone. Two dimensions,
    not ``(1, frames, size)``: the products after this fold a ``(1, frames)`` batch into one dimension,
    a reshape whose divisibility guards on the frame count ``torch.export`` cannot prove for a dynamic
    time axis."""
    length = signal.shape[-1]
    if snip_edges:
        return signal.unfold(-1, size, shift)  # 1 + (T - size) // shift frames, no slice (no shape guard)
    n_frames = (length + shift // 2) // shift
    span = (n_frames - 1) * shift + size
    # Reflected at both ends with the end samples repeated, as Kaldi (and compliance.kaldi._frames).
    position = torch.arange(span, device=signal.device) - (size // 2 - shift // 2)
    index = torch.where(position < 0, -position - 1, torch.where(position >= length, 2 * length - 1 - position,
                                                                 position)).clamp(min=0, max=length - 1)
    return signal[index].unfold(-1, size, shift)


def kaldi_features(kind: str, waveform: torch.Tensor, channel: int, options: dict) -> torch.Tensor:
    """``compliance.kaldi.<kind>(waveform, channel=channel, **options)`` in plain torch ops: ``(frames, bins)``.

    Args:
        kind: ``"fbank"``, ``"mfcc"`` or ``"spectrogram"``.
        waveform: float32/float64 ``(time,)`` or ``(channels, time)``.
        channel, options: the layer's (torchaudio's keywords, ``channel`` apart).
    """
    if float(options["dither"]) != 0.0:
        raise InvalidInputError(f"dither={options['dither']} cannot be exported: an exported graph cannot reproduce "
                                "its random noise; build the deployed layer with dither=0.0")
    signal = _kaldi._select_channel(waveform, channel)
    const = _constants(kind, tuple(sorted(options.items())))
    shift, size, padded = const["shift"], const["size"], const["padded"]
    frames = _frames(signal[0].double(), size, shift, bool(options["snip_edges"]))
    energy_floor = _number("energy_floor", options["energy_floor"])
    if options["remove_dc_offset"]:
        frames = frames - frames.mean(-1, keepdim=True)
    if options["raw_energy"]:
        energy = _kaldi._log_energy(frames, energy_floor)
    coefficient = float(options["preemphasis_coefficient"])
    if coefficient != 0.0:
        frames = frames - coefficient * torch.cat((frames[..., :1], frames[..., :-1]), dim=-1)
    frames = frames * const["window"].to(frames.device)
    if not options["raw_energy"]:
        energy = _kaldi._log_energy(frames, energy_floor)
    real, imag, bins = _dft_power_layout(F.pad(frames, (0, padded - size)), padded)
    order = torch.argsort(bins)[:padded // 2 + 1]
    power = (real * real + imag * imag)[..., order]  # bins 0 .. padded // 2, in order
    if kind == "spectrogram":
        features = torch.cat((energy[..., None], power[..., 1:].clamp(min=_EPSILON).log()), dim=-1)
    else:
        spectrum = power[..., :-1] if options.get("use_power", True) else power[..., :-1].sqrt()
        features = spectrum @ const["bank"].to(frames.device).T
        if options.get("use_log_fbank", True):
            features = features.clamp(min=_EPSILON).log()
        if kind == "mfcc":
            features = features @ const["dct"].to(frames.device).T
            if options["use_energy"]:
                features = torch.cat((energy[..., None], features[..., 1:]), dim=-1)
            if options["htk_compat"]:
                c0 = features[..., :1] if options["use_energy"] else features[..., :1] * math.sqrt(2.0)
                features = torch.cat((features[..., 1:], c0), dim=-1)
        elif options["use_energy"]:
            parts = (features, energy[..., None]) if options["htk_compat"] else (energy[..., None], features)
            features = torch.cat(parts, dim=-1)
    if options["subtract_mean"]:
        features = features - features.mean(0, keepdim=True)
    return features.to(waveform.dtype)
