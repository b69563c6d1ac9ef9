"""AwsNetworkBoundary: a private VPC with endpoints and flow logs, and no way to the internet."""

from __future__ import annotations

import ipaddress
import itertools
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from clover.standin.engine import Recording
from components.network.aws import AwsNetworkBoundary, AwsNetworkBoundaryArgs
from tests.components.aws_helpers import (
    ACCOUNT,
    DATA_BUCKET_ARN,
    LOG_BUCKET_ARN,
    PROVIDER_NAME,
    REGION,
    TAGS,
    assert_all_on_provider,
    document,
    lint,
    only,
    statement,
)
from tests.conftest import RunProgram

CIDR = "10.20.0.0/16"
FLOW_LOGS = f"{LOG_BUCKET_ARN}/vpc-flow-logs/"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def network_args(**changes: Any) -> AwsNetworkBoundaryArgs:
    values: dict[str, Any] = {
        "region": REGION,
        "vpc_cidr": CIDR,
        "bucket_arns": [DATA_BUCKET_ARN],
        "log_bucket_arns": [LOG_BUCKET_ARN],
        "flow_log_destination_arn": FLOW_LOGS,
        "tags": TAGS,
    }
    values.update(changes)
    return AwsNetworkBoundaryArgs(**values)


def build(run: RunProgram, args: AwsNetworkBoundaryArgs | None = None) -> Recording:
    def program() -> None:
        provider = aws.Provider(PROVIDER_NAME, region=REGION)
        AwsNetworkBoundary(
            "site", args or network_args(), opts=pulumi.ResourceOptions(providers=[provider])
        )

    return run(program)


@pytest.fixture
def recording(run: RunProgram) -> Recording:
    return build(run)


def endpoint(recording: Recording, service: str) -> Any:
    found = [
        r
        for r in recording.of_type(ENDPOINT)
        if r.inputs["serviceName"] == f"com.amazonaws.{REGION}.{service}"
    ]
    assert len(found) == 1, f"expected one {service} endpoint, found {[r.urn for r in found]}"
    return found[0]


def test_vpc_has_dns_support_and_hostnames(recording: Recording) -> None:
    vpc = only(recording, "aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == CIDR, vpc.urn
    assert vpc.inputs["enableDnsSupport"] is True, vpc.urn
    assert vpc.inputs["enableDnsHostnames"] is True, vpc.urn
    assert vpc.inputs["tags"] == TAGS, vpc.urn


@pytest.mark.parametrize("az_count", [2, 3])
def test_one_private_subnet_per_zone_inside_the_vpc(run: RunProgram, az_count: int) -> None:
    recording = build(run, network_args(az_count=az_count))
    # Registrations complete in any order (the SDK registers from a thread pool): sort by name.
    subnets = sorted(recording.of_type("aws:ec2/subnet:Subnet"), key=lambda s: s.name)
    assert len(subnets) == az_count
    assert [s.inputs["availabilityZone"] for s in subnets] == [
        f"{REGION}{z}" for z in "abc"[:az_count]
    ]
    blocks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    for subnet, block in zip(subnets, blocks, strict=True):
        assert block.subnet_of(ipaddress.IPv4Network(CIDR)), subnet.urn
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, subnet.urn
    assert len(set(blocks)) == az_count
    for first, second in itertools.pairwise(blocks):
        assert not first.overlaps(second)


def test_subnets_use_the_private_route_table_which_has_no_routes(recording: Recording) -> None:
    table = only(recording, "aws:ec2/routeTable:RouteTable")
    assert not table.inputs.get("routes"), table.urn
    assert recording.of_type("aws:ec2/route:Route") == []
    associations = recording.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert sorted(a.inputs["subnetId"] for a in associations) == [
        "site-private-0-id",
        "site-private-1-id",
    ]
    assert {a.inputs["routeTableId"] for a in associations} == {"site-private-rt-id"}


@pytest.mark.parametrize(
    "type_",
    [
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/route:Route",
    ],
)
def test_no_path_to_the_internet(recording: Recording, type_: str) -> None:
    assert recording.of_type(type_) == []


def test_default_security_group_is_stripped(recording: Recording) -> None:
    default = only(recording, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs["ingress"] == [], default.urn
    assert default.inputs["egress"] == [], default.urn


def test_s3_gateway_endpoint_on_the_private_route_table(recording: Recording) -> None:
    s3 = endpoint(recording, "s3")
    assert s3.inputs["vpcEndpointType"] == "Gateway", s3.urn
    assert s3.inputs["routeTableIds"] == ["site-private-rt-id"], s3.urn


def test_s3_endpoint_policy_admits_only_the_site_buckets(recording: Recording) -> None:
    s3 = endpoint(recording, "s3")
    doc = document(s3)
    assert [s["Sid"] for s in doc["Statement"]] == [
        "SiteBucketsOnly",
        "SiteLogsReadOnly",
        "NoLogVersionDeletion",
    ], s3.urn
    grant = statement(doc, "SiteBucketsOnly")
    assert grant["Effect"] == "Allow"
    assert grant["Resource"] == [DATA_BUCKET_ARN, f"{DATA_BUCKET_ARN}/*"]
    assert grant["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    assert "s3:*" not in grant["Action"]
    assert not [a for a in grant["Action"] if "Policy" in a or "Acl" in a]


def test_s3_endpoint_reads_log_buckets_and_never_deletes_a_log_version(
    recording: Recording,
) -> None:
    s3 = endpoint(recording, "s3")
    doc = document(s3)
    logs = [LOG_BUCKET_ARN, f"{LOG_BUCKET_ARN}/*"]
    read = statement(doc, "SiteLogsReadOnly")
    assert read["Effect"] == "Allow"
    assert read["Resource"] == logs
    assert read["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    assert all(a.startswith(("s3:Get", "s3:List")) for a in read["Action"]), read["Action"]
    deny = statement(doc, "NoLogVersionDeletion")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Resource"] == logs
    assert "Condition" not in deny
    for action in ("s3:DeleteObjectVersion", "s3:DeleteObject", "s3:BypassGovernanceRetention"):
        assert action in deny["Action"], action
    # No Allow statement reaches a log bucket with a write or delete.
    for entry in doc["Statement"]:
        if entry["Effect"] == "Allow" and set(entry["Resource"]) & set(logs):
            assert not [a for a in entry["Action"] if "Delete" in a or "Put" in a], entry["Sid"]


@pytest.mark.parametrize("service", ["kms", "sts"])
def test_interface_endpoints_carry_an_account_perimeter(recording: Recording, service: str) -> None:
    found = endpoint(recording, service)
    doc = document(found)
    perimeter = statement(doc, "AccountPerimeter")
    assert perimeter["Effect"] == "Allow", found.urn
    assert perimeter["Action"] == f"{service}:*", found.urn
    assert perimeter["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
    }, found.urn
    for entry in doc["Statement"]:
        assert entry["Effect"] == "Allow", found.urn
        assert entry["Condition"]["StringEquals"]["aws:PrincipalAccount"] == ACCOUNT, entry["Sid"]
    sids = [s["Sid"] for s in doc["Statement"]]
    if service == "sts":
        caller = statement(doc, "AccountCallerIdentity")
        assert caller["Action"] == ["sts:GetCallerIdentity"], found.urn
        assert sids == ["AccountPerimeter", "AccountCallerIdentity"]
    else:
        assert sids == ["AccountPerimeter"]


@pytest.mark.parametrize("service", ["kms", "sts"])
def test_interface_endpoints_with_private_dns(recording: Recording, service: str) -> None:
    found = endpoint(recording, service)
    assert found.inputs["vpcEndpointType"] == "Interface", found.urn
    assert found.inputs["privateDnsEnabled"] is True, found.urn
    assert found.inputs["subnetIds"] == ["site-private-0-id", "site-private-1-id"], found.urn
    assert found.inputs["securityGroupIds"] == ["site-endpoints-sg-id"], found.urn


def test_endpoint_security_group_admits_https_from_the_vpc_only(recording: Recording) -> None:
    group = only(recording, "aws:ec2/securityGroup:SecurityGroup")
    [rule] = group.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443), group.urn
    assert rule["cidrBlocks"] == [CIDR], group.urn
    assert not rule.get("ipv6CidrBlocks"), group.urn
    assert group.inputs["egress"] == [], group.urn


def test_no_rule_anywhere_opens_to_the_internet(recording: Recording) -> None:
    for group in recording.of_type("aws:ec2/securityGroup:SecurityGroup") + recording.of_type(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
    ):
        for rule in group.inputs.get("ingress", []) + group.inputs.get("egress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", []), group.urn
            assert "::/0" not in rule.get("ipv6CidrBlocks", []), group.urn
    assert recording.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []
    assert recording.of_type("aws:ec2/securityGroupRule:SecurityGroupRule") == []


def test_flow_logs_capture_all_traffic_into_the_log_bucket(recording: Recording) -> None:
    flow_log = only(recording, "aws:ec2/flowLog:FlowLog")
    vpc = only(recording, "aws:ec2/vpc:Vpc")
    assert str(vpc.id).startswith("vpc-"), vpc.id  # the stand-in gives VPCs ids of AWS's form
    assert flow_log.inputs["vpcId"] == vpc.id, flow_log.urn
    assert flow_log.inputs["trafficType"] == "ALL", flow_log.urn
    assert flow_log.inputs["logDestinationType"] == "s3", flow_log.urn
    assert flow_log.inputs["logDestination"] == FLOW_LOGS, flow_log.urn


def test_every_taggable_resource_is_tagged(recording: Recording) -> None:
    for type_ in (
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/routeTable:RouteTable",
        ENDPOINT,
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/flowLog:FlowLog",
    ):
        for resource in recording.of_type(type_):
            assert resource.inputs["tags"] == TAGS, resource.urn


def test_every_resource_uses_the_explicit_provider(recording: Recording) -> None:
    assert_all_on_provider(recording, PROVIDER_NAME)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"az_count": 1}, "az_count"),
        ({"vpc_cidr": "10.20.0.0/33"}, "vpc_cidr"),
        ({"vpc_cidr": "10.0.0.0/8"}, "vpc_cidr"),
        ({"vpc_cidr": "not-a-cidr"}, "vpc_cidr"),
        ({"bucket_arns": []}, "bucket_arns"),
    ],
)
def test_invalid_arguments_are_refused(change: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match=key):
        network_args(**change)


def test_more_zones_than_the_region_has_fail(run: RunProgram) -> None:
    with pytest.raises(Exception, match="available zones"):
        build(run, network_args(az_count=4))


@pytest.mark.parametrize("service", ["s3", "kms", "sts"])
def test_endpoint_policy_passes_parliament(recording: Recording, service: str) -> None:
    found = endpoint(recording, service)
    assert lint(found.inputs["policy"]) == [], found.urn
