"""The layer rule of docs/architecture.md §2, checked on every import in the package.

    core ← geometry ← bodies / contacts / prompt / models / bundle
         ← generators, exporters ← training ← application floor (hoiexport/) ← cli

A module imports from its own layer or lower ones. Generators and exporters never
import each other; the CLI imports only the application floor. Imports inside
functions count too (they are still dependencies).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS: dict[str, int] = {
    "hoiexport.sdk": 0,  # the package itself only re-exports core
    "hoiexport.sdk.core": 0,
    "hoiexport.sdk.geometry": 1,
    "hoiexport.sdk.bodies": 2,
    "hoiexport.sdk.contacts": 2,
    "hoiexport.sdk.prompt": 2,
    "hoiexport.sdk.models": 2,
    "hoiexport.sdk.bundle": 2,
    "hoiexport.sdk.generators": 3,
    "hoiexport.exporters": 3,
    "hoiexport.sdk.training": 4,  # data, fine-tuning, evaluation: above the generators
    "hoiexport": 5,  # the application floor: hoiexport/__init__, generation, lifting, batch
    "hoiexport.cli": 6,
}
"""Package prefix → layer (the longest matching prefix wins)."""

APART: tuple[tuple[str, str], ...] = (
    ("hoiexport.sdk.generators", "hoiexport.exporters"),
    ("hoiexport.exporters", "hoiexport.sdk.generators"),
)
"""(importer, imported) package pairs on the same layer that must not meet."""


def layer_of(module: str) -> tuple[str, int]:
    """The longest `LAYERS` prefix of `module` and its layer."""
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return best, LAYERS[best]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def module_files(package_dir: Path, package: str = "hoiexport") -> dict[str, Path]:
    """Dotted module name → file, following the package folder's links."""
    out: dict[str, Path] = {}
    for folder, dirs, files in os.walk(package_dir, followlinks=True):
        dirs[:] = [d for d in dirs if d not in ("node_modules", "__pycache__")]
        rel = Path(folder).relative_to(package_dir).parts
        for name in files:
            if name.endswith(".py"):
                parts = [package, *rel] + ([] if name == "__init__.py" else [name[:-3]])
                out[".".join(parts)] = Path(folder) / name
    return out


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute `hoiexport` import in a file, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from hoiexport.sdk import bodies` imports hoiexport.sdk.bodies
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return [(line, m) for line, m in found if _within(m, "hoiexport")]


def violations(files: dict[str, Path]) -> list[str]:
    """Every import that breaks the rule, as 'file:line: importer -> imported (why)'."""
    out = []
    for module, path in sorted(files.items()):
        source_pkg, source_layer = layer_of(module)
        for line, target in imported_modules(path):
            target_pkg, target_layer = layer_of(target)
            why = None
            if target_layer > source_layer:
                why = f"layer {source_layer} ({source_pkg}) imports layer {target_layer} ({target_pkg})"
            elif any(_within(module, a) and _within(target, b) for a, b in APART):
                why = "generators and exporters never import each other"
            elif source_pkg == "hoiexport.cli" and target_layer not in (LAYERS["hoiexport"], LAYERS["hoiexport.cli"]):
                why = f"the CLI imports only the application floor, not {target_pkg}"
            if why:
                out.append(f"{path.relative_to(path.parents[len(module.split('.')) - 1])}:{line}: "
                           f"{module} -> {target} ({why})")
    return out


def test_the_package_keeps_its_layers():
    files = module_files(ROOT / "hoiexport")
    assert len(files) > 100
    bad = violations(files)
    assert not bad, "imports that break docs/architecture.md §2:\n" + "\n".join(bad)


@pytest.mark.parametrize(("module", "line", "why"), [
    ("sdk/geometry/bad.py", "from hoiexport.sdk.bodies import load_body_model", "layer 1"),
    ("sdk/generators/bad.py", "from hoiexport.exporters.export import export", "never import each other"),
    ("exporters/bad.py", "import hoiexport.sdk.generators.compose", "never import each other"),
    ("sdk/core/bad.py", "def f():\n    from hoiexport import generate\n", "layer 0"),
    ("cli/bad.py", "from hoiexport.sdk.bundle import load_bundle", "only the application floor"),
    ("cli/bad2.py", "from hoiexport.sdk.training.data.filter import select", "only the application floor"),
    ("sdk/generators/bad.py", "from hoiexport.sdk.training.data import synth", "layer 3"),
    ("sdk/training/bad.py", "from hoiexport.batch.runner import run", "layer 4"),
])
def test_a_forbidden_import_is_caught(tmp_path, module, line, why):
    path = tmp_path / "hoiexport" / module
    path.parent.mkdir(parents=True)
    path.write_text(line + "\n")
    bad = violations(module_files(tmp_path / "hoiexport"))
    assert len(bad) == 1 and why in bad[0], bad


def test_allowed_imports_pass(tmp_path):
    path = tmp_path / "hoiexport" / "cli" / "ok.py"
    path.parent.mkdir(parents=True)
    path.write_text("import hoiexport\nfrom hoiexport.batch.runner import run\nfrom hoiexport import generate\n")
    (tmp_path / "hoiexport" / "sdk" / "generators").mkdir(parents=True)
    (tmp_path / "hoiexport" / "sdk" / "generators" / "ok.py").write_text(
        "from hoiexport.sdk.geometry.surface import SurfaceQuery\nfrom hoiexport.sdk.core.types import Mesh\n")
    assert violations(module_files(tmp_path / "hoiexport")) == []
