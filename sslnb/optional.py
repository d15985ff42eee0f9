"""Optional dependencies: import one, or say which sslnb extra installs it."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """``import module``, or an ImportError that names the sslnb extra which installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{module} is not installed; this sslnb integration needs it: "
                          f"pip install 'sslnb[{extra}]'") from error
