"""Engine-safe glb compression: `--compress auto|none|draco|meshopt` (DESIGN §8 step 5b).

The glb bytes the writer encoded are handed to glTF-Transform (npm
`@gltf-transform/core` / `extensions` / `functions` 4.x with the codecs
`draco3dgltf` and `meshoptimizer`, pinned in `gltf_validator/package-lock.json` and
installed by `scripts/install_validators.sh` beside the Khronos validator), run by
`gltf_validator/compress.mjs` in node. The recipe compresses after encoding and
before staging, so the Khronos validator and the house rules see the compressed
file (the house rules read it decoded, `decode_glb`).

Methods (`METHODS`):

- "draco": `KHR_draco_mesh_compression` (edgebreaker; positions 14 bits, normals
  10, uv 12, joints / weights 12). Unreal's glTF reader decodes it
  (GLTF::EExtension lists KHR_DracoMeshCompression,
  https://dev.epicgames.com/documentation/en-us/unreal-engine/API/Plugins/GLTFCore/GLTF__EExtension);
  it lists neither `EXT_meshopt_compression` nor `KHR_texture_basisu`.
- "meshopt": `EXT_meshopt_compression` after glTF-Transform's reorder and
  `KHR_mesh_quantization` (one quantization volume for the scene, so every mesh
  and LOD keeps the one skin). Unity glTFast imports it (and draco, and KTX2)
  through its optional packages ("meshoptimizer decompression for Unity provides
  support for EXT_meshopt_compression",
  https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.1/manual/installation.html).
- "none": the glb as written.

`auto` picks per target (`AUTO`): unreal → draco, unity → meshopt, omniverse and
blender → none (their pipelines read USD, which is never compressed here). The
choice, the tool versions and the sizes before / after go into the glb's
`extras.hoi.compression`, and into `ExportResult.stats["compression"]`.
Only `.glb` is compressed; `.gltf` (the inspectable text variant) and USD stay as
written.

KTX2 textures (`KHR_texture_basisu`): `compress.mjs --ktx2` encodes them (npm
`ktx2-encoder`, Basis Universal in WASM), but no method here asks for it: the
Khronos validator 2.0.0-dev.3.10 does not know the extension and warns on every
KTX2 image (VALUE_NOT_IN_LIST image/ktx2, IMAGE_UNRECOGNIZED_FORMAT), which the
export's strict validation counts as failures. See docs/architecture.md §8.

Example::

    choice = resolve_compression("auto", "unreal")       # draco
    out = compress_glb(glb_bytes, choice)                 # CompressedGlb
    out.data, out.bytes_in, out.bytes_out
    plain = decode_glb(out.data)                          # geometry decoded again
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hoiexport.sdk.core.errors import ExportError, InputError

Compression = Literal["auto", "none", "draco", "meshopt"]
"""What `--compress` / `ExportOptions.compress` accepts."""

Method = Literal["none", "draco", "meshopt"]
"""A concrete method (what `auto` resolves to)."""

METHODS: dict[str, str] = {
    "none": "the glb as written",
    "draco": "KHR_draco_mesh_compression (glTF-Transform draco(), edgebreaker)",
    "meshopt": "EXT_meshopt_compression + KHR_mesh_quantization (glTF-Transform meshopt(), level medium)",
}
"""Method → what it writes."""

COMPRESSIONS: tuple[str, ...] = ("auto", *METHODS)
"""Every `--compress` value."""

AUTO: dict[str, Method] = {
    "unreal": "draco",
    "unity": "meshopt",
    "omniverse": "none",
    "blender": "none",
}
"""Target preset → the method `auto` picks for its glb."""

COMPRESSED_EXTENSIONS = frozenset({"KHR_draco_mesh_compression", "EXT_meshopt_compression"})
"""glTF extensions whose geometry must be decoded before its accessors can be read."""

TOOL_PACKAGES = ("@gltf-transform/core", "@gltf-transform/functions", "draco3dgltf", "meshoptimizer")
"""npm packages `compress.mjs` needs (versions recorded with each compression)."""

TOOL_DIR = Path(__file__).resolve().parent / "gltf_validator"
"""The npm project (package.json, package-lock.json) shared with the Khronos validator."""

SCRIPT = TOOL_DIR / "compress.mjs"

_GLB_JSON = 0x4E4F534A


def check_compression(compress: str) -> Compression:
    """`compress` if it is a `COMPRESSIONS` value.

    Raises:
        InputError: naming the value and the valid ones.
    """
    if compress not in COMPRESSIONS:
        raise InputError(f"compress must be one of {', '.join(COMPRESSIONS)}, got {compress!r}")
    return compress  # type: ignore[return-value]


def resolve_compression(compress: str, target: str) -> Method:
    """The method `compress` means for `target` (`auto` → `AUTO[target]`).

    Raises:
        InputError: unknown value or target.
    """
    check_compression(compress)
    if compress != "auto":
        return compress  # type: ignore[return-value]
    try:
        return AUTO[target]
    except KeyError:
        raise InputError(f"compress auto knows no target {target!r}; use one of: {', '.join(AUTO)}") from None


@dataclass(frozen=True)
class GltfTransformInstall:
    """Where glTF-Transform lives on this machine.

    Attributes:
        node: the node executable.
        script: compress.mjs.
        node_modules: the folder holding the npm packages.
        versions: npm package → installed version (`TOOL_PACKAGES`).
    """

    node: Path
    script: Path
    node_modules: Path
    versions: dict[str, str]

    def tool(self) -> str:
        """"glTF-Transform 4.5.1 (draco3dgltf 1.5.7, meshoptimizer 1.3.0)"."""
        codecs = ", ".join(f"{p} {self.versions[p]}" for p in TOOL_PACKAGES[2:])
        return f"glTF-Transform {self.versions['@gltf-transform/core']} ({codecs})"


def locate_gltf_transform() -> GltfTransformInstall:
    """Find node and the npm packages compress.mjs needs.

    Raises:
        ExportError: one line naming what is missing and the fix.
    """
    from hoiexport.exporters.validate_gltf import node_modules_candidates

    node = shutil.which("node")
    if node is None:
        raise ExportError(
            "glb compression needs node (>= 18) on PATH; install Node.js, then run scripts/install_validators.sh "
            "(or scripts/setup.sh), or export with --compress none"
        )
    for modules in node_modules_candidates():
        manifests = [modules / p / "package.json" for p in TOOL_PACKAGES]
        if all(m.is_file() for m in manifests):
            versions = {
                p: str(json.loads(m.read_text(encoding="utf-8")).get("version", "?"))
                for p, m in zip(TOOL_PACKAGES, manifests, strict=True)
            }
            return GltfTransformInstall(Path(node), SCRIPT, modules, versions)
    searched = ", ".join(str(p) for p in node_modules_candidates())
    raise ExportError(
        f"glb compression needs the npm packages {', '.join(TOOL_PACKAGES)} (searched {searched}); "
        "run scripts/install_validators.sh (or scripts/setup.sh), or export with --compress none"
    )


@dataclass(frozen=True)
class CompressedGlb:
    """One glb after `compress_glb`.

    Attributes:
        data: the compressed .glb bytes (extras.hoi.compression = `record`).
        method: the method applied.
        bytes_in: size of the glb as written, bytes.
        bytes_out: size of `data`, bytes.
        seconds: wall time of the node run.
        record: what `extras.hoi.compression` holds: {"method", "extensions",
            "tool", "bytes_in", "bytes_compressed"} (bytes_compressed: before this
            record was added to the JSON).
    """

    data: bytes
    method: Method
    bytes_in: int
    bytes_out: int
    seconds: float
    record: dict[str, Any]


def _run(install: GltfTransformInstall, data: bytes, args: list[str], timeout_s: float) -> tuple[bytes, dict[str, Any]]:
    """Run compress.mjs on `data` with `args`; (output glb, its JSON report)."""
    with tempfile.TemporaryDirectory(prefix="hoiexport-compress-") as tmp:
        src, dst = Path(tmp) / "in.glb", Path(tmp) / "out.glb"
        src.write_bytes(data)
        cmd = [str(install.node), str(install.script), "--modules", str(install.node_modules),
               *args, "--in", str(src), "--out", str(dst)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise ExportError(f"glTF-Transform took over {timeout_s:.0f} s on a {len(data)} byte glb") from None
        if proc.returncode != 0 or not dst.is_file():
            last = (proc.stderr.strip().splitlines() or ["no message"])[0]
            raise ExportError(
                f"glTF-Transform failed (exit {proc.returncode}): {last}; reinstall it with scripts/install_validators.sh"
            )
        try:
            report = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            raise ExportError("glTF-Transform printed no report; reinstall it with scripts/install_validators.sh") from None
        return dst.read_bytes(), report


def compress_glb(
    data: bytes, method: Method, install: GltfTransformInstall | None = None, timeout_s: float = 300.0
) -> CompressedGlb:
    """Compress one glb with `method` ("none" returns it unchanged).

    Args:
        data: .glb bytes (as `gltf.encode_glb` writes them).
        method: "none", "draco" or "meshopt".
        install: where glTF-Transform is (default `locate_gltf_transform()`).
        timeout_s: limit for the node run, seconds.

    Returns:
        The compressed glb and what was done.

    Raises:
        InputError: unknown method.
        ExportError: node or the npm packages are missing, or glTF-Transform failed.
    """
    if method not in METHODS:
        raise InputError(f"compression method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "none":
        return CompressedGlb(data, "none", len(data), len(data), 0.0, {"method": "none"})
    install = install or locate_gltf_transform()
    t0 = time.perf_counter()
    out, report = _run(install, data, ["--method", method], timeout_s)
    seconds = time.perf_counter() - t0
    record = {
        "method": method,
        "extensions": sorted(set(report.get("extensionsUsed", [])) & (COMPRESSED_EXTENSIONS | {"KHR_mesh_quantization"})),
        "tool": install.tool(),
        "bytes_in": len(data),
        "bytes_compressed": len(out),
    }
    generator = str(glb_json(data).get("asset", {}).get("generator", "")).strip()
    out = with_hoi_record(out, "compression", record, generator=f"{generator}; compressed by {install.tool()}".lstrip("; "))
    return CompressedGlb(out, method, len(data), len(out), seconds, record)


def decode_glb(data: bytes, install: GltfTransformInstall | None = None, timeout_s: float = 300.0) -> bytes:
    """The glb with its draco / meshopt geometry decoded (quantized attributes kept).

    What an engine's decoder reads back: for the house rules and round-trip checks.

    Raises:
        ExportError: node or the npm packages are missing, or glTF-Transform failed.
    """
    out, _ = _run(install or locate_gltf_transform(), data, ["--decode"], timeout_s)
    return out


def is_compressed(document: dict[str, Any]) -> bool:
    """Whether a glTF JSON document uses draco or meshopt geometry compression."""
    used = set(document.get("extensionsUsed", [])) | set(document.get("extensionsRequired", []))
    return bool(used & COMPRESSED_EXTENSIONS)


def glb_json(data: bytes) -> dict[str, Any]:
    """The JSON chunk of GLB 2 bytes.

    Raises:
        ExportError: `data` is not a GLB 2 file with a JSON chunk first.
    """
    if len(data) < 20 or data[:4] != b"glTF" or struct.unpack_from("<I", data, 4)[0] != 2:
        raise ExportError("the data is not a GLB 2 file; compression reads and writes .glb only")
    size, kind = struct.unpack_from("<II", data, 12)
    if kind != _GLB_JSON:
        raise ExportError("the glb has no JSON chunk first; it is not a valid GLB 2 file")
    document = json.loads(data[20 : 20 + size].decode("utf-8"))
    if not isinstance(document, dict):
        raise ExportError("the glb's JSON chunk holds no glTF object")
    return document


def with_hoi_record(data: bytes, key: str, value: Any, generator: str | None = None) -> bytes:
    """The glb `data` with asset.extras.hoi[key] = value (and asset.generator =
    `generator` when given); the binary chunk is copied unchanged.

    Raises:
        ExportError: `data` is not a GLB 2 file with a JSON chunk first.
    """
    document = glb_json(data)
    size = struct.unpack_from("<I", data, 12)[0]
    asset = document.setdefault("asset", {})
    asset.setdefault("extras", {}).setdefault("hoi", {})[key] = value
    if generator:
        asset["generator"] = generator
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    body += b" " * (-len(body) % 4)
    rest = data[20 + size + (-size % 4) :]
    length = 12 + 8 + len(body) + len(rest)
    return b"".join([struct.pack("<4sII", b"glTF", 2, length), struct.pack("<I4s", len(body), b"JSON"), body, rest])


def node_available() -> bool:
    """Whether `locate_gltf_transform` would succeed (for tests and `doctor`)."""
    try:
        locate_gltf_transform()
    except ExportError:
        return False
    return os.access(SCRIPT, os.R_OK)
