"""Run the check benchmarks and print a table: the check next to its two floors.

    .venv/bin/python benchmarks/run.py --sizes 1000 10000 [--stack-prod]

Floor (1): the same program under the SDK's default mocks, nothing recorded or checked: what any
Pulumi Python preview pays to run the program. Floor (2): the packs' rule functions called
in-process on the same resources, without the protocol. Each figure comes from a fresh process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402


def measure(mode: str, directory: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "measure.py"), mode, str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} on {directory} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _prod_project(target: Path) -> Path:
    """The repo's own program with the prod stack renamed to the benchmark's stack name."""
    target.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        (target / name).write_text((ROOT / name).read_text())
    for package in ("clover", "sites", "components"):
        shutil.copytree(ROOT / package, target / package)
    # Pulumi.yaml names `.venv` as the program's virtualenv: the repo's own.
    (target / ".venv").symlink_to(ROOT / ".venv")
    (target / "stacks").mkdir(exist_ok=True)
    (target / "stacks" / "Pulumi.bench.yaml").write_text(
        (ROOT / "stacks" / "Pulumi.prod.yaml").read_text()
    )
    return target


def _second_stack(directory: Path) -> None:
    """A second stack, ``bench2``, with the same configuration as ``bench``."""
    for folder in (directory, directory / "stacks"):
        source = folder / "Pulumi.bench.yaml"
        if source.is_file():
            (folder / "Pulumi.bench2.yaml").write_text(source.read_text())
            return
    raise SystemExit(f"{directory}: no Pulumi.bench.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--prod", action="store_true", help="also measure the repo's prod stack")
    args = parser.parse_args()
    rows: list[
        tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]
    ] = []
    with tempfile.TemporaryDirectory() as scratch:
        targets: list[tuple[str, Path]] = []
        if args.prod:
            targets.append(("prod stack", _prod_project(Path(scratch) / "prod")))
        for size in args.sizes:
            targets.append((f"{size} resources", generate(Path(scratch) / str(size), size)))
        for label, directory in targets:
            _second_stack(directory)
            floor = measure("floor-mocks", directory)
            stand_in = measure("stand-in", directory)
            check = measure("check", directory)
            two = measure("check-2", directory)
            rules = measure("rules", directory)
            rows.append((label, floor, stand_in, check, two, rules))
            print(f"measured {label}", file=sys.stderr)
    header = (
        "| program | resources | floor (1) s | floor (1) MB | stand-in s | stand-in MB "
        "| check s | check MB | largest child MB | check time / (1) "
        "| two stacks s | two stacks / one | floor (2) rules s |"
    )
    print(header)
    print("|" + "---|" * 13)
    for label, floor, stand_in, check, two, rules in rows:
        print(
            f"| {label} | {check['resources']} | {floor['seconds']:.2f} | {floor['peak_mb']:.0f} "
            f"| {stand_in['seconds']:.2f} | {stand_in['peak_mb']:.0f} "
            f"| {check['seconds']:.2f} | {check['peak_mb']:.0f} | {check['children_peak_mb']:.0f} "
            f"| {check['seconds'] / floor['seconds']:.2f}x "
            f"| {two['seconds']:.2f} | {two['seconds'] / check['seconds']:.2f}x "
            f"| {rules['seconds']:.2f} |"
        )


if __name__ == "__main__":
    main()
