"""Import a glb into Blender (bpy) and print what Blender made of it, as one JSON object.

Runs INSIDE the Blender venv (`scripts/make_blender_venv.sh`), never in the project's
venv: it imports `bpy` and nothing of hoiexport.

Usage:
    <blender-venv>/bin/python tests/exporters/blender_probe.py FILE.glb --names JSON

    --names  JSON object SMPL-24 joint name → the file's joint name (a skeleton preset's
             `names`); the probe reads the upper arm of each side from it
             (left_shoulder → left_elbow, right_shoulder → right_elbow).

Prints, as the last line of stdout, a JSON object:
    blender: Blender version string.
    armatures: names of the armature objects.
    bones: per bone {name, parent (name or null), armature, head, tail, to_child_deg}
        with head/tail the bone's REST position in world coordinates, metres,
        Blender's frame (right-handed, +Z up: the importer turns glTF's +Y up into
        +Z up), and to_child_deg the angle between the bone's axis (head → tail) and
        the direction to its children's mean head (null for a leaf).
    bone_names: bone names in import order.
    root_bones: names of the bones without a parent bone.
    upper_arm_deg: {"left": deg, "right": deg} angle of each upper arm below the
        horizontal plane in the rest pose (shoulder joint → elbow joint; 45 in an
        A pose, 0 in a T pose); null for a side whose bones are missing.
    actions: names of the actions the importer created.
    meshes: per mesh object {name, vertices (count), parent}, the importer's bone
        display shape left out (listed in bone_shapes).
    empties: per empty object {name, parent, parent_bone} (glTF nodes that are
        neither mesh nor joint, e.g. sockets).
Exit status 0 when the file imported; 2 with a one-line message on stderr otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import bpy  # type: ignore[import-not-found]  # only inside the Blender venv


def _vec(v) -> list[float]:
    return [round(float(c), 6) for c in v]


def _angle_below_horizontal(head, child_head) -> float:
    """Degrees of the segment head → child_head below the XY plane (+Z up)."""
    d = child_head - head
    return math.degrees(math.atan2(-d.z, math.hypot(d.x, d.y)))


def probe(path: Path, names: dict[str, str]) -> dict:
    """Import `path` into an empty scene and describe the result (see module docstring)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = bpy.ops.import_scene.gltf(filepath=str(path))
    if "FINISHED" not in result:
        raise RuntimeError(f"glTF import of {path} returned {sorted(result)}")

    armatures = [o for o in bpy.context.scene.objects if o.type == "ARMATURE"]
    bones: list[dict] = []
    heads = {}
    for arm in armatures:
        world = arm.matrix_world
        for bone in arm.data.bones:
            head = world @ bone.head_local
            tail = world @ bone.tail_local
            heads[bone.name] = head
            bones.append({
                "name": bone.name,
                "parent": bone.parent.name if bone.parent else None,
                "armature": arm.name,
                "head": _vec(head),
                "tail": _vec(tail),
            })

    # how far each bone's own axis (head -> tail, from the joint's rest rotation) is
    # from the direction to its children's heads: 0 when bones point down the chain
    for arm in armatures:
        world = arm.matrix_world
        for entry, bone in zip((b for b in bones if b["armature"] == arm.name), arm.data.bones):
            kids = [world @ c.head_local for c in bone.children]
            if not kids:
                entry["to_child_deg"] = None
                continue
            head = world @ bone.head_local
            to_child = sum((k - head for k in kids), head * 0) / len(kids)
            axis = (world @ bone.tail_local) - head
            entry["to_child_deg"] = (
                round(math.degrees(axis.angle(to_child)), 3) if to_child.length > 1e-9 and axis.length > 1e-9 else None
            )

    upper_arm: dict[str, float | None] = {}
    for side in ("left", "right"):
        shoulder = names.get(f"{side}_shoulder")
        elbow = names.get(f"{side}_elbow")
        if shoulder in heads and elbow in heads:
            upper_arm[side] = round(_angle_below_horizontal(heads[shoulder], heads[elbow]), 4)
        else:
            upper_arm[side] = None

    # the importer (4.2+) adds a mesh it uses as the bones' display shape; it is not content
    shapes = {pb.custom_shape.name for a in armatures for pb in a.pose.bones if pb.custom_shape is not None}
    meshes = [
        {"name": o.name, "vertices": len(o.data.vertices), "parent": o.parent.name if o.parent else None}
        for o in bpy.context.scene.objects
        if o.type == "MESH" and o.name not in shapes
    ]
    empties = [
        {"name": o.name, "parent": o.parent.name if o.parent else None, "parent_bone": o.parent_bone or None}
        for o in bpy.context.scene.objects
        if o.type == "EMPTY"
    ]
    return {
        "blender": bpy.app.version_string,
        "file": str(path),
        "armatures": [a.name for a in armatures],
        "bones": bones,
        "bone_names": [b["name"] for b in bones],
        "root_bones": [b["name"] for b in bones if b["parent"] is None],
        "upper_arm_deg": upper_arm,
        "actions": sorted(a.name for a in bpy.data.actions),
        "meshes": meshes,
        "bone_shapes": sorted(shapes),
        "empties": empties,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("glb", type=Path, help="the .glb (or .gltf) to import")
    parser.add_argument("--names", default="{}", help="JSON object: SMPL-24 joint name -> joint name in the file")
    args = parser.parse_args(argv)
    if not args.glb.is_file():
        print(f"blender_probe: {args.glb} is not a file; pass the path of an exported .glb", file=sys.stderr)
        return 2
    try:
        names = json.loads(args.names)
    except json.JSONDecodeError as exc:
        print(f"blender_probe: --names is not JSON ({exc}); pass e.g. '{{\"left_shoulder\": \"upperarm_l\"}}'",
              file=sys.stderr)
        return 2
    try:
        report = probe(args.glb, names)
    except RuntimeError as exc:
        print(f"blender_probe: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    print(json.dumps(report))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
