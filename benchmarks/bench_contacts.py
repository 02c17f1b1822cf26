"""Contact analysis speed: Anny (13,718 vertices) vs a 20,480-face ball.

Runs `analyze_asset` (contacts + penetration, the whole body) for a few
placements of the ball and, side by side in the same run, the plain-trimesh way
of getting the per-vertex facts for the right hand's 1,596 vertices only
(`trimesh.proximity.closest_point` + `Trimesh.contains`; on all 13,718 body
vertices that call exhausts memory on a far object), and prints both.

    HOIEXPORT_CACHE=/tmp/hoicache .venv/bin/python benchmarks/bench_contacts.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import trimesh

from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.contacts import analyze_asset
from hoiexport.sdk.core.types import BODY_PARTS, Mesh


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(repeats: int = 5) -> None:
    fit = load_body_model("anny").fit(BodyParams())
    hand_vertices = fit.mesh.vertices[fit.part_labels == BODY_PARTS.index("right_hand")]
    hand = hand_vertices.mean(axis=0)
    placements = {
        "touching the hand": (0.12, (0.0, -0.13, 0.0)),
        "hand 5 cm inside": (0.12, (0.0, -0.07, 0.0)),
        "hand at the centre": (0.12, (0.0, 0.0, 0.0)),
        "far in front": (0.12, (0.0, 0.0, 1.0)),
    }
    print(f"body: {len(fit.mesh.vertices)} vertices; ball: icosphere(5), 20,480 faces")
    for name, (radius, offset) in placements.items():
        ball = trimesh.creation.icosphere(subdivisions=5, radius=radius)
        ball.apply_translation(hand + np.asarray(offset))
        obj = Mesh(ball.vertices, ball.faces, name="ball")
        analyze_asset(fit, fit.mesh, obj)  # warm-up
        ours = _median_time(lambda obj=obj: analyze_asset(fit, fit.mesh, obj), repeats)
        report = analyze_asset(fit, fit.mesh, obj)

        def baseline(ball=ball) -> None:
            fresh = ball.copy()  # no cached trees from an earlier repeat
            trimesh.proximity.closest_point(fresh, hand_vertices)
            fresh.contains(hand_vertices)

        base = _median_time(baseline, max(1, repeats // 2))
        print(
            f"{name:18s} analyze_asset {ours:6.3f} s  "
            f"(contacts {report.timings_s['contacts']:.3f}, penetration {report.timings_s['penetration']:.3f})  "
            f"trimesh, hand vertices only {base:6.3f} s  "
            f"config={report.contact_config.value}"
        )


if __name__ == "__main__":
    main()
