"""The JSON Schema of `asset.json` and its validation (DESIGN §3 "Bundle on disk")."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from hoiexport.sdk.core.errors import BundleError
from hoiexport.sdk.core.types import SCHEMA_VERSION

BUNDLE_SCHEMA_PATH: Path = Path(__file__).with_name("asset.schema.json")
"""Path of the JSON Schema (draft 2020-12) that every `asset.json` must satisfy."""


@functools.cache
def bundle_schema() -> dict[str, Any]:
    """The parsed bundle JSON Schema (read once per process)."""
    return json.loads(BUNDLE_SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = bundle_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def field_name(path: Any) -> str:
    """A JSON location as a dotted field name, e.g. `body.skeleton.parents[3]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def check_schema_version(doc: Any, where: Path) -> None:
    """Reject a document whose `schema_version` this release cannot read.

    Checked before the full schema, because a newer bundle may be laid out differently.

    Args:
        doc: the parsed `asset.json`.
        where: path of `asset.json`, named in the error.

    Raises:
        BundleError: not a JSON object, no/invalid `schema_version`, or a newer one.
    """
    if not isinstance(doc, dict):
        raise BundleError(
            f"{where}: the top level must be a JSON object, got {type(doc).__name__}; "
            "this is not a hoiexport bundle: re-save it with hoiexport.sdk.bundle.save_bundle"
        )
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise BundleError(
            f"{where}: field schema_version is missing or not an integer ({version!r}); "
            f"this hoiexport reads schema_version {SCHEMA_VERSION}: re-save the bundle with hoiexport"
        )
    if version > SCHEMA_VERSION:
        raise BundleError(
            f"{where}: field schema_version: bundle schema_version {version} is newer than "
            f"this hoiexport supports ({SCHEMA_VERSION}): upgrade hoiexport"
        )
    if version != SCHEMA_VERSION:
        raise BundleError(
            f"{where}: field schema_version: unknown bundle schema_version {version} "
            f"(this hoiexport reads {SCHEMA_VERSION}): re-save the bundle with hoiexport"
        )


def schema_problem(doc: Any) -> tuple[str, str] | None:
    """The most relevant schema violation of `doc` as (field, message), or None."""
    error = best_match(_validator().iter_errors(doc))
    if error is None:
        return None
    message = error.message
    if len(message) > 300:
        message = message[:300] + "…"
    return field_name(error.absolute_path), message


def validate_document(doc: Any, where: Path) -> None:
    """Validate a parsed `asset.json` against `BUNDLE_SCHEMA_PATH`.

    Args:
        doc: the parsed document.
        where: path of `asset.json`, named in the error.

    Raises:
        BundleError: naming the first offending field and what the schema expects.
    """
    check_schema_version(doc, where)
    problem = schema_problem(doc)
    if problem is not None:
        field, message = problem
        raise BundleError(
            f"{where}: field {field}: {message}; "
            f"fix the field to match {BUNDLE_SCHEMA_PATH.name} or re-save the bundle with hoiexport"
        )
