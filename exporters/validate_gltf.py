"""glTF validation: the Khronos glTF-Validator (via node) plus house rules on skins.

The Khronos validator is the npm package `gltf-validator` (pinned in
`gltf_validator/package-lock.json`), run by `gltf_validator/run.js`; one node process
validates any number of files. Its `node_modules` is looked for next to this module
(`gltf_validator/node_modules`, what `scripts/install_validators.sh` installs), then
in `$HOIEXPORT_CACHE/gltf_validator/node_modules`.

House rules read the file with pygltflib and decode accessors with numpy.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygltflib

from hoiexport.exporters.validate import (
    HouseRule,
    Severity,
    ValidationMessage,
    run_house_rules,
)
from hoiexport.sdk.cache import cache_dir
from hoiexport.sdk.errors import ExportError, ModelUnavailableError

VALIDATOR_DIR = Path(__file__).resolve().parent / "gltf_validator"
"""Holds package.json, package-lock.json and run.js (and node_modules once installed)."""

RUN_JS = VALIDATOR_DIR / "run.js"

WEIGHT_SUM_TOLERANCE = 2e-3
"""Largest |sum of a vertex's skin weights − 1| the house rule accepts."""

MAX_INFLUENCES = 4
"""Most joints (non-zero weights) one vertex may be bound to (DESIGN §8 step 4)."""

_KHRONOS_SEVERITY: dict[int, Severity] = {0: "error", 1: "warning", 2: "info", 3: "hint"}
_BATCH = 200  # files per node process, well under any argv limit


@dataclass(frozen=True)
class GltfValidatorInstall:
    """Where the Khronos validator lives on this machine.

    Attributes:
        node: the node executable.
        script: run.js.
        node_modules: the folder holding `gltf-validator`.
        version: the installed `gltf-validator` version.
    """

    node: Path
    script: Path
    node_modules: Path
    version: str


def node_modules_candidates() -> list[Path]:
    """Folders searched, in order, for `node_modules/gltf-validator`."""
    return [VALIDATOR_DIR / "node_modules", cache_dir() / "gltf_validator" / "node_modules"]


def locate_gltf_validator() -> GltfValidatorInstall:
    """Find node and the installed npm package `gltf-validator`.

    Raises:
        ModelUnavailableError: node is not on PATH or the package is not installed.
    """
    node = shutil.which("node")
    if node is None:
        raise ModelUnavailableError(
            "the Khronos glTF-Validator needs node (>= 18) on PATH; install Node.js, then "
            "run scripts/install_validators.sh (see `hoiexport doctor`)"
        )
    for modules in node_modules_candidates():
        manifest = modules / "gltf-validator" / "package.json"
        if manifest.is_file():
            version = str(json.loads(manifest.read_text(encoding="utf-8")).get("version", "?"))
            return GltfValidatorInstall(Path(node), RUN_JS, modules, version)
    searched = ", ".join(str(p) for p in node_modules_candidates())
    raise ModelUnavailableError(
        f"the npm package gltf-validator is not installed (searched {searched}); "
        "run scripts/install_validators.sh (see `hoiexport doctor`)"
    )


def _khronos_messages(report: dict) -> list[ValidationMessage]:
    out = []
    for m in report.get("issues", {}).get("messages", []):
        if "pointer" in m:
            location = str(m["pointer"])
        elif "offset" in m:
            location = f"@{m['offset']}"
        else:
            location = ""
        out.append(
            ValidationMessage(
                severity=_KHRONOS_SEVERITY.get(int(m.get("severity", 0)), "error"),
                code=str(m.get("code", "UNKNOWN")),
                message=str(m.get("message", "")),
                location=location,
                validator="khronos",
            )
        )
    return out


def run_khronos(
    paths: Sequence[Path], install: GltfValidatorInstall | None = None, timeout_s: float = 600.0
) -> list[list[ValidationMessage]]:
    """Run the Khronos glTF-Validator on `paths`, one node process per 200 files.

    Args:
        paths: .glb / .gltf files.
        install: where the validator is (default: `locate_gltf_validator()`).
        timeout_s: limit for one node process, seconds.

    Returns:
        The findings of each file, in order. A file node could not read yields one
        error "FILE_UNREADABLE".

    Raises:
        ModelUnavailableError: the validator is not installed.
        ExportError: node failed or printed something that is not a report.
    """
    install = install or locate_gltf_validator()
    out: list[list[ValidationMessage]] = []
    for start in range(0, len(paths), _BATCH):
        batch = [str(Path(p).resolve()) for p in paths[start : start + _BATCH]]
        cmd = [str(install.node), str(install.script), "--modules", str(install.node_modules), *batch]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise ExportError(
                f"the glTF validator took over {timeout_s:.0f} s on {batch[0]}…; "
                "validate fewer or smaller files at a time"
            ) from None
        if proc.returncode != 0:
            raise ExportError(
                f"the glTF validator (node {install.script}) failed with exit code "
                f"{proc.returncode}: {proc.stderr.strip()[-2000:]}; reinstall it with "
                "scripts/install_validators.sh"
            )
        try:
            results = json.loads(proc.stdout)["results"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ExportError(
                f"the glTF validator printed no JSON report ({exc}); reinstall it with "
                "scripts/install_validators.sh"
            ) from None
        for result in results:
            if "error" in result:
                out.append([ValidationMessage("error", "FILE_UNREADABLE", str(result["error"]), "", "khronos")])
            else:
                out.append(_khronos_messages(result["report"]))
    return out


# ---------------------------------------------------------------------------
# The file as house rules see it.

_COMPONENT_DTYPE = {
    pygltflib.BYTE: np.int8,
    pygltflib.UNSIGNED_BYTE: np.uint8,
    pygltflib.SHORT: np.int16,
    pygltflib.UNSIGNED_SHORT: np.uint16,
    pygltflib.UNSIGNED_INT: np.uint32,
    pygltflib.FLOAT: np.float32,
}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


@dataclass
class GltfDocument:
    """A glTF file loaded for the house rules: its JSON model and its buffers' bytes.

    Attributes:
        path: the file.
        gltf: pygltflib's object model.
        buffers: the bytes of each buffer, in order (GLB chunk, data URI or file).
    """

    path: Path
    gltf: pygltflib.GLTF2
    buffers: list[bytes]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> GltfDocument:
        """Read a .glb or .gltf and its buffers (data URIs, or files beside it).

        Raises:
            ValueError / OSError: the file or a buffer cannot be read.
        """
        path = Path(path)
        gltf = pygltflib.GLTF2.load(str(path))
        if gltf is None:
            raise ValueError(f"{path} is not a glTF file")
        root = path.resolve().parent
        buffers = []
        for i, buf in enumerate(gltf.buffers):
            if buf.uri is None:
                blob = gltf.binary_blob()
                if blob is None or i != 0:
                    raise ValueError(f"buffer {i} has no uri and no GLB binary chunk")
                buffers.append(bytes(blob))
            elif buf.uri.startswith("data:"):
                buffers.append(base64.b64decode(buf.uri.split(",", 1)[1]))
            else:
                target = (root / buf.uri).resolve()
                if root not in target.parents:
                    raise ValueError(f"buffer {i} uri {buf.uri!r} lies outside {root}")
                buffers.append(target.read_bytes())
        return cls(path, gltf, buffers)

    def _view(self, view_index: int, offset: int, count: int, width: int, dtype: np.dtype) -> np.ndarray:
        view = self.gltf.bufferViews[view_index]
        data = self.buffers[view.buffer]
        item = dtype.itemsize
        stride = view.byteStride or width * item
        start = (view.byteOffset or 0) + offset
        if count and start + (count - 1) * stride + width * item > len(data):
            raise ValueError(f"bufferView {view_index} read past the end of buffer {view.buffer}")
        return np.ndarray((count, width), dtype=dtype, buffer=data, offset=start, strides=(stride, item))

    def accessor(self, index: int) -> np.ndarray:
        """Decode accessor `index` (sparse and normalised integers included).

        Returns:
            (count, components) float64; normalised integers mapped to [0, 1] / [-1, 1].
        """
        acc = self.gltf.accessors[index]
        dtype = np.dtype(_COMPONENT_DTYPE[acc.componentType]).newbyteorder("<")
        width = _TYPE_WIDTH[acc.type]
        if acc.type.startswith("MAT") and dtype.itemsize < 4:
            raise ValueError(f"accessor {index}: padded {acc.type} of small integers is not decoded")
        if acc.bufferView is None:
            values = np.zeros((acc.count, width), np.float64)
        else:
            values = self._view(acc.bufferView, acc.byteOffset or 0, acc.count, width, dtype).astype(np.float64)
        if acc.sparse is not None and acc.sparse.count:
            sp = acc.sparse
            idx_dtype = np.dtype(_COMPONENT_DTYPE[sp.indices.componentType]).newbyteorder("<")
            idx = self._view(sp.indices.bufferView, sp.indices.byteOffset or 0, sp.count, 1, idx_dtype)[:, 0]
            values[idx.astype(np.int64)] = self._view(
                sp.values.bufferView, sp.values.byteOffset or 0, sp.count, width, dtype
            )
        if acc.normalized and dtype.kind in "iu":
            info = np.iinfo(dtype)
            values = values / info.max if dtype.kind == "u" else np.maximum(values / info.max, -1.0)
        return values

    def skinned_primitives(self) -> list[tuple[str, list[str]]]:
        """(primitive pointer, its WEIGHTS_n attribute names in order) for each
        primitive with skin weights."""
        out = []
        for mi, mesh in enumerate(self.gltf.meshes):
            for pi, prim in enumerate(mesh.primitives):
                attrs = vars(prim.attributes)  # pygltflib keeps WEIGHTS_1… as plain attributes
                sets = sorted(
                    (k for k, v in attrs.items() if k.startswith("WEIGHTS_") and v is not None),
                    key=lambda k: int(k.split("_")[1]),
                )
                if sets:
                    out.append((f"/meshes/{mi}/primitives/{pi}/attributes", sets))
        return out

    def vertex_weights(self, pointer: str, sets: list[str]) -> np.ndarray:
        """All weights of a skinned primitive side by side: (V, 4 * len(sets)) float64."""
        mi, pi = int(pointer.split("/")[2]), int(pointer.split("/")[4])
        attrs = self.gltf.meshes[mi].primitives[pi].attributes
        return np.concatenate([self.accessor(getattr(attrs, name)) for name in sets], axis=1)


# ---------------------------------------------------------------------------
# House rules.


def check_skin_weights_normalised(doc: GltfDocument) -> list[ValidationMessage]:
    """Each skinned vertex's weights (all WEIGHTS_n sets) sum to 1 within 2e-3."""
    found = []
    for pointer, sets in doc.skinned_primitives():
        sums = doc.vertex_weights(pointer, sets).sum(axis=1)
        off = np.abs(sums - 1.0)
        bad = np.flatnonzero(off > WEIGHT_SUM_TOLERANCE)
        if bad.size:
            worst = int(bad[np.argmax(off[bad])])
            found.append(
                ValidationMessage(
                    "error",
                    "hoi:SkinWeightsNormalised",
                    f"{bad.size} of {sums.size} vertices have skin weights whose sum is off 1 by more "
                    f"than {WEIGHT_SUM_TOLERANCE:g} (worst: vertex {worst}, sum {sums[worst]:.6f}); "
                    "renormalise the weights in the skin stage",
                    f"{pointer}/{sets[-1]}",
                )
            )
    return found


def check_skin_influences(doc: GltfDocument) -> list[ValidationMessage]:
    """Each skinned vertex has at most 4 joints with a non-zero weight."""
    found = []
    for pointer, sets in doc.skinned_primitives():
        counts = (doc.vertex_weights(pointer, sets) > 0).sum(axis=1)
        bad = np.flatnonzero(counts > MAX_INFLUENCES)
        if bad.size:
            found.append(
                ValidationMessage(
                    "error",
                    "hoi:SkinInfluencesAtMost4",
                    f"{bad.size} of {counts.size} vertices are bound to more than {MAX_INFLUENCES} joints "
                    f"(most: {int(counts.max())} at vertex {int(bad[np.argmax(counts[bad])])}); keep the "
                    "top-4 influences and renormalise",
                    f"{pointer}/{sets[-1]}",
                )
            )
    return found


GLTF_HOUSE_RULES: tuple[HouseRule[GltfDocument], ...] = (
    HouseRule(
        "hoi:SkinWeightsNormalised",
        "Each skinned vertex's weights (all WEIGHTS_n sets together) sum to 1 within 2e-3.",
        check_skin_weights_normalised,
        upstream_codes=("ACCESSOR_WEIGHTS_NON_NORMALIZED",),
    ),
    HouseRule(
        "hoi:SkinInfluencesAtMost4",
        "Each skinned vertex has at most 4 joints with a non-zero weight.",
        check_skin_influences,
    ),
)
"""The glTF house rules, run after the Khronos validator on every file."""


_UNREADABLE = (ValueError, OSError, struct.error, KeyError, IndexError, TypeError, AttributeError)
"""What pygltflib / numpy raise on a malformed file."""


def house_findings(path: Path, upstream: list[ValidationMessage]) -> list[ValidationMessage]:
    """Run `GLTF_HOUSE_RULES` on `path`.

    A file the Khronos validator already failed may be unreadable; then the house
    rules are skipped for it (its errors stand). A file Khronos passed but the rules
    cannot read yields one error "hoi:Unreadable".
    """
    upstream_failed = any(m.severity == "error" for m in upstream)
    try:
        doc = GltfDocument.load(path)
        return run_house_rules(GLTF_HOUSE_RULES, doc, upstream)
    except _UNREADABLE as exc:
        if upstream_failed:
            return []
        return [
            ValidationMessage(
                "error", "hoi:Unreadable", f"the house rules could not read the file: {exc}", "", "house"
            )
        ]


def validate_gltf_files(paths: Sequence[Path]) -> list[tuple[list[ValidationMessage], str]]:
    """Khronos validator (one node process) then house rules, for each file.

    Returns:
        For each path: (findings, validator version string).

    Raises:
        ModelUnavailableError: node or `gltf-validator` is missing.
    """
    install = locate_gltf_validator()
    version = f"gltf-validator {install.version}"
    results = []
    for path, upstream in zip(paths, run_khronos(paths, install), strict=True):
        results.append((upstream + house_findings(Path(path), upstream), version))
    return results
