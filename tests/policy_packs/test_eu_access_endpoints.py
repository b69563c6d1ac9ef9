"""``aws-vpc-endpoint-require-policy`` over the analyzer protocol (``AnalyzeStack``): every VPC
endpoint has a policy, inline or as a ``VpcEndpointPolicy`` naming its id."""

from __future__ import annotations

import json
from typing import Any, Final

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack

from .conftest import eu_urn

RULE: Final = "aws-vpc-endpoint-require-policy"
ENDPOINT: Final = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_POLICY: Final = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"
PERIMETER: Final = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
            }
        ],
    }
)


def resource(type_: str, name: str, **props: Any) -> AnalyzedResource:
    return AnalyzedResource(urn=eu_urn(type_, name), type=type_, name=name, properties=props)


def blocked(pack: PolicyPack, *resources: AnalyzedResource) -> list[str]:
    found = [d for d in pack.analyze_stack(list(resources)) if d.policy == RULE]
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
    return sorted(d.urn.rsplit("::", 1)[-1] for d in found)


def test_an_endpoint_without_a_policy_is_blocked(eu_access: PolicyPack) -> None:
    assert blocked(
        eu_access, resource(ENDPOINT, "kms", serviceName="com.amazonaws.eu-west-1.kms")
    ) == ["kms"]


@pytest.mark.parametrize("policy", [PERIMETER, UNKNOWN])
def test_an_inline_policy_satisfies_the_rule(eu_access: PolicyPack, policy: Any) -> None:
    """What the policy allows (and an unknown one) is the resource-policy rule's to judge."""
    assert blocked(eu_access, resource(ENDPOINT, "kms", policy=policy)) == []


def test_a_separate_policy_proven_to_name_the_endpoint(eu_access: PolicyPack) -> None:
    endpoint = resource(ENDPOINT, "s3", vpcEndpointType="Gateway")
    other = resource(ENDPOINT, "sts")
    separate = resource(ENDPOINT_POLICY, "s3-policy", vpcEndpointId=UNKNOWN, policy=PERIMETER)
    assert blocked(eu_access, endpoint, other, separate) == ["s3", "sts"]
    eu_access.configure(
        {RULE: {"provenOutputs": {separate.urn: {"vpcEndpointId": f"{endpoint.urn}#id"}}}}
    )
    assert blocked(eu_access, endpoint, other, separate) == ["sts"]


def test_a_separate_policy_naming_the_endpoints_id(eu_access: PolicyPack) -> None:
    endpoint = resource(ENDPOINT, "s3", id="vpce-0a1b2c3d4e5f60718")
    separate = resource(ENDPOINT_POLICY, "p", vpcEndpointId="vpce-0a1b2c3d4e5f60718")
    assert blocked(eu_access, endpoint, separate) == []
