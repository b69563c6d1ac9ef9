"""The rule kit every pack shares (policy_packs/rulekit.py): one meaning of unknown, and every rule
of every pack registered through it, so that an unexpected error blocks instead of aborting."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from clover.report.pack_flows import _isolated
from tests.modules import module_from_file

ROOT = Path(__file__).resolve().parents[2]
PACKS = sorted(p.parent for p in (ROOT / "policy_packs").glob("*/PulumiPolicy.yaml"))


def _kit() -> ModuleType:
    return module_from_file("_clover_rulekit", ROOT / "policy_packs" / "rulekit.py")


KIT = _kit()


@pytest.mark.parametrize(
    ("value", "unknown"),
    [
        ("04da6b54-80e4-46f7-96ec-b56ff0331ba9", True),  # the engine's placeholder
        ("1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", True),
        (KIT.UNKNOWN_MARKER, True),
        ("", False),
        (None, False),
        ("eu-west-1", False),
        (False, False),
    ],
)
def test_unknown_has_one_meaning(value: Any, unknown: bool) -> None:
    assert KIT.is_unknown(value) is unknown


def test_the_marker_never_reads_as_given() -> None:
    assert not KIT.UNKNOWN_MARKER
    assert repr(KIT.UNKNOWN_MARKER) == "<unknown until apply>"


class _Broken:
    """Arguments whose every read fails, as an unforeseen property shape would."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"unreadable {name}")


def _policies(directory: Path) -> list[Any]:
    found: list[Any] = []
    with _isolated(directory):
        for path in sorted(directory.glob("*.py")):
            if path.stem == "__main__":
                continue
            module = importlib.import_module(path.stem)
            found += list(getattr(module, "POLICIES", []))
    return found


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_every_rule_of_every_pack_fails_closed_through_the_kit(pack: Path) -> None:
    policies = _policies(pack)
    assert len(policies) >= 9, pack.name
    for policy in policies:
        assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy), policy
        reported: list[str] = []
        validate: Any = policy.validate
        validate(_Broken(), lambda message, urn=None, out=reported: out.append(message))
        assert len(reported) == 1, (policy.name, reported)
        assert reported[0].startswith(f"{policy.name}: "), reported[0]
        assert KIT.INTERNAL_ERROR_MARKER in reported[0], reported[0]


def test_a_rule_is_named_once() -> None:
    def validate(args: Any, report: Any) -> None:
        raise ValueError("boom")

    rule = KIT.resource_rule(
        "example-rule", description="d", validate=validate, severity=KIT.Severity.LOW
    )
    assert rule.name == "example-rule"
    reported: list[str] = []
    rule.validate(_Broken(), lambda message, urn=None: reported.append(message))
    assert reported == [
        "example-rule: the stack could not be evaluated (ValueError: boom); "
        "treated as a violation until fixed."
    ]
    stack = KIT.stack_rule("example-stack", description="d", validate=validate, severity=None)
    assert isinstance(stack, StackValidationPolicy)
    assert stack.name == "example-stack"


def test_the_readme_says_where_every_rule_is_defined() -> None:
    # A newcomer finds a rule from its name: the rule tables' last column names its module.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([a-z0-9-]+)`.*\| `([^`]+)` \|$", readme, flags=re.M))
    for pack in PACKS:
        with _isolated(pack):
            for path in sorted(pack.glob("*.py")):
                if path.stem == "__main__":
                    continue
                for policy in getattr(importlib.import_module(path.stem), "POLICIES", []):
                    where = f"{pack.name}/{path.name}"
                    assert listed.get(policy.name) == where, (policy.name, where)
