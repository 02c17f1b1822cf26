"""hoiexport: text → 3D human–object interactions → engine-ready glTF / USD assets.

The public SDK surface. Build scripts use::

    import hoiexport
    asset = hoiexport.load_bundle("bundle_dir")
    hoiexport.export(asset, "out", formats=("glb", "usdc"), target="unity")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from hoiexport.sdk import *  # noqa: F401,F403  (re-export the data model)
from hoiexport.sdk import __all__ as _sdk_all

try:
    __version__ = version("hoiexport")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [*_sdk_all, "__version__"]
