"""glTF validation: the Khronos glTF-Validator (via node) plus house rules on skins.

The Khronos validator is the npm package `gltf-validator` (pinned in
`gltf_validator/package-lock.json`), run by `gltf_validator/run.js`; one node process
validates any number of files (`KhronosSession` hands them over one by one on
stdin, so node can be started, and load the validator, before the files exist). Its `node_modules` is looked for next to this module
(`gltf_validator/node_modules`, what `scripts/install_validators.sh` installs), then
in `$HOIEXPORT_CACHE/gltf_validator/node_modules`.

House rules read the file's JSON with `json` and decode accessors with numpy
(`GltfDocument`; its `gltf` gives pygltflib's model of the same file). A glb whose
geometry is draco / meshopt compressed is read decoded (`compress.decode_glb`,
glTF-Transform in node), as an engine's decoder reads it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import unquote

import numpy as np

from hoiexport.exporters.validate import (
    HouseRule,
    Severity,
    ValidationMessage,
    run_house_rules,
)
from hoiexport.exporters.compress import decode_glb, is_compressed
from hoiexport.sdk.core.cache import cache_dir
from hoiexport.sdk.core.errors import ExportError, InputError, ModelUnavailableError

if TYPE_CHECKING:
    import pygltflib

VALIDATOR_DIR = Path(__file__).resolve().parent / "gltf_validator"
"""Holds package.json, package-lock.json and run.js (and node_modules once installed)."""

RUN_JS = VALIDATOR_DIR / "run.js"

WEIGHT_SUM_TOLERANCE = 2e-3
"""Largest |sum of a vertex's skin weights − 1| the house rule accepts."""

MAX_INFLUENCES = 4
"""Most joints (non-zero weights) one vertex may be bound to (DESIGN §8 step 4)."""

_KHRONOS_SEVERITY: dict[int, Severity] = {0: "error", 1: "warning", 2: "info", 3: "hint"}
_BATCH = 200  # files per node process, well under any argv limit
_NODE_NICENESS = 10
"""Niceness of a `KhronosSession`'s node process (started early, see there)."""


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
        out.extend(_parse_khronos(install, proc.returncode, proc.stdout, proc.stderr, len(batch)))
    return out


class KhronosSession:
    """One node process of the Khronos glTF-Validator fed file by file (`run.js --stdin`).

    Start it early (node loads the validator meanwhile, ~0.2 s), `add` each file as
    soon as it is written (node validates it at once), then `results()`. Use as a
    context manager, or call `close()`, so node never outlives an error.
    """

    def __init__(
        self, install: GltfValidatorInstall | None = None, timeout_s: float = 600.0, warm_up: bool = False
    ) -> None:
        """Start node.

        Args:
            install: where the validator is (default: `locate_gltf_validator()`).
            timeout_s: limit for the whole session, seconds.
            warm_up: validate a small generated glb first (run.js `--warm-up`, ~0.1 s
                of node's time) so that the first real file validates about twice
                as fast; worth it when node is started before the files exist.

        Raises:
            ModelUnavailableError: node or `gltf-validator` is missing.
        """
        self.install = install or locate_gltf_validator()
        self.timeout_s = timeout_s
        self.paths: list[Path] = []
        cmd = [str(self.install.node), str(self.install.script), "--modules", str(self.install.node_modules), "--stdin"]
        if warm_up:
            cmd.append("--warm-up")
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        if hasattr(os, "setpriority"):
            # Lower priority: loading the validator (~0.2 s of CPU) yields to the
            # export's own work and uses the cores when they would idle.
            try:
                os.setpriority(os.PRIO_PROCESS, self._proc.pid, _NODE_NICENESS)
            except OSError:
                pass

    def add(self, path: str | os.PathLike[str]) -> None:
        """Hand node one .glb / .gltf file to validate now.

        Raises:
            InputError: the path contains a line break (it could not be passed on).
        """
        p = Path(path).resolve()
        if "\n" in str(p) or "\r" in str(p):
            raise InputError(f"cannot validate {str(p)!r}: its path contains a line break; rename it")
        self.paths.append(p)
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(f"{p}\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass  # node died; `results` reports why

    def results(self) -> list[list[ValidationMessage]]:
        """Wait for node; the findings of each added file, in order. A file node could
        not read yields one error "FILE_UNREADABLE".

        Raises:
            ExportError: node failed, timed out or printed something that is not a report.
        """
        try:
            stdout, stderr = self._proc.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self.close()
            first = self.paths[0] if self.paths else "?"
            raise ExportError(
                f"the glTF validator took over {self.timeout_s:.0f} s on {first}…; "
                "validate fewer or smaller files at a time"
            ) from None
        return _parse_khronos(self.install, self._proc.returncode, stdout, stderr, len(self.paths))

    def close(self) -> None:
        """Stop node if it is still running."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse_khronos(
    install: GltfValidatorInstall, returncode: int, stdout: str, stderr: str, expected: int
) -> list[list[ValidationMessage]]:
    """The findings per file from run.js's output (see `run_khronos`)."""
    if returncode != 0:
        raise ExportError(
            f"the glTF validator (node {install.script}) failed with exit code "
            f"{returncode}: {stderr.strip()[-2000:]}; reinstall it with "
            "scripts/install_validators.sh"
        )
    try:
        results = json.loads(stdout)["results"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ExportError(
            f"the glTF validator printed no JSON report ({exc}); reinstall it with "
            "scripts/install_validators.sh"
        ) from None
    if len(results) != expected:
        raise ExportError(f"the glTF validator reported {len(results)} files of {expected}")
    out = []
    for result in results:
        if "error" in result:
            out.append([ValidationMessage("error", "FILE_UNREADABLE", str(result["error"]), "", "khronos")])
        else:
            out.append(_khronos_messages(result["report"]))
    return out


# ---------------------------------------------------------------------------
# The file as house rules see it.

_COMPONENT_DTYPE = {
    5120: np.int8,  # glTF 2.0 accessor.componentType codes (BYTE ... FLOAT)
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


_GLB_MAGIC = b"glTF"
_GLB_JSON = 0x4E4F534A
_GLB_BIN = 0x004E4942


def _read_glb(data: bytes) -> tuple[dict, bytes | None]:
    """(JSON, BIN chunk or None) of GLB bytes (glTF 2.0 §4.4).

    Raises:
        ValueError: not a GLB 2 file, or its chunks are cut short.
    """
    if len(data) < 20 or data[:4] != _GLB_MAGIC:
        raise ValueError("not a GLB file (no 'glTF' magic)")
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise ValueError(f"GLB version {version}; only glTF 2.0 is read")
    length = min(length, len(data))
    chunks: list[tuple[int, bytes]] = []
    offset = 12
    while offset + 8 <= length:
        size, kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + size > length:
            raise ValueError(f"GLB chunk at byte {offset} runs past the end of the file")
        chunks.append((kind, data[offset + 8 : offset + 8 + size]))
        offset += 8 + size + (-size % 4)
    if not chunks or chunks[0][0] != _GLB_JSON:
        raise ValueError("GLB has no JSON chunk first")
    document = json.loads(chunks[0][1].decode("utf-8"))
    binary = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == _GLB_BIN else None
    return document, binary


@dataclass
class GltfDocument:
    """A glTF file loaded for the house rules: its JSON and its buffers' bytes.

    The JSON is read with the `json` module (pygltflib's dataclass decoding takes
    ~0.2 s for an export's glb, which `ValidationSession` would wait for);
    `gltf` gives pygltflib's object model of the same file, parsed on first use.

    Attributes:
        path: the file.
        json: the glTF JSON as plain dicts and lists.
        buffers: the bytes of each buffer, in order (GLB chunk, data URI or file).
    """

    path: Path
    json: dict
    buffers: list[bytes]
    _gltf: pygltflib.GLTF2 | None = field(default=None, repr=False)

    @property
    def gltf(self) -> pygltflib.GLTF2:
        """pygltflib's object model of the file (parsed on first use).

        Raises:
            ValueError / OSError: pygltflib cannot read the file.
        """
        if self._gltf is None:
            import pygltflib  # ~0.1 s to import; only this property needs it

            gltf = pygltflib.GLTF2.load(str(self.path))
            if gltf is None:
                raise ValueError(f"{self.path} is not a glTF file")
            self._gltf = gltf
        return self._gltf

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> GltfDocument:
        """Read a .glb or .gltf and its buffers (data URIs, or files beside it).

        Raises:
            ValueError / TypeError / OSError: the file or a buffer cannot be read.
        """
        path = Path(path)
        data = path.read_bytes()
        if data[:4] == _GLB_MAGIC:
            document, binary = _read_glb(data)
        else:
            document, binary = json.loads(data.decode("utf-8")), None
        if not isinstance(document, dict):
            raise TypeError(f"{path} holds no glTF JSON object")
        if is_compressed(document):
            # draco / meshopt geometry: read what a decoder gets (glTF-Transform, `compress.decode_glb`)
            if binary is None:
                raise ValueError(f"{path}: compressed geometry is decoded for .glb files only")
            document, binary = _read_glb(decode_glb(data))
        root = path.resolve().parent
        buffers = []
        for i, buf in enumerate(document.get("buffers", [])):
            uri = buf.get("uri")
            if uri is None:
                if binary is None or i != 0:
                    raise ValueError(f"buffer {i} has no uri and no GLB binary chunk")
                buffers.append(binary)
            elif uri.startswith("data:"):
                buffers.append(base64.b64decode(uri.split(",", 1)[1]))
            else:
                target = (root / unquote(uri)).resolve()
                if root not in target.parents:
                    raise ValueError(f"buffer {i} uri {uri!r} lies outside {root}")
                buffers.append(target.read_bytes())
        return cls(path, document, buffers)

    def _view(self, view_index: int, offset: int, count: int, width: int, dtype: np.dtype) -> np.ndarray:
        view = self.json["bufferViews"][view_index]
        data = self.buffers[view["buffer"]]
        item = dtype.itemsize
        stride = view.get("byteStride") or width * item
        start = view.get("byteOffset", 0) + offset
        if count and start + (count - 1) * stride + width * item > len(data):
            raise ValueError(f"bufferView {view_index} read past the end of buffer {view['buffer']}")
        return np.ndarray((count, width), dtype=dtype, buffer=data, offset=start, strides=(stride, item))

    def accessor(self, index: int) -> np.ndarray:
        """Decode accessor `index` (sparse and normalised integers included).

        Returns:
            (count, components) float64; normalised integers mapped to [0, 1] / [-1, 1].
        """
        acc = self.json["accessors"][index]
        dtype: np.dtype[Any] = np.dtype(_COMPONENT_DTYPE[acc["componentType"]]).newbyteorder("<")
        width = _TYPE_WIDTH[acc["type"]]
        count = acc["count"]
        if acc["type"].startswith("MAT") and dtype.itemsize < 4:
            raise ValueError(f"accessor {index}: padded {acc['type']} of small integers is not decoded")
        if acc.get("bufferView") is None:
            values = np.zeros((count, width), np.float64)
        else:
            values = self._view(acc["bufferView"], acc.get("byteOffset", 0), count, width, dtype).astype(np.float64)
        sp = acc.get("sparse")
        if sp and sp.get("count"):
            ind, val = sp["indices"], sp["values"]
            idx_dtype = np.dtype(_COMPONENT_DTYPE[ind["componentType"]]).newbyteorder("<")
            idx = self._view(ind["bufferView"], ind.get("byteOffset", 0), sp["count"], 1, idx_dtype)[:, 0]
            values[idx.astype(np.int64)] = self._view(val["bufferView"], val.get("byteOffset", 0), sp["count"], width, dtype)
        if acc.get("normalized") and dtype.kind in "iu":
            info = np.iinfo(dtype)
            values = values / info.max if dtype.kind == "u" else np.maximum(values / info.max, -1.0)
        return values

    def skinned_primitives(self) -> list[tuple[str, list[str]]]:
        """(primitive pointer, its WEIGHTS_n attribute names in order) for each
        primitive with skin weights."""
        out = []
        for mi, mesh in enumerate(self.json.get("meshes", [])):
            for pi, prim in enumerate(mesh.get("primitives", [])):
                attrs = prim.get("attributes", {})
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
        attrs = self.json["meshes"][mi]["primitives"][pi]["attributes"]
        return np.concatenate([self.accessor(attrs[name]) for name in sets], axis=1)


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


def load_for_house_rules(path: Path) -> GltfDocument | Exception:
    """`GltfDocument.load(path)`, or the error that made the file unreadable.

    pygltflib's parse (~0.2 s for an export's glb) does not depend on the Khronos
    findings, so it can run while node validates.
    """
    try:
        return GltfDocument.load(path)
    except _UNREADABLE as exc:
        return exc


def house_findings(
    path: Path, upstream: list[ValidationMessage], document: GltfDocument | Exception | None = None
) -> list[ValidationMessage]:
    """Run `GLTF_HOUSE_RULES` on `path`.

    A file the Khronos validator already failed may be unreadable; then the house
    rules are skipped for it (its errors stand). A file Khronos passed but the rules
    cannot read yields one error "hoi:Unreadable".

    Args:
        path: the file.
        upstream: the Khronos findings for it.
        document: `load_for_house_rules(path)` when already done.
    """
    upstream_failed = any(m.severity == "error" for m in upstream)
    try:
        doc = load_for_house_rules(path) if document is None else document
        if isinstance(doc, Exception):
            raise doc
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
    with KhronosSession() as session:
        for path in paths:
            session.add(path)
        docs = [load_for_house_rules(Path(p)) for p in paths]
        version = f"gltf-validator {session.install.version}"
        found = session.results()
    return [
        (upstream + house_findings(Path(path), upstream, doc), version)
        for path, doc, upstream in zip(paths, docs, found, strict=True)
    ]
