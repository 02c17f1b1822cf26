"""docs/rigs.md's name table is the code's: every preset, every joint, same names."""

from __future__ import annotations

from pathlib import Path

from hoiexport.exporters.skeletons import RIG_ROOT, SKELETON_PRESETS
from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES

DOC = Path(__file__).resolve().parents[2] / "docs" / "rigs.md"


def test_name_table_matches_the_presets() -> None:
    text = DOC.read_text(encoding="utf-8").split("Every name in every preset:", 1)[1]
    rows = [[c.strip().strip("`") for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|") and not line.startswith("|---")]
    header, body = rows[0], rows[1:]
    assert header[1:] == list(SKELETON_PRESETS)
    table = {r[0].split(" ")[0]: r[1:] for r in body}
    assert list(table) == [RIG_ROOT, *SMPL_JOINT_NAMES]
    for col, preset in enumerate(SKELETON_PRESETS.values()):
        assert table[RIG_ROOT][col] == preset.root
        for joint in SMPL_JOINT_NAMES:
            assert table[joint][col] == preset.names[joint], (preset.name, joint)
