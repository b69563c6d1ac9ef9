"""The eu-data-protection pack, driven over the analyzer protocol exactly as the CLI drives it.

Every rule starts from a compliant resource (or stack) and changes one thing per case: violating,
missing, unknown at preview (the rule must stay at its own level, not the SDK's ADVISORY downgrade),
and config overrides.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from clover.analyzer import (
    UNKNOWN,
    AnalyzedResource,
    Diagnostic,
    PolicyConfigError,
    PolicyPack,
    ProviderRef,
    load_pack_config,
)

ROOT: Final = Path(__file__).resolve().parents[2]
PACK_DIR: Final = ROOT / "policy_packs" / "eu_data_protection"
INTERNAL_ERROR: Final = "could not be evaluated"
SDK_DOWNGRADE: Final = "can't run policy"

DELETE: Final = object()
"""A change that removes the property instead of setting it."""

PropPath = tuple[str | int, ...]


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(PACK_DIR) as started:
        yield started


@pytest.fixture
def eu(pack: PolicyPack) -> PolicyPack:
    """The shared pack, reset to its defaults (configuration is the only state it keeps)."""
    pack.configure({})
    return pack


# -- builders --------------------------------------------------------------------------------------


def urn_of(type_: str, name: str) -> str:
    return f"urn:pulumi:test::clover::{type_}::{name}"


def resource(
    type_: str,
    name: str,
    properties: Mapping[str, Any],
    *,
    protect: bool = True,
    provider: ProviderRef | None = None,
    property_dependencies: Mapping[str, Sequence[str]] | None = None,
) -> AnalyzedResource:
    deps = dict(property_dependencies or {})
    return AnalyzedResource(
        urn=urn_of(type_, name),
        type=type_,
        name=name,
        properties=properties,
        protect=protect,
        provider=provider,
        dependencies=tuple(sorted({u for urns in deps.values() for u in urns})),
        property_dependencies=deps,
    )


def changed(properties: Mapping[str, Any], changes: Mapping[PropPath, Any]) -> dict[str, Any]:
    """A deep copy of ``properties`` with each path set to its value (or removed for DELETE)."""
    result: dict[str, Any] = copy.deepcopy(dict(properties))
    for path, value in changes.items():
        target: Any = result
        for step in path[:-1]:
            target = target[step]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return result


def of(diags: Sequence[Diagnostic], policy: str) -> list[Diagnostic]:
    return [d for d in diags if d.policy == policy]


def assert_sound(diags: Sequence[Diagnostic]) -> None:
    """No rule crashed into its fail-safe and none was downgraded by the SDK."""
    for d in diags:
        assert INTERNAL_ERROR not in d.message, f"{d.urn}: {d.policy} crashed: {d.message}"
        assert SDK_DOWNGRADE not in d.message, f"{d.urn}: {d.policy} raised UnknownValueError"


TAGS: Final = {"data-classification": "personal", "residency-site": "dublin"}

# -- compliant resources ---------------------------------------------------------------------------

STORAGE_ACCOUNT: Final = "azure-native:storage:StorageAccount"
VAULT: Final = "azure-native:keyvault:Vault"
VAULT_KEY: Final = "azure-native:keyvault:Key"
KMS_KEY: Final = "aws:kms/key:Key"
INSTANCE: Final = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE: Final = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET: Final = "aws:ec2/subnet:Subnet"
SECURITY_GROUP: Final = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NSG: Final = "azure-native:network:NetworkSecurityGroup"
SECURITY_RULE: Final = "azure-native:network:SecurityRule"

COMPLIANT: Final[dict[str, dict[str, Any]]] = {
    STORAGE_ACCOUNT: {
        "resourceGroupName": "rg-dublin",
        "location": "northeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_ZRS"},
        "encryption": {
            "keySource": "Microsoft.Keyvault",
            "requireInfrastructureEncryption": True,
            "keyVaultProperties": {
                "keyName": "storage",
                "keyVaultUri": "https://v.vault.azure.net",
            },
        },
        "minimumTlsVersion": "TLS1_2",
        "enableHttpsTrafficOnly": True,
        "allowBlobPublicAccess": False,
        "publicNetworkAccess": "Disabled",
        "allowSharedKeyAccess": False,
        "tags": TAGS,
    },
    VAULT: {
        "resourceGroupName": "rg-dublin",
        "location": "northeurope",
        "properties": {
            "tenantId": "00000000-0000-0000-0000-000000000001",
            "sku": {"family": "A", "name": "premium"},
            "enablePurgeProtection": True,
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": 90,
            "enableRbacAuthorization": True,
            "publicNetworkAccess": "Disabled",
        },
        "tags": TAGS,
    },
    VAULT_KEY: {
        "resourceGroupName": "rg-dublin",
        "vaultName": "kv-dublin",
        "keyName": "storage",
        "properties": {
            "kty": "RSA-HSM",
            "keySize": 4096,
            "rotationPolicy": {
                "attributes": {"expiryTime": "P1Y"},
                "lifetimeActions": [
                    {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P90D"}},
                    {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}},
                ],
            },
        },
    },
    KMS_KEY: {
        "description": "dublin data key",
        "enableKeyRotation": True,
        "rotationPeriodInDays": 365,
        "tags": TAGS,
    },
    INSTANCE: {
        "ami": "ami-0123456789abcdef0",
        "instanceType": "t3.micro",
        "subnetId": "subnet-1",
        "associatePublicIpAddress": False,
    },
    LAUNCH_TEMPLATE: {
        "networkInterfaces": [{"subnetId": "subnet-1", "associatePublicIpAddress": "false"}],
    },
    SUBNET: {"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24", "mapPublicIpOnLaunch": False},
    SECURITY_GROUP: {
        "vpcId": "vpc-1",
        "ingress": [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}
        ],
        # Open egress is not this pack's concern.
        "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
    },
    SECURITY_GROUP_RULE: {
        "type": "ingress",
        "securityGroupId": "sg-1",
        "protocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "cidrBlocks": ["10.0.0.0/8"],
    },
    VPC_INGRESS_RULE: {
        "securityGroupId": "sg-1",
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "cidrIpv4": "10.0.0.0/16",
    },
    NSG: {
        "resourceGroupName": "rg-dublin",
        "securityRules": [
            {
                "name": "allow-vnet-https",
                "direction": "Inbound",
                "access": "Allow",
                "protocol": "Tcp",
                "priority": 100,
                "sourceAddressPrefix": "VirtualNetwork",
                "sourcePortRange": "*",
                "destinationAddressPrefix": "*",
                "destinationPortRange": "443",
            },
            {
                "name": "deny-internet",
                "direction": "Inbound",
                "access": "Deny",
                "protocol": "*",
                "priority": 4000,
                "sourceAddressPrefix": "Internet",
                "sourcePortRange": "*",
                "destinationAddressPrefix": "*",
                "destinationPortRange": "*",
            },
        ],
    },
    SECURITY_RULE: {
        "resourceGroupName": "rg-dublin",
        "networkSecurityGroupName": "nsg-dublin",
        "direction": "Inbound",
        "access": "Allow",
        "protocol": "Tcp",
        "priority": 100,
        "sourceAddressPrefixes": ["10.0.0.0/16", "10.1.0.0/16"],
        "sourcePortRange": "*",
        "destinationAddressPrefix": "*",
        "destinationPortRange": "443",
    },
}


@dataclass(frozen=True)
class Case:
    id: str
    changes: Mapping[PropPath, Any]
    violates: bool
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    name: str
    type: str
    cases: Sequence[Case]


def v(case_id: str, *path: str | int, value: Any) -> Case:
    return Case(case_id, {path: value}, violates=True)


def ok(case_id: str, *path: str | int, value: Any) -> Case:
    return Case(case_id, {path: value}, violates=False)


RESOURCE_RULES: Final = [
    Rule(
        "aws-kms-key-require-rotation",
        KMS_KEY,
        [
            v("rotation-off", "enableKeyRotation", value=False),
            v("rotation-missing", "enableKeyRotation", value=DELETE),
            v("rotation-unknown", "enableKeyRotation", value=UNKNOWN),
            v("period-too-long", "rotationPeriodInDays", value=730),
            ok("period-unset-means-365", "rotationPeriodInDays", value=DELETE),
            v("period-unknown", "rotationPeriodInDays", value=UNKNOWN),
            Case(
                "asymmetric-key-exempt",
                {("customerMasterKeySpec",): "RSA_2048", ("enableKeyRotation",): False},
                violates=False,
            ),
            Case(
                "hmac-key-exempt",
                {("keyUsage",): "GENERATE_VERIFY_MAC", ("enableKeyRotation",): DELETE},
                violates=False,
            ),
            Case(
                "unknown-spec-fails-closed",
                {("customerMasterKeySpec",): UNKNOWN, ("enableKeyRotation",): False},
                violates=True,
            ),
            Case(
                "malformed-spec-fails-closed",
                {("customerMasterKeySpec",): 5, ("enableKeyRotation",): False},
                violates=True,
            ),
            Case(
                "custom-key-store-exempt",
                {("customKeyStoreId",): "cks-1234", ("enableKeyRotation",): False},
                violates=False,
            ),
            Case(
                "config-allows-longer-period",
                {("rotationPeriodInDays",): 730},
                violates=False,
                config={"aws-kms-key-require-rotation": {"maximumRotationPeriodInDays": 730}},
            ),
        ],
    ),
    Rule(
        "azure-native-storage-account-require-customer-managed-key",
        STORAGE_ACCOUNT,
        [
            v("microsoft-managed", "encryption", "keySource", value="Microsoft.Storage"),
            ok("case-insensitive", "encryption", "keySource", value="microsoft.keyvault"),
            v("encryption-missing", "encryption", value=DELETE),
            v("key-source-missing", "encryption", "keySource", value=DELETE),
            v("key-source-unknown", "encryption", "keySource", value=UNKNOWN),
            v("encryption-unknown", "encryption", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-storage-account-require-infrastructure-encryption",
        STORAGE_ACCOUNT,
        [
            v("off", "encryption", "requireInfrastructureEncryption", value=False),
            v("missing", "encryption", "requireInfrastructureEncryption", value=DELETE),
            v("unknown", "encryption", "requireInfrastructureEncryption", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-storage-account-require-minimum-tls12",
        STORAGE_ACCOUNT,
        [
            v("tls10", "minimumTlsVersion", value="TLS1_0"),
            v("tls11", "minimumTlsVersion", value="TLS1_1"),
            ok("tls13", "minimumTlsVersion", value="TLS1_3"),
            v("missing-means-tls10", "minimumTlsVersion", value=DELETE),
            v("unknown", "minimumTlsVersion", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-storage-account-require-https",
        STORAGE_ACCOUNT,
        [
            v("http-allowed", "enableHttpsTrafficOnly", value=False),
            v("missing-must-be-explicit", "enableHttpsTrafficOnly", value=DELETE),
            v("unknown", "enableHttpsTrafficOnly", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-storage-account-disallow-blob-public-access",
        STORAGE_ACCOUNT,
        [
            v("public", "allowBlobPublicAccess", value=True),
            v("missing-must-be-explicit", "allowBlobPublicAccess", value=DELETE),
            v("unknown", "allowBlobPublicAccess", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-storage-account-disable-public-network-access",
        STORAGE_ACCOUNT,
        [
            v("enabled", "publicNetworkAccess", value="Enabled"),
            v("perimeter", "publicNetworkAccess", value="SecuredByPerimeter"),
            ok("case-insensitive", "publicNetworkAccess", value="disabled"),
            v("missing", "publicNetworkAccess", value=DELETE),
            v("unknown", "publicNetworkAccess", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-storage-account-disallow-shared-key-access",
        STORAGE_ACCOUNT,
        [
            v("allowed", "allowSharedKeyAccess", value=True),
            v("missing-means-allowed", "allowSharedKeyAccess", value=DELETE),
            v("unknown", "allowSharedKeyAccess", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-keyvault-vault-require-purge-protection",
        VAULT,
        [
            v("off", "properties", "enablePurgeProtection", value=False),
            v("missing", "properties", "enablePurgeProtection", value=DELETE),
            v("unknown", "properties", "enablePurgeProtection", value=UNKNOWN),
            v("properties-unknown", "properties", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-keyvault-vault-require-soft-delete",
        VAULT,
        [
            v("disabled", "properties", "enableSoftDelete", value=False),
            ok("unset-means-on", "properties", "enableSoftDelete", value=DELETE),
            ok("null-means-unset", "properties", "enableSoftDelete", value=None),
            v("enabled-unknown", "properties", "enableSoftDelete", value=UNKNOWN),
            v("retention-short", "properties", "softDeleteRetentionInDays", value=30),
            ok("retention-unset-means-90", "properties", "softDeleteRetentionInDays", value=DELETE),
            v("retention-unknown", "properties", "softDeleteRetentionInDays", value=UNKNOWN),
            v("retention-not-a-number", "properties", "softDeleteRetentionInDays", value="90"),
            Case(
                "config-lowers-minimum",
                {("properties", "softDeleteRetentionInDays"): 7},
                violates=False,
                config={
                    "azure-native-keyvault-vault-require-soft-delete": {"minimumRetentionInDays": 7}
                },
            ),
        ],
    ),
    Rule(
        "azure-native-keyvault-vault-require-rbac-authorization",
        VAULT,
        [
            v("access-policies", "properties", "enableRbacAuthorization", value=False),
            v(
                "missing-means-access-policies",
                "properties",
                "enableRbacAuthorization",
                value=DELETE,
            ),
            v("unknown", "properties", "enableRbacAuthorization", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-keyvault-vault-disable-public-network-access",
        VAULT,
        [
            v("enabled", "properties", "publicNetworkAccess", value="Enabled"),
            ok("case-insensitive", "properties", "publicNetworkAccess", value="disabled"),
            v("missing", "properties", "publicNetworkAccess", value=DELETE),
            v("unknown", "properties", "publicNetworkAccess", value=UNKNOWN),
        ],
    ),
    Rule(
        "azure-native-keyvault-key-require-rotation-policy",
        VAULT_KEY,
        [
            v(
                "notify-only",
                "properties",
                "rotationPolicy",
                "lifetimeActions",
                0,
                "action",
                "type",
                value="notify",
            ),
            ok(
                "case-insensitive",
                "properties",
                "rotationPolicy",
                "lifetimeActions",
                0,
                "action",
                "type",
                value="Rotate",
            ),
            v(
                "rotate-without-trigger",
                "properties",
                "rotationPolicy",
                "lifetimeActions",
                0,
                "trigger",
                value=DELETE,
            ),
            v("policy-missing", "properties", "rotationPolicy", value=DELETE),
            v("actions-unknown", "properties", "rotationPolicy", "lifetimeActions", value=UNKNOWN),
            v(
                "action-type-unknown",
                "properties",
                "rotationPolicy",
                "lifetimeActions",
                0,
                "action",
                "type",
                value=UNKNOWN,
            ),
        ],
    ),
    Rule(
        "aws-ec2-instance-disallow-public-ip",
        INSTANCE,
        [
            v("public", "associatePublicIpAddress", value=True),
            ok("unset-defers-to-subnet", "associatePublicIpAddress", value=DELETE),
            v("unknown", "associatePublicIpAddress", value=UNKNOWN),
        ],
    ),
    Rule(
        "aws-ec2-launch-template-disallow-public-ip",
        LAUNCH_TEMPLATE,
        [
            v("public", "networkInterfaces", 0, "associatePublicIpAddress", value="true"),
            ok("unset", "networkInterfaces", 0, "associatePublicIpAddress", value=DELETE),
            v("unknown", "networkInterfaces", 0, "associatePublicIpAddress", value=UNKNOWN),
            v("interfaces-unknown", "networkInterfaces", value=UNKNOWN),
            ok("no-interfaces", "networkInterfaces", value=DELETE),
        ],
    ),
    Rule(
        "aws-ec2-subnet-disallow-public-ip-on-launch",
        SUBNET,
        [
            v("public", "mapPublicIpOnLaunch", value=True),
            ok("unset-means-false", "mapPublicIpOnLaunch", value=DELETE),
            v("unknown", "mapPublicIpOnLaunch", value=UNKNOWN),
        ],
    ),
    Rule(
        "aws-ec2-security-group-disallow-public-ingress",
        SECURITY_GROUP,
        [
            v("ipv4-anywhere", "ingress", 0, "cidrBlocks", value=["10.0.0.0/16", "0.0.0.0/0"]),
            v("ipv6-anywhere", "ingress", 0, "ipv6CidrBlocks", value=["::/0"]),
            v("non-canonical-anywhere", "ingress", 0, "cidrBlocks", value=["0.0.0.0/00"]),
            v("cidr-unknown", "ingress", 0, "cidrBlocks", 0, value=UNKNOWN),
            v("cidrs-unknown", "ingress", 0, "cidrBlocks", value=UNKNOWN),
            v("ingress-unknown", "ingress", value=UNKNOWN),
            v("rule-unknown", "ingress", 0, value=UNKNOWN),
            ok("no-ingress", "ingress", value=DELETE),
            ok("public-cidr-not-anywhere", "ingress", 0, "cidrBlocks", value=["192.0.2.0/24"]),
        ],
    ),
    Rule(
        "aws-ec2-security-group-rule-disallow-public-ingress",
        SECURITY_GROUP_RULE,
        [
            v("ipv4-anywhere", "cidrBlocks", value=["0.0.0.0/0"]),
            v("ipv6-anywhere", "ipv6CidrBlocks", value=["::/0"]),
            v("cidrs-unknown", "cidrBlocks", value=UNKNOWN),
            ok("cidrs-missing", "cidrBlocks", value=DELETE),
            Case(
                "egress-anywhere-allowed",
                {("type",): "egress", ("cidrBlocks",): ["0.0.0.0/0"]},
                violates=False,
            ),
            Case(
                "unknown-type-fails-closed",
                {("type",): UNKNOWN, ("cidrBlocks",): ["0.0.0.0/0"]},
                violates=True,
            ),
        ],
    ),
    Rule(
        "aws-vpc-security-group-ingress-rule-disallow-public-ingress",
        VPC_INGRESS_RULE,
        [
            v("ipv4-anywhere", "cidrIpv4", value="0.0.0.0/0"),
            Case("ipv6-anywhere", {("cidrIpv4",): DELETE, ("cidrIpv6",): "::/0"}, violates=True),
            v("unknown", "cidrIpv4", value=UNKNOWN),
            Case(
                "security-group-source",
                {("cidrIpv4",): DELETE, ("referencedSecurityGroupId",): "sg-2"},
                violates=False,
            ),
        ],
    ),
    Rule(
        "azure-native-network-security-group-disallow-internet-inbound",
        NSG,
        [
            v("internet", "securityRules", 0, "sourceAddressPrefix", value="Internet"),
            v("wildcard", "securityRules", 0, "sourceAddressPrefix", value="*"),
            v("any", "securityRules", 0, "sourceAddressPrefix", value="Any"),
            v("ipv4-anywhere", "securityRules", 0, "sourceAddressPrefix", value="0.0.0.0/0"),
            v(
                "in-prefix-list",
                "securityRules",
                0,
                "sourceAddressPrefixes",
                value=["10.0.0.0/8", "Internet"],
            ),
            v("source-unknown", "securityRules", 0, "sourceAddressPrefix", value=UNKNOWN),
            v("rules-unknown", "securityRules", value=UNKNOWN),
            v("rule-unknown", "securityRules", 0, value=UNKNOWN),
            ok("no-rules", "securityRules", value=DELETE),
            Case(
                "outbound-internet-allowed",
                {
                    ("securityRules", 0, "direction"): "Outbound",
                    ("securityRules", 0, "sourceAddressPrefix"): "Internet",
                },
                violates=False,
            ),
            Case(
                "unknown-direction-fails-closed",
                {
                    ("securityRules", 0, "direction"): UNKNOWN,
                    ("securityRules", 0, "sourceAddressPrefix"): "Internet",
                },
                violates=True,
            ),
        ],
    ),
    Rule(
        "azure-native-network-security-rule-disallow-internet-inbound",
        SECURITY_RULE,
        [
            v("internet-in-list", "sourceAddressPrefixes", 1, value="Internet"),
            Case(
                "single-prefix-wildcard",
                {("sourceAddressPrefixes",): DELETE, ("sourceAddressPrefix",): "*"},
                violates=True,
            ),
            v("prefixes-unknown", "sourceAddressPrefixes", value=UNKNOWN),
            ok("deny-rule", "access", value="Deny"),
            Case(
                "deny-internet-allowed",
                {("access",): "Deny", ("sourceAddressPrefixes",): ["Internet"]},
                violates=False,
            ),
            v("ipv6-anywhere", "sourceAddressPrefixes", 0, value="::/0"),
        ],
    ),
]

RESOURCE_CASES: Final = [
    pytest.param(rule, case, id=f"{rule.name}-{case.id}")
    for rule in RESOURCE_RULES
    for case in rule.cases
]


@pytest.mark.parametrize("type_", sorted(COMPLIANT))
def test_compliant_resource_passes_every_rule(eu: PolicyPack, type_: str) -> None:
    res = resource(type_, "compliant", COMPLIANT[type_])
    diags = eu.analyze(res)
    assert diags == [], f"{res.urn}: {[(d.policy, d.message) for d in diags]}"


@pytest.mark.parametrize(("rule", "case"), RESOURCE_CASES)
def test_resource_rule(eu: PolicyPack, rule: Rule, case: Case) -> None:
    if case.config:
        eu.configure(case.config)
    name = f"{rule.type.rsplit(':', 1)[-1].lower()}-{case.id}"
    res = resource(rule.type, name, changed(COMPLIANT[rule.type], case.changes))
    diags = eu.analyze(res)
    assert_sound(diags)
    found = of(diags, rule.name)
    if not case.violates:
        assert found == [], f"{res.urn}: {[d.message for d in found]}"
        return
    assert found, f"{res.urn}: expected {rule.name}; got {[(d.policy, d.message) for d in diags]}"
    level = eu.policies[rule.name].enforcement_level
    for d in found:
        assert d.enforcement_level == level, f"{res.urn}: {d.enforcement_level} != {level}"
        assert d.urn == res.urn
        assert repr(res.name) in d.message, f"the message names the resource: {d.message}"
        assert d.severity == eu.policies[rule.name].severity
    if any(value is UNKNOWN for value in case.changes.values()):
        assert "unknown" in " ".join(d.message for d in found).lower()


@pytest.mark.parametrize(
    ("type_", "rule"),
    [
        ("aws:ec2/internetGateway:InternetGateway", "aws-ec2-internet-gateway-disallow"),
        ("aws:ec2/eip:Eip", "aws-ec2-eip-disallow"),
        ("azure-native:network:PublicIPAddress", "azure-native-network-public-ip-address-disallow"),
        ("azure-native:network:PublicIPPrefix", "azure-native-network-public-ip-address-disallow"),
    ],
)
def test_public_entry_points_are_refused(eu: PolicyPack, type_: str, rule: str) -> None:
    for props in ({}, {"vpcId": UNKNOWN, "tags": {"Name": "x"}}):
        res = resource(type_, "entry", props)
        found = of(eu.analyze(res), rule)
        assert len(found) == 1, f"{res.urn}: {found}"
        assert found[0].enforcement_level == "mandatory"


def test_egress_only_internet_gateway_is_allowed(eu: PolicyPack) -> None:
    res = resource("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "v6", {})
    assert eu.analyze(res) == []


def test_default_security_group_is_checked_like_a_security_group(eu: PolicyPack) -> None:
    props = changed(COMPLIANT[SECURITY_GROUP], {("ingress", 0, "cidrBlocks"): ["0.0.0.0/0"]})
    res = resource("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default", props)
    assert of(eu.analyze(res), "aws-ec2-security-group-disallow-public-ingress")


def test_arm_shaped_nsg_rule_is_read_too(eu: PolicyPack) -> None:
    rule = COMPLIANT[NSG]["securityRules"][0]
    nested = {"name": "allow-web", "properties": {**rule, "sourceAddressPrefix": "Internet"}}
    res = resource(NSG, "arm-shape", {"securityRules": [nested]})
    assert of(eu.analyze(res), "azure-native-network-security-group-disallow-internet-inbound")


@pytest.mark.parametrize("level", ["advisory", "disabled"])
def test_enforcement_level_override(eu: PolicyPack, level: str) -> None:
    rule = "azure-native-storage-account-require-minimum-tls12"
    eu.configure({rule: {"enforcementLevel": level}})
    props = changed(COMPLIANT[STORAGE_ACCOUNT], {("minimumTlsVersion",): "TLS1_0"})
    found = of(eu.analyze(resource(STORAGE_ACCOUNT, "sa", props)), rule)
    if level == "disabled":
        assert found == []
    else:
        assert [d.enforcement_level for d in found] == ["advisory"]


@pytest.mark.parametrize("rule", RESOURCE_RULES, ids=lambda r: r.name)
def test_every_resource_rule_level_is_overridable(eu: PolicyPack, rule: Rule) -> None:
    """A stack's policy config flips the level (mandatory <-> advisory) or disables the rule."""
    case = next(c for c in rule.cases if c.violates and not c.config)
    res = resource(rule.type, "flip", changed(COMPLIANT[rule.type], case.changes))
    default = eu.policies[rule.name].enforcement_level
    flipped = "advisory" if default == "mandatory" else "mandatory"
    eu.configure({rule.name: {"enforcementLevel": flipped}})
    assert {d.enforcement_level for d in of(eu.analyze(res), rule.name)} == {flipped}
    eu.configure({rule.name: "disabled"})
    assert of(eu.analyze(res), rule.name) == []


def test_unknown_stays_mandatory_not_the_sdk_advisory(eu: PolicyPack) -> None:
    """Every mandatory storage rule given an all-unknown account reports at its own level."""
    props = dict.fromkeys(COMPLIANT[STORAGE_ACCOUNT], UNKNOWN)
    diags = eu.analyze(resource(STORAGE_ACCOUNT, "all-unknown", props))
    assert_sound(diags)
    mandatory = {
        name
        for name, info in eu.policies.items()
        if info.enforcement_level == "mandatory" and name.startswith("azure-native-storage-account")
    }
    assert mandatory <= {d.policy for d in diags if d.enforcement_level == "mandatory"}


# -- S3: stack-level relationship rules -----------------------------------------------------------

BUCKET: Final = "aws:s3/bucket:Bucket"
SSE: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
VERSIONING: Final = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS_BLOCK: Final = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"

S3_KMS = "aws-s3-bucket-require-kms-encryption"
S3_TLS = "aws-s3-bucket-require-tls-only-policy"
S3_PAB = "aws-s3-bucket-require-public-access-block"
S3_VERSIONING = "aws-s3-bucket-require-versioning"
S3_RULES: Final = (S3_KMS, S3_TLS, S3_PAB, S3_VERSIONING)


def tls_policy(name: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def bucket_stack(
    name: str = "data",
    *,
    preview: bool = True,
    sse: Mapping[PropPath, Any] | None = None,
    policy: Any = None,
    pab: Mapping[PropPath, Any] | None = None,
    versioning: Mapping[PropPath, Any] | None = None,
    omit: Sequence[str] = (),
    kms_dependency: bool = True,
) -> list[AnalyzedResource]:
    """A compliant bucket with its key and four settings resources.

    In a preview the settings' ``bucket`` input is unknown and only ``propertyDependencies`` tie
    them to the bucket; otherwise they name the bucket by its physical name.
    """
    physical = f"clover-{name}-eu-west-1"
    key = resource(KMS_KEY, f"{name}-key", COMPLIANT[KMS_KEY])
    bucket = resource(BUCKET, name, {"bucket": physical, "tags": TAGS})
    target = UNKNOWN if preview else physical
    link = {"bucket": [bucket.urn]} if preview else {}

    def settings(type_: str, role: str, props: dict[str, Any], extra: Mapping[str, Any]) -> Any:
        deps = {**link, **extra}
        return resource(type_, f"{name}-{role}", props, property_dependencies=deps)

    sse_props = changed(
        {
            "bucket": target,
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": UNKNOWN if preview else "arn:aws:kms:eu-west-1:1:key/k",
                    },
                    "bucketKeyEnabled": True,
                }
            ],
        },
        sse or {},
    )
    document = tls_policy(physical) if policy is None else policy
    found = [
        key,
        bucket,
        settings(SSE, "sse", sse_props, {"rules": [key.urn]} if kms_dependency else {}),
        settings(
            BUCKET_POLICY,
            "tls",
            {
                "bucket": target,
                "policy": document if isinstance(document, str) else json.dumps(document),
            },
            {},
        ),
        settings(
            PUBLIC_ACCESS_BLOCK,
            "pab",
            changed(
                {
                    "bucket": target,
                    "blockPublicAcls": True,
                    "blockPublicPolicy": True,
                    "ignorePublicAcls": True,
                    "restrictPublicBuckets": True,
                },
                pab or {},
            ),
            {},
        ),
        settings(
            VERSIONING,
            "versioning",
            changed(
                {"bucket": target, "versioningConfiguration": {"status": "Enabled"}},
                versioning or {},
            ),
            {},
        ),
    ]
    return [r for r in found if not any(r.name.endswith(f"-{o}") for o in omit)]


def stack_findings(pack: PolicyPack, resources: Sequence[AnalyzedResource], rule: str) -> list[str]:
    """``<urn name> <message>`` of ``rule``'s diagnostics, after checking soundness and level."""
    diags = pack.analyze_stack(resources)
    assert_sound(diags)
    found = of(diags, rule)
    for d in found:
        assert d.enforcement_level == pack.policies[rule].enforcement_level, d
        assert d.urn, f"{rule} attributes its finding to a resource: {d.message}"
    return [f"{d.urn.rsplit('::', 1)[-1]} {d.message}" for d in found]


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_compliant_bucket_stack(eu: PolicyPack, preview: bool) -> None:
    diags = eu.analyze_stack(bucket_stack(preview=preview))
    assert diags == [], [d.message for d in diags]


@pytest.mark.parametrize(
    ("rule", "omit"),
    [(S3_KMS, "sse"), (S3_TLS, "tls"), (S3_PAB, "pab"), (S3_VERSIONING, "versioning")],
)
def test_bucket_without_settings_resource(eu: PolicyPack, rule: str, omit: str) -> None:
    findings = stack_findings(eu, bucket_stack(omit=[omit]), rule)
    assert len(findings) == 1, findings
    assert findings[0].startswith("data "), findings
    assert eu.policies[rule].enforcement_level == "mandatory"
    others = [r for r in S3_RULES if r != rule]
    for other in others:
        assert stack_findings(eu, bucket_stack(omit=[omit]), other) == []


SSE_RULE: Final = ("rules", 0)
SSE_DEFAULT: Final = (*SSE_RULE, "applyServerSideEncryptionByDefault")


@pytest.mark.parametrize(
    ("changes", "violates", "kms_dependency"),
    [
        pytest.param({(*SSE_DEFAULT, "sseAlgorithm"): "AES256"}, True, True, id="sse-s3"),
        pytest.param({(*SSE_DEFAULT, "sseAlgorithm"): "aws:kms:dsse"}, True, True, id="dsse"),
        pytest.param({(*SSE_DEFAULT, "sseAlgorithm"): UNKNOWN}, True, True, id="alg-unknown"),
        pytest.param({(*SSE_DEFAULT, "kmsMasterKeyId"): "alias/aws/s3"}, True, False, id="aws-key"),
        pytest.param(
            {(*SSE_DEFAULT, "kmsMasterKeyId"): "arn:aws:kms:eu-west-1:1:alias/aws/s3"},
            True,
            False,
            id="aws-key-arn",
        ),
        pytest.param({(*SSE_DEFAULT, "kmsMasterKeyId"): DELETE}, True, True, id="key-missing"),
        pytest.param({(*SSE_DEFAULT, "kmsMasterKeyId"): ""}, True, True, id="key-empty"),
        pytest.param(
            {(*SSE_DEFAULT, "kmsMasterKeyId"): "alias/clover-data"}, False, False, id="own-alias"
        ),
        pytest.param({}, True, False, id="key-unknown-not-from-a-key"),
        pytest.param({(*SSE_RULE, "bucketKeyEnabled"): False}, True, True, id="no-bucket-key"),
        pytest.param({(*SSE_RULE, "bucketKeyEnabled"): DELETE}, True, True, id="bucket-key-unset"),
        pytest.param({(*SSE_RULE, "bucketKeyEnabled"): UNKNOWN}, True, True, id="bucket-key-unk"),
        pytest.param({("rules",): []}, True, True, id="no-rules"),
        pytest.param({("rules",): UNKNOWN}, True, True, id="rules-unknown"),
        pytest.param({(*SSE_RULE,): UNKNOWN}, True, True, id="rule-unknown"),
    ],
)
def test_sse_configuration(
    eu: PolicyPack, changes: Mapping[PropPath, Any], violates: bool, kms_dependency: bool
) -> None:
    stack = bucket_stack(sse=changes, kms_dependency=kms_dependency)
    findings = stack_findings(eu, stack, S3_KMS)
    if violates:
        assert findings
        assert all(f.startswith("data-sse ") for f in findings), findings
    else:
        assert findings == []


def test_sse_for_another_bucket_does_not_count(eu: PolicyPack) -> None:
    first = bucket_stack("first", preview=False)
    second = bucket_stack("second", preview=False, omit=["sse"])
    findings = stack_findings(eu, first + second, S3_KMS)
    assert [f.split(" ", 1)[0] for f in findings] == ["second"]


def test_settings_with_unknown_bucket_and_no_dependency_fail_closed(eu: PolicyPack) -> None:
    stack = bucket_stack(preview=False)
    stack = [
        resource(r.type, r.name, {**r.properties, "bucket": UNKNOWN}) if r.type == SSE else r
        for r in stack
    ]
    findings = stack_findings(eu, stack, S3_KMS)
    assert sorted(f.split(" ", 1)[0] for f in findings) == ["data", "data-sse"], findings


def test_bucket_v2_is_covered(eu: PolicyPack) -> None:
    stack = [
        resource("aws:s3/bucketV2:BucketV2", r.name, r.properties) if r.type == BUCKET else r
        for r in bucket_stack(preview=False, omit=["versioning"])
    ]
    assert stack_findings(eu, stack, S3_VERSIONING)


def deny(**overrides: Any) -> str:
    statement = {**tls_policy("clover-data-eu-west-1")["Statement"][0], **overrides}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize(
    ("policy", "violates"),
    [
        pytest.param(deny(Effect="Allow"), True, id="allow-not-deny"),
        pytest.param(deny(Condition={}), True, id="no-condition"),
        pytest.param(
            deny(Condition={"Bool": {"aws:SecureTransport": "true"}}), True, id="denies-tls"
        ),
        pytest.param(deny(Principal={"AWS": "arn:aws:iam::1:root"}), True, id="one-principal"),
        pytest.param(deny(Action="s3:GetObject"), True, id="one-action"),
        pytest.param(deny(Resource="arn:aws:s3:::clover-data-eu-west-1"), True, id="no-objects"),
        pytest.param("{not json", True, id="invalid-json"),
        pytest.param(UNKNOWN, True, id="unknown"),
        pytest.param(json.dumps({"Version": "2012-10-17"}), True, id="no-statements"),
        pytest.param(deny(Principal={"AWS": "*"}), False, id="aws-star-principal"),
        pytest.param(deny(Action=["s3:*"]), False, id="action-list"),
        pytest.param(
            deny(Condition={"Bool": {"aws:securetransport": ["false"]}}), False, id="list-value"
        ),
        pytest.param(
            json.dumps({"Statement": tls_policy("clover-data-eu-west-1")["Statement"][0]}),
            False,
            id="single-statement-object",
        ),
    ],
)
def test_tls_only_bucket_policy(eu: PolicyPack, policy: str, violates: bool) -> None:
    findings = stack_findings(eu, bucket_stack(policy=policy), S3_TLS)
    if violates:
        assert findings
        assert all(f.startswith("data-tls ") for f in findings), findings
    else:
        assert findings == []


@pytest.mark.parametrize(
    ("computed", "violates"),
    [
        # What the document computes to with the site endpoint's id known: TLS-only.
        (json.dumps(tls_policy("clover-data-eu-west-1")), False),
        (tls_policy("clover-data-eu-west-1"), False),
        # Computed, but it allows plain HTTP.
        (json.dumps({"Version": "2012-10-17", "Statement": []}), True),
        # No evidence: unknown, fail closed.
        (None, True),
    ],
)
def test_tls_only_bucket_policy_unknown_at_preview_is_judged_on_the_check_s_evidence(
    eu: PolicyPack, computed: Any, violates: bool
) -> None:
    """A policy holding another resource's output (the site's S3 endpoint id) is unknown at
    preview; the offline check hands the rule what it computes to (``computedValues``)."""
    stack = bucket_stack(policy=UNKNOWN)
    tls = next(r for r in stack if r.name == "data-tls")
    if computed is not None:
        eu.configure({S3_TLS: {"computedValues": {"inputs": {tls.urn: {"policy": computed}}}}})
    findings = stack_findings(eu, stack, S3_TLS)
    assert bool(findings) == violates, findings
    if violates and computed is not None:
        assert "judged on the document the offline check computed" in findings[0]
    if computed is None:
        assert "--write-pack-configs" in findings[0]


@pytest.mark.parametrize(
    "flag", ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]
)
@pytest.mark.parametrize("value", [False, DELETE, UNKNOWN], ids=["false", "missing", "unknown"])
def test_public_access_block_flags(eu: PolicyPack, flag: str, value: Any) -> None:
    findings = stack_findings(eu, bucket_stack(pab={(flag,): value}), S3_PAB)
    assert len(findings) == 1, findings
    assert flag in findings[0]


@pytest.mark.parametrize(
    "status",
    ["Suspended", "Disabled", DELETE, UNKNOWN],
    ids=["suspended", "disabled", "missing", "unknown"],
)
def test_versioning_must_be_enabled(eu: PolicyPack, status: Any) -> None:
    changes: dict[PropPath, Any] = {("versioningConfiguration", "status"): status}
    findings = stack_findings(eu, bucket_stack(versioning=changes), S3_VERSIONING)
    assert len(findings) == 1, findings
    assert findings[0].startswith("data-versioning ")


def test_s3_rules_can_be_disabled_per_stack(eu: PolicyPack) -> None:
    eu.configure({rule: {"enforcementLevel": "disabled"} for rule in S3_RULES})
    assert eu.analyze_stack(bucket_stack(omit=["sse", "tls", "pab", "versioning"])) == []


# -- governance: tags and protect -----------------------------------------------------------------

AWS_TAGS = "aws-data-store-require-tags"
AZURE_TAGS = "azure-native-data-store-require-tags"
AWS_PROTECT = "aws-data-store-require-protect"
AZURE_PROTECT = "azure-native-data-store-require-protect"


def aws_provider(default_tags: Any) -> ProviderRef:
    properties: dict[str, Any] = {"region": "eu-west-1"}
    if default_tags is not None:
        properties["defaultTags"] = default_tags
    return ProviderRef(
        type="pulumi:providers:aws",
        name="dublin-aws",
        urn="urn:pulumi:test::clover::pulumi:providers:aws::dublin-aws",
        properties=properties,
    )


@pytest.mark.parametrize(
    ("tags", "default_tags", "violates"),
    [
        pytest.param(TAGS, None, False, id="own-tags"),
        pytest.param({}, None, True, id="no-tags"),
        pytest.param(DELETE, None, True, id="tags-missing"),
        pytest.param({**TAGS, "residency-site": ""}, None, True, id="empty-value"),
        pytest.param({**TAGS, "residency-site": UNKNOWN}, None, True, id="value-unknown"),
        pytest.param(UNKNOWN, None, True, id="tags-unknown"),
        pytest.param({}, json.dumps({"tags": TAGS}), False, id="provider-default-tags-json"),
        pytest.param({}, {"tags": TAGS}, False, id="provider-default-tags-object"),
        pytest.param(
            {"residency-site": "hamar"},
            json.dumps({"tags": {"data-classification": "personal"}}),
            False,
            id="merged-with-defaults",
        ),
        pytest.param({}, UNKNOWN, True, id="defaults-unknown"),
        pytest.param(TAGS, UNKNOWN, False, id="own-tags-beat-unknown-defaults"),
        pytest.param({"Data-Classification": "x", "Residency-Site": "y"}, None, True, id="case"),
    ],
)
def test_aws_data_store_tags(eu: PolicyPack, tags: Any, default_tags: Any, violates: bool) -> None:
    props = changed(COMPLIANT[KMS_KEY], {("tags",): tags})
    res = resource(KMS_KEY, "key", props, provider=aws_provider(default_tags))
    found = of(eu.analyze(res), AWS_TAGS)
    assert bool(found) == violates, [d.message for d in found]
    assert all(d.enforcement_level == "advisory" for d in found)


@pytest.mark.parametrize(
    ("tags", "violates"),
    [
        pytest.param(TAGS, False, id="tags"),
        pytest.param({"DATA-CLASSIFICATION": "x", "Residency-Site": "y"}, False, id="any-case"),
        pytest.param({"data-classification": "personal"}, True, id="one-missing"),
        pytest.param(UNKNOWN, True, id="unknown"),
    ],
)
def test_azure_data_store_tags(eu: PolicyPack, tags: Any, violates: bool) -> None:
    props = changed(COMPLIANT[VAULT], {("tags",): tags})
    found = of(eu.analyze(resource(VAULT, "kv", props)), AZURE_TAGS)
    assert bool(found) == violates, [d.message for d in found]


def test_required_tags_are_configurable(eu: PolicyPack) -> None:
    eu.configure(
        {AZURE_TAGS: {"enforcementLevel": "mandatory", "requiredTags": ["owner", "residency-site"]}}
    )
    found = of(eu.analyze(resource(STORAGE_ACCOUNT, "sa", COMPLIANT[STORAGE_ACCOUNT])), AZURE_TAGS)
    assert len(found) == 1
    assert "'owner'" in found[0].message
    assert found[0].enforcement_level == "mandatory"


def test_tags_apply_only_to_data_stores(eu: PolicyPack) -> None:
    assert eu.analyze(resource(SUBNET, "subnet", COMPLIANT[SUBNET], protect=False)) == []


@pytest.mark.parametrize(
    ("type_", "rule"),
    [
        (BUCKET, AWS_PROTECT),
        (KMS_KEY, AWS_PROTECT),
        ("aws:dynamodb/table:Table", AWS_PROTECT),
        ("aws:rds/instance:Instance", AWS_PROTECT),
        (STORAGE_ACCOUNT, AZURE_PROTECT),
        (VAULT, AZURE_PROTECT),
        ("azure-native:sql:Server", AZURE_PROTECT),
    ],
)
def test_data_stores_should_be_protected(eu: PolicyPack, type_: str, rule: str) -> None:
    props = {"tags": TAGS}
    assert of(eu.analyze(resource(type_, "store", props, protect=True)), rule) == []
    found = of(eu.analyze(resource(type_, "store", props, protect=False)), rule)
    assert [d.enforcement_level for d in found] == ["advisory"]
    assert "'store'" in found[0].message


# -- per-stack configuration files ----------------------------------------------------------------

CONFIG_DIR: Final = ROOT / "policy_packs" / "config"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_config_file_validates(eu: PolicyPack, stack: str) -> None:
    config = load_pack_config(CONFIG_DIR / f"eu_data_protection.{stack}.json")
    eu.configure(config)
    assert set(eu.effective_config) == set(eu.policies)


def test_prod_config_makes_governance_mandatory(eu: PolicyPack) -> None:
    eu.configure(load_pack_config(CONFIG_DIR / "eu_data_protection.prod.json"))
    for rule in (AWS_PROTECT, AZURE_PROTECT, AWS_TAGS, AZURE_TAGS):
        assert eu.effective_config[rule]["enforcementLevel"] == "mandatory", rule
    props = changed(COMPLIANT[STORAGE_ACCOUNT], {("allowSharedKeyAccess",): True})
    diags = eu.analyze(resource(STORAGE_ACCOUNT, "sa", props, protect=False))
    levels = {d.policy: d.enforcement_level for d in diags}
    assert levels == {
        AZURE_PROTECT: "mandatory",
        "azure-native-storage-account-disallow-shared-key-access": "mandatory",
    }


def test_dev_config_lets_stores_be_destroyed(eu: PolicyPack) -> None:
    eu.configure(load_pack_config(CONFIG_DIR / "eu_data_protection.dev.json"))
    props = changed(COMPLIANT[VAULT], {("properties", "softDeleteRetentionInDays"): 7})
    assert eu.analyze(resource(VAULT, "kv", props, protect=False)) == []


def test_a_misspelt_config_key_is_refused(eu: PolicyPack) -> None:
    with pytest.raises(PolicyConfigError, match="minimumRetentionDays"):
        eu.configure(
            {"azure-native-keyvault-vault-require-soft-delete": {"minimumRetentionDays": 7}}
        )
    with pytest.raises(PolicyConfigError):
        eu.configure(
            {"azure-native-keyvault-vault-require-soft-delete": {"minimumRetentionInDays": 3}}
        )
