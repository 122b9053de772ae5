"""Fuzz targets of the front-end, compat, layer, data and tooling modules (see tests/fuzz_targets.py)."""

from __future__ import annotations

import sys

import numpy as np
import torch

import spectrograms as sg
from spectrograms import nn as snn
from tests.fuzz_targets import CSPEC, MEL, NOISE, P, SPEC, X, X2, Target, layer, method

Y = NOISE.astype(np.float64)
S_LIB = np.abs(np.random.default_rng(2).standard_normal((33, 40))) + 0.01  # librosa (bins, frames), n_fft=64


def captured(fn, trigger):
    """A valid call of an internal kernel entry, recorded while a public call runs it.

    The function is replaced wherever a spectrograms module holds it (``from .x import f`` copies the
    name), so the arguments recorded are exactly those the library passes.
    """
    calls = []

    def recorder(*args, **kwargs):
        calls.append((args, kwargs))
        return fn(*args, **kwargs)

    holders = [(module, name) for module in list(sys.modules.values())
               if getattr(module, "__name__", "").startswith("spectrograms")
               for name, value in list(vars(module).items()) if value is fn]
    for module, name in holders:
        setattr(module, name, recorder)
    try:
        trigger()
    finally:
        for module, name in holders:
            setattr(module, name, fn)
    args, kwargs = calls[0]
    return Target(fn, *args, **kwargs)


def _compat_targets():
    from spectrograms.compat import librosa as lr
    from spectrograms.compat.librosa import constantq, feature, filters, onset
    from spectrograms.compat.librosa.feature import inverse

    stft = lr.stft(Y, n_fft=64, hop_length=16)
    mfcc = feature.mfcc(y=Y, sr=16000, n_mfcc=8, n_fft=64, hop_length=16, n_mels=16)
    cqt = lr.cqt(Y, sr=16000, hop_length=256, fmin=200.0, n_bins=24)
    t = {
        lr.stft: Target(lr.stft, Y, n_fft=64, hop_length=16, window="hann", center=True),
        lr.istft: Target(lr.istft, stft, hop_length=16, n_fft=64, length=1600),
        lr.power_to_db: Target(lr.power_to_db, S_LIB, ref=1.0, amin=1e-10, top_db=80.0),
        lr.amplitude_to_db: Target(lr.amplitude_to_db, S_LIB, ref=np.max, amin=1e-5, top_db=80.0),
        lr.db_to_power: Target(lr.db_to_power, -S_LIB, ref=1.0),
        lr.db_to_amplitude: Target(lr.db_to_amplitude, -S_LIB, ref=1.0),
        lr.griffinlim: Target(lr.griffinlim, np.abs(stft), n_iter=4, hop_length=16, n_fft=64, momentum=0.99,
                              random_state=0),
        lr.hz_to_mel: Target(lr.hz_to_mel, np.array([0.0, 440.0]), htk=False),
        lr.mel_to_hz: Target(lr.mel_to_hz, np.array([0.0, 10.0]), htk=True),
        lr.hz_to_octs: Target(lr.hz_to_octs, np.array([55.0, 440.0]), tuning=0.0, bins_per_octave=12),
        lr.mel_frequencies: Target(lr.mel_frequencies, 16, fmin=0.0, fmax=8000.0),
        lr.fft_frequencies: Target(lr.fft_frequencies, sr=16000, n_fft=64),
        lr.resample: Target(lr.resample, Y, orig_sr=16000, target_sr=8000, res_type="polyphase"),
        lr.get_window: Target(lr.get_window, "hann", 64, fftbins=True),
        lr.cqt: Target(lr.cqt, Y, sr=16000, hop_length=256, fmin=200.0, n_bins=24, bins_per_octave=12),
        lr.vqt: Target(lr.vqt, Y, sr=16000, hop_length=256, fmin=200.0, n_bins=24, gamma=10.0),
        lr.icqt: Target(lr.icqt, cqt, sr=16000, hop_length=256, fmin=200.0, bins_per_octave=12, length=1600),
        constantq.chroma_cqt: Target(constantq.chroma_cqt, y=Y, sr=16000, hop_length=256, fmin=65.0, n_octaves=3),
        constantq.cqt_frequencies: Target(constantq.cqt_frequencies, 24, fmin=200.0, bins_per_octave=12),
        constantq.note_to_hz_c1: Target(constantq.note_to_hz_c1),
        feature.melspectrogram: Target(feature.melspectrogram, y=Y, sr=16000, n_fft=64, hop_length=16, n_mels=16),
        feature.mfcc: Target(feature.mfcc, y=Y, sr=16000, n_mfcc=8, n_fft=64, hop_length=16, n_mels=16, lifter=0),
        feature.chroma_stft: Target(feature.chroma_stft, y=Y, sr=16000, n_fft=256, hop_length=64),
        feature.spectral_centroid: Target(feature.spectral_centroid, y=Y, sr=16000, n_fft=64, hop_length=16),
        feature.spectral_bandwidth: Target(feature.spectral_bandwidth, y=Y, sr=16000, n_fft=64, hop_length=16, p=2),
        feature.spectral_rolloff: Target(feature.spectral_rolloff, y=Y, sr=16000, n_fft=64, hop_length=16,
                                         roll_percent=0.85),
        feature.spectral_flatness: Target(feature.spectral_flatness, y=Y, n_fft=64, hop_length=16, amin=1e-10),
        feature.spectral_contrast: Target(feature.spectral_contrast, y=Y, sr=16000, n_fft=256, hop_length=64,
                                          fmin=200.0, n_bands=4),
        feature.zero_crossing_rate: Target(feature.zero_crossing_rate, Y, frame_length=64, hop_length=16),
        feature.rms: Target(feature.rms, y=Y, frame_length=64, hop_length=16),
        feature.delta: Target(feature.delta, S_LIB, width=9, order=1, axis=-1, mode="interp"),
        inverse.mel_to_stft: Target(inverse.mel_to_stft, feature.melspectrogram(
            y=Y, sr=16000, n_fft=64, hop_length=16, n_mels=16), sr=16000, n_fft=64, power=2.0),
        inverse.mel_to_audio: Target(inverse.mel_to_audio, feature.melspectrogram(
            y=Y, sr=16000, n_fft=64, hop_length=16, n_mels=16), sr=16000, n_fft=64, hop_length=16, n_iter=4),
        inverse.mfcc_to_mel: Target(inverse.mfcc_to_mel, mfcc, n_mels=16, dct_type=2, ref=1.0),
        inverse.mfcc_to_audio: Target(inverse.mfcc_to_audio, mfcc, n_mels=16, sr=16000, n_fft=64, hop_length=16,
                                      n_iter=4),
        filters.mel: Target(filters.mel, sr=16000, n_fft=64, n_mels=16, fmin=0.0, fmax=None),
        filters.chroma: Target(filters.chroma, sr=16000, n_fft=256, n_chroma=12, tuning=0.0),
        onset.onset_strength: Target(onset.onset_strength, y=Y, sr=16000, lag=1, max_size=1, n_fft=64, hop_length=16),
    }
    return t


def _kaldi_targets():
    from spectrograms.compliance import kaldi, kaldi_native
    from spectrograms.ops import kaldi_kernel

    batch = X2.clone()
    lengths = torch.tensor([1600, 1200])
    t = {
        kaldi.fbank: Target(kaldi.fbank, X[None], num_mel_bins=23, frame_length=25.0, frame_shift=10.0, dither=0.0,
                            sample_frequency=16000.0, low_freq=20.0, high_freq=0.0, energy_floor=1.0),
        kaldi.mfcc: Target(kaldi.mfcc, X[None], num_ceps=13, num_mel_bins=23, cepstral_lifter=22.0,
                           sample_frequency=16000.0, frame_length=25.0, frame_shift=10.0),
        kaldi.spectrogram: Target(kaldi.spectrogram, X[None], frame_length=25.0, frame_shift=10.0,
                                  sample_frequency=16000.0, preemphasis_coefficient=0.97),
        kaldi.fbank_batch: Target(kaldi.fbank_batch, batch, lengths, num_mel_bins=23, sample_frequency=16000.0),
        kaldi.mfcc_batch: Target(kaldi.mfcc_batch, batch, lengths, num_ceps=13, num_mel_bins=23),
        kaldi.spectrogram_batch: Target(kaldi.spectrogram_batch, batch, lengths, frame_length=25.0),
        kaldi.get_mel_banks: Target(kaldi.get_mel_banks, 23, 512, 16000.0, 20.0, 0.0, 100.0, -500.0, 1.0),
        kaldi.mel_scale: Target(kaldi.mel_scale, torch.tensor([0.0, 440.0])),
        kaldi.inverse_mel_scale: Target(kaldi.inverse_mel_scale, torch.tensor([0.0, 1000.0])),
        kaldi_native.native_allowed: Target(kaldi_native.native_allowed, X[None]),
    }
    fbank = lambda: kaldi.fbank(X[None], num_mel_bins=23)  # noqa: E731
    t[kaldi_native.bank_rows] = captured(kaldi_native.bank_rows, fbank)
    t[kaldi_native.frames_features] = captured(kaldi_native.frames_features, fbank)
    t[kaldi_kernel.kaldi_frames_features] = captured(kaldi_kernel.kaldi_frames_features, fbank)
    return t


def _frontend_targets():
    from spectrograms import hf, nemo, whisper

    t = {
        hf.WhisperFeatureExtractor: method(hf.WhisperFeatureExtractor, "__call__", NOISE, feature_size=80,
                                           sampling_rate=16000, hop_length=160, chunk_length=1, n_fft=400),
        hf.ASTFeatureExtractor: method(hf.ASTFeatureExtractor, "__call__", NOISE, num_mel_bins=64, max_length=64),
        hf.SeamlessM4TFeatureExtractor: method(hf.SeamlessM4TFeatureExtractor, "__call__", NOISE, num_mel_bins=80,
                                               stride=2),
        hf.BatchFeature: Target(hf.BatchFeature, {"input_features": np.ones((1, 3))}, use=lambda b: b["input_features"]),
        hf.ast_features: Target(hf.ast_features, X2, torch.tensor([1600, 1200]), sampling_rate=16000, num_mel_bins=64,
                                max_length=64),
        hf.seamless_features: Target(hf.seamless_features, X2, torch.tensor([1600, 1200]), num_mel_bins=80, stride=2),
        nemo.FilterbankFeatures: Target(nemo.FilterbankFeatures, sample_rate=16000, n_window_size=320,
                                        n_window_stride=160, nfilt=64, use=lambda m, x: m(x, torch.tensor([1600, 1200])),
                                        use_input=X2),
        nemo.AudioToMelSpectrogramPreprocessor: Target(
            nemo.AudioToMelSpectrogramPreprocessor, sample_rate=16000, window_size=0.02, window_stride=0.01,
            features=64, use=lambda m, x: m(x, torch.tensor([1600, 1200])), use_input=X2),
        nemo.librosa_mel_bank: Target(nemo.librosa_mel_bank, 16000.0, 512, 64, 0.0, 8000.0),
        whisper.mel_filters: Target(whisper.mel_filters, 80),
        whisper.pad_or_trim: Target(whisper.pad_or_trim, X, 2000),
        whisper.log_mel_spectrogram: Target(whisper.log_mel_spectrogram, X, 80, padding=0),
    }
    return t


def _functional_targets():
    from spectrograms import effects, functional as F

    window = torch.hann_window(64)
    return {
        F.resample: Target(F.resample, X, 16000, 8000, lowpass_filter_width=6, rolloff=0.99),
        F.melscale_fbanks: Target(F.melscale_fbanks, 33, 0.0, 8000.0, 8, 16000),
        F.linear_fbanks: Target(F.linear_fbanks, 33, 0.0, 8000.0, 8, 16000),
        F.create_dct: Target(F.create_dct, 13, 40, "ortho"),
        F.amplitude_to_DB: Target(F.amplitude_to_DB, SPEC, 10.0, 1e-10, 0.0, 80.0),
        F.inverse_spectrogram: Target(F.inverse_spectrogram, CSPEC, 1600, 0, window, 64, 32, 64, False),
        F.griffinlim: Target(F.griffinlim, CSPEC.abs() ** 2, window, 64, 32, 64, 2.0, 4, 0.99, 1600, False),
        F.spectral_centroid: Target(F.spectral_centroid, X, 16000, 0, window, 64, 32, 64),
        F.sliding_window_cmn: Target(F.sliding_window_cmn, SPEC.T.contiguous(), cmn_window=60, min_cmn_window=10),
        F.loudness: Target(F.loudness, X2.repeat(1, 4), 16000),
        F.gain: Target(F.gain, X, 3.0),
        effects.phase_vocoder: Target(effects.phase_vocoder, CSPEC, 1.3, torch.linspace(0, np.pi * 32, 33)[:, None]),
        effects.pitch_shift: Target(effects.pitch_shift, X, 16000, 12.0, n_fft=256),
        effects.speed: Target(effects.speed, X, 16000, 1.1),
        effects.add_noise: Target(effects.add_noise, X2, X2.flip(-1), torch.tensor([10.0, 20.0])),
    }


def _nn_targets():
    m = {
        snn.Spectrogram: layer(snn.Spectrogram, n_fft=64, hop_length=32, power=2.0),
        snn.MelSpectrogram: layer(snn.MelSpectrogram, sample_rate=16000, n_fft=64, hop_length=32, n_mels=8),
        snn.ErbSpectrogram: layer(snn.ErbSpectrogram, P, sg.ErbParams(8)),
        snn.LogHzSpectrogram: layer(snn.LogHzSpectrogram, P, sg.LogHzParams(8, 100.0)),
        snn.AmplitudeToDB: layer(snn.AmplitudeToDB, SPEC, stype="power", top_db=80.0),
        snn.MFCC: layer(snn.MFCC, sample_rate=16000, n_mfcc=6, melkwargs=dict(n_fft=64, hop_length=32, n_mels=8)),
        snn.Chromagram: layer(snn.Chromagram, sample_rate=16000, n_fft=64, hop_length=32),
        snn.CQT: layer(snn.CQT, sample_rate=16000, n_fft=2048, hop_length=256, bins_per_octave=12, n_octaves=3,
                       f_min=200.0),
        snn.PCEN: layer(snn.PCEN, SPEC, 33, sr=16000.0, hop_length=32),
        snn.StreamingFeatures: Target(snn.StreamingFeatures, snn.MelSpectrogram(sample_rate=16000, n_fft=64,
                                                                                hop_length=32, n_mels=8),
                                      use=lambda s, x: s(x), use_input=X),
        snn.FrequencyMasking: layer(snn.FrequencyMasking, SPEC[None], freq_mask_param=5),
        snn.TimeMasking: layer(snn.TimeMasking, SPEC[None], time_mask_param=5, p=1.0),
        snn.UtteranceNorm: layer(snn.UtteranceNorm, SPEC, normalize_variance=True),
        snn.ComputeDeltas: layer(snn.ComputeDeltas, SPEC, win_length=5),
        snn.frame_lengths: Target(snn.frame_lengths, torch.tensor([1600, 100]), 64, 32),
        snn.Resample: layer(snn.Resample, orig_freq=16000, new_freq=8000),
        snn.MelScale: layer(snn.MelScale, SPEC, n_mels=8, sample_rate=16000, n_stft=33),
        snn.InverseMelScale: layer(snn.InverseMelScale, torch.rand(8, 51), 33, n_mels=8, sample_rate=16000),
        snn.InverseSpectrogram: layer(snn.InverseSpectrogram, CSPEC, n_fft=64, hop_length=32),
        snn.GriffinLim: layer(snn.GriffinLim, CSPEC.abs() ** 2, n_fft=64, n_iter=4, hop_length=32),
        snn.LFCC: layer(snn.LFCC, sample_rate=16000, n_filter=16, n_lfcc=8, speckwargs=dict(n_fft=64, hop_length=32)),
        snn.SpectralCentroid: layer(snn.SpectralCentroid, 16000, n_fft=64, hop_length=32),
        snn.SlidingWindowCmn: layer(snn.SlidingWindowCmn, SPEC.T.contiguous(), cmn_window=60, min_cmn_window=10),
        snn.Loudness: layer(snn.Loudness, X2.repeat(1, 4), 16000),
        snn.Fade: layer(snn.Fade, fade_in_len=100, fade_out_len=100, fade_shape="linear"),
        snn.Vol: layer(snn.Vol, gain=0.5, gain_type="amplitude"),
        snn.TimeStretch: layer(snn.TimeStretch, CSPEC, hop_length=32, n_freq=33, fixed_rate=1.2),
        snn.PitchShift: layer(snn.PitchShift, 16000, 12.0, n_fft=256),
        snn.Speed: layer(snn.Speed, 16000, 1.1),
        snn.SpeedPerturbation: layer(snn.SpeedPerturbation, 16000, [0.9, 1.0, 1.1]),
        snn.AddNoise: Target(snn.AddNoise, use=lambda mod, x: mod(x, x.flip(-1), torch.tensor([10.0, 20.0])),
                             use_input=X2),
        snn.WhisperLogMelSpectrogram: layer(snn.WhisperLogMelSpectrogram, n_mels=80, normalize="item"),
        snn.KaldiFbank: layer(snn.KaldiFbank, X[None], num_mel_bins=23),
        snn.KaldiMFCC: layer(snn.KaldiMFCC, X[None], num_ceps=13, num_mel_bins=23),
        snn.KaldiSpectrogram: layer(snn.KaldiSpectrogram, X[None], frame_length=25.0),
    }
    m[snn.Speed].use = lambda module, x: module(x)[0]
    m[snn.Speed].use_input = X
    return m


def _ops_targets():
    from spectrograms import ops
    from spectrograms.export import portable_spectrogram

    window = torch.hann_window(64)
    return {
        ops.spectrogram: Target(ops.spectrogram, X, window, n_fft=64, hop_length=32, center=True, power=2.0),
        ops.stft: Target(ops.stft, X, window, n_fft=64, hop_length=32, center=True),
        ops.istft: Target(ops.istft, ops.stft(X, window, n_fft=64, hop_length=32), window, n_fft=64, hop_length=32,
                          length=1600),
        ops.rfft: Target(ops.rfft, X, 128), ops.irfft: Target(ops.irfft, ops.rfft(X), 1600),
        ops.rfft2: Target(ops.rfft2, torch.rand(16, 20, dtype=torch.float64)),
        ops.irfft2: Target(ops.irfft2, ops.rfft2(torch.rand(16, 20, dtype=torch.float64)), 20),
        portable_spectrogram: Target(portable_spectrogram, X, window, 64, 32, True, "constant", 2.0, floor_db=-80.0),
    }


def _stream_targets():
    from spectrograms import stream

    plan = sg.SpectrogramPlanner().mel_db_plan(P, MEL, sg.LogParams())
    cqt_plan = sg.CqtDbPlan(sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0),
                            sg.CqtParams(12, 3, 200.0), sg.LogParams())
    push = lambda s, x: (s.push(x), s.flush())  # noqa: E731
    frames = stream.plan_stream(plan).push(X)
    spec = sg.compute_mel_db_spectrogram(NOISE, P, MEL, sg.LogParams())
    mfcc = sg.compute_mfcc(NOISE, P, MEL, sg.MfccParams(6))
    chroma = sg.compute_chromagram(NOISE, P)
    return {
        stream.plan_stream: Target(stream.plan_stream, plan, use=push, use_input=X),
        stream.cqt_stream: Target(stream.cqt_stream, cqt_plan, use=push, use_input=X),
        stream.kaldi_fbank_stream: Target(stream.kaldi_fbank_stream, num_mel_bins=23, use=push, use_input=X),
        stream.kaldi_mfcc_stream: Target(stream.kaldi_mfcc_stream, num_ceps=13, use=push, use_input=X),
        stream.StreamFrames: Target(stream.StreamFrames, frames.tensor, 0, frames.times, use=lambda f: f.tensor),
        stream.StreamSpectrogram: Target(stream.StreamSpectrogram, spec.tensor, spec.frequencies, spec.times, P,
                                         scale="db", use=lambda r: r.data),
        stream.StreamMfcc: Target(stream.StreamMfcc, mfcc.tensor, mfcc.times, P, MEL, sg.MfccParams(6),
                                  sg.LogParams(), use=lambda r: r.data),
        stream.StreamChromagram: Target(stream.StreamChromagram, chroma.tensor, chroma.frequencies, chroma.times, P,
                                        sg.ChromaParams(), use=lambda r: r.data),
    }


def more_targets():
    return {**_compat_targets(), **_kaldi_targets(), **_frontend_targets(), **_functional_targets(),
            **_nn_targets(), **_ops_targets(), **_stream_targets()}


def _data_targets():
    import tempfile
    from pathlib import Path

    import soundfile

    from spectrograms import data, torch as storch
    from spectrograms.data import datamodule, frontend_kinds, precomputed, synthetic
    from spectrograms.extract import kinds, shards
    from spectrograms.recipes import audio_classification as ac, datamodules as rdm

    root = Path(tempfile.mkdtemp(prefix="spectrograms-fuzz-"))
    for label in ("a", "b"):
        (root / label).mkdir()
        soundfile.write(root / label / "x.wav", NOISE, 16000, subtype="FLOAT")
    manifest = root / "manifest.csv"
    manifest.write_text("path,label\na/x.wav,a\nb/x.wav,b\n")
    config = data.FeatureConfig(kind="mel", n_fft=64, hop_size=32, n_bands=8)
    items = [(X, 0), (X[:1000], 1)]
    spec = sg.compute_mel_db_spectrogram(NOISE, P, MEL, sg.LogParams())
    features = torch.rand(2, 8, 20)
    lengths = torch.tensor([20, 12])
    return {
        data.AudioFolderDataset: Target(data.AudioFolderDataset, root, sample_rate=16000, use=lambda d: d[0][0]),
        data.AudioItem: Target(data.AudioItem, root / "a" / "x.wav", 0, 0.0, None, use=lambda i: i.offset),
        data.ManifestDataset: Target(data.ManifestDataset, manifest, sample_rate=16000, root=root, use=lambda d: d[1][0]),
        data.drop_skipped: Target(data.drop_skipped, [None, (X, 0)], use=lambda b: b[0][0]),
        data.load_audio: Target(data.load_audio, root / "a" / "x.wav", 16000, offset=0.0, duration=None, mono=True),
        data.FeatureConfig: Target(data.FeatureConfig, kind="mel", scale="db", sample_rate=16000, n_fft=64,
                                   hop_size=32, n_bands=8, use=lambda c: data.SpectrogramCollate(c)(items).features),
        data.SpectrogramCollate: method(data.SpectrogramCollate, "__call__", items, config),
        data.SpectrogramBatch: Target(data.SpectrogramBatch, features, lengths, torch.tensor([0, 1]),
                                      use=lambda b: b.features),
        datamodule.stratified_split: Target(datamodule.stratified_split, [0, 1, 0, 1, 0, 1], [0.5, 0.3], 0),
        frontend_kinds.FrontEndFeatures: Target(frontend_kinds.FrontEndFeatures, features[0], -80.0, "whisper",
                                                use=lambda f: f.tensor),
        frontend_kinds.KaldiFbankPlan: method(frontend_kinds.KaldiFbankPlan, "compute", X, dict(
            num_mel_bins=23, sample_frequency=16000.0, frame_shift=10.0, frame_length=25.0,
            preemphasis_coefficient=0.97, window_type="povey")),
        frontend_kinds.WhisperLogMelPlan: method(frontend_kinds.WhisperLogMelPlan, "compute", X, 80),
        precomputed.PrecomputedCollate: method(precomputed.PrecomputedCollate, "__call__",
                                               [(features[0], 0), (features[1, :, :12], 1)], config),
        synthetic.SyntheticAudioDataset: Target(synthetic.SyntheticAudioDataset, n_items=4, sample_rate=16000,
                                                min_duration=0.1, max_duration=0.2, use=lambda d: d[0][0]),
        synthetic.synthesize: Target(synthetic.synthesize, "tone", 1600, 16000, np.random.default_rng(0)),
        data.plot_batch: Target(data.plot_batch, features, lengths, torch.tensor([0, 1]), ["a", "b"],
                                root / "plot.png", finite=False),
        storch.TorchSpectrogram: Target(storch.TorchSpectrogram, spec.tensor, spec.frequencies, spec.times, P,
                                        use=lambda s: s.tensor),
        storch.to_torch: Target(storch.to_torch, spec, "cpu"),
        storch.batch: Target(storch.batch, [spec, spec], "cpu", pad=True),
        storch.batch_with_metadata: Target(storch.batch_with_metadata, [spec, spec], "cpu", use=lambda r: r[0]),
        storch.batch_with_lengths: Target(storch.batch_with_lengths, [spec, spec], "cpu"),
        storch.lengths_to_mask: Target(storch.lengths_to_mask, lengths, 20),
        kinds.KaldiFbankConfig: Target(kinds.KaldiFbankConfig, num_mel_bins=23, use=lambda c: kinds.build_extractor(c)),
        kinds.build_extractor: Target(kinds.build_extractor, kinds.KaldiFbankConfig(num_mel_bins=23),
                                      use=lambda e: e),
        kinds.feature_from_dict: Target(kinds.feature_from_dict, {"kind": "kaldi-fbank", "num_mel_bins": 23},
                                        use=kinds.feature_to_dict),
        kinds.feature_to_dict: Target(kinds.feature_to_dict, kinds.KaldiFbankConfig(num_mel_bins=23)),
        shards.shard_name: Target(shards.shard_name, 3),
        shards.shard_done: Target(shards.shard_done, root, 3),
        ac.AudioClassifier: Target(ac.AudioClassifier, n_classes=2, n_bins=8, channels=(4,), freq_pool=2,
                                   use=lambda model, x: model(x, lengths), use_input=features),
        ac.PredictionWriter: Target(ac.PredictionWriter, top_k=3, use=lambda w: w.top_k),
        ac.masked_max: Target(ac.masked_max, features, lengths),
        ac.masked_mean: Target(ac.masked_mean, features, lengths),
        ac.masked_standardize: Target(ac.masked_standardize, features, lengths, eps=1e-5),
        rdm.PredictionItem: Target(rdm.PredictionItem, str(root / "a" / "x.wav"), "a", use=lambda p: p.path),
        rdm.list_audio_files: Target(rdm.list_audio_files, root, use=lambda files: [f.path for f in files]),
    }


def _captured_targets():
    from spectrograms import cqt, pcen

    cqt_params = sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0)
    return {
        cqt.cqt_tensor: captured(cqt.cqt_tensor, lambda: sg.compute_cqt_power_spectrogram(
            NOISE, cqt_params, sg.CqtParams(12, 3, 200.0))),
        pcen.first_order_scan: captured(pcen.first_order_scan, lambda: pcen.compute_pcen(SPEC, sr=16000, hop_length=32)),
    }


def all_more_targets():
    return {**more_targets(), **_data_targets(), **_captured_targets()}
