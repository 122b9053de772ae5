"""One result of every type, shared by the interop tests (torch, JAX, DLPack)."""

import numpy as np

import spectrograms as sg

from .conftest import tone_mix

SAMPLES = tone_mix(16000, dtype=np.float32)
STFT = sg.StftParams(n_fft=512, hop_size=256, window=sg.WindowType.hanning)
PARAMS = sg.SpectrogramParams(STFT, sample_rate=16000.0)
MEL = sg.MelParams(n_mels=128, f_min=0.0, f_max=8000.0)
DB = sg.LogParams(floor_db=-80.0)

RESULT_MAKERS = {
    "mel_power": lambda x: sg.compute_mel_power_spectrogram(x, PARAMS, MEL),
    "mel_db": lambda x: sg.compute_mel_db_spectrogram(x, PARAMS, MEL, DB),
    "linear_magnitude": lambda x: sg.compute_linear_magnitude_spectrogram(x, PARAMS),
    "erb_db": lambda x: sg.compute_erb_db_spectrogram(x, PARAMS, sg.ErbParams(40), DB),
    "loghz_power": lambda x: sg.compute_loghz_power_spectrogram(x, PARAMS, sg.LogHzParams(60, 50.0)),
    "chromagram": lambda x: sg.compute_chromagram(x, PARAMS),
    "mfcc": lambda x: sg.compute_mfcc(x, PARAMS, MEL, sg.MfccParams(20)),
    "stft": lambda x: sg.compute_stft(x, PARAMS),
    "fft2d": lambda x: sg.fft2d(x[:4096].reshape(64, 64)),
}


def make(kind: str, samples=SAMPLES):
    return RESULT_MAKERS[kind](samples)
