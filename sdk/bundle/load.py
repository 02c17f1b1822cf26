"""Read and validate a bundle folder into an `HOIAsset` (DESIGN §3 "Bundle on disk").

Order of checks: `asset.json` is present, inside the folder, parseable, of a
supported `schema_version` and valid against `asset.schema.json`; then every
referenced file is confined to the folder, present and matches its sha256; then
each `.npz`'s array headers are checked (names, shapes, dtypes, size limits)
before the arrays are read without pickle; then values (finite floats, face
indices, skin weights, part labels). Each failure is one `BundleError` naming
the file and field and saying how to fix it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hoiexport.sdk.bundle.checks import (
    face_index_problem,
    nonfinite_problem,
    part_labels_problem,
    skin_weights_problem,
)
from hoiexport.sdk.bundle.files import ArrayHeader, read_npz, read_png, resolve_inside, verify_sha256
from hoiexport.sdk.bundle.params import check_param_headers, join_params
from hoiexport.sdk.bundle.save import ASSET_JSON
from hoiexport.sdk.bundle.schema import validate_document
from hoiexport.sdk.core.errors import BundleError, InputError
from hoiexport.sdk.core.types import (
    BodyFit,
    Contact,
    ContactConfig,
    HOIAsset,
    Mesh,
    Penetration,
    Prompt,
    Provenance,
    Skeleton,
    SurfaceMaterial,
    SurfacePBR,
    Texture,
)

MAX_JSON_BYTES = 64 * 2**20
"""Largest `asset.json` accepted, bytes."""

_RESAVE = "re-save the bundle with hoiexport"


@dataclass(frozen=True)
class _ArraySpec:
    """What one array of a mesh `.npz` must look like.

    Attributes:
        kind: "float" (any float dtype, stored as float32), "int" (any integer
            dtype, stored as int32 / int8) or "uint8".
        cols: allowed sizes of axis 1; None for a 1-D array.
        rows: which count axis 0 must equal: "V" vertices or "F" faces.
        required: the array must be present.
    """

    kind: Literal["float", "int", "uint8"]
    cols: tuple[int, ...] | None
    rows: Literal["V", "F"]
    required: bool = False

    def describe(self) -> str:
        cols = "" if self.cols is None else ", " + "|".join(str(c) for c in self.cols)
        kind = {"float": "float", "int": "integer", "uint8": "uint8"}[self.kind]
        return f"({self.rows}{cols}) {kind}"

    def accepts(self, h: ArrayHeader) -> bool:
        kind_ok = {
            "float": h.dtype.kind == "f",
            "int": h.dtype.kind in "iu",
            "uint8": h.dtype == np.uint8,
        }[self.kind]
        if self.cols is None:
            return kind_ok and len(h.shape) == 1
        return kind_ok and len(h.shape) == 2 and h.shape[1] in self.cols


MESH_SPECS: dict[str, _ArraySpec] = {
    "vertices": _ArraySpec("float", (3,), "V", required=True),
    "faces": _ArraySpec("int", (3,), "F", required=True),
    "uv": _ArraySpec("float", (2,), "V"),
    "colors": _ArraySpec("uint8", (3, 4), "V"),
    "normals": _ArraySpec("float", (3,), "V"),
    "face_material": _ArraySpec("int", None, "F"),
}
"""Arrays of every mesh `.npz`."""


@dataclass(frozen=True)
class _Reader:
    """Reads the files of one bundle folder; all paths are confined to `root`."""

    root: Path
    where: Path
    max_vertices: int
    max_faces: int

    def file(self, ref: dict[str, str], field: str) -> Path:
        """Resolve a `{"path", "sha256"}` reference and verify the file's digest."""
        path = resolve_inside(self.root, ref["path"], f"{field}.path", self.where)
        verify_sha256(path, ref["sha256"], f"{field}.sha256", self.where)
        return path

    def mesh(
        self, entry: dict[str, Any], field: str, extra: dict[str, _ArraySpec] | None = None
    ) -> tuple[Mesh, dict[str, np.ndarray]]:
        """Read one mesh entry: its `.npz` (plus `extra` arrays) and texture.

        Returns:
            (mesh, {name: extra array}).
        """
        path = self.file(entry["file"], f"{field}.file")
        specs = {**MESH_SPECS, **(extra or {})}
        src = f"(asset.json field {field}.file)"

        def check(headers: dict[str, ArrayHeader]) -> None:
            unknown = sorted(set(headers) - set(specs))
            if unknown:
                raise BundleError(
                    f"{path}: unexpected arrays {unknown} {src}; a mesh .npz holds only "
                    f"{sorted(specs)}: {_RESAVE}"
                )
            for name, spec in specs.items():
                if spec.required and name not in headers:
                    raise BundleError(f"{path}: required array {name!r} is missing {src}; {_RESAVE}")
            for name, h in headers.items():
                if not specs[name].accepts(h):
                    raise BundleError(
                        f"{path}: array {name!r} must be {specs[name].describe()}, got shape "
                        f"{h.shape} {h.dtype} {src}; {_RESAVE}"
                    )
            n = {"V": headers["vertices"].shape[0], "F": headers["faces"].shape[0]}
            if n["V"] > self.max_vertices:
                raise BundleError(
                    f"{path}: array 'vertices' has {n['V']} rows, over the limit max_vertices="
                    f"{self.max_vertices} {src}; "
                    "decimate the mesh or pass a larger max_vertices to load_bundle"
                )
            if n["F"] > self.max_faces:
                raise BundleError(
                    f"{path}: array 'faces' has {n['F']} rows, over the limit max_faces="
                    f"{self.max_faces} {src}; "
                    "decimate the mesh or pass a larger max_faces to load_bundle"
                )
            for name, h in headers.items():
                rows = n[specs[name].rows]
                if h.shape[0] != rows:
                    raise BundleError(
                        f"{path}: array {name!r} has {h.shape[0]} rows, expected {rows} "
                        f"(one per {'vertex' if specs[name].rows == 'V' else 'face'}) {src}; {_RESAVE}"
                    )

        raw = read_npz(path, check)
        arrays: dict[str, np.ndarray] = {}
        for name, arr in raw.items():
            spec = specs[name]
            if spec.kind == "float":
                with np.errstate(over="ignore"):  # overflow to inf is reported below
                    arr = np.ascontiguousarray(arr, dtype=np.float32)
                problem = nonfinite_problem(arr)
                if problem:
                    raise BundleError(f"{path}: array {name!r} {problem} {src}; fix the values and {_RESAVE}")
            arrays[name] = arr
        problem = face_index_problem(arrays["faces"], len(arrays["vertices"]))
        if problem:
            raise BundleError(f"{path}: array 'faces' {problem} {src}; fix the faces and {_RESAVE}")
        image = None
        if entry["texture"] is not None:
            if "uv" not in arrays:
                raise BundleError(
                    f"{self.where}: field {field}.texture is set but {path} has no 'uv' array; "
                    f"add uv coordinates or drop the texture, then {_RESAVE}"
                )
            tex_path = self.file(entry["texture"], f"{field}.texture")
            image = read_png(tex_path)
        pbr = None
        if entry.get("pbr") is not None:
            pbr = self.pbr(entry["pbr"], arrays.get("face_material"), "uv" in arrays, field, path)
        elif "face_material" in arrays:
            raise BundleError(
                f"{path}: array 'face_material' has no materials (asset.json field {field}.pbr is missing); "
                f"{_RESAVE}"
            )
        try:
            texture = None if image is None else Texture(image)
            mesh = Mesh(
                vertices=arrays["vertices"],
                faces=arrays["faces"],
                uv=arrays.get("uv"),
                colors=arrays.get("colors"),
                normals=arrays.get("normals"),
                texture=texture,
                name=entry["name"],
                pbr=pbr,
            )
        except InputError as e:
            raise BundleError(f"{path}: {e} {src}; {_RESAVE}") from None
        return mesh, {k: arrays[k] for k in (extra or {})}

    def pbr(
        self, d: dict[str, Any], face_material: np.ndarray | None, has_uv: bool, field: str, path: Path
    ) -> SurfacePBR:
        """Build a mesh's `SurfacePBR` from its `pbr` entry and `face_material` array."""
        mr = None
        if d["metallic_roughness"] is not None:
            if not has_uv:
                raise BundleError(
                    f"{self.where}: field {field}.pbr.metallic_roughness is set but {path} has no 'uv' array; "
                    f"add uv coordinates or drop the texture, then {_RESAVE}"
                )
            mr = Texture(read_png(self.file(d["metallic_roughness"], f"{field}.pbr.metallic_roughness")))
        try:
            materials = tuple(
                SurfaceMaterial(m["kind"], float(m["roughness"]), float(m["metallic"]), m["detail"])
                for m in d["materials"]
            )
            return SurfacePBR(materials, face_material, mr)
        except InputError as e:
            raise BundleError(f"{self.where}: field {field}.pbr: {e}; {_RESAVE}") from None

    def skeleton(self, d: dict[str, Any]) -> Skeleton:
        """Build the body skeleton from `body.skeleton`."""
        names, parents, transforms = d["joint_names"], d["parents"], d["world_transforms"]
        if not len(names) == len(parents) == len(transforms):
            raise BundleError(
                f"{self.where}: field body.skeleton has {len(names)} joint_names, {len(parents)} parents "
                f"and {len(transforms)} world_transforms; they must have one entry per joint: {_RESAVE}"
            )
        if len(set(names)) != len(names):
            raise BundleError(f"{self.where}: field body.skeleton.joint_names has duplicate names; {_RESAVE}")
        with np.errstate(over="ignore"):  # overflow to inf is reported below
            transforms = np.asarray(transforms, dtype=np.float32)
        problem = nonfinite_problem(transforms)
        if problem:
            raise BundleError(
                f"{self.where}: field body.skeleton.world_transforms {problem} after conversion to "
                f"float32; store joint transforms in metres and {_RESAVE}"
            )
        try:
            return Skeleton(
                joint_names=list(names),
                parents=np.asarray(parents, dtype=np.int32),
                world_transforms=transforms,
            )
        except InputError as e:
            raise BundleError(f"{self.where}: field body.skeleton.parents: {e}; {_RESAVE}") from None

    def body(self, d: dict[str, Any]) -> BodyFit:
        """Build the `BodyFit` from `body`: skeleton, mesh + skinning, params."""
        skeleton = self.skeleton(d["skeleton"])
        extra = {
            "skin_weights": _ArraySpec("float", (len(skeleton.joint_names),), "V", required=True),
            "part_labels": _ArraySpec("int", None, "V", required=True),
        }
        mesh, arrays = self.mesh(d["mesh"], "body.mesh", extra)
        mesh_file = self.root / d["mesh"]["file"]["path"]
        weights, labels = arrays["skin_weights"], arrays["part_labels"]
        for name, problem in (
            ("skin_weights", skin_weights_problem(weights)),
            ("part_labels", part_labels_problem(labels)),
        ):
            if problem:
                raise BundleError(
                    f"{mesh_file}: array {name!r} {problem} (asset.json field body.mesh.file); {_RESAVE}"
                )
        npz = None
        param_arrays: dict[str, np.ndarray] = {}
        if d["param_arrays"] is not None:
            npz = self.file(d["param_arrays"], "body.param_arrays")
            param_arrays = read_npz(npz, lambda headers: check_param_headers(headers, npz))
        params = join_params(d["params"], param_arrays, self.where, npz)
        return BodyFit(
            model=d["model"],
            params=params,
            skeleton=skeleton,
            mesh=mesh,
            skin_weights=weights,
            part_labels=labels.astype(np.int8),
        )


def _reject_constant(name: str) -> float:
    raise ValueError(f"number {name} is not allowed; JSON numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise ValueError(f"number {text} overflows to {value}; JSON numbers must be finite")
    return value


def _read_json(path: Path) -> Any:
    """Parse `asset.json`, refusing NaN / Infinity and overlarge files."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise BundleError(
                f"{path}: {size} bytes, more than the {MAX_JSON_BYTES} allowed for asset.json; "
                "array data belongs in .npz files: re-save the bundle with hoiexport"
            )
        return json.loads(
            path.read_bytes().decode("utf-8"),
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except BundleError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError, OSError) as e:
        raise BundleError(
            f"{path}: not valid JSON ({e}); the file is corrupt: restore it or {_RESAVE}"
        ) from None


def load_bundle(
    path: str | os.PathLike[str], max_vertices: int = 2_000_000, max_faces: int = 4_000_000
) -> HOIAsset:
    """Read a bundle folder written by `save_bundle`, validating everything.

    Args:
        path: the bundle folder.
        max_vertices: most vertices any one mesh may have.
        max_faces: most faces any one mesh may have.

    Returns:
        The asset, with meshes in the internal frame (+Y up, metres, faces +Z):
        vertices / uv / normals / skin weights float32, faces int32, colours
        uint8, part labels int8, textures (H, W, 3|4) uint8.

    Raises:
        BundleError: anything missing, corrupt, unsafe (a path leaving the
            folder), of a newer or unknown schema_version, or over the limits;
            the message names the file and field and how to fix it.
    """
    given = Path(path)
    if not given.is_dir():
        raise BundleError(
            f"{given}: not a bundle folder ({'it is a file' if given.exists() else 'it does not exist'}); "
            "pass the folder written by save_bundle"
        )
    root = given.resolve()
    where = given / ASSET_JSON
    if not where.exists() and not where.is_symlink():
        raise BundleError(
            f"{given}: no {ASSET_JSON} in this folder, so it is not a hoiexport bundle; "
            "pass the folder written by save_bundle (or restore its asset.json)"
        )
    try:
        json_path = where.resolve()
    except (OSError, RuntimeError) as e:
        raise BundleError(f"{where}: cannot be resolved ({e}); replace it with the real asset.json") from None
    if not json_path.is_relative_to(root) or not json_path.is_file():
        raise BundleError(
            f"{where}: resolves to {json_path}, outside the bundle folder {root} or not a regular file "
            "(through a symlink); replace it with the real asset.json or re-save the bundle with hoiexport"
        )
    doc = _read_json(json_path)
    validate_document(doc, where)

    reader = _Reader(root=root, where=where, max_vertices=max_vertices, max_faces=max_faces)
    human, _ = reader.mesh(doc["human"], "human")
    obj, _ = reader.mesh(doc["object"], "object")
    body = reader.body(doc["body"])
    contacts = []
    for i, c in enumerate(doc["contacts"]):
        if c["joint"] not in body.skeleton.joint_names:
            raise BundleError(
                f"{where}: field contacts[{i}].joint {c['joint']!r} is not a joint of body.skeleton; "
                f"use one of body.skeleton.joint_names or {_RESAVE}"
            )
        contacts.append(Contact.from_json(c))
    provenance = Provenance.from_json(doc["provenance"])
    if provenance.seed is not None:
        provenance.seed = int(provenance.seed)  # JSON Schema counts 3.0 as an integer
    return HOIAsset(
        prompt=Prompt.from_json(doc["prompt"]),
        human=human,
        object=obj,
        body=body,
        contacts=contacts,
        contact_config=ContactConfig(doc["contact_config"]),
        penetration=Penetration.from_json(doc["penetration"]),
        provenance=provenance,
    )
