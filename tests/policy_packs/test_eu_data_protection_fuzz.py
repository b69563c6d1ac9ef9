"""No eu-data-protection rule raises, whatever property bag the engine sends.

An exception in a validator aborts the whole preview, and an ``UnknownValueError`` that escapes is
reported by the SDK as ADVISORY; both would be bugs. Every example goes over gRPC, so the example
counts are moderate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack, ProviderRef

PACK_DIR: Final = Path(__file__).resolve().parents[2] / "policy_packs" / "eu_data_protection"
TOKEN: Final = re.compile(r'"((?:aws|azure-native):[A-Za-z0-9/]+:[A-Za-z0-9]+)"')
TYPES: Final = sorted(
    {t for f in PACK_DIR.glob("*.py") for t in TOKEN.findall(f.read_text(encoding="utf-8"))}
)

# The property names the rules read, so that generated bags reach deep into each rule.
KEYS: Final = [
    "AWS",
    "Action",
    "Bool",
    "Condition",
    "Effect",
    "Principal",
    "Resource",
    "Statement",
    "access",
    "action",
    "allowBlobPublicAccess",
    "allowSharedKeyAccess",
    "applyServerSideEncryptionByDefault",
    "associatePublicIpAddress",
    "aws:SecureTransport",
    "blockPublicAcls",
    "blockPublicPolicy",
    "bucket",
    "bucketKeyEnabled",
    "cidrBlocks",
    "cidrIpv4",
    "cidrIpv6",
    "customKeyStoreId",
    "customerMasterKeySpec",
    "data-classification",
    "defaultTags",
    "direction",
    "enableHttpsTrafficOnly",
    "enableKeyRotation",
    "enablePurgeProtection",
    "enableRbacAuthorization",
    "enableSoftDelete",
    "encryption",
    "id",
    "ignorePublicAcls",
    "ingress",
    "ipv6CidrBlocks",
    "keySource",
    "keyUsage",
    "kmsMasterKeyId",
    "lifetimeActions",
    "mapPublicIpOnLaunch",
    "minimumTlsVersion",
    "name",
    "networkInterfaces",
    "policy",
    "properties",
    "publicNetworkAccess",
    "requireInfrastructureEncryption",
    "residency-site",
    "restrictPublicBuckets",
    "rotationPeriodInDays",
    "rotationPolicy",
    "rules",
    "securityRules",
    "softDeleteRetentionInDays",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "sseAlgorithm",
    "status",
    "tags",
    "timeAfterCreate",
    "timeBeforeExpiry",
    "trigger",
    "type",
    "versioningConfiguration",
]
INTERESTING: Final = [
    UNKNOWN,
    "",
    "*",
    "0.0.0.0/0",
    "::/0",
    "10.0.0.0/8",
    "not-a-cidr/99",
    "Internet",
    "Inbound",
    "Allow",
    "Deny",
    "Enabled",
    "Disabled",
    "aws:kms",
    "alias/aws/s3",
    "rotate",
    "TLS1_2",
    "Microsoft.Keyvault",
    "SYMMETRIC_DEFAULT",
    "true",
    "false",
    "ingress",
    "{",
    "[]",
    '{"Statement": {"Effect": "Deny", "Condition": []}}',
    '{"Statement": [1, null, {"Principal": {"AWS": 3}}]}',
]

text = st.text(st.characters(codec="utf-8"), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
    | st.sampled_from(INTERESTING)
)
keys = st.sampled_from(KEYS) | text
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
bags = st.dictionaries(keys, values, max_size=8)
providers = st.none() | st.builds(
    lambda default_tags: ProviderRef(
        type="pulumi:providers:aws",
        name="aws",
        urn="urn:pulumi:fuzz::clover::pulumi:providers:aws::aws",
        properties={"defaultTags": default_tags},
    ),
    values,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(PACK_DIR) as started:
        started.configure({})
        yield started


def assert_sound(pack: PolicyPack, diags: list[Any]) -> None:
    assert pack.running, pack.stderr_tail()
    for d in diags:
        assert "could not be evaluated" not in d.message, d.message
        assert "can't run policy" not in d.message, d.message


def test_types_cover_the_pack() -> None:
    assert len(TYPES) >= 35


@FUZZ
@given(
    type_=st.sampled_from(TYPES),
    properties=bags,
    protect=st.booleans(),
    provider=providers,
)
def test_no_resource_rule_raises(
    pack: PolicyPack,
    type_: str,
    properties: dict[str, Any],
    protect: bool,
    provider: ProviderRef | None,
) -> None:
    res = AnalyzedResource(
        urn=f"urn:pulumi:fuzz::clover::{type_}::r",
        type=type_,
        name="r",
        properties=properties,
        protect=protect,
        provider=provider,
    )
    assert_sound(pack, pack.analyze(res))


S3_TYPES: Final = [t for t in TYPES if t.startswith("aws:s3/")]


@FUZZ
@given(
    resources=st.lists(
        st.tuples(st.sampled_from(S3_TYPES), bags, st.lists(st.integers(0, 7), max_size=3)),
        min_size=1,
        max_size=6,
    )
)
def test_no_stack_rule_raises(
    pack: PolicyPack, resources: list[tuple[str, dict[str, Any], list[int]]]
) -> None:
    urns = [f"urn:pulumi:fuzz::clover::{t}::r{i}" for i, (t, _, _) in enumerate(resources)]
    stack = []
    for index, (type_, properties, deps) in enumerate(resources):
        # Dependencies may point at resources that are not in the request, as after a refresh.
        targets = [
            urns[d] if d < len(urns) else f"urn:pulumi:fuzz::clover::x::gone{d}" for d in deps
        ]
        stack.append(
            AnalyzedResource(
                urn=urns[index],
                type=type_,
                name=f"r{index}",
                properties=properties,
                dependencies=tuple(targets),
                property_dependencies={"bucket": targets, "rules": targets} if targets else {},
            )
        )
    assert_sound(pack, pack.analyze_stack(stack))
