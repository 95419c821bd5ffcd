"""The one exception every `lego-edit` command raises for a user-facing failure.

A module of its own, importing nothing, so the command modules, the tray and the daemon-control
helpers can all raise it without importing the parser (and without import cycles).
"""

from __future__ import annotations


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


# Optional packages -> the extra that installs them, for the one-line answer of a command that needs them.
EXTRAS = {
    "torch": "models", "torchvision": "models", "diffusers": "models", "transformers": "models",
    "accelerate": "models", "safetensors": "models", "huggingface_hub": "models", "peft": "models",
    "pystray": "tray", "skimage": "dev", "ray": "ray", "trl": "train", "datasets": "train", "onnxruntime": "onnx",
}


def missing_package(exc: ImportError) -> CliError:
    """An ImportError of an optional package as one line that says what to install."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    extra = EXTRAS.get(name)
    if extra:
        return CliError(f"this needs {name}, which is not installed: pip install 'lego-edit[{extra}]'")
    return CliError(f"a Python package is missing ({exc}): reinstall lego-edit (pip install lego-edit)")
