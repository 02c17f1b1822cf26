"""Exported glb files import into Blender 4.x as engine-ready rigs (#16).

Blender runs as the `bpy` module from PyPI in its own venv (bpy pins one Python minor
version and numpy < 2), made once by `scripts/make_blender_venv.sh` under
`$HOIEXPORT_CACHE/blender-venv`. `blender_probe.py` imports a glb there and reports
armatures, bones (rest head / tail in Blender's +Z-up world), upper-arm angles,
actions and meshes as JSON; the tests compare that with the preset and rest pose the
file was exported with. Skipped, with the reason, only where bpy cannot be installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pygltflib
import pytest

from hoiexport.exporters.skeletons import SKELETON_PRESETS, get_skeleton_preset
from hoiexport.sdk.core.cache import cache_dir

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MAKE_VENV = REPO / "scripts" / "make_blender_venv.sh"
PROBE = Path(__file__).with_name("blender_probe.py")

REST_ARM_DEG = {"a": 45.0, "t": 0.0}
"""Canonical upper-arm angle below horizontal of each rest pose (exporters.rig.REST_POSES)."""

ARM_TOL_DEG = 5.0

CASES = [(preset, "a") for preset in sorted(SKELETON_PRESETS)] + [("ue5", "t"), ("mixamo", "t")]
"""(skeleton preset, rest pose) exported and imported: every preset in the default A pose, two in T."""


@pytest.fixture(scope="session")
def blender_python() -> Path:
    """The Blender venv's python (made on first use, ~20 s with a warm pip cache)."""
    env = dict(os.environ)
    if shutil.which(env.get("PYTHON", "python3.11")) is None and sys.version_info[:2] == (3, 11):
        env["PYTHON"] = sys.executable  # no python3.11 on PATH, but this interpreter is one
    venv = cache_dir() / "blender-venv"
    t = time.perf_counter()
    proc = subprocess.run(["bash", str(MAKE_VENV), str(venv)], capture_output=True, text=True, env=env,
                          timeout=1800, check=False)
    if proc.returncode == 3:
        pytest.skip(f"bpy cannot be installed here: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    python = Path(proc.stdout.strip().splitlines()[-1])
    assert python.is_file(), proc.stdout
    print(f"blender venv ready in {time.perf_counter() - t:.1f} s: {python}")
    return python


@pytest.fixture(scope="module")
def compose_asset():
    """A compose asset: the full SMPL-24 body, right hand on a mug."""
    import hoiexport

    return hoiexport.generate("A man holding a mug in his right hand", generator="compose", seed=0)


def run_probe(python: Path, glb: Path, names: dict[str, str]) -> dict:
    """Import `glb` in Blender and return the probe's JSON report."""
    proc = subprocess.run([str(python), str(PROBE), str(glb), "--names", json.dumps(names)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"blender_probe failed: {proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def gltf_vertex_counts(path: Path) -> dict[str, int]:
    """Mesh name → POSITION count summed over its primitives (LOD 0 meshes by name)."""
    gltf = pygltflib.GLTF2().load(str(path))
    return {m.name: sum(gltf.accessors[p.attributes.POSITION].count for p in m.primitives) for m in gltf.meshes}


@pytest.mark.parametrize(("preset", "rest_pose"), CASES, ids=[f"{p}-{r}" for p, r in CASES])
def test_blender_imports_one_rested_armature(preset, rest_pose, compose_asset, blender_python, tmp_path):
    from hoiexport.exporters.export import ExportOptions, export
    from hoiexport.exporters.options import BakeOptions
    from hoiexport.exporters.rig import RigOptions

    p = get_skeleton_preset(preset)
    options = ExportOptions(bake=BakeOptions(size=512, gutter_px=4),
                            rig=RigOptions(rest_pose=rest_pose, skeleton=preset))
    glb = export(compose_asset, tmp_path, formats="glb", options=options).files["glb"]
    report = run_probe(blender_python, glb, dict(p.names))

    assert report["blender"].startswith("4."), report["blender"]
    assert len(report["armatures"]) == 1, report["armatures"]
    assert report["root_bones"] == [p.root]
    assert sorted(report["bone_names"]) == sorted([p.root, *p.names.values()])
    parent = {b["name"]: b["parent"] for b in report["bones"]}
    assert parent[p.names["pelvis"]] == p.root
    # the root is on the floor (Blender: +Z up), under the pelvis
    bones = {b["name"]: b for b in report["bones"]}
    assert abs(bones[p.root]["head"][2]) < 1e-4
    assert bones[p.names["pelvis"]]["head"][2] > 0.5

    # rest pose: both upper arms at the canonical angle below horizontal
    for side in ("left", "right"):
        angle = report["upper_arm_deg"][side]
        assert angle is not None, f"{side} upper arm bones missing"
        assert abs(angle - REST_ARM_DEG[rest_pose]) <= ARM_TOL_DEG, (side, angle, rest_pose)
    # the character's left (+X) stays +X in Blender
    assert bones[p.names["left_shoulder"]]["head"][0] > 0 > bones[p.names["right_shoulder"]]["head"][0]

    assert any("interaction" in a for a in report["actions"]), report["actions"]

    # meshes arrive whole; sockets ride on bones
    counts = gltf_vertex_counts(glb)
    meshes = {m["name"]: m["vertices"] for m in report["meshes"]}
    for name in ("human", "object"):
        assert meshes.get(name) == counts[name], (name, meshes, counts)
    sockets = [e for e in report["empties"] if e["name"].startswith("SOCKET_")]
    assert sockets and all(e["parent_bone"] in bones for e in sockets), report["empties"]

    # Mixamo's convention (+Y along the bone) is Blender's own: bones point at their children
    if p.bone_axis == "+y":
        off = [b["to_child_deg"] for b in report["bones"] if b["to_child_deg"] is not None and b["parent"]]
        assert np.median(off) < 1.0 and max(off) < 20.0, off
