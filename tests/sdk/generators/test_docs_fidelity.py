"""docs/fidelity.md §2 is the code: every row's paper / best values are what the presets set."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from hoiexport.sdk.generators.registry import make_settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "fidelity.md"
ROW = re.compile(r"^\| `([\w.]+)` \| `([^`]*)` \| `([^`]*)` \|$")
BOTH = re.compile(r"`([\w.]+)` `([^`]*)`")


def _get(settings: object, key: str) -> object:
    return functools.reduce(getattr, key.split("."), settings)


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def _rows() -> list[tuple[str, str, str]]:
    return [m.groups() for line in _section("## 2.").splitlines() if (m := ROW.match(line))]


def test_the_table_has_rows():
    assert len(_rows()) >= 10


@pytest.mark.parametrize(("key", "paper", "best"), _rows())
def test_each_row_matches_the_presets(key, paper, best, monkeypatch):
    monkeypatch.delenv("HOIEXPORT_SMPL_DIR", raising=False)
    assert _get(make_settings("hoi3dgen", "paper"), key) == ast.literal_eval(paper)
    assert _get(make_settings("hoi3dgen", "best"), key) == ast.literal_eval(best)


def test_settings_said_to_be_shared_are():
    shared = BOTH.findall(_section("In both presets:").split("\n\n")[0])
    assert len(shared) >= 5
    for key, value in shared:
        expected = ast.literal_eval(value)
        assert _get(make_settings("hoi3dgen", "paper"), key) == expected == _get(make_settings("hoi3dgen", "best"), key)
