"""Body + contact demo through the SDK: pose Anny, rest the right hand on a box,
measure the contacts, save a bundle and export validated glb / usdc / usdz.

Usage: python samples/body_contact_demo.py -o out/demo [--target unity]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import trimesh

import hoiexport
from hoiexport.sdk.bodies.protocol import BodyParams
from hoiexport.sdk.contacts import analyze_asset
from hoiexport.sdk.core.types import HOIAsset, Mesh, Prompt, Provenance


def build_asset() -> HOIAsset:
    """A standing Anny body (A-pose, feet on the floor) resting its right hand on a box."""
    body = hoiexport.load_body_model("anny")
    rest = body.fit(BodyParams())
    lift = -float(rest.mesh.vertices[:, 1].min())  # put the feet on the floor (y = 0)
    fit = body.fit(BodyParams(transl=np.array([0.0, lift, 0.0], np.float32)))

    labels = np.asarray(fit.part_labels)
    hand = fit.mesh.vertices[labels == hoiexport.BODY_PARTS.index("right_hand")]
    top = float(hand[:, 1].min())  # the box top meets the lowest point of the hand
    centre = hand.mean(axis=0)
    box = trimesh.creation.box((0.22, top, 0.30))
    box.apply_translation([centre[0] - 0.04, top / 2, centre[2]])  # outward, away from the thigh
    colors = np.tile(np.array([150, 105, 60], np.uint8), (len(box.vertices), 1))
    obj = Mesh(box.vertices, box.faces, colors=colors, name="object")

    uv_human, _ = body.uv_mesh(fit.mesh)  # Anny's own UVs, seam-split
    shirt = np.array([70, 110, 190], np.uint8)
    human = Mesh(uv_human.vertices, uv_human.faces, uv=uv_human.uv,
                 colors=np.tile(shirt, (len(uv_human.vertices), 1)), name="human")
    report = analyze_asset(fit, human, obj)
    return HOIAsset(
        prompt=Prompt("A person rests the right hand on a wooden box.", object="box", action="stand"),
        human=human, object=obj, body=fit,
        contacts=report.contacts, contact_config=report.contact_config,
        penetration=report.penetration, provenance=Provenance("demo", seed=0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", default="out/demo", type=Path)
    parser.add_argument("--target", default="unity", choices=["unity", "unreal", "omniverse", "blender"])
    args = parser.parse_args()

    asset = build_asset()
    bundle = hoiexport.save_bundle(asset, args.out / "bundle", overwrite=True)
    result = hoiexport.export(asset, args.out, formats=("glb", "usdc", "usdz"), target=args.target)
    print(json.dumps({
        "bundle": str(bundle),
        "contact_config": asset.contact_config.value,
        "contacts": [{"part": c.part, "joint": c.joint, "distance_cm": round(c.distance_m * 100, 2)} for c in asset.contacts],
        "penetration": asset.penetration.to_json(),
        **result.to_json(),
    }, indent=2))


if __name__ == "__main__":
    main()
