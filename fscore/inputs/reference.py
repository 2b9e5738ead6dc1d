"""The reference implementation Chapter 14 is compared with: the detectors and metrics of ``pytorch-ood`` (PyPI).

``pytorch-ood`` 0.4.0 imports ``torchvision`` when the package is imported (for its data sets and model zoo), and
the ``torchvision`` wheel on PyPI is built for CUDA: with the CPU build of torch its operators fail to register and
``import torchvision`` raises. The detectors and metrics themselves need only torch, so when the plain import fails
:func:`load_pytorch_ood` loads those two subpackages from the installed files without running the package's
``__init__``. Nothing of ``pytorch-ood`` is changed or copied.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path


def load_pytorch_ood():
    """``(detector, metrics, note)``: pytorch-ood's ``detector`` and ``metrics`` modules, or ``(None, None, why)``."""
    spec = importlib.util.find_spec("pytorch_ood")
    if spec is None or spec.origin is None:
        return None, None, "pytorch-ood is not installed (pip install --no-deps pytorch-ood==0.4.0)"
    try:
        package = importlib.import_module("pytorch_ood")
        return package.detector, package.metrics, f"pytorch-ood {package.__version__}"
    except Exception as error:  # noqa: BLE001 - any failure of its torchvision import: fall back below
        reason = f"{type(error).__name__}: {error}"
    for name in [m for m in sys.modules if m == "pytorch_ood" or m.startswith("pytorch_ood.")]:
        del sys.modules[name]
    shell = types.ModuleType("pytorch_ood")
    shell.__path__ = [str(Path(spec.origin).parent)]
    sys.modules["pytorch_ood"] = shell
    detector = importlib.import_module("pytorch_ood.detector")
    metrics = importlib.import_module("pytorch_ood.metrics")
    from importlib.metadata import version

    return detector, metrics, (f"pytorch-ood {version('pytorch-ood')}, detectors and metrics loaded without its "
                               f"package __init__ (which failed: {reason[:120]})")
