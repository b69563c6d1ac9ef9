"""Packages of the clover distribution (metadata and package data: pyproject.toml).

Every package under ``clover/``, and Clover's policy packs: the checkout keeps them in
``policy_packs/`` (``pulumi preview --policy-pack policy_packs/eu_residency``), the wheel ships
them as ``clover/_packs/`` so that an installed ``clover`` finds them (clover/packs.py). A pack is
a directory with a ``PulumiPolicy.yaml``; its ``venv/`` and ``tools/`` are not shipped.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
PACKS = "policy_packs"
PACKAGE = "clover._packs"

packs = sorted(p.parent.name for p in (ROOT / PACKS).glob("*/PulumiPolicy.yaml"))
configs = sorted(
    ".".join(p.relative_to(ROOT / PACKS).parts)
    for p in [ROOT / PACKS / "config", *(ROOT / PACKS / "config").rglob("*")]
    if p.is_dir() and p.name != "__pycache__"
)

setup(
    packages=[
        *find_packages(include=["clover", "clover.*"]),
        PACKAGE,
        *(f"{PACKAGE}.{name}" for name in [*packs, *configs]),
    ],
    package_dir={PACKAGE: PACKS},
)
