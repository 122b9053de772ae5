"""Frame count shared by the fake kernels (mirrors FrameGeometry in spectrograms_ext/framing.h)."""


def n_frames(n_samples, n_fft: int, hop_length: int, center: bool):
    pad = n_fft // 2 if center else 0
    return 1 + (n_samples + 2 * pad - n_fft) // hop_length
