"""Runnable training recipes: ``audio_classification`` (Lightning) and ``jax_classification`` (JAX/Flax)."""
