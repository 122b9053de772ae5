"""Audio classification in JAX/Flax: the seed's ``AudioCNN`` trained with optax on the same data.

::

    python recipes/jax_classification.py --config configs/jax_classification.yaml
    python recipes/jax_classification.py --config configs/jax_classification.yaml --epochs 2 --print_config

The data (synthetic by default, or ``--data.init_args.root PATH``), the split and the features are
those of the Lightning recipe: a :class:`~spectrograms.data.SpectrogramDataModule` from the same kind
of config. Spectrograms are batched straight into JAX arrays with :func:`spectrograms.jax.batch`.
Features are computed in the training process (``num_workers`` is overridden with 0): JAX runs
threads of its own, and a process that forks DataLoader workers after starting them can deadlock.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
from flax import linen as nn
from flax.training import train_state
from jsonargparse import auto_cli, lazy_instance

import spectrograms.jax as sgj
from spectrograms.data.datamodule import SpectrogramBatch, SpectrogramCollate, SpectrogramDataModule

__all__ = ["AudioCNN", "jax_batch", "train"]

# Padded batches are widened to a multiple of this many frames: jit compiles once per input shape,
# and clips of 0.5 to 2 s would otherwise give ~100 distinct widths (and as many compilations).
FRAME_BUCKET = 32


def jax_batch(specs: list, multiple: int = FRAME_BUCKET) -> jax.Array:
    """``spectrograms.jax.batch(specs, pad=True)`` widened with the items' floor to a multiple of
    ``multiple`` frames. Returns ``(batch, n_bins, frames)``."""
    features = sgj.batch(specs, pad=True)
    extra = -features.shape[-1] % multiple
    return jnp.pad(features, ((0, 0), (0, 0), (0, extra)), constant_values=specs[0].floor)


def _frame_mask(lengths: jax.Array, n_frames: int) -> jax.Array:
    return jnp.arange(n_frames)[None, :] < lengths[:, None]  # (batch, frames)


class AudioCNN(nn.Module):
    """The seed's ``AudioCNN`` with the Lightning recipe's changes: each 3x3 convolution is followed
    by 2x2 max pooling, the input is normalised per item (mean and standard deviation over its valid
    frames; stateless, unlike BatchNorm) and the global pooling is a masked mean and max over time.

    Shapes: ``(x (batch, n_bins, frames), lengths (batch,)) -> logits (batch, n_classes)``.
    """

    n_classes: int = 8
    channels: tuple[int, ...] = (16, 32, 64)

    @nn.compact
    def __call__(self, x: jax.Array, lengths: jax.Array) -> jax.Array:
        mask = _frame_mask(lengths, x.shape[-1])[:, None, :]  # (batch, 1, frames)
        count = lengths[:, None, None] * x.shape[1]
        mean = jnp.sum(x * mask, axis=(1, 2), keepdims=True) / count
        std = jnp.sqrt(jnp.sum(((x - mean) * mask) ** 2, axis=(1, 2), keepdims=True) / count + 1e-5)
        x = ((x - mean) / std)[..., jnp.newaxis]  # (batch, n_bins, frames, 1)
        for features in self.channels:
            x = nn.relu(nn.Conv(features=features, kernel_size=(3, 3))(x))
            # "SAME" padding keeps a last, partly padded frame: L frames become ceil(L / 2).
            x = nn.max_pool(x, (2, 2), strides=(2, 2), padding="SAME")
            lengths = (lengths + 1) // 2
        x = jnp.mean(x, axis=1)  # over frequency: (batch, frames, channels)
        mask = _frame_mask(lengths, x.shape[1])[..., None]
        mean = jnp.sum(x * mask, axis=1) / lengths[:, None]
        peak = jnp.max(jnp.where(mask, x, -jnp.inf), axis=1)
        return nn.Dense(self.n_classes)(jnp.concatenate([mean, peak], axis=-1))


def _loss(params, state: train_state.TrainState, features, lengths, labels):
    logits = state.apply_fn({"params": params}, features, lengths)
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean(), logits


@jax.jit
def train_step(state: train_state.TrainState, features, lengths, labels):
    """One optax update. Returns ``(new_state, loss, accuracy)`` on this batch."""
    grad_fn = jax.value_and_grad(_loss, has_aux=True)
    (loss, logits), grads = grad_fn(state.params, state, features, lengths, labels)
    return state.apply_gradients(grads=grads), loss, jnp.mean(jnp.argmax(logits, -1) == labels)


@jax.jit
def eval_step(state: train_state.TrainState, features, lengths, labels):
    """``(summed loss, number correct)`` over a batch, to be totalled over a split."""
    loss, logits = _loss(state.params, state, features, lengths, labels)
    return loss * labels.shape[0], jnp.sum(jnp.argmax(logits, -1) == labels)


def _arrays(batch: SpectrogramBatch) -> tuple[jax.Array, jax.Array, jax.Array]:
    return batch.features, jnp.asarray(batch.lengths.numpy()), jnp.asarray(batch.labels.numpy())


def evaluate(state: train_state.TrainState, batches: Iterable[SpectrogramBatch | None]) -> dict[str, float]:
    """Mean loss and accuracy over every item of ``batches``: ``{"loss": ..., "acc": ...}``."""
    total_loss, correct, count = 0.0, 0, 0
    for batch in batches:
        if batch is None:  # every item of the batch was a skipped bad file
            continue
        loss, hits = eval_step(state, *_arrays(batch))
        total_loss, correct, count = total_loss + float(loss), correct + int(hits), count + len(batch.labels)
    return {"loss": total_loss / max(count, 1), "acc": correct / max(count, 1)}


def train(
    data: SpectrogramDataModule = lazy_instance(SpectrogramDataModule),
    channels: tuple[int, ...] = (16, 32, 64),
    epochs: int = 6,
    max_steps: int | None = None,
    lr: float = 5e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
) -> dict[str, Any]:
    """Trains :class:`AudioCNN` on ``data`` with AdamW on a one-cycle schedule, evaluating every epoch.

    Args:
        data: the data module (its ``features``, split, ``batch_size`` and ``seed`` are used).
            Default: ``SpectrogramDataModule()``, the synthetic set.
        channels: output channels of each convolution block. Default ``(16, 32, 64)``.
        epochs: passes over the training split. Default 6.
        max_steps: stop after this many updates (None, the default: after ``epochs``).
        lr: peak learning rate. Default 5e-3.
        weight_decay: AdamW weight decay. Default 1e-4.
        seed: parameter initialisation and shuffling. Default 0.

    Returns:
        ``{"val_acc", "val_loss", "test_acc", "test_loss", "train_loss" (mean of the last epoch),
        "steps", "seconds"}``.
    """
    start = time.perf_counter()
    collate = SpectrogramCollate(data.features, to_batch=jax_batch)
    loaders = {split: functools.partial(data.loader, split, collate=collate, num_workers=0)
               for split in ("train", "val", "test")}
    steps_per_epoch = len(loaders["train"]())
    total_steps = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)

    model = AudioCNN(n_classes=data.n_classes, channels=tuple(channels))
    dummy = jnp.zeros((1, data.n_features, FRAME_BUCKET))
    params = model.init(jax.random.PRNGKey(seed), dummy, jnp.array([FRAME_BUCKET]))["params"]
    schedule = optax.cosine_onecycle_schedule(max(total_steps, 1), lr, pct_start=0.2)
    state = train_state.TrainState.create(apply_fn=model.apply, params=params,
                                          tx=optax.adamw(schedule, weight_decay=weight_decay))

    torch.manual_seed(seed)  # the DataLoader shuffles with torch's generator
    steps, history = 0, {}
    for epoch in range(epochs):
        losses = []
        for batch in loaders["train"](shuffle=True):
            if batch is None:
                continue
            state, loss, _ = train_step(state, *_arrays(batch))
            losses.append(float(loss))
            steps += 1
            if steps >= total_steps:
                break
        val = evaluate(state, loaders["val"]())
        history = {"train_loss": float(np.mean(losses)) if losses else float("nan"),
                   "val_loss": val["loss"], "val_acc": val["acc"]}
        print(f"epoch {epoch}: steps {steps}, train_loss {history['train_loss']:.4f}, "
              f"val_loss {val['loss']:.4f}, val_acc {val['acc']:.4f}", flush=True)
        if steps >= total_steps:
            break
    test = evaluate(state, loaders["test"]())
    result = {**history, "test_loss": test["loss"], "test_acc": test["acc"], "steps": steps,
              "seconds": time.perf_counter() - start}
    print(f"test_acc {test['acc']:.4f}, test_loss {test['loss']:.4f}, "
          f"{steps} steps in {result['seconds']:.1f} s")
    return result


def main(args: list[str] | None = None) -> dict[str, Any]:
    """Command line (jsonargparse, the same config format as the Lightning recipe)."""
    return auto_cli(train, args=args)


if __name__ == "__main__":
    main()
