"""Entry point of the audio classification recipe; the code lives in the package, in
:mod:`spectrograms.recipes.audio_classification`, so that a saved ``config.yaml`` resolves from anywhere.

::

    python recipes/audio_classification.py fit --config configs/audio_classification.yaml
    python recipes/audio_classification.py test --config configs/audio_classification.yaml --ckpt_path PATH.ckpt
    python recipes/audio_classification.py predict --config configs/audio_classification.yaml \\
        --ckpt_path PATH.ckpt --data.predict_files FOLDER      # -> <log dir>/predictions.csv
"""

import sys

from spectrograms.recipes.audio_classification import *  # noqa: F401,F403  (re-exported for old imports)
from spectrograms.recipes.audio_classification import main

if __name__ == "__main__":
    sys.exit(main())
