"""Attachment sockets: one locator per contact, parented to the contact's joint (DESIGN §8).

A socket `SOCKET_contact_<part>` has its origin at `Contact.point_object`, the point
on the object's surface where the body part touches it (the spot an engine snaps
the object to, or spawns an effect at), and its +Z axis along `Contact.normal` (out
of the object, towards the body). +X is horizontal where it can be: perpendicular
to world up (+Y) and to the normal; when the normal is within ~25° of vertical, +X
is taken perpendicular to world +Z instead. +Y = Z × X completes a right-handed
orthonormal frame. Transforms are in the bind pose, internal frame (+Y up, metres).

Example::

    sockets = make_sockets(asset.contacts, scene.skeleton)
    sockets[0].name, sockets[0].world[:3, 3]   # "SOCKET_contact_right_hand", point_object
"""

from __future__ import annotations

import numpy as np

from hoiexport.exporters.scene import ExportSkeleton, ExportSocket
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Contact

SOCKET_PREFIX = "SOCKET_contact_"
"""Name prefix of socket nodes / prims."""

_UP = np.array([0.0, 1.0, 0.0])
_FORWARD = np.array([0.0, 0.0, 1.0])
_NEAR_VERTICAL = 0.9  # |cos| above which world up is too close to the normal to build +X


def socket_frame(origin: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """A rigid (4, 4) float64 frame with origin `origin` and +Z along `normal`.

    Args:
        origin: (3,) metres.
        normal: (3,) direction (any non-zero length).

    Returns:
        Column-vector transform [[X Y Z origin], [0 0 0 1]], right-handed, orthonormal.

    Raises:
        InputError: zero or non-finite normal / origin.
    """
    o = np.asarray(origin, dtype=np.float64).reshape(3)
    n = np.asarray(normal, dtype=np.float64).reshape(3)
    length = float(np.linalg.norm(n))
    if not (np.isfinite(o).all() and np.isfinite(n).all()) or length < 1e-12:
        raise InputError(f"socket needs a finite origin and a non-zero normal, got {o} and {n}")
    z = n / length
    ref = _UP if abs(z @ _UP) < _NEAR_VERTICAL else _FORWARD
    x = np.cross(ref, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, o
    return m


def make_sockets(contacts: list[Contact], skeleton: ExportSkeleton) -> list[ExportSocket]:
    """One `ExportSocket` per contact, parented to the contact's joint.

    Names are `SOCKET_contact_<part>`; a part that appears again gets `_2`, `_3`…
    so names stay unique.

    Args:
        contacts: measured contacts (internal frame, metres).
        skeleton: the export skeleton the sockets hang from (use the final one: after
            `add_root_joint`, joint indices differ).

    Returns:
        Sockets in contact order, with world = `socket_frame(point_object, normal)`
        and extras {part, joint, point_object, normal, distance_m, area_m2}
        (plain floats and lists, metres / m², internal frame).

    Raises:
        InputError: a contact's joint is not in the skeleton, or its normal is zero.
    """
    index = {name: i for i, name in enumerate(skeleton.joint_names)}
    sockets: list[ExportSocket] = []
    used: dict[str, int] = {}
    for c in contacts:
        if c.joint not in index:
            raise InputError(
                f"contact on {c.part!r} names joint {c.joint!r}, which the export skeleton lacks; "
                f"use one of: {', '.join(skeleton.joint_names)}"
            )
        stem = f"{SOCKET_PREFIX}{c.part}"
        used[stem] = used.get(stem, 0) + 1
        name = stem if used[stem] == 1 else f"{stem}_{used[stem]}"
        normal = np.asarray(c.normal, dtype=np.float64)
        world = socket_frame(c.point_object, normal)
        extras = {
            "part": c.part,
            "joint": c.joint,
            "point_object": [float(v) for v in c.point_object],
            "normal": [float(v) for v in world[:3, 2]],
            "distance_m": float(c.distance_m),
            "area_m2": float(c.area_m2),
        }
        sockets.append(ExportSocket(name, index[c.joint], world, extras))
    return sockets
