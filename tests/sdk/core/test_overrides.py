"""KEY=VALUE overrides of nested settings dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.overrides import apply_overrides, parse_assignments


@dataclass(frozen=True)
class Inner:
    views: int = 8
    pitch: float = 15.0
    mode: Literal["track", "per_frame"] = "per_frame"
    sizes: tuple[int, ...] = (1, 2)
    pair: tuple[float, float] = (0.0, 1.0)
    tag: str | None = None

    def __post_init__(self) -> None:
        if self.views < 1:
            raise InputError(f"views must be >= 1, got {self.views}")


@dataclass(frozen=True)
class Outer:
    flag: bool = False
    inner: Inner = field(default_factory=Inner)


def test_nested_values_take_the_fields_types():
    o = apply_overrides(Outer(), parse_assignments([
        "flag=yes", "inner.views=4", "inner.pitch=0", "inner.mode=track", "inner.sizes=3, 4,5",
        "inner.pair=0.5,2", "inner.tag=none"]))
    assert o == Outer(flag=True, inner=Inner(views=4, pitch=0.0, mode="track", sizes=(3, 4, 5), pair=(0.5, 2.0)))
    assert apply_overrides(Outer(), {"inner.tag": "front"}).inner.tag == "front"
    assert Outer().inner.views == 8  # the original is unchanged


@pytest.mark.parametrize(("items", "words"), [
    (["inner.view=4"], ["unknown setting 'inner.view'", "views"]),
    (["inner=4"], ["settings group"]),
    (["inner.mode=video"], ["track", "per_frame"]),
    (["inner.views=four"], ["number"]),
    (["inner.views=0"], ["views must be >= 1"]),
    (["flag=maybe"], ["true or false"]),
    (["inner.pair=1"], ["2 comma-separated"]),
    (["views"], ["KEY=VALUE"]),
])
def test_bad_overrides_name_the_key_and_the_fix(items, words):
    with pytest.raises(InputError) as exc:
        apply_overrides(Outer(), parse_assignments(items))
    assert all(w in str(exc.value) for w in words), str(exc.value)
