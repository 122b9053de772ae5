"""Ready-to-run training recipes (Lightning), importable from an installed package.

``spectrograms.recipes.audio_classification`` holds the classifier, its LightningCLI and the
prediction writer; ``spectrograms.recipes.datamodules`` the data modules its configs name. The
configs themselves ship in ``spectrograms/recipes/configs/`` (:data:`CONFIGS`); the top-level
``recipes/`` and ``configs/`` of a source checkout are thin entry points and copies to edit.
"""

from pathlib import Path

CONFIGS = Path(__file__).resolve().parent / "configs"

__all__ = ["CONFIGS"]
