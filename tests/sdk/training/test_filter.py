"""Filtering to K per configuration: checks, farthest-point selection, report, layouts."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.prompt.lexicon import ACTION_CONTACTS, DEFAULT_CONTACT
from hoiexport.sdk.training.data.filter import (
    FilterOptions,
    FilterRecord,
    farthest_point_selection,
    rejection,
    select,
)

OBJECTS = ("box", "chair", "ball", "suitcase", "stool", "table")
COLORS = ("red", "blue", "green", "black")


def _action_for(config: ContactConfig) -> str:
    return next(a for a, c in DEFAULT_CONTACT.items() if c == config or config in ACTION_CONTACTS[a])


def _records(per_class: int = 60, seed: int = 0) -> tuple[list[FilterRecord], set[str]]:
    """`per_class` records per configuration; every 6th (i % 6 == 1) gets one injected defect, the
    four kinds in turn."""
    rng = np.random.default_rng(seed)
    out, bad = [], set()
    for c in ContactConfig:
        for i in range(per_class):
            r = FilterRecord(
                id=f"{c.value}-{i:03d}", config=c, object=OBJECTS[int(rng.integers(len(OBJECTS)))],
                action=_action_for(c), appearance={"top": COLORS[int(rng.integers(4))], "object_color": COLORS[i % 4]},
                caption=f"A person and a thing ({c.value} {i})", penetration_cm=0.2, joint_excess_deg=0.0,
                plausible_p=0.9)
            if i % 6 == 1:
                r = (replace(r, penetration_cm=3.0), replace(r, joint_excess_deg=40.0),
                     replace(r, action="kick" if c not in ACTION_CONTACTS["kick"] else "sit"),
                     replace(r, plausible_p=0.1))[(i // 6) % 4]
                bad.add(r.id)
            out.append(r)
    return out, bad


def test_each_check_names_its_reason():
    good, _ = _records(1)
    r = good[0]
    assert rejection(r, FilterOptions()) is None
    assert rejection(replace(r, penetration_cm=2.0), FilterOptions()) == "penetration"
    assert rejection(replace(r, penetration_cm=float("nan")), FilterOptions()) == "penetration"
    assert rejection(replace(r, joint_excess_deg=30.0), FilterOptions()) == "implausible_action"
    assert rejection(replace(r, plausible_p=0.2), FilterOptions()) == "implausible_action"
    assert rejection(replace(r, plausible_p=None), FilterOptions()) is None  # no MLLM judged it
    assert rejection(replace(r, action="kick"), FilterOptions()) == "action_contact_mismatch"
    assert rejection(replace(r, annotated=False), FilterOptions()) == "not_annotated"


def test_exactly_per_class_none_injected_deterministic():
    records, bad = _records(70)
    assert len(records) == 560 and len(bad) == 8 * 12  # 12 defects per class: 58 pass, 50 kept
    result = select(records, FilterOptions(per_class=50, seed=7))
    kept = [r.id for rs in result.selected.values() for r in rs]
    assert {c: len(rs) for c, rs in result.selected.items()} == {c: 50 for c in ContactConfig}
    assert len(set(kept)) == 400 and not set(kept) & bad
    for c, rs in result.selected.items():
        assert all(r.config == c for r in rs)
        rep = result.classes[c]
        assert rep.candidates == 70 and rep.passed == 58 == 70 - sum(rep.rejected.values())
        assert set(rep.rejected) <= {"penetration", "implausible_action", "action_contact_mismatch"}
    again = select(list(reversed(records)), FilterOptions(per_class=50, seed=7))
    assert [r.id for rs in again.selected.values() for r in rs] == kept  # input order does not matter
    other = select(records, FilterOptions(per_class=50, seed=8))
    assert {r.id for rs in other.selected.values() for r in rs} != set(kept)
    table = result.table()
    assert "| right_hand | 70 |" in table and "penetration" in table


def test_short_class_is_named():
    records, _ = _records(60)
    records = [r for r in records if not (r.config == ContactConfig.BACK and int(r.id[-3:]) >= 30)]
    with pytest.raises(InputError, match=r"back: \d+ of 30 pass.*--per-class"):
        select(records, FilterOptions(per_class=50))


def test_farthest_point_selection_spreads():
    # 3 clusters of 10 identical points: 3 picks take one of each
    feats = np.repeat(np.eye(3), 10, axis=0)
    picks = farthest_point_selection(feats, 3, seed=1)
    assert sorted(int(p) // 10 for p in picks) == [0, 1, 2]
    assert farthest_point_selection(feats, 3, seed=1) == picks


def test_options_reject_bad_values():
    with pytest.raises(InputError, match="per-class"):
        FilterOptions(per_class=0)
    with pytest.raises(InputError, match="unknown contact configuration"):
        FilterOptions(configs=("elbow",))  # type: ignore[arg-type]
