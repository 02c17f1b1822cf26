"""Write an `HOIAsset` as a bundle folder (DESIGN §3 "Bundle on disk").

Layout of a bundle folder:

    asset.json              metadata, schema-versioned (asset.schema.json)
    meshes/human.npz        vertices, faces [, uv, colors, normals, face_material]
    meshes/object.npz       same
    meshes/body.npz         same + skin_weights (V, J), part_labels (V,)
    textures/<role>.png     base-colour texture of a mesh, when it has one
    textures/<role>_mr.png  linear metallic-roughness texture (`SurfacePBR`), when it has one
    params/body.npz         numpy arrays of BodyFit.params, when it has any

Every file is referenced from `asset.json` by relative path with its sha256.
The folder is written to a temporary sibling and renamed on success.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from hoiexport.sdk.bundle.checks import part_labels_problem, skin_weights_problem
from hoiexport.sdk.bundle.files import file_ref, npz_bytes, png_bytes
from hoiexport.sdk.bundle.params import split_params
from hoiexport.sdk.bundle.schema import schema_problem
from hoiexport.sdk.core.cache import atomic_directory
from hoiexport.sdk.core.errors import BundleError, InputError
from hoiexport.sdk.core.types import SCHEMA_VERSION, HOIAsset, Mesh

ASSET_JSON = "asset.json"
"""Name of the metadata file at the root of every bundle."""

BUNDLE_KIND = "hoiexport.bundle"
"""Value of `asset.json`'s `kind` field."""

MESH_ARRAYS = ("vertices", "faces", "uv", "colors", "normals")
"""Mesh fields stored as arrays in a mesh `.npz` (None fields are left out)."""


def _plain_json(value: Any, name: str) -> Any:
    """`value` as plain JSON data; numpy scalars become Python numbers, tuples lists.

    Raises:
        InputError: a NaN / inf, a non-string dict key, or a type JSON cannot hold.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InputError(f"{name} has key {k!r}; metadata keys must be strings")
            out[k] = _plain_json(v, f"{name}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [_plain_json(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{name} is {value}; metadata numbers must be finite")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise InputError(
        f"{name} has type {type(value).__name__}, which asset.json cannot hold; use numbers, "
        "strings, booleans, None, or lists / dicts of those (convert arrays with .tolist())"
    )


def _metadata(asset: HOIAsset) -> dict[str, Any]:
    """The JSON sections of `asset.json` that do not reference files."""
    body = asset.body
    for i, c in enumerate(asset.contacts):
        if c.joint not in body.skeleton.joint_names:
            raise InputError(
                f"contacts[{i}].joint {c.joint!r} is not a joint of body.skeleton; use one of its joint_names"
            )
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": BUNDLE_KIND,
        "prompt": _plain_json(asset.prompt.to_json(), "prompt"),
        "contact_config": asset.contact_config.value,
        "contacts": [_plain_json(c.to_json(), f"contacts[{i}]") for i, c in enumerate(asset.contacts)],
        "penetration": _plain_json(asset.penetration.to_json(), "penetration"),
        "provenance": _plain_json(asset.provenance.to_json(), "provenance"),
    }


def _skeleton_json(asset: HOIAsset) -> dict[str, Any]:
    sk = asset.body.skeleton
    return {
        "joint_names": [str(n) for n in sk.joint_names],
        "parents": [int(p) for p in sk.parents],
        # float32 -> float64 is exact and JSON keeps float64 exactly, so this round-trips.
        "world_transforms": sk.world_transforms.astype(np.float64).tolist(),
    }


def _check_body(asset: HOIAsset) -> None:
    body = asset.body
    if not isinstance(body.params, dict):
        raise InputError(f"body.params must be a dict, got {type(body.params).__name__}")
    for field, problem in (
        ("body.skin_weights", skin_weights_problem(body.skin_weights)),
        ("body.part_labels", part_labels_problem(body.part_labels)),
    ):
        if problem:
            raise InputError(f"{field} {problem}")
    names = list(body.skeleton.joint_names)
    if len(set(names)) != len(names):
        raise InputError("body.skeleton.joint_names has duplicate names; joint names must be unique")


def _write_mesh(
    root: Path, role: str, mesh: Mesh, extra: dict[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """Write one mesh's `.npz` (and texture) and return its `asset.json` entry."""
    arrays = {k: getattr(mesh, k) for k in MESH_ARRAYS if getattr(mesh, k) is not None}
    if mesh.pbr is not None and mesh.pbr.face_material is not None:
        arrays["face_material"] = mesh.pbr.face_material
    arrays.update(extra or {})
    entry: dict[str, Any] = {
        "name": mesh.name,
        "file": file_ref(root, f"meshes/{role}.npz", npz_bytes(arrays)),
        "texture": None,
    }
    if mesh.texture is not None:
        entry["texture"] = file_ref(root, f"textures/{role}.png", png_bytes(mesh.texture.image))
    if mesh.pbr is not None:
        mr = mesh.pbr.metallic_roughness
        entry["pbr"] = {
            "materials": [m.to_json() for m in mesh.pbr.materials],
            "metallic_roughness": None if mr is None else file_ref(root, f"textures/{role}_mr.png", png_bytes(mr.image)),
        }
    return entry


def save_bundle(asset: HOIAsset, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write `asset` as a bundle folder at `path`, atomically.

    Args:
        asset: the asset; its meshes are in the internal frame (+Y up, metres,
            faces +Z) and are stored as they are.
        path: the bundle folder to create.
        overwrite: replace an existing folder at `path`.

    Returns:
        `path` as a `Path`.

    Raises:
        InputError: the asset has NaN / inf values, out-of-range indices, skin
            weights not summing to 1, part labels outside BODY_PARTS, or
            metadata / params that JSON and .npz cannot hold.
        BundleError: `path` exists and `overwrite` is False.
    """
    asset.validate()
    _check_body(asset)
    doc = _metadata(asset)
    params_tree, params_arrays = split_params(asset.body.params)
    body = asset.body
    try:
        with atomic_directory(path, overwrite=overwrite) as tmp:
            doc["human"] = _write_mesh(tmp, "human", asset.human)
            doc["object"] = _write_mesh(tmp, "object", asset.object)
            doc["body"] = {
                "model": body.model,
                "params": params_tree,
                "param_arrays": file_ref(tmp, "params/body.npz", npz_bytes(params_arrays))
                if params_arrays
                else None,
                "skeleton": _skeleton_json(asset),
                "mesh": _write_mesh(
                    tmp,
                    "body",
                    body.mesh,
                    {"skin_weights": body.skin_weights, "part_labels": body.part_labels},
                ),
            }
            problem = schema_problem(doc)
            if problem is not None:
                raise InputError(f"asset field {problem[0]}: {problem[1]}")
            text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)
            (tmp / ASSET_JSON).write_text(text + "\n", encoding="utf-8")
    except FileExistsError as e:
        raise BundleError(str(e)) from None
    return Path(path)
