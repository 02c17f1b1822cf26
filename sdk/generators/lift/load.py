"""Reading a combined human + object mesh (glb / gltf / obj / ply) and its labels.

`load_mesh_parts` reads any file trimesh reads into one `Mesh` (scene nodes
placed by their transforms, in the file's frame, which for glTF is the internal
frame: +Y up, metres), which node each vertex came from (whatever the nodes
are called: `parts.split_parts` decides which is the person by fitting the
body) and, when the scene has nodes named like "human" and "object", the
per-vertex split they imply; `load_combined_mesh` is its (mesh, labels) form.
Textures are kept: the parts' base-colour images are packed side by side into
one atlas and their uv remapped (uv outside [0, 1] is wrapped first); parts
without a texture map to a white tile and keep their colours as vertex colours
(textured parts get white vertex colours), which glTF and the exporters' bake
multiply with the texture. Base-colour factors are not applied.

`load_vertex_labels` reads a `--labels` file: `.npy` or text (one integer per
vertex, or whitespace separated), 0 = person, 1 = object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh, Texture

HUMAN_NAMES = ("human", "person", "body", "character")
OBJECT_NAMES = ("object", "obj", "prop", "item")
_TILE = 8  # pixels of a flat-colour tile in the atlas
_GREY = (180, 180, 180)


@dataclass
class _Part:
    mesh: Mesh
    name: str


@dataclass(frozen=True)
class LoadedMesh:
    """A mesh file read as one mesh, with where its vertices came from.

    Attributes:
        mesh: the merged mesh (file frame, file units; glTF: internal frame, metres).
        labels: (V,) int8, 0 = person, 1 = object, when every node is named
            like a human (`HUMAN_NAMES`) or an object (`OBJECT_NAMES`) and both
            occur; else None.
        part_names: the name of each geometry node, in merge order (the node's
            name, or its geometry's when only that one names a role); one name
            (the file's stem) for a file without a scene.
        part_index: (V,) int32 index into `part_names` of each vertex's node.
    """

    mesh: Mesh
    labels: np.ndarray | None
    part_names: tuple[str, ...]
    part_index: np.ndarray


def _role(name: str) -> int | None:
    """0 for a human-like node name, 1 for an object-like one, else None."""
    low = name.lower()
    for role, names in ((0, HUMAN_NAMES), (1, OBJECT_NAMES)):
        if any(low == n or low.startswith((n + "_", n + ".")) or low.endswith("_" + n) for n in names):
            return role
    return None


def _material_image(visual) -> np.ndarray | None:
    material = getattr(visual, "material", None)
    if material is None:
        return None
    image = getattr(material, "baseColorTexture", None)
    if image is None:
        image = getattr(material, "image", None)
    if image is None:
        return None
    mode = "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"
    return np.asarray(image.convert(mode), dtype=np.uint8)


def _flat_colour(visual) -> tuple[int, ...]:
    material = getattr(visual, "material", None)
    if material is not None:
        try:
            return tuple(int(c) for c in np.asarray(material.main_color)[:3])
        except (AttributeError, TypeError, ValueError):
            pass
    return _GREY


def _to_mesh(geom, transform: np.ndarray, name: str) -> Mesh:
    import trimesh

    vertices = trimesh.transformations.transform_points(np.asarray(geom.vertices, np.float64), transform)
    faces = np.asarray(geom.faces, np.int64)
    visual = geom.visual
    uv = colors = texture = None
    if visual is not None and visual.kind == "texture" and getattr(visual, "uv", None) is not None:
        image = _material_image(visual)
        if image is not None and len(visual.uv) == len(vertices):
            raw = np.asarray(visual.uv, np.float64)
            uv = np.stack([raw[:, 0], 1.0 - raw[:, 1]], axis=1)  # trimesh: v up → glTF: v down
            texture = Texture(image)
        else:
            colors = np.tile(np.asarray(_flat_colour(visual), np.uint8), (len(vertices), 1))
    elif visual is not None and visual.kind in ("vertex", "face"):
        colors = np.asarray(visual.vertex_colors, np.uint8)[:, :3]
    return Mesh(vertices, faces, uv=uv, colors=colors, texture=texture, name=name)


def merge_meshes(parts: list[Mesh], name: str = "combined") -> Mesh:
    """One mesh from several, with one texture atlas when any part is textured.

    Args:
        parts: meshes in one frame.
        name: name of the result.

    Returns:
        The concatenated mesh; vertex order is the parts' order.
    """
    offsets = np.cumsum([0] + [len(p.vertices) for p in parts])
    vertices = np.vstack([p.vertices for p in parts])
    faces = np.vstack([p.faces + off for p, off in zip(parts, offsets, strict=False)])
    if len(parts) == 1:  # nothing to merge: uv, colours and texture as they are (tiling uv included)
        p = parts[0]
        return Mesh(p.vertices, p.faces, uv=p.uv, colors=p.colors, texture=p.texture, name=name)
    if not any(p.texture is not None for p in parts):
        colors = None
        if any(p.colors is not None for p in parts):
            colors = np.vstack([
                p.colors[:, :3] if p.colors is not None else np.tile(np.asarray(_GREY, np.uint8), (len(p.vertices), 1))
                for p in parts
            ])
        return Mesh(vertices, faces, colors=colors, name=name)
    channels = 4 if any(p.texture is not None and p.texture.image.shape[2] == 4 for p in parts) else 3
    tiles = []
    for p in parts:
        if p.texture is not None:
            img = p.texture.image
            if img.shape[2] < channels:
                img = np.concatenate([img, np.full(img.shape[:2] + (1,), 255, np.uint8)], axis=2)
            tiles.append(img[..., :channels])
        else:  # a white tile: the part's colours ride on the vertex colours (glTF multiplies them)
            tiles.append(np.full((_TILE, _TILE, channels), 255, np.uint8))
    width = sum(t.shape[1] for t in tiles)
    height = max(t.shape[0] for t in tiles)
    atlas = np.full((height, width, channels), 255, np.uint8)
    uvs, colours, x = [], [], 0
    for p, t in zip(parts, tiles, strict=True):
        h, w = t.shape[:2]
        atlas[:h, x : x + w] = t
        white = np.full((len(p.vertices), 3), 255, np.uint8)
        if p.texture is not None and p.uv is not None:
            raw = p.uv.astype(np.float64)
            # wrap only coordinates outside [0, 1]: an edge at exactly 1.0 stays on the tile's far side
            local = np.where((raw >= 0.0) & (raw <= 1.0), raw, np.mod(raw, 1.0))
            uvs.append(np.stack([(x + local[:, 0] * w) / width, local[:, 1] * h / height], axis=1))
            colours.append(white)
        else:
            centre = np.array([(x + w / 2) / width, (h / 2) / height])
            uvs.append(np.tile(centre, (len(p.vertices), 1)))
            colours.append(p.colors[:, :3] if p.colors is not None else np.tile(np.asarray(_GREY, np.uint8), (len(p.vertices), 1)))
        x += w
    colors = np.vstack(colours) if any(p.texture is None for p in parts) else None
    return Mesh(vertices, faces, uv=np.vstack(uvs), colors=colors, texture=Texture(atlas), name=name)


def load_mesh_parts(path: str | os.PathLike[str]) -> LoadedMesh:
    """Read a combined human + object mesh and which node each vertex came from.

    Args:
        path: a .glb / .gltf / .obj / .ply / .off / .stl file.

    Returns:
        `LoadedMesh`: the merged mesh, its labels when the node names give
        them, and the per-vertex node index.

    Raises:
        InputError: unreadable file or no triangles.
    """
    import trimesh

    p = Path(path)
    if not p.is_file():
        raise InputError(f"mesh file {p} does not exist")
    try:
        loaded = trimesh.load(p, process=False, maintain_order=True)
    except Exception as exc:  # trimesh raises many types for bad files
        raise InputError(f"cannot read mesh {p}: {exc}; give a .glb, .gltf, .obj or .ply file") from exc
    parts: list[_Part] = []
    if isinstance(loaded, trimesh.Scene):
        for node in loaded.graph.nodes_geometry:
            transform, geom_name = loaded.graph[node]
            geom = loaded.geometry[geom_name]
            if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
                continue
            role_name = node if _role(str(node)) is not None else str(geom_name)
            parts.append(_Part(_to_mesh(geom, np.asarray(transform), str(role_name)), str(role_name)))
    elif isinstance(loaded, trimesh.Trimesh):
        parts.append(_Part(_to_mesh(loaded, np.eye(4), p.stem), p.stem))
    if not parts:
        raise InputError(f"mesh {p} has no triangles")
    mesh = merge_meshes([q.mesh for q in parts], name=p.stem)
    roles = [_role(q.name) for q in parts]
    labels = None
    if all(r is not None for r in roles) and set(roles) == {0, 1}:
        labels = np.concatenate([np.full(len(q.mesh.vertices), r, np.int8) for q, r in zip(parts, roles, strict=True)])
    index = np.repeat(np.arange(len(parts), dtype=np.int32), [len(q.mesh.vertices) for q in parts])
    return LoadedMesh(mesh, labels, tuple(q.name for q in parts), index)


def load_combined_mesh(path: str | os.PathLike[str]) -> tuple[Mesh, np.ndarray | None]:
    """Read a combined human + object mesh (`load_mesh_parts` without the node index).

    Args:
        path: a .glb / .gltf / .obj / .ply / .off / .stl file.

    Returns:
        The merged mesh (file frame, file units), and (V,) int8 labels
        (0 = person, 1 = object) when every scene node is named like a human
        (`HUMAN_NAMES`) or an object (`OBJECT_NAMES`) and both occur; else None.

    Raises:
        InputError: unreadable file or no triangles.
    """
    loaded = load_mesh_parts(path)
    return loaded.mesh, loaded.labels


def load_vertex_labels(path: str | os.PathLike[str], num_vertices: int) -> np.ndarray:
    """(V,) int8 labels from a .npy or text file (0 = person, 1 = object).

    Raises:
        InputError: unreadable file, wrong count, or values other than 0 / 1.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"labels file {p} does not exist")
    try:
        raw = np.load(p, allow_pickle=False) if p.suffix.lower() == ".npy" else np.loadtxt(p, ndmin=1)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read labels {p}: {exc}; give a .npy or text file of 0/1 per vertex") from exc
    labels = np.asarray(raw).ravel()
    if len(labels) != num_vertices:
        raise InputError(f"labels file {p} has {len(labels)} values but the mesh has {num_vertices} vertices")
    if not np.isin(labels, (0, 1)).all():
        raise InputError(f"labels file {p} must hold only 0 (person) and 1 (object)")
    if len(np.unique(labels)) < 2:
        raise InputError(f"labels file {p} must label both the person (0) and the object (1)")
    return labels.astype(np.int8)
