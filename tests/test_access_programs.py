"""The default packs block the four ways of reaching European user data that issue 12 names,
people's data access outside the gateway roles and data reads no trail records, and leave
ordinary execution roles and the stack's own account alone: programs under
``tests/data/access_programs`` checked as a user runs ``clover check``, with no pack named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clover.__main__ import main

PROGRAMS = Path(__file__).resolve().parent / "data" / "access_programs"
ACCESS = "eu-access"

# Program -> (rule, logical name of the resource it must block, words the message must hold).
BLOCKED = {
    "access-foreign-account-reads-bucket": (
        "aws-s3-bucket-policy-no-foreign-principals",
        "partner-read",
        "account 999988887777, which is not allowed",
    ),
    "access-foreign-account-decrypts": (
        "aws-s3-bucket-policy-no-foreign-principals",
        "data-key",
        "account 444455556666, which is not allowed",
    ),
    "access-role-anyone-may-assume": (
        "aws-iam-role-trust-restricted",
        "support",
        "lets every AWS principal",
    ),
    "access-account-reads-from-anywhere": (
        "aws-s3-bucket-policy-no-foreign-principals",
        "account-read",
        "read the data (s3:GetObject, s3:GetObjectVersion) from anywhere",
    ),
    "access-azure-outside-principal-reads-storage": (
        "azure-native-role-assignment-data-scope-restricted",
        "contractor-reads",
        "the scope is the id of azure-native:resources:ResourceGroup customers; principalId "
        "'5d3c8e2a-9f41-4b6e-a1c7-0e2f4d6b8a90' is neither in allowedPrincipalIds",
    ),
    "access-analysts-read-without-gateway": (
        "aws-data-readers-are-gateway-roles",
        "analysts",
        "AWS managed policy ReadOnlyAccess allows data reads",
    ),
    "access-bucket-reads-unlogged": (
        "aws-data-bucket-access-logged",
        "customers",
        "object reads are not recorded as CloudTrail data events",
    ),
}
CLEAN = "access-execution-roles-own-account"
CLEAN_AZURE = "access-azure-gateway-identity"


def _check(capsys: pytest.CaptureFixture[str], program: str, stack: str) -> tuple[int, Any]:
    code = main(["check", "-C", str(PROGRAMS / program), "-s", stack, "--format", "json"])
    out, err = capsys.readouterr()
    assert out, err
    return code, json.loads(out)


def _access(report: Any) -> list[dict[str, Any]]:
    return [d for d in report["diagnostics"] if d["policyPack"] == ACCESS]


def test_every_access_program_is_listed() -> None:
    assert sorted(p.name for p in PROGRAMS.iterdir()) == sorted([*BLOCKED, CLEAN, CLEAN_AZURE])


@pytest.mark.parametrize(("program", "expected"), sorted(BLOCKED.items()))
def test_access_pattern_is_blocked_by_the_default_packs(
    capsys: pytest.CaptureFixture[str], program: str, expected: tuple[str, str, str]
) -> None:
    rule, resource, says = expected
    code, report = _check(capsys, program, "dev")
    assert code == 1
    found = [
        d
        for d in _access(report)
        if d["policy"] == rule
        and d["enforcementLevel"] == "mandatory"
        and d["urn"].endswith(f"::{resource}")
    ]
    assert found, _access(report)
    assert says in found[0]["message"]


@pytest.mark.parametrize("stack", ["dev", "own"])
def test_execution_roles_and_own_account_grants_pass(
    capsys: pytest.CaptureFixture[str], stack: str
) -> None:
    """``own`` sets aws:allowedAccountIds: the caller identity is that account, and the
    provider's account is the stack's own, so the grants built from it are not foreign."""
    _, report = _check(capsys, CLEAN, stack)
    assert _access(report) == []
    main(["check", "-C", str(PROGRAMS / CLEAN), "-s", stack, "--color", "never"])
    text, _ = capsys.readouterr()
    # The pack ran (and judged the roles and the bucket policy), it found nothing.
    assert "eu-access: no violations" in text


def test_roles_on_data_go_to_the_stacks_own_identity(capsys: pytest.CaptureFixture[str]) -> None:
    """The reader is the stack's managed identity (its principalId, proven by the check to be
    that output); the operators' group holds a role on the identity, which holds no data."""
    _, report = _check(capsys, CLEAN_AZURE, "dev")
    assert _access(report) == []
    main(["check", "-C", str(PROGRAMS / CLEAN_AZURE), "-s", "dev", "--color", "never"])
    text, _ = capsys.readouterr()
    assert "eu-access: no violations" in text
