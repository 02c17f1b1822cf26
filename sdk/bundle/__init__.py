"""HOI asset bundles on disk (DESIGN §3 "Bundle on disk").

A bundle is a folder: `asset.json` (schema-versioned, validated against
`BUNDLE_SCHEMA_PATH`) plus `.npz` mesh / parameter arrays and `.png` textures,
each referenced by relative path and sha256. `save_bundle` writes it atomically;
`load_bundle` validates everything and never reads outside the folder.
"""

from hoiexport.sdk.bundle.load import load_bundle
from hoiexport.sdk.bundle.save import save_bundle
from hoiexport.sdk.bundle.schema import BUNDLE_SCHEMA_PATH

__all__ = ["BUNDLE_SCHEMA_PATH", "load_bundle", "save_bundle"]
