"""Export speed: textured human + object → glb + usdc + usdz at 2048², per stage.

Three source sizes in one run:
  * ~40k-face human with clean UVs and a 2048² texture (the common case: kept UVs,
    no decimation, same-topology bake);
  * ~100k and ~200k-face humans (over the 40k budget: decimated, re-unwrapped with
    xatlas, baked by closest point on the source surface).
Two objects per size: a ~12k-face vertex-coloured sphere without uv held in the
right hand (needs xatlas + a bake), and a procedural compose chair (textured, clean
uv: kept, texture passed through).

The humans are the Anny body (Anny's UVs, seam-split, 27,420 faces) subdivided with
its UVs interpolated (all faces, then a prefix of faces) to hit the size exactly.

Anchor (from the issue, measured on this 2-core machine): a scripted Blender 4.5 job
doing the same work (Smart UV Project, Cycles bake 2048² per mesh, glb + usdc)
takes ~4.0 s for the 40k asset. Printed: seconds per stage, total, and the ratio
anchor / total (> 1 means faster than Blender).

Stages overlap (see `ExportResult.timings_s`): uv / bake / png are the slower
mesh's own times, "validate" is only the wait after the last file is written (node
validates the glb while the USD files are encoded), so "no-valid" = total minus
that wait.

Usage: python benchmarks/export_bench.py [--sizes 40000,100000,200000] [--texture 2048]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import trimesh

BLENDER_ANCHOR_S = 4.0


def checker_texture(size: int) -> np.ndarray:
    """(size, size, 3) uint8 sRGB: an 8×8 two-colour checker with a gradient."""
    y, x = np.mgrid[0:size, 0:size] / size
    check = ((np.floor(x * 8) + np.floor(y * 8)) % 2).astype(np.float32)
    img = np.stack([0.25 + 0.5 * check, 0.3 + 0.4 * x, 0.6 - 0.3 * y], axis=-1)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def make_human(faces_target: int, texture: np.ndarray):
    """A textured human mesh with about `faces_target` faces, and its BodyFit."""
    from hoiexport.sdk.bodies import load_body_model
    from hoiexport.sdk.bodies.protocol import BodyParams
    from hoiexport.sdk.core.skeleton import JOINT_INDEX
    from hoiexport.sdk.core.types import Mesh, Texture

    body = load_body_model("anny")
    pose = np.zeros((24, 3), np.float32)
    pose[JOINT_INDEX["right_shoulder"]] = [0.0, 0.0, 0.6]
    pose[JOINT_INDEX["right_elbow"]] = [0.0, -1.2, 0.0]
    fit = body.fit(BodyParams(pose=pose))
    uv_mesh, _ = body.uv_mesh(fit.mesh)
    v, f, uv = uv_mesh.vertices, uv_mesh.faces, uv_mesh.uv
    while len(f) * 4 <= faces_target:
        v, f, attr = trimesh.remesh.subdivide(v, f, vertex_attributes={"uv": uv})
        uv = attr["uv"]
    extra = (faces_target - len(f)) // 3  # each subdivided face adds 3
    if extra > 0:
        v, f, attr = trimesh.remesh.subdivide(v, f, face_index=np.arange(extra), vertex_attributes={"uv": uv})
        uv = attr["uv"]
    return Mesh(v, f, uv=uv, texture=Texture(texture), name="human"), fit


def make_asset(human, fit, object_kind: str = "sphere"):
    """The human holding an object: "sphere" (12k faces, vertex colours, no uv) or
    "chair" (a procedural compose chair: textured, with its own clean uv)."""
    from hoiexport.sdk.contacts import analyze_asset
    from hoiexport.sdk.core.skeleton import JOINT_INDEX
    from hoiexport.sdk.core.types import HOIAsset, Mesh, Prompt, Provenance

    hand = fit.skeleton.world_transforms[JOINT_INDEX["right_hand"], :3, 3]
    if object_kind == "chair":
        from hoiexport.sdk.generators.compose.objects import make_object

        chair = make_object("chair", 0).mesh
        obj = Mesh(chair.vertices + np.array([hand[0] - 0.5, 0.0, 0.0], np.float32) - [0, chair.vertices[:, 1].min(), 0],
                   chair.faces, uv=chair.uv, texture=chair.texture, name="object")
        report = analyze_asset(fit, fit.mesh, obj)
        return HOIAsset(Prompt("a person next to a chair", object="chair"), human, obj, fit,
                        report.contacts, report.contact_config, report.penetration, Provenance("benchmark"))
    ball = trimesh.creation.icosphere(subdivisions=4, radius=0.11)  # 5,120 faces
    ball = trimesh.Trimesh(*trimesh.remesh.subdivide(ball.vertices, ball.faces))  # 20,480
    ball = trimesh.Trimesh(*_decimate(ball, 12_000))
    ball.apply_translation(hand + np.array([0.0, -0.13, 0.02]))
    colors = np.column_stack([
        (128 + 100 * np.sin(ball.vertices[:, 1] * 60)).astype(np.uint8),
        np.full(len(ball.vertices), 60, np.uint8),
        np.full(len(ball.vertices), 40, np.uint8),
    ])
    obj = Mesh(ball.vertices, ball.faces, colors=colors, name="object")
    report = analyze_asset(fit, fit.mesh, obj)
    return HOIAsset(
        Prompt("a person holding a ball", object="ball"), human, obj, fit,
        report.contacts, report.contact_config, report.penetration, Provenance("benchmark"),
    )


def _decimate(mesh: trimesh.Trimesh, faces: int):
    import fast_simplification

    return fast_simplification.simplify(mesh.vertices, mesh.faces, 1.0 - faces / len(mesh.faces))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="40000,100000,200000")
    parser.add_argument("--texture", type=int, default=2048)
    args = parser.parse_args()

    from hoiexport.exporters.export import ExportOptions, export
    from hoiexport.exporters.options import BakeOptions

    tex = checker_texture(args.texture)
    options = ExportOptions(bake=BakeOptions(size=args.texture))
    stages = ("prepare", "uv", "bake", "png", "skin", "uv+bake+skin", "encode_glb", "encode_usdc", "encode_usdz", "write", "validate")
    print(f"texture {args.texture}², formats glb+usdc+usdz, anchor Blender 4.5 ≈ {BLENDER_ANCHOR_S:.1f} s (40k case)")
    print(f"{'human faces':>12} {'object':>14} " + " ".join(f"{s:>11}" for s in stages) + f" {'total':>7} {'no-valid':>8} {'vs Blender':>10}")
    for target, kind in [(int(s), k) for s in args.sizes.split(",") for k in ("sphere", "chair")]:
        human, fit = make_human(target, tex)
        asset = make_asset(human, fit, kind)
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            result = export(asset, out, formats=("glb", "usdc", "usdz"), target="unity", options=options)
            total = time.perf_counter() - t
        ts = result.timings_s
        no_valid = total - ts.get("validate", 0.0)
        row = " ".join(f"{ts.get(s, 0.0):>11.2f}" for s in stages)
        print(f"{len(human.faces):>12} {kind + ' ' + str(len(asset.object.faces)):>14} {row} {total:>7.2f} {no_valid:>8.2f} {BLENDER_ANCHOR_S / no_valid:>9.2f}x")
        print(f"{'':>12} stats: human {result.stats['human']} object {result.stats['object']}")


if __name__ == "__main__":
    main()
