"""Loads the native extension, which registers ``torch.ops.spectrograms.*``.

The extension is required: without it the package fails loudly with the command that fixes it.
"""

import torch

_REBUILD = "rebuild it with `make setup` (or `pip install --no-build-isolation -e .` in the repository)"

try:
    from . import _C
except ImportError as error:
    if "undefined symbol" in str(error):
        raise ImportError(
            f"spectrograms' native extension does not match the installed torch {torch.__version__}; {_REBUILD}"
        ) from error
    raise ImportError(f"spectrograms' native extension (spectrograms._C) is not built; {_REBUILD}") from error

_running = torch.__version__.split("+")[0]
if _C.TORCH_VERSION != _running:
    raise ImportError(
        f"spectrograms' native extension was built against torch {_C.TORCH_VERSION} but torch {_running} is "
        f"installed; {_REBUILD}"
    )
