"""The site's network boundary on AWS: a private VPC with no route to the internet, reaching S3,
KMS and STS only through VPC endpoints, with every flow logged."""

from __future__ import annotations

import functools
import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.storage.aws import DATA_ACTIONS

HTTPS = 443

ENDPOINT_S3_ACTIONS = (*DATA_ACTIONS, "s3:AbortMultipartUpload", "s3:GetBucketLocation")
"""What the S3 endpoint carries to data buckets: object reads and writes, never bucket
administration."""

ENDPOINT_LOG_READ_ACTIONS = (
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
)
"""What the S3 endpoint carries to log buckets: reading the logs. The services deliver them
(CloudTrail, S3 server access logging, VPC flow logs) without the endpoint."""

LOG_TAMPER_ACTIONS = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
)
"""What nobody in the VPC may do to a log bucket through the endpoint: delete log versions or
shorten how long they are kept. An explicit Deny, so a later Allow cannot reopen it."""

STS_CALLER_ACTIONS = ("sts:GetCallerIdentity",)
"""STS actions without a target resource: ``aws:ResourceAccount`` is absent for them, so the
endpoint admits them on the principal's account alone.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
"""


def _nth(names: Sequence[str], index: int) -> str:
    if index >= len(names):
        raise ValueError(
            f"the region offers {len(names)} available zones; az_count needs {index + 1}"
        )
    return names[index]


@dataclass(frozen=True, kw_only=True)
class AwsNetworkBoundaryArgs:
    """Inputs of :class:`AwsNetworkBoundary`."""

    region: str
    """The site's region (the provider's region); names the endpoint services."""
    vpc_cidr: str
    """The VPC's IPv4 CIDR block, e.g. ``10.20.0.0/16``; split evenly into the private subnets."""
    bucket_arns: Sequence[pulumi.Input[str]]
    """The site's data buckets: with ``log_bucket_arns``, the only buckets the S3 endpoint lets
    anyone in the VPC reach, for object reads and writes."""
    log_bucket_arns: Sequence[pulumi.Input[str]] = ()
    """The site's log buckets: read through the S3 endpoint, never written, and their versions
    never deleted."""
    flow_log_destination_arn: pulumi.Input[str]
    """The S3 ARN (bucket plus prefix) that receives the VPC flow logs, in the site's region."""
    tags: Mapping[str, str]
    """Tags for every taggable network resource."""
    az_count: int = 2
    """How many availability zones get a private subnet; at least two."""

    def __post_init__(self) -> None:
        try:
            network = ipaddress.IPv4Network(self.vpc_cidr)
        except ValueError as error:
            raise ValueError(
                f"vpc_cidr {self.vpc_cidr!r} is not an IPv4 network: {error}"
            ) from None
        # https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"vpc_cidr {self.vpc_cidr!r} must be between /16 and /24")
        if self.az_count < 2:
            raise ValueError(f"az_count {self.az_count} must be at least 2")
        if not self.bucket_arns:
            raise ValueError("bucket_arns must name at least one bucket")

    def subnet_cidrs(self) -> list[str]:
        """One equal block per availability zone, in order."""
        network = ipaddress.IPv4Network(self.vpc_cidr)
        extra_bits = math.ceil(math.log2(self.az_count))
        blocks = network.subnets(prefixlen_diff=extra_bits)
        return [str(block) for _, block in zip(range(self.az_count), blocks, strict=False)]


class AwsNetworkBoundary(pulumi.ComponentResource):
    """A VPC with private subnets in ``az_count`` zones and no internet, NAT or public IPs.

    The default security group is stripped of its rules. S3 is reached through a gateway endpoint
    whose policy admits only the site's buckets in this account; KMS and STS through interface
    endpoints that accept HTTPS from the VPC only. Flow logs (all traffic) go to the site's log
    bucket.
    """

    vpc_id: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]
    route_table_id: pulumi.Output[str]
    s3_endpoint_id: pulumi.Output[str]
    kms_endpoint_id: pulumi.Output[str]
    sts_endpoint_id: pulumi.Output[str]
    endpoint_security_group_id: pulumi.Output[str]
    flow_log_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: AwsNetworkBoundaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:network:AwsNetworkBoundary", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke_opts = pulumi.InvokeOptions(parent=self)
        tags = dict(args.tags)
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id
        zones = aws.get_availability_zones_output(state="available", opts=invoke_opts)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            # Private DNS names of interface endpoints need both DNS settings on.
            # https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html#interface-endpoint-dns-hostnames
            enable_dns_hostnames=True,
            tags=tags,
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=tags,
            opts=child,
        )
        route_table = aws.ec2.RouteTable(f"{name}-private-rt", vpc_id=vpc.id, tags=tags, opts=child)

        subnets: list[aws.ec2.Subnet] = []
        for index, cidr in enumerate(args.subnet_cidrs()):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zones.names.apply(functools.partial(_nth, index=index)),
                map_public_ip_on_launch=False,
                tags=tags,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-rt",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=child,
            )
            subnets.append(subnet)

        s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[route_table.id],
            policy=pulumi.Output.json_dumps(
                s3_endpoint_policy(
                    bucket_arns=args.bucket_arns,
                    log_bucket_arns=args.log_bucket_arns,
                    account_id=account_id,
                )
            ),
            tags=tags,
            opts=child,
        )
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="HTTPS from inside the site VPC to its interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    cidr_blocks=[args.vpc_cidr],
                    description="HTTPS from the site VPC",
                )
            ],
            # Endpoint network interfaces only answer; security groups are stateful, so replies
            # need no egress rule. An empty list removes the default allow-all egress rule.
            egress=[],
            tags=tags,
            opts=child,
        )
        interface_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        for service in ("kms", "sts"):
            interface_endpoints[service] = aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=[subnet.id for subnet in subnets],
                security_group_ids=[endpoint_sg.id],
                private_dns_enabled=True,
                policy=pulumi.Output.json_dumps(
                    interface_endpoint_policy(service=service, account_id=account_id)
                ),
                tags=tags,
                opts=child,
            )
        flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="s3",
            log_destination=args.flow_log_destination_arn,
            tags=tags,
            opts=child,
        )

        self.vpc_id = vpc.id
        self.subnet_ids = [subnet.id for subnet in subnets]
        self.route_table_id = route_table.id
        self.s3_endpoint_id = s3_endpoint.id
        self.kms_endpoint_id = interface_endpoints["kms"].id
        self.sts_endpoint_id = interface_endpoints["sts"].id
        self.endpoint_security_group_id = endpoint_sg.id
        self.flow_log_id = flow_log.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "subnet_ids": self.subnet_ids,
                "route_table_id": self.route_table_id,
                "s3_endpoint_id": self.s3_endpoint_id,
                "kms_endpoint_id": self.kms_endpoint_id,
                "sts_endpoint_id": self.sts_endpoint_id,
                "endpoint_security_group_id": self.endpoint_security_group_id,
                "flow_log_id": self.flow_log_id,
            }
        )


def _bucket_and_objects(arns: Sequence[pulumi.Input[str]]) -> list[pulumi.Input[str]]:
    resources: list[pulumi.Input[str]] = []
    for arn in arns:
        resources += [arn, pulumi.Output.concat(arn, "/*")]
    return resources


def s3_endpoint_policy(
    *,
    bucket_arns: Sequence[pulumi.Input[str]],
    account_id: pulumi.Input[str],
    log_bucket_arns: Sequence[pulumi.Input[str]] = (),
) -> dict[str, Any]:
    """The S3 gateway endpoint's policy: this account's principals, the site's buckets only; data
    actions on data buckets, reads on log buckets, and never a deleted or shortened log version.

    An endpoint policy is a resource policy on the endpoint and must name a principal; ``*`` with
    ``aws:PrincipalAccount`` keeps other accounts' credentials from using the endpoint.
    https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html#vpc-endpoints-policies-s3
    """
    perimeter = {"StringEquals": {"aws:PrincipalAccount": account_id}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "SiteBucketsOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": list(ENDPOINT_S3_ACTIONS),
            "Resource": _bucket_and_objects(bucket_arns),
            "Condition": perimeter,
        }
    ]
    if log_bucket_arns:
        logs = _bucket_and_objects(log_bucket_arns)
        statements += [
            {
                "Sid": "SiteLogsReadOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(ENDPOINT_LOG_READ_ACTIONS),
                "Resource": logs,
                "Condition": perimeter,
            },
            {
                "Sid": "NoLogVersionDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(LOG_TAMPER_ACTIONS),
                "Resource": logs,
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def interface_endpoint_policy(*, service: str, account_id: pulumi.Input[str]) -> dict[str, Any]:
    """An interface endpoint's policy: an account perimeter. Only this account's principals, and
    only on this account's resources (its keys, its roles), may use the endpoint, so credentials
    or keys of another account cannot carry data through the site's network.
    https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountPerimeter",
            "Effect": "Allow",
            "Principal": "*",
            "Action": f"{service}:*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "aws:PrincipalAccount": account_id,
                    "aws:ResourceAccount": account_id,
                }
            },
        }
    ]
    if service == "sts":
        statements.append(
            {
                "Sid": "AccountCallerIdentity",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(STS_CALLER_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
