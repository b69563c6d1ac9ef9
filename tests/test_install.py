"""The wheel: what it ships, and its ``clover`` command run from outside the checkout."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from clover import __version__

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "policy_packs"
SOURCES = ("pyproject.toml", "setup.py", "README.md", "requirements.txt", "clover", "policy_packs")
PACK_FILES = ("*.py", "*.json", "*.yaml", "requirements.txt")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the sources, so the build leaves nothing in the checkout.

    pip builds it in an isolated environment with the setuptools of ``[build-system]``, fetched
    from the package index as ``pip install .`` does."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("venv", ".venv", "__pycache__", "*.pyc", "build", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    out = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
        check=True,
        timeout=600,
    )
    (built,) = out.glob("clover-*.whl")
    return built


def _expected_pack_files() -> set[str]:
    found = set()
    for manifest in PACKS.glob("*/PulumiPolicy.yaml"):
        for pattern in PACK_FILES:
            for path in manifest.parent.glob(pattern):
                found.add(f"clover/_packs/{path.relative_to(PACKS).as_posix()}")
    return found


def test_the_wheel_ships_the_packs_their_configs_and_the_report_assets(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    pack_files = _expected_pack_files()
    assert "clover/_packs/eu_residency/PulumiPolicy.yaml" in pack_files
    assert pack_files <= names, sorted(pack_files - names)
    configs = {
        f"clover/_packs/{p.relative_to(PACKS).as_posix()}"
        for p in (PACKS / "config").rglob("*")
        if p.suffix in {".json", ".yaml"}
    }
    assert "clover/_packs/config/layers/eu_residency.base.json" in configs
    assert configs <= names, sorted(configs - names)
    assert "clover/report/report_template.html" in names
    assert "clover/schemas/check-output.schema.json" in names
    sources = {
        f"clover/{p.relative_to(ROOT / 'clover').as_posix()}"
        for p in (ROOT / "clover").rglob("*.py")
    }
    assert sources <= names, sorted(sources - names)
    # Nothing of a pack's own virtualenv, its generators or caches.
    assert not [n for n in names if "/venv/" in n or "/tools/" in n or "__pycache__" in n]


def test_the_wheel_declares_the_command_version_and_requirements(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(info))
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert metadata["Version"] == __version__
    assert "[console_scripts]\nclover = clover.__main__:entry" in entry_points
    # requirements.txt is the one list of runtime requirements (make setup installs it).
    required = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    declared = metadata.get_all("Requires-Dist") or []
    assert len(declared) == len([r for r in required if r]) > 0
    for requirement in filter(None, required):
        name = requirement.split(">", 1)[0].split("<", 1)[0].split("=", 1)[0]
        (match,) = [d for d in declared if d.split(">")[0].split("<")[0] == name]
        assert sorted(match[len(name) :].split(",")) == sorted(requirement[len(name) :].split(","))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; its requirements are this test's own site-packages
    (a .pth file), so nothing is downloaded."""
    venv = tmp_path_factory.mktemp("venv") / "cv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = venv / "lib" / version / "site-packages"
    (site / "requirements.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"),
            *("-q", "--no-deps", "--no-index", str(wheel)),
        ],
        check=True,
        timeout=300,
    )
    return venv


def _clover(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PULUMI_STACK"}}
    return subprocess.run(
        [str(venv / "bin" / "clover"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_installed_command_checks_a_project_elsewhere(installed: Path, tmp_path: Path) -> None:
    site = installed / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    version = _clover(installed, tmp_path, "--version")
    assert (version.returncode, version.stdout) == (0, f"clover {__version__}\n")
    packs = _clover(installed, tmp_path, "packs")
    assert packs.returncode == 0, packs.stderr
    listed = [Path(line) for line in packs.stdout.splitlines()]
    assert [p.name for p in listed] == ["eu_residency", "eu_data_protection", "eu_access"]
    for directory in listed:
        # The installed copy, not the checkout's.
        assert directory.is_relative_to(site / "site-packages" / "clover" / "_packs"), directory
        assert (directory / "PulumiPolicy.yaml").is_file()
    clean = ROOT / "tests" / "data" / "clean_programs" / "gcp-bucket-eu"
    passed = _clover(installed, tmp_path, "check", "-C", str(clean), "-s", "test")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Residency check passed" in passed.stdout
    misplaced = ROOT / "tests" / "data" / "programs" / "gcp-bucket-us"
    blocked = _clover(installed, tmp_path, "check", "-C", str(misplaced), "-s", "test", "--json")
    assert blocked.returncode == 1, blocked.stderr
    assert "::us-exports" in blocked.stdout
    assert "Residency check" not in blocked.stdout
