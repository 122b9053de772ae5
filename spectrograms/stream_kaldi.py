"""Kaldi's online front-end: :func:`kaldi_fbank_stream` and :func:`kaldi_mfcc_stream`, streams whose
concatenated output equals :func:`spectrograms.compliance.kaldi.fbank` / ``mfcc`` on the whole signal
(transposed to the library's ``(..., bins, frames)``), for ``snip_edges`` true and false, as
kaldi-native-fbank's ``OnlineFbank`` / ``OnlineMfcc`` give them.

Every step of Kaldi's pipeline after framing (dither, DC removal, energy, pre-emphasis, window, FFT, mel,
log, DCT) works on one frame at a time, so a stream frames the carried samples itself (Kaldi's symmetric
reflection at the edges for ``snip_edges=False``) and runs the batched compliance functions with
``snip_edges=True`` on exactly the frames that became complete.
"""

from __future__ import annotations

from .compliance import kaldi
from .errors import InvalidInputError
from .stream import FeatureStream, StreamFrames, _frame_times

__all__ = ["kaldi_fbank_stream", "kaldi_mfcc_stream"]


def _kaldi_stream(name, defaults, batch_function, n_bins_of, options) -> FeatureStream:
    options = kaldi._options(name, defaults, options)
    if options["subtract_mean"]:
        raise InvalidInputError("subtract_mean=True needs the whole signal's mean, which a stream cannot know "
                                "before the end; use subtract_mean=False (or a running CMN after the stream)")
    if kaldi._number("min_duration", options["min_duration"]) != 0.0:
        raise InvalidInputError(f"min_duration={options['min_duration']} decides from the whole length whether "
                                "there are frames at all, which a stream cannot know; use min_duration=0")
    shift, size, _ = kaldi._framing(options["sample_frequency"], options["frame_shift"], options["frame_length"],
                                    options["round_to_power_of_two"], options["preemphasis_coefficient"],
                                    options["window_type"])
    snip_edges = bool(options["snip_edges"])
    frame_options = dict(options, snip_edges=True)
    n_bins = n_bins_of(options)
    sample_rate = float(options["sample_frequency"])

    def count(n):
        if n < size:
            raise InvalidInputError(f"the stream has {n} samples, fewer than one frame of {size} samples "
                                    "(frame_length); the offline front-end refuses such a signal too")
        return 1 + (n - size) // shift if snip_edges else (n + shift // 2) // shift

    def compute(segment, first):
        batch = segment.reshape(-1, segment.shape[-1])
        features, _ = batch_function(batch, **frame_options)
        return features.transpose(1, 2).reshape(*segment.shape[:-1], n_bins, features.shape[1])

    # Kaldi's frame i covers [i * shift - left, ... + size): centred on i * shift + shift / 2 without snipping.
    left = 0 if snip_edges else size // 2 - shift // 2
    offset = size / 2 if snip_edges else shift / 2

    def wrap(tensor, first):
        return StreamFrames(tensor, first, _frame_times(first, tensor.shape[-1], shift, offset, sample_rate))

    return FeatureStream(frame_length=size, hop=shift, left_pad=left, pad_mode="symmetric", count=count,
                         compute=compute, wrap=wrap, n_bins=n_bins, sample_rate=sample_rate)


def kaldi_fbank_stream(**options) -> FeatureStream:
    """An online Kaldi fbank: ``push`` returns ``(..., num_mel_bins (+1 with use_energy), new_frames)``.

    Takes :func:`spectrograms.compliance.kaldi.fbank`'s keywords (same defaults) except ``channel``;
    ``subtract_mean`` and ``min_duration`` need the whole signal and are refused.
    """
    return _kaldi_stream("kaldi_fbank_stream", kaldi._FBANK_OPTIONS, kaldi.fbank_batch,
                         lambda o: int(o["num_mel_bins"]) + bool(o["use_energy"]), options)


def kaldi_mfcc_stream(**options) -> FeatureStream:
    """An online Kaldi MFCC: ``push`` returns ``(..., num_ceps, new_frames)``; keywords of
    :func:`spectrograms.compliance.kaldi.mfcc` (same defaults) except ``channel``."""
    return _kaldi_stream("kaldi_mfcc_stream", kaldi._MFCC_OPTIONS, kaldi.mfcc_batch,
                         lambda o: int(o["num_ceps"]), options)


