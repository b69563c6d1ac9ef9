"""Shared builders and assertions for the AWS component tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_aws as aws
from parliament import analyze_policy_string, enhance_finding

from clover.standin.engine import FAKE_AWS_ACCOUNT_ID, Recording
from clover.standin.recorded import RecordedResource
from components.site.aws import AwsSite, AwsSiteArgs

ACCOUNT = FAKE_AWS_ACCOUNT_ID
REGION = "eu-west-1"
PROVIDER_NAME = "dublin-aws"
TAGS = {"residency-site": "dublin", "data-classification": "personal"}
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
BREAK_GLASS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
KEY_ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/key-admins"
REPLICATION_ROLE_NAME = "clover-dublin-test-to-hamar"
DATA_BUCKET = f"clover-dublin-test-data-{ACCOUNT}"
LOG_BUCKET = f"clover-dublin-test-logs-{ACCOUNT}"
AUDIT_BUCKET = f"clover-dublin-test-audit-{ACCOUNT}"
DATA_BUCKET_ARN = f"arn:aws:s3:::{DATA_BUCKET}"
LOG_BUCKET_ARN = f"arn:aws:s3:::{LOG_BUCKET}"
AUDIT_BUCKET_ARN = f"arn:aws:s3:::{AUDIT_BUCKET}"
GATEWAY_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/clover-dublin-test-gateway"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/clover-dublin-test-data-events"

Program = Callable[[], None]

SITE_ARGS = AwsSiteArgs(
    site="dublin",
    region=REGION,
    vpc_cidr="10.20.0.0/16",
    gateway_principals=[APP_ROLE],
    break_glass_role_arn=BREAK_GLASS_ROLE,
    key_admin_role_arns=[KEY_ADMIN_ROLE],
    replication_role_names=[REPLICATION_ROLE_NAME],
    tags=TAGS,
)


def site_program(args: AwsSiteArgs = SITE_ARGS, *, provider_option: str = "providers") -> Program:
    """A program building one ``AwsSite`` on an explicit eu-west-1 provider.

    ``provider_option`` picks how the component receives it: the ``providers`` map or ``provider``.
    """

    def program() -> None:
        provider = aws.Provider(PROVIDER_NAME, region=REGION)
        if provider_option == "providers":
            opts = pulumi.ResourceOptions(providers=[provider])
        else:
            opts = pulumi.ResourceOptions(provider=provider)
        site = AwsSite("dublin", args, opts=opts)
        pulumi.export("placement", site.placement)
        pulumi.export("subnet_ids", site.subnet_ids)
        pulumi.export("gateway_role_arn", site.gateway_role_arn)

    return program


def site_args(**changes: Any) -> AwsSiteArgs:
    """The test site's arguments with some fields changed."""
    return replace(SITE_ARGS, **changes)


def only(recording: Recording, type_: str) -> RecordedResource:
    """The one resource of ``type_``; fails naming what was found."""
    found = recording.of_type(type_)
    assert len(found) == 1, f"expected one {type_}, found {[r.urn for r in found]}"
    return found[0]


def document(resource: RecordedResource, key: str = "policy") -> dict[str, Any]:
    """A policy input parsed from its JSON string."""
    raw = resource.inputs.get(key)
    assert isinstance(raw, str), f"{resource.urn} has no JSON {key}: {raw!r}"
    parsed = json.loads(raw)
    assert isinstance(parsed, dict)
    return parsed


def statement(doc: Mapping[str, Any], sid: str) -> dict[str, Any]:
    """The statement with this Sid."""
    found = [s for s in doc["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, (
        f"expected one statement {sid}, found sids {[s.get('Sid') for s in doc['Statement']]}"
    )
    result = found[0]
    assert isinstance(result, dict)
    return result


def as_list(value: Any) -> list[Any]:
    """An IAM element that may be a single value or a list, as a list."""
    return value if isinstance(value, list) else [value]


TRUST_POLICY_ALLOWED: Mapping[tuple[str, str], str] = {
    ("MALFORMED", "Statement contains neither Resource nor NotResource"): (
        "parliament reads every document as an identity policy; a role's trust policy is a resource"
        " policy on the role and takes no Resource element"
        " (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)"
    ),
}
"""Parliament findings above LOW accepted for trust policies only, by (issue, detail), with why."""


def lint(raw_policy: str, *, allow: Mapping[tuple[str, str], str] | None = None) -> list[str]:
    """Parliament's findings above LOW severity, except the exact (issue, detail) pairs ``allow``
    explains."""
    allowed = allow or {}
    found = []
    for finding in analyze_policy_string(raw_policy).findings:
        enhance_finding(finding)
        if finding.severity in ("LOW", "INFO"):
            continue
        if (finding.issue, str(finding.detail)) in allowed:
            continue
        found.append(f"{finding.issue} ({finding.severity}): {finding.detail}")
    return found


def policies(recording: Recording) -> list[tuple[RecordedResource, str, str]]:
    """Every IAM, bucket, key, endpoint and trust policy in a recording: (resource, key, JSON)."""
    found: list[tuple[RecordedResource, str, str]] = []
    for resource in recording.resources:
        for key in ("policy", "assumeRolePolicy"):
            raw = resource.inputs.get(key)
            if isinstance(raw, str):
                found.append((resource, key, raw))
    return found


def assert_all_on_provider(recording: Recording, provider_name: str) -> None:
    """Every custom resource is bound to the named explicit provider, never a default one."""
    for resource in recording.resources:
        if resource.custom and not resource.is_provider:
            provider = recording.provider_of(resource)
            assert provider is not None, f"{resource.urn} would use a default provider"
            assert provider.name == provider_name, resource.urn
