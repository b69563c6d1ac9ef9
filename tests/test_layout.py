"""The architecture: the checker (clover/) never imports the program library (sites/) or the
components, as pyproject.toml's import contract says and `make lint` enforces."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_checker_imports_neither_the_library_nor_the_components() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_checker_module_that_imports_the_catalog_breaks_the_contract(tmp_path: Path) -> None:
    for name in ("clover", "sites", "components"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    report = tmp_path / "clover" / "output" / "text.py"
    report.write_text(report.read_text(encoding="utf-8") + "\nfrom sites import catalog\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "clover.output.text -> sites" in result.stdout


def test_the_checker_runs_without_the_library(tmp_path: Path) -> None:
    # An installed clover has no sites/ beside it: every checker module imports on its own.
    shutil.copytree(
        ROOT / "clover", tmp_path / "clover", ignore=shutil.ignore_patterns("__pycache__")
    )
    modules = sorted(
        ".".join(p.relative_to(tmp_path).with_suffix("").parts)
        for p in (tmp_path / "clover").rglob("*.py")
        if p.name not in {"__main__.py", "child.py"}
    )
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "assert not [m for m in sys.modules if m.split('.')[0] in ('sites', 'components')]\n"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n{code}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
