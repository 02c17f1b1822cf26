"""Area-weighted vertex normals of a triangle mesh.

Every face adds its unnormalised normal, the cross product of two edges (length
= twice the face's area, direction by the right-hand rule over the corner
order), to each of its three corners; the sums are normalised. Large faces so
count more than small ones, and a vertex's normal does not change when a face
around it is split.

Positions are in any frame and unit (metres throughout the project); normals
come back in the same frame. Counter-clockwise faces seen from outside give
outward normals.

Example::

    normals = vertex_normals(mesh.vertices, mesh.faces)            # (V, 3) float64
    shading = vertex_normals(v, f, groups=weld, fallback=np.array([0.0, 1.0, 0.0]))
"""

from __future__ import annotations

import numpy as np


def face_normals_area_weighted(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unnormalised face normals: (b - a) × (c - a) per face.

    Args:
        vertices: (V, 3) float positions.
        faces: (F, 3) int corner indices.

    Returns:
        (F, 3) float64 normals, each twice its face's area long.
    """
    tri = np.asarray(vertices, np.float64)[faces]
    return np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])


def vertex_normals(
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    fallback: np.ndarray | None = None,
) -> np.ndarray:
    """Area-weighted unit vertex normals.

    Each corner's sum runs over its faces in face order (one `np.bincount` per
    axis), so equal inputs give bitwise equal normals.

    Args:
        vertices: (V, 3) float positions (computed in float64).
        faces: (F, 3) int corner indices into `vertices`.
        groups: optional (V,) int id per vertex, ids 0..G-1; vertices with the
            same id share one normal, summed over all their faces (e.g. the
            copies of a position split at uv seams, so seams do not crease the
            shading). None: every vertex is its own group.
        fallback: optional (3,) unit normal for vertices whose sum is zero (no
            face, or only degenerate ones); None leaves them (0, 0, 0).

    Returns:
        (V, 3) float64 unit normals, same frame as `vertices`.
    """
    face_n = face_normals_area_weighted(vertices, faces)
    corner = np.asarray(faces, np.int64).reshape(-1)
    if groups is None:
        count = len(vertices)
    else:
        group = np.asarray(groups, np.int64)
        corner = group[corner]
        count = int(group.max()) + 1 if len(group) else 0
    acc = np.stack(
        [np.bincount(corner, weights=np.repeat(face_n[:, c], 3), minlength=count) for c in range(3)],
        axis=1,
    )
    if groups is not None:
        acc = acc[group]
    length = np.linalg.norm(acc, axis=1, keepdims=True)
    unit = acc / np.where(length > 0, length, 1.0)
    if fallback is not None:
        unit = np.where(length > 0, unit, np.asarray(fallback, np.float64))
    return unit
