"""hoiexport.sdk: data model, body models, contacts, bundles, generators."""

from hoiexport.sdk.core.errors import (
    BundleError,
    ExportError,
    GenerationError,
    HOIExportError,
    InputError,
    ModelUnavailableError,
    ValidationFailed,
)
from hoiexport.sdk.core.types import (
    BODY_PARTS,
    SCHEMA_VERSION,
    BodyFit,
    Contact,
    ContactConfig,
    HOIAsset,
    Mesh,
    Penetration,
    Prompt,
    Provenance,
    Skeleton,
    Texture,
)

__all__ = [
    "BODY_PARTS",
    "SCHEMA_VERSION",
    "BodyFit",
    "BundleError",
    "Contact",
    "ContactConfig",
    "ExportError",
    "GenerationError",
    "HOIAsset",
    "HOIExportError",
    "InputError",
    "Mesh",
    "ModelUnavailableError",
    "Penetration",
    "Prompt",
    "Provenance",
    "Skeleton",
    "Texture",
    "ValidationFailed",
]
