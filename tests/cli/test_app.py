"""The click app: one error line, never a traceback, for failures inside libraries."""

from __future__ import annotations

from click.testing import CliRunner

import hoiexport
from hoiexport.cli.app import app


def test_runtime_error_inside_a_command_is_one_line(monkeypatch, tmp_path):
    def boom(path):
        raise RuntimeError("CUDA driver version is insufficient")

    monkeypatch.setattr(hoiexport, "load_bundle", boom, raising=False)
    monkeypatch.delenv("HOIEXPORT_DEBUG", raising=False)
    r = CliRunner().invoke(app, ["contacts", str(tmp_path)])
    assert r.exit_code == 1
    assert r.output.strip() == ("error: RuntimeError: CUDA driver version is insufficient "
                                "(set HOIEXPORT_DEBUG=1 for the traceback)")


def test_target_choices_come_from_the_presets():
    r = CliRunner().invoke(app, ["export", "--help"])
    assert r.exit_code == 0
    for name in hoiexport.PRESETS:
        assert name in r.output
