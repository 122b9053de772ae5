"""spectrograms.jax: .to_jax() (zero-copy on CPU), JaxSpectrogram, batching, and the seed page's JAX
snippets, including the Flax training example (with 'gpu' read as 'cpu')."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
import torch  # noqa: E402
from flax import linen as nn  # noqa: E402

import spectrograms as sg  # noqa: E402
import spectrograms.jax as sgj  # noqa: E402

from .conftest import tone_mix  # noqa: E402
from .interop_results import MEL, PARAMS, RESULT_MAKERS, SAMPLES, make  # noqa: E402


@pytest.mark.parametrize("kind", RESULT_MAKERS)
def test_to_jax_is_zero_copy_on_cpu(kind):
    result = make(kind)  # float32 / complex64: JAX keeps the dtype without x64
    array = result.to_jax()
    assert array.dtype == np.dtype(str(result.dtype).removeprefix("torch."))
    assert array.unsafe_buffer_pointer() == result.tensor.data_ptr()
    np.testing.assert_array_equal(np.asarray(array), result.data)


def test_writes_through_the_result_show_in_the_array():
    spec = sg.compute_mel_power_spectrogram(SAMPLES, PARAMS, MEL)
    array = spec.to_jax(device="cpu")
    spec.data[0, 0] = 999.0
    assert float(array[0, 0]) == 999.0


def test_float64_results_follow_jax_x64_policy():
    spec = sg.compute_mel_power_spectrogram(SAMPLES.astype(np.float64), PARAMS, MEL)
    array = spec.to_jax()
    expected = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    assert array.dtype == expected
    np.testing.assert_allclose(np.asarray(array), spec.data, rtol=1e-6)


def test_with_metadata_and_devices():
    spec = sg.compute_mel_db_spectrogram(SAMPLES, PARAMS, MEL, sg.LogParams(-80.0))
    result = spec.to_jax(device="cpu", with_metadata=True)
    assert isinstance(result, sgj.JaxSpectrogram) and result.shape == (128, 63)
    np.testing.assert_array_equal(result.times, spec.times)
    assert result.params == PARAMS and result.db_range == spec.db_range()
    assert result.cpu().array.devices() == {jax.devices("cpu")[0]}
    assert spec.to_jax(device=jax.devices("cpu")[0]).unsafe_buffer_pointer() == spec.tensor.data_ptr()
    with pytest.raises(sg.InvalidInputError, match="device"):
        spec.to_jax(device="tpu-ish")
    if not jax.devices()[0].platform == "gpu":
        with pytest.raises(sg.InvalidInputError, match="no gpu backend"):
            result.gpu()


def test_batch_pads_with_the_floor():
    specs = [sg.compute_mel_db_spectrogram(tone_mix(n, dtype=np.float32), PARAMS, MEL, sg.LogParams()) for n in (8000, 16000)]
    array = sgj.batch(specs, device="cpu", pad=True)
    assert array.shape == (2, 128, 63)
    assert bool(jnp.all(array[0, :, specs[0].n_frames:] == -80.0))
    np.testing.assert_array_equal(np.asarray(array[1]), specs[1].data)
    array, metadata = sgj.batch_with_metadata(specs, pad=True)
    assert [m["n_frames"] for m in metadata] == [32, 63]
    with pytest.raises(sg.DimensionMismatchError):
        sgj.batch(specs)


def test_seed_basic_and_metadata_snippets():
    samples, params, mel_params = SAMPLES, PARAMS, MEL
    spec = sg.compute_mel_power_spectrogram(samples, params, mel_params)
    array = spec.to_jax()
    array = spec.to_jax(device="cpu")  # 'gpu' on the page
    result = spec.to_jax(device="cpu", with_metadata=True)
    result.array, result.frequencies, result.times, result.params, result.shape  # noqa: B018
    result_cpu = result.cpu()
    assert result_cpu.shape == (128, 63) and array.shape == (128, 63)


def test_seed_training_example():
    class AudioCNN(nn.Module):
        n_classes: int = 10

        @nn.compact
        def __call__(self, x):
            x = x[..., jnp.newaxis]
            x = nn.Conv(features=32, kernel_size=(3, 3))(x)
            x = nn.relu(x)
            x = nn.Conv(features=64, kernel_size=(3, 3))(x)
            x = nn.relu(x)
            x = jnp.mean(x, axis=(1, 2))
            return nn.Dense(self.n_classes)(x)

    model = AudioCNN(n_classes=10)
    rng = jax.random.PRNGKey(0)
    params_model = model.init(rng, jnp.ones((1, 128, 100)))

    @jax.jit
    def train_step(params_model, inputs, labels):
        def loss_fn(params_model):
            logits = model.apply(params_model, inputs)
            return jnp.mean(optax.softmax_cross_entropy(logits, labels))

        loss, grads = jax.value_and_grad(loss_fn)(params_model)
        return loss, grads

    stft = sg.StftParams(n_fft=512, hop_size=256, window=sg.WindowType.hanning)
    spec_params = sg.SpectrogramParams(stft, sample_rate=16000.0)
    mel_params = sg.MelParams(n_mels=128, f_min=0.0, f_max=8000.0)

    labels_onehot = jax.nn.one_hot(jnp.array([0, 1]), 10)
    dataloader = [([tone_mix(8000, seed=s) for s in (0, 1)], labels_onehot)]  # float64 audio, as NumPy makes it
    for audio_batch, labels in dataloader:
        specs = [sg.compute_mel_power_spectrogram(audio, spec_params, mel_params) for audio in audio_batch]
        inputs = sgj.batch(specs, device="cpu")  # 'gpu' on the page
        loss, grads = train_step(params_model, inputs, labels)
    assert inputs.shape == (2, 128, 32) and np.isfinite(float(loss))
    optimizer = optax.adam(1e-3)
    state = optimizer.init(params_model)
    updates, state = optimizer.update(grads, state)
    params_model = optax.apply_updates(params_model, updates)
    assert float(train_step(params_model, inputs, labels)[0]) < float(loss)


def test_array_outlives_the_result():
    result = make("mel_power")
    expected = result.data.copy()
    array = result.to_jax()
    del result
    import gc

    gc.collect()
    [torch.randn(128, 63) for _ in range(10)]
    np.testing.assert_array_equal(np.asarray(array), expected)
