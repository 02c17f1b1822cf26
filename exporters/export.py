"""`export(asset, out_dir, ...)`: prepare → uv → bake → skin → write → validate (DESIGN §8).

Everything up to the final write is pure (bytes in memory). The files are then
written into a temporary folder beside the output, validated there by the real
validators, and only moved into `out_dir` when every file passed: a failed export
leaves no files.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hoiexport.exporters.bake import bake
from hoiexport.exporters.options import BakeOptions, PrepareOptions, UVOptions
from hoiexport.exporters.prepare import PreparedMesh, prepare_mesh
from hoiexport.exporters.presets import TargetPreset, get_preset
from hoiexport.exporters.scene import ExportMesh, ExportScene
from hoiexport.exporters.skin import (
    SkinBinding,
    SkinOptions,
    choose_object_joint,
    export_skeleton,
    rigid_binding,
    transfer_skin_weights,
)
from hoiexport.exporters.sockets import make_sockets
from hoiexport.exporters.uv import UVAtlas, unwrap_many
from hoiexport.exporters.validate import ValidationReport, ensure_valid
from hoiexport.sdk.errors import ExportError, InputError
from hoiexport.sdk.types import SCHEMA_VERSION, HOIAsset, Mesh, Texture

Format = Literal["glb", "gltf", "usda", "usdc", "usdz"]
FORMATS: tuple[str, ...] = ("glb", "gltf", "usda", "usdc", "usdz")
DEFAULT_FORMATS: tuple[Format, ...] = ("glb", "usdc", "usdz")

NEUTRAL_GREY = (200, 200, 200)
"""sRGB base colour used for a mesh that carries no texture and no vertex colours."""


@dataclass(frozen=True)
class ExportOptions:
    """Everything an export can be told, one frozen value.

    Attributes:
        prepare: stage 1 (weld, clean, decimate; face budgets per mesh).
        uv: stage 2 (xatlas; `keep_uv` keeps clean source uv, e.g. Anny's).
        bake: stage 3 (texture size, gutter).
        skin: stage 4 (weight transfer).
        roughness_human: PBR roughness of the human material.
        roughness_object: PBR roughness of the object material.
        validate: run the validators (an export that fails them is an error).
        overwrite: replace files already in `out_dir`.
    """

    prepare: PrepareOptions = field(default_factory=PrepareOptions)
    uv: UVOptions = field(default_factory=lambda: UVOptions(keep_uv=True))
    bake: BakeOptions = field(default_factory=BakeOptions)
    skin: SkinOptions = field(default_factory=SkinOptions)
    roughness_human: float = 0.8
    roughness_object: float = 0.6
    validate: bool = True
    overwrite: bool = True


@dataclass
class ExportResult:
    """What `export` wrote.

    Attributes:
        files: format → path of its main file (the .glb, .gltf, .usda, ...).
        written: every file written (main files, buffers, textures).
        timings_s: stage → seconds ("prepare", "uv", "bake", "skin", "encode_<fmt>",
            "validate", "write", "total").
        validation: main file path (str) → its validation report.
        stats: per-mesh numbers (faces before / after, atlas, bake path).
    """

    files: dict[str, Path]
    written: list[Path]
    timings_s: dict[str, float]
    validation: dict[str, ValidationReport]
    stats: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The CLI's `--json` shape."""
        return {
            "files": {k: str(v) for k, v in self.files.items()},
            "validation": {
                path: {"errors": r.errors, "warnings": r.warnings, "messages": [m.message for m in r.messages]}
                for path, r in self.validation.items()
            },
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
        }


def parse_formats(formats: str | Iterable[str]) -> tuple[Format, ...]:
    """Normalise "glb,usdc" or an iterable of names; errors list the valid ones."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[Format] = []
    for f in (str(x).strip().lower().lstrip(".") for x in items):
        if not f:
            continue
        if f not in FORMATS:
            raise InputError(f"unknown export format {f!r}; use any of: {', '.join(FORMATS)}")
        if f not in out:
            out.append(f)  # type: ignore[arg-type]
    if not out:
        raise InputError(f"no export format given; use any of: {', '.join(FORMATS)}")
    return tuple(out)


def _with_appearance(mesh: Mesh) -> Mesh:
    """`mesh`, or a copy with neutral grey vertex colours when it has no appearance."""
    if mesh.texture is not None or mesh.colors is not None:
        return mesh
    colors = np.tile(np.array(NEUTRAL_GREY, np.uint8), (len(mesh.vertices), 1))
    return Mesh(mesh.vertices, mesh.faces, uv=mesh.uv, colors=colors, normals=mesh.normals, name=mesh.name)


def _bake_one(prepared: PreparedMesh, atlas: UVAtlas, opts: BakeOptions) -> tuple[Texture, dict[str, Any]]:
    """Stage 3 for one mesh.

    When the mesh kept its own uv and its appearance is a texture alone (no vertex
    colours, not decimated), re-baking would resample the texture onto itself: the
    texture passes through, resized to `opts.size` when it differs.
    """
    src = prepared.source
    if atlas.kept_source_uv and src.texture is not None and src.colors is None and src is prepared.mesh:
        image = src.texture.image
        if image.shape[0] != opts.size or image.shape[1] != opts.size:
            from PIL import Image

            mode = "RGBA" if image.shape[2] == 4 else "RGB"
            image = np.asarray(Image.fromarray(image, mode).resize((opts.size, opts.size), Image.Resampling.LANCZOS))
        return Texture(np.ascontiguousarray(image[..., :3])), {"bake_path": "passthrough", "appearance": "texture"}
    # xatlas keeps face and corner order, so target face i still copies source face source_face[i].
    result = bake(src, atlas.mesh, opts, prepared.source_face)
    return result.texture, {
        "bake_path": result.path,
        "appearance": result.appearance,
        "coverage": round(result.coverage, 4),
    }


def _timed(fn, *args, **kwargs):
    """(fn(*args, **kwargs), seconds it took)."""
    t0 = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - t0


def _skin_worker() -> ThreadPoolExecutor:
    """A one-thread pool for the skin transfer (scipy / numpy release the GIL).

    A thread rather than a forked process: a forked worker outlives a killed
    parent (e.g. a SIGKILLed batch driver) and hangs.
    """
    return ThreadPoolExecutor(max_workers=1)


def _remap_binding(binding: SkinBinding, vertex_map: np.ndarray) -> SkinBinding:
    """The binding of the unwrapped mesh: vertex i copies prepared vertex vertex_map[i]."""
    return SkinBinding(
        joints=binding.joints[vertex_map],
        weights=binding.weights[vertex_map],
        rigid_joint=binding.rigid_joint,
        distance_m=None if binding.distance_m is None else binding.distance_m[vertex_map],
        inpainted=None if binding.inpainted is None else binding.inpainted[vertex_map],
    )


def gather(asset: HOIAsset, options: ExportOptions, name: str) -> tuple[ExportScene, dict[str, float], dict[str, Any]]:
    """Stages 1–4: the format-neutral `ExportScene` of `asset`.

    Returns:
        The scene, per-stage seconds, per-mesh stats.
    """
    asset.validate()
    timings: dict[str, float] = {}
    opts = options.prepare
    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        human_f = pool.submit(prepare_mesh, _with_appearance(asset.human), opts.human_max_faces, opts)
        object_f = pool.submit(prepare_mesh, _with_appearance(asset.object), opts.object_max_faces, opts)
        prepared = [human_f.result(), object_f.result()]
    timings["prepare"] = time.perf_counter() - t

    # The human's skin transfer depends only on its prepared vertices, so it runs in
    # a thread while the meshes are unwrapped (xatlas in worker processes when both
    # need it) and baked (numpy releases the GIL).
    t = time.perf_counter()
    human_prep = prepared[0].mesh
    skin_args = (human_prep.vertices, human_prep.faces, asset.body, options.skin)
    with _skin_worker() as worker:
        skin_f = worker.submit(_timed, transfer_skin_weights, *skin_args, target_normals=human_prep.normals)
        # pack charts at the texture's resolution so texel density matches the bake
        uv_opts = dataclasses.replace(options.uv, resolution=options.bake.size)
        atlases = unwrap_many([p.mesh for p in prepared], uv_opts)
        timings["uv"] = time.perf_counter() - t
        t_bake = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            bake_fs = [pool.submit(_timed, _bake_one, p, a, options.bake) for p, a in zip(prepared, atlases, strict=True)]
            baked = [f.result()[0] for f in bake_fs]
        timings["bake"] = time.perf_counter() - t_bake
        binding, timings["skin"] = skin_f.result()
    timings["uv+bake+skin"] = time.perf_counter() - t
    human_mesh, object_mesh = atlases[0].mesh, atlases[1].mesh
    binding = _remap_binding(binding, atlases[0].vertex_map)

    skeleton = export_skeleton(asset.body)
    joint_name = choose_object_joint(asset.contacts, asset.contact_config)
    object_joint = skeleton.joint_names.index(joint_name) if joint_name else 0
    rigid = rigid_binding(len(object_mesh.vertices), object_joint)

    meshes = []
    for label, mesh, (texture, _), skin, rough in (
        ("human", human_mesh, baked[0], binding, options.roughness_human),
        ("object", object_mesh, baked[1], rigid, options.roughness_object),
    ):
        meshes.append(
            ExportMesh(
                name=label,
                vertices=mesh.vertices,
                normals=_unit_normals(mesh),
                uv=mesh.uv,
                faces=mesh.faces.astype(np.uint32),
                texture=texture,
                roughness=rough,
                joints=skin.joints,
                weights=skin.weights,
                rigid_joint=skin.rigid_joint,
            )
        )
    scene = ExportScene(
        name=name,
        skeleton=skeleton,
        meshes=meshes,
        sockets=make_sockets(asset.contacts, skeleton),
        metadata=hoi_metadata(asset),
    )
    stats: dict[str, Any] = {}
    for label, p, a, (_, bstats) in zip(("human", "object"), prepared, atlases, baked, strict=True):
        stats[label] = {
            "faces_in": p.stats.faces_in,
            "faces_out": p.stats.faces_out,
            "decimated": p.stats.decimated,
            "kept_source_uv": a.kept_source_uv,
            "uv_rejected_reason": a.rejected_reason,
            "charts": a.chart_count,
            **bstats,
        }
    stats["object_joint"] = skeleton.joint_names[object_joint]
    return scene, timings, stats


def _unit_normals(mesh: Mesh) -> np.ndarray:
    if mesh.normals is not None:
        n = mesh.normals.astype(np.float64)
    else:
        n = np.asarray(mesh.to_trimesh().vertex_normals, np.float64)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.where(length > 1e-12, n / np.maximum(length, 1e-12), np.array([0.0, 1.0, 0.0]))
    return n.astype(np.float32)


def hoi_metadata(asset: HOIAsset) -> dict[str, Any]:
    """The `hoi` metadata block written to glTF `extras.hoi` and USD `customData`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "prompt": asset.prompt.to_json(),
        "contact_config": asset.contact_config.value,
        "contacts": [c.to_json() for c in asset.contacts],
        "penetration": asset.penetration.to_json(),
        "provenance": asset.provenance.to_json(),
        "units": "metres",
        "frame": "+Y up, character faces +Z",
    }


def encode(scene: ExportScene, formats: Sequence[Format], preset: TargetPreset, basename: str) -> tuple[dict[str, bytes], dict[str, str], dict[str, float]]:
    """Encode `scene` in every format.

    Returns:
        relative path → bytes of every file, format → relative main path,
        "encode_<fmt>" → seconds.
    """
    from hoiexport.exporters.gltf import encode_glb, encode_gltf
    from hoiexport.exporters.usd import encode_usd, encode_usdz

    files: dict[str, bytes] = {}
    main: dict[str, str] = {}
    timings: dict[str, float] = {}
    for fmt in formats:
        t = time.perf_counter()
        if fmt == "glb":
            out = {f"{basename}.glb": encode_glb(scene, preset)}
        elif fmt == "gltf":
            out = encode_gltf(scene, basename, preset)
        elif fmt in ("usda", "usdc"):
            out = encode_usd(scene, preset, fmt, basename)
        else:
            out = {f"{basename}.usdz": encode_usdz(scene, preset, basename)}
        timings[f"encode_{fmt}"] = time.perf_counter() - t
        main[fmt] = f"{basename}.{fmt}"
        for rel, data in out.items():
            if rel in files and files[rel] != data:
                raise ExportError(f"two formats wrote different contents to {rel!r}")
            files[rel] = data
    return files, main, timings


def _check_name(name: str) -> str:
    if not name or name in (".", "..") or any(c in name for c in '/\\:*?"<>|') or name.startswith("."):
        raise InputError(f"export name {name!r} must be a plain file stem (letters, digits, _ and -)")
    return name


def export(
    asset: HOIAsset,
    out_dir: str | os.PathLike[str],
    formats: str | Iterable[str] = DEFAULT_FORMATS,
    target: str = "unity",
    options: ExportOptions | None = None,
    name: str | None = None,
) -> ExportResult:
    """Export `asset` as engine assets into `out_dir`, validated.

    Args:
        asset: the interaction to export.
        out_dir: output folder (created if needed).
        formats: any of glb, gltf, usda, usdc, usdz (comma string or iterable).
        target: engine preset: unity, unreal, omniverse or blender (USD axes/units;
            unreal also adds a `root` joint).
        options: stage options; defaults to `ExportOptions()`.
        name: file stem and root node / prim name; default from the prompt's object.

    Returns:
        Paths, per-stage timings and validation reports.

    Raises:
        InputError: unknown format / target, bad name.
        ValidationFailed: a file failed the glTF or USD validator (nothing written).
        ExportError: other export failures (nothing written).
    """
    t0 = time.perf_counter()
    options = options or ExportOptions()
    fmts = parse_formats(formats)
    preset = get_preset(target)
    name = _check_name(name or f"hoi_{asset.prompt.object or 'asset'}")
    out = Path(out_dir)

    scene, timings, stats = gather(asset, options, name)
    files, main, enc_t = encode(scene, fmts, preset, name)
    timings.update(enc_t)

    out.mkdir(parents=True, exist_ok=True)
    if not options.overwrite:
        clash = [rel for rel in files if (out / rel).exists()]
        if clash:
            raise ExportError(f"{out / clash[0]} exists; pass overwrite (CLI: default) or choose another folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".export-tmp", dir=out))
    try:
        t = time.perf_counter()
        for rel, data in files.items():
            p = staging / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        timings["write"] = time.perf_counter() - t

        reports: dict[str, ValidationReport] = {}
        if options.validate:
            t = time.perf_counter()
            paths = [staging / main[f] for f in fmts]
            for fmt, report in zip(fmts, ensure_valid(paths, strict=True), strict=True):
                reports[str(out / main[fmt])] = dataclasses.replace(report, path=out / main[fmt])
            timings["validate"] = time.perf_counter() - t

        written = []
        for rel in files:
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, dest)
            written.append(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    timings["total"] = time.perf_counter() - t0
    return ExportResult(
        files={f: out / main[f] for f in fmts},
        written=written,
        timings_s=timings,
        validation=reports,
        stats=stats,
    )
