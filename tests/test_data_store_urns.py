"""No data store is replaced by accident: the URNs of every data store of dev and prod are pinned.

The engine identifies a resource by its URN, which holds the stack, the project, the whole chain of
parent component types and the resource's name. A refactor that changes any of them (a component
renamed or moved under another parent, a logical name built differently) makes `pulumi up` create a
new data store and delete the old one, and its data with it, unless the resource is given an alias
of its old URN. This test compares the URNs the program forms today, as the engine forms them
(``RecordingMonitor.make_urn``), with the reviewed snapshot ``tests/data/data_store_urns.json``.

After an intended change (a new data store, or an old one removed on purpose):
``.venv/bin/python -m tests.test_data_store_urns --update``, and the diff goes through review.
"""

from __future__ import annotations

import ast
import json
import runpy
import sys
from pathlib import Path

import pytest

from clover.project import load_project, stack_config
from clover.standin.engine import run_program

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "data" / "data_store_urns.json"
GOVERNANCE = ROOT / "policy_packs" / "eu_data_protection" / "governance.py"
STACKS = ("dev", "prod")
EXTRA_TYPES = ("azure-native:keyvault:Key",)
"""Also pinned: a key vault key's URN; replacing it loses every secret encrypted under it."""


def data_store_types() -> frozenset[str]:
    """The data-protection pack's data-store types (read from its source, which runs in the
    pack's own process), plus :data:`EXTRA_TYPES`."""
    tree = ast.parse(GOVERNANCE.read_text(encoding="utf-8"))
    found: set[str] = set(EXTRA_TYPES)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id in {"AWS_DATA_STORES", "AZURE_DATA_STORES"}
            and node.value is not None
        ):
            found.update(
                c.value
                for c in ast.walk(node.value)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            )
    return frozenset(found)


def current_urns(stack: str) -> list[str]:
    project = load_project(ROOT)
    recording = run_program(
        lambda: runpy.run_path(str(project.main), run_name="__main__"),
        project=project.name,
        stack=stack,
        config=stack_config(project, stack),
    )
    types = data_store_types()
    return sorted(r.urn for r in recording.resources if r.type in types)


def test_the_pack_still_names_the_data_stores_this_test_pins() -> None:
    types = data_store_types()
    assert "aws:s3/bucket:Bucket" in types
    assert "azure-native:storage:StorageAccount" in types


@pytest.mark.parametrize("stack", STACKS)
def test_data_store_urns_are_unchanged(stack: str) -> None:
    pinned = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[stack]
    now = current_urns(stack)
    assert now, f"no data store found in {stack}"
    gone = sorted(set(pinned) - set(now))
    new = sorted(set(now) - set(pinned))
    changed = bool(gone or new)
    assert not changed, (
        f"the data stores of {stack} changed URN: `pulumi up` would delete "
        + ", ".join(gone or ["nothing"])
        + " and create "
        + ", ".join(new or ["nothing"])
        + ". If a component was renamed or moved, give each moved resource "
        "`opts=pulumi.ResourceOptions(aliases=[<its old URN>])` so it is kept; if the change is "
        "intended, run `.venv/bin/python -m tests.test_data_store_urns --update` and have the "
        "snapshot's diff reviewed."
    )


def main(argv: list[str]) -> int:
    if argv != ["--update"]:
        sys.stderr.write("usage: python -m tests.test_data_store_urns --update\n")
        return 2
    snapshot = {stack: current_urns(stack) for stack in STACKS}
    SNAPSHOT.write_text(json.dumps(snapshot, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
