"""`export(asset, out_dir, ...)`: prepare → uv → bake → skin → write → validate (DESIGN §8).

Everything up to the final write is pure (bytes in memory). The files are then
written into a temporary folder beside the output, validated there by the real
validators, and only moved into `out_dir` when every file passed: a failed export
leaves no files.

Concurrency (2 cores are enough to matter): xatlas runs in worker processes (it
holds the GIL) started right after each mesh is prepared; the skin transfer, the
bakes (themselves split over threads) and the PNG encodings run on threads while
it works. The Khronos validator's node process starts with the export and gets
each glTF file the moment it is written, so it validates while the USD files are
encoded; the USD validators and the glTF house rules then run in this process.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hoiexport.exporters.bake import bake, encode_png
from hoiexport.exporters.options import BakeOptions, PrepareOptions, UVOptions
from hoiexport.sdk.geometry.prepare import PreparedMesh, prepare_mesh
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
from hoiexport.sdk.geometry.uv import PendingAtlas, UVAtlas, start_unwrap, uv_process_pool
from hoiexport.exporters.validate import ValidationReport, ValidationSession, ensure_valid
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import SCHEMA_VERSION, HOIAsset, Mesh, Texture

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
        timings_s: stage → seconds ("prepare", "uv", "bake", "png", "skin",
            "uv+bake+skin", "gather", "encode_<fmt>", "write", "validate",
            "total"). Stages overlap: "uv", "bake" and "png" are the longest
            mesh's own time (xatlas time in its worker), "uv+bake+skin" the wall
            time from the end of "prepare" to the end of the textures and skin,
            "validate" the wait for the validators after the last file was
            written (node starts on each glTF file as soon as it is written).
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


@dataclass
class _Textured:
    """One mesh after stages 2 and 3: its atlas, baked texture and PNG."""

    atlas: UVAtlas
    texture: Texture
    png: bytes
    stats: dict[str, Any]
    seconds: dict[str, float]


def _texture_one(
    prepared: PreparedMesh, pending: PendingAtlas, opts: BakeOptions, baked: threading.Barrier
) -> _Textured:
    """Wait for the mesh's atlas, bake its texture and encode the PNG (on a thread).

    The PNG is encoded once every mesh is baked (`baked`): the encodings then run
    side by side on the cores that xatlas and the bake no longer need, rather
    than slowing them down.
    """
    try:
        atlas = pending.result()
        t = time.perf_counter()
        texture, stats = _bake_one(prepared, atlas, opts)
        t_baked = time.perf_counter()
    except BaseException:
        baked.abort()
        raise
    try:
        baked.wait()
    except threading.BrokenBarrierError:
        pass  # another mesh failed; its error is what the export raises
    t_png = time.perf_counter()
    png = encode_png(texture)
    seconds = {"uv": atlas.seconds, "bake": t_baked - t, "png": time.perf_counter() - t_png}
    return _Textured(atlas, texture, png, stats, seconds)


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
    # pack charts for the texture's resolution so texel density matches the bake
    uv_opts = dataclasses.replace(options.uv, resolution=options.bake.size)
    t0 = time.perf_counter()
    # xatlas holds the GIL, so it runs in worker processes (forked at the first
    # submit, before this function starts any thread). The object goes first: its
    # unwrap then overlaps the human's preparation, skin transfer and texture.
    with uv_process_pool(uv_opts.workers) if uv_opts.workers > 1 else nullcontext() as procs:
        object_prep = prepare_mesh(_with_appearance(asset.object), opts.object_max_faces, opts)
        object_uv = start_unwrap(object_prep.mesh, uv_opts, procs)
        human_prep = prepare_mesh(_with_appearance(asset.human), opts.human_max_faces, opts)
        human_uv = start_unwrap(human_prep.mesh, uv_opts, procs)
        timings["prepare"] = time.perf_counter() - t0
        # While xatlas works: import the writers now, before any thread of ours runs
        # (see `_warm_encoders`).
        _warm_encoders()

        # The skin transfer depends only on the prepared human; it and both
        # textures (wait for the atlas, bake, PNG) run on threads (numpy, scipy,
        # zlib release the GIL).
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=3) as threads:
            skin_f = threads.submit(
                _timed, transfer_skin_weights, human_prep.mesh.vertices, human_prep.mesh.faces, asset.body,
                options.skin, target_normals=human_prep.mesh.normals,
            )
            baked = threading.Barrier(2)
            textured_fs = [
                threads.submit(_texture_one, p, u, options.bake, baked)
                for p, u in ((human_prep, human_uv), (object_prep, object_uv))
            ]
            textured = [f.result() for f in textured_fs]
            binding, timings["skin"] = skin_f.result()
    for key in ("uv", "bake", "png"):
        timings[key] = max(x.seconds[key] for x in textured)
    timings["uv+bake+skin"] = time.perf_counter() - t
    prepared = [human_prep, object_prep]
    atlases = [x.atlas for x in textured]
    human_mesh, object_mesh = atlases[0].mesh, atlases[1].mesh
    binding = _remap_binding(binding, atlases[0].vertex_map)

    skeleton = export_skeleton(asset.body)
    joint_name = choose_object_joint(asset.contacts, asset.contact_config)
    object_joint = skeleton.joint_names.index(joint_name) if joint_name else 0
    rigid = rigid_binding(len(object_mesh.vertices), object_joint)

    meshes = []
    for label, mesh, tex, skin, rough in (
        ("human", human_mesh, textured[0], binding, options.roughness_human),
        ("object", object_mesh, textured[1], rigid, options.roughness_object),
    ):
        meshes.append(
            ExportMesh(
                name=label,
                vertices=mesh.vertices,
                normals=_unit_normals(mesh),
                uv=mesh.uv,
                faces=mesh.faces.astype(np.uint32),
                texture=tex.texture,
                roughness=rough,
                joints=skin.joints,
                weights=skin.weights,
                rigid_joint=skin.rigid_joint,
                texture_png=tex.png,
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
    for label, p, a, bstats in zip(("human", "object"), prepared, atlases, (x.stats for x in textured), strict=True):
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
    timings["gather"] = time.perf_counter() - t0
    return scene, timings, stats


@contextmanager
def _frozen_gc() -> Iterator[None]:
    """Keep the objects that exist now out of the cyclic collector until the end.

    A full collection of a caller's heap (torch, trimesh: ~0.3 M objects) takes
    ~0.15 s and lands somewhere inside the export; frozen objects are skipped
    (and, as `gc.freeze` intends, are not dirtied in the forked uv workers).
    Objects made during the export are collected as usual; the frozen ones go
    back to the oldest generation afterwards.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _warm_encoders() -> None:
    """Import the format writers and the USD validator (pygltflib, pxr: ~0.7 s the
    first time in a process) while xatlas works in its worker process.

    Call it while no other thread of this process runs numpy: importing pxr
    releases the GIL inside the dynamic loader, and a numpy thread that then
    takes the loader lock (numpy's temporary elision calls backtrace()) deadlocks
    the two (seen with the skin transfer on a thread).
    """
    for module in ("gltf", "usd", "validate_usd"):
        importlib.import_module(f"hoiexport.exporters.{module}")


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


def encode_format(scene: ExportScene, fmt: Format, preset: TargetPreset, basename: str) -> dict[str, bytes]:
    """Encode `scene` in one format: relative path → bytes of each file it needs
    (the main file first: "<basename>.<fmt>")."""
    from hoiexport.exporters.gltf import encode_glb, encode_gltf
    from hoiexport.exporters.usd import encode_usd, encode_usdz

    if fmt == "glb":
        return {f"{basename}.glb": encode_glb(scene, preset)}
    if fmt == "gltf":
        return encode_gltf(scene, basename, preset)
    if fmt in ("usda", "usdc"):
        return encode_usd(scene, preset, fmt, basename)
    return {f"{basename}.usdz": encode_usdz(scene, preset, basename)}


def encode(scene: ExportScene, formats: Sequence[Format], preset: TargetPreset, basename: str) -> tuple[dict[str, bytes], dict[str, str], dict[str, float]]:
    """Encode `scene` in every format.

    Returns:
        relative path → bytes of every file, format → relative main path,
        "encode_<fmt>" → seconds.
    """
    files: dict[str, bytes] = {}
    main: dict[str, str] = {}
    timings: dict[str, float] = {}
    for fmt in formats:
        t = time.perf_counter()
        out = encode_format(scene, fmt, preset, basename)
        timings[f"encode_{fmt}"] = time.perf_counter() - t
        main[fmt] = f"{basename}.{fmt}"
        _merge_files(files, out)
    return files, main, timings


def _merge_files(files: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Add one format's files; formats may share files (USD textures) but not differ."""
    for rel, data in new.items():
        if rel in files and files[rel] != data:
            raise ExportError(f"two formats wrote different contents to {rel!r}")
        files[rel] = data


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
    # glTF first: node validates each glTF file while the USD files are encoded.
    order = sorted(fmts, key=lambda f: f not in ("glb", "gltf"))
    main = {f: f"{name}.{f}" for f in fmts}

    with ExitStack() as stack:
        stack.enter_context(_frozen_gc())
        session = None
        if options.validate:
            # node starts now and loads the Khronos validator while the meshes are worked on
            session = stack.enter_context(
                ValidationSession(strict=True, gltf=any(f in ("glb", "gltf") for f in fmts))
            )
        scene, timings, stats = gather(asset, options, name)

        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".export-tmp", dir=out))
        stack.callback(shutil.rmtree, staging, ignore_errors=True)
        files: dict[str, bytes] = {}
        timings["write"] = 0.0
        for fmt in order:
            t = time.perf_counter()
            new = encode_format(scene, fmt, preset, name)
            timings[f"encode_{fmt}"] = time.perf_counter() - t
            _merge_files(files, new)
            if not options.overwrite:
                clash = [rel for rel in new if (out / rel).exists()]
                if clash:
                    raise ExportError(f"{out / clash[0]} exists; pass overwrite (CLI: default) or choose another folder")
            t = time.perf_counter()
            for rel, data in new.items():
                p = staging / rel
                if not p.exists():
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_bytes(data)
            if session is not None:
                session.add(staging / main[fmt])
            timings["write"] += time.perf_counter() - t

        reports: dict[str, ValidationReport] = {}
        if session is not None:
            t = time.perf_counter()
            paths = [staging / main[f] for f in order]
            by_fmt = dict(zip(order, ensure_valid(paths, strict=True, session=session), strict=True))
            for fmt in fmts:
                reports[str(out / main[fmt])] = dataclasses.replace(by_fmt[fmt], path=out / main[fmt])
            timings["validate"] = time.perf_counter() - t

        written = []
        for rel in files:
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, dest)
            written.append(dest)
    timings["total"] = time.perf_counter() - t0
    return ExportResult(
        files={f: out / main[f] for f in fmts},
        written=written,
        timings_s=timings,
        validation=reports,
        stats=stats,
    )
