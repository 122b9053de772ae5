"""DLPack consumers on every result type: torch, NumPy, JAX in process, TensorFlow in a subprocess
(``import tensorflow`` and then ``import lightning`` in one process segfaults, and a misaligned buffer
would abort it; a subprocess keeps the test session safe either way)."""

import gc
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import spectrograms as sg

from .interop_results import PARAMS, RESULT_MAKERS, make

KINDS = list(RESULT_MAKERS)


def _recycle():
    gc.collect()
    [torch.randn(128, 128) for _ in range(20)]  # reuse the freed memory, if it had been freed


@pytest.mark.parametrize("kind", KINDS)
def test_torch_shares_memory_and_keeps_it_alive(kind):
    result = make(kind)
    tensor = torch.from_dlpack(result)
    assert tensor.data_ptr() == result.tensor.data_ptr()
    expected = result.data.copy()
    del result
    _recycle()
    np.testing.assert_array_equal(tensor.numpy(), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_shares_memory_and_keeps_it_alive(kind):
    result = make(kind)
    array = np.from_dlpack(result)
    assert np.shares_memory(array, result.data)
    expected = array.copy()
    del result
    _recycle()
    np.testing.assert_array_equal(array, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_copy_true_gives_independent_memory(kind):
    result = make(kind)
    tensor = torch.from_dlpack(result.__dlpack__(copy=True))
    array = np.from_dlpack(result, copy=True)
    assert tensor.data_ptr() != result.tensor.data_ptr() and not np.shares_memory(array, result.data)
    before = tensor.clone()
    result.data[...] = 0
    torch.testing.assert_close(tensor, before)
    assert np.any(array != 0)


@pytest.mark.parametrize("kind", KINDS)
def test_jax_shares_aligned_memory(kind):
    jax = pytest.importorskip("jax")
    result = make(kind)
    array = jax.dlpack.from_dlpack(result)
    assert array.unsafe_buffer_pointer() == result.tensor.data_ptr()
    np.testing.assert_array_equal(np.asarray(array), result.data)


def test_consumers_ask_for_what_we_forward():
    """Only the keywords a consumer passes reach the tensor: NumPy and torch ask for versioned capsules,
    JAX for legacy ones; a stream of None is never forwarded as if it were torch's default of -1."""
    jax = pytest.importorskip("jax")
    result = make("mel_power")
    seen = []

    class Spy(sg.Spectrogram):
        def __dlpack__(self, **kwargs):
            seen.append(sorted(k for k, v in kwargs.items() if v is not None))
            return super().__dlpack__(**kwargs)

    spy = Spy(result.tensor, result.frequencies, result.times, PARAMS, scale="power")
    np.from_dlpack(spy)
    torch.from_dlpack(spy)
    jax.dlpack.from_dlpack(spy)
    assert "max_version" in seen[0] and "max_version" in seen[1] and "max_version" not in seen[2]
    assert "dltensor_versioned" in repr(result.__dlpack__(max_version=(1, 0)))
    assert "dltensor" in repr(result.__dlpack__(stream=None))


def test_misaligned_view_is_exported_aligned_to_every_consumer():
    jax = pytest.importorskip("jax")
    batched = sg.compute_mel_power_spectrogram(np.random.default_rng(0).standard_normal((3, 16000)).astype(np.float32),
                                               PARAMS, sg.MelParams(3))
    item = batched.unbatch()[1]
    assert item.tensor.data_ptr() % 64 != 0
    for exported in (torch.from_dlpack(item), torch.from_dlpack(item.__dlpack__())):
        assert exported.data_ptr() % 64 == 0
        torch.testing.assert_close(exported, item.tensor)
    np.testing.assert_array_equal(np.asarray(jax.dlpack.from_dlpack(item)), item.data)


def test_tensors_requiring_grad_are_refused_clearly():
    result = sg.Spectrogram(torch.ones(4, 5, requires_grad=True), np.arange(4), np.arange(5), PARAMS, scale="power")
    with pytest.raises(sg.InvalidInputError, match="requires grad.*detach"):
        torch.from_dlpack(result)


TENSORFLOW_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    import spectrograms as sg
    sys.path.insert(0, ".")
    from tests.interop_results import PARAMS, RESULT_MAKERS, make
    import tensorflow as tf

    report = {}
    for kind in RESULT_MAKERS:
        result = make(kind)
        expected = result.data.copy()
        tensor = tf.experimental.dlpack.from_dlpack(result.__dlpack__())
        # Zero-copy: the TF tensor's buffer, exported back, is the result's memory.
        back = torch.from_dlpack(tf.experimental.dlpack.to_dlpack(tensor))
        same_memory = back.data_ptr() == result.tensor.data_ptr()
        del result, back
        total = complex(tf.reduce_sum(tensor).numpy())
        report[kind] = dict(same_memory=same_memory, dtype=tensor.dtype.name,
                            close=bool(np.allclose(tensor.numpy(), expected)),
                            sum_ok=abs(total - complex(expected.sum())) <= 1e-3 * max(1.0, abs(total)))
    # A misaligned view: exported as an aligned copy (TensorFlow would abort on a misaligned buffer).
    batched = sg.compute_mel_power_spectrogram(np.ones((3, 16000), np.float32), PARAMS, sg.MelParams(3))
    item = batched.unbatch()[1]
    tensor = tf.experimental.dlpack.from_dlpack(item.__dlpack__())
    report["misaligned"] = dict(close=bool(np.allclose((tensor * 2.0).numpy(), 2.0 * item.data)))
    try:
        tf.experimental.dlpack.from_dlpack(item)
        report["object_form"] = "accepted"
    except TypeError:
        report["object_form"] = "TypeError"
    print("REPORT" + json.dumps(report))
    """
)


def test_tensorflow_in_a_subprocess():
    pytest.importorskip("tensorflow", reason="tensorflow-cpu is in requirements-dev.txt")
    done = subprocess.run([sys.executable, "-c", TENSORFLOW_SCRIPT], capture_output=True, text=True, timeout=300,
                          cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.split("REPORT", 1)[1])
    for kind in KINDS:
        assert report[kind]["close"] and report[kind]["sum_ok"], (kind, report[kind])
        assert report[kind]["same_memory"], (kind, report[kind])
    assert report["stft"]["dtype"] == "complex64"
    assert report["misaligned"]["close"]
    # TensorFlow 2.21 takes only a capsule: the documented form is from_dlpack(result.__dlpack__()).
    assert report["object_form"] == "TypeError"
