"""hoiexport: text → 3D human–object interactions → engine-ready glTF / USD assets.

The public SDK surface. Build scripts use::

    import hoiexport
    asset = hoiexport.load_bundle("bundle_dir")
    result = hoiexport.export(asset, "out", formats=("glb", "usdc"), target="unity")

Heavy entry points (`export`, bundles, body models) are imported on first use so
that `import hoiexport` and `hoiexport --version` stay fast.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from hoiexport.sdk import *  # noqa: F401,F403  (re-export the data model)
from hoiexport.sdk import __all__ as _sdk_all

try:
    __version__ = version("hoiexport")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0+unknown"

_LAZY: dict[str, tuple[str, str]] = {
    "export": ("hoiexport.exporters.export", "export"),
    "ExportOptions": ("hoiexport.exporters.export", "ExportOptions"),
    "ExportResult": ("hoiexport.exporters.export", "ExportResult"),
    "parse_formats": ("hoiexport.exporters.export", "parse_formats"),
    "BakeOptions": ("hoiexport.exporters.options", "BakeOptions"),
    "PrepareOptions": ("hoiexport.exporters.options", "PrepareOptions"),
    "RigOptions": ("hoiexport.exporters.rig", "RigOptions"),
    "REST_POSES": ("hoiexport.exporters.rig", "REST_POSES"),
    "SKELETON_PRESETS": ("hoiexport.exporters.skeletons", "SKELETON_PRESETS"),
    "COMPRESSIONS": ("hoiexport.exporters.compress", "COMPRESSIONS"),
    "resolve_compression": ("hoiexport.exporters.compress", "resolve_compression"),
    "locate_gltf_transform": ("hoiexport.exporters.compress", "locate_gltf_transform"),
    "MAX_LODS": ("hoiexport.exporters.lod", "MAX_LODS"),
    "PRESETS": ("hoiexport.exporters.presets", "PRESETS"),
    "TARGETS": ("hoiexport.exporters.presets", "TARGETS"),
    "get_preset": ("hoiexport.exporters.presets", "get_preset"),
    "validate_files": ("hoiexport.exporters.validate", "validate_files"),
    "file_format": ("hoiexport.exporters.validate", "file_format"),
    "ValidationReport": ("hoiexport.exporters.validate", "ValidationReport"),
    "ContactOptions": ("hoiexport.sdk.contacts", "ContactOptions"),
    "lift_files": ("hoiexport.lifting", "lift_files"),
    "CHAMFER_DEFINITION": ("hoiexport.sdk.generators.lift.chamfer", "CHAMFER_DEFINITION"),
    "load_bundle": ("hoiexport.sdk.bundle", "load_bundle"),
    "save_bundle": ("hoiexport.sdk.bundle", "save_bundle"),
    "load_body_model": ("hoiexport.sdk.bodies", "load_body_model"),
    "analyze_contacts": ("hoiexport.sdk.contacts", "analyze_asset"),
    "validate_file": ("hoiexport.exporters.validate", "validate_file"),
    "generate": ("hoiexport.generation", "generate"),
    "GENERATORS": ("hoiexport.generation", "GENERATORS"),
    "GENERATOR_CHOICES": ("hoiexport.generation", "GENERATOR_CHOICES"),
    "release_generators": ("hoiexport.sdk.generators.registry", "release"),
    "Runtime": ("hoiexport.sdk.generators.hoi3dgen.runtime", "Runtime"),
    "PropOptions": ("hoiexport.sdk.generators.compose.prop", "PropOptions"),
    "load_prop": ("hoiexport.sdk.generators.compose.prop", "load_prop"),
}


def __getattr__(name: str) -> Any:
    """Import the heavy entry points on first access."""
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hoiexport' has no attribute {name!r}")


__all__ = [*_sdk_all, *_LAZY, "__version__"]
