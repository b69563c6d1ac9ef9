"""Placement of AWS Cloud Control (pulumi-aws-native) resources: their region must be allowed.

pulumi-aws-native creates every resource through the Cloud Control API of its provider's
``region`` (an explicit provider's inputs, or for the default provider the stack config
``aws-native:region``), see
https://www.pulumi.com/registry/packages/aws-native/installation-configuration/ .
Unlike pulumi-aws v7 its resources take no ``region`` argument, with two exceptions checked
against the installed SDK (``tests/policy_packs/test_eu_residency_placement_aws_native.py``):
``aws-native:sns:Subscription`` (``region``: "for cross-region subscriptions, the region in which
the topic resides", where the subscription then lives) and ``aws-native:route53:RecordSet``
(``region``: the latency-routing region of a DNS record; Route 53 is global, the type is reviewed
below). A region that only comes from the ``AWS_REGION`` environment variable of the engine is not
in a default provider's properties: it is treated as missing.

Global services take no region at all; the reviewed types here are the Cloud Control twins of the
types ``global_services.py`` reviews for pulumi-aws, with the same reasons.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any, Final

import global_services as gs
import residency_common
from placement_aws import region_problem, zone_problems
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)
from residency_common import (
    allowed_aws_regions,
    aws_schema,
    config_strings,
    mapping,
    plain,
    report_all,
)
from rulekit import resource_rule

PACKAGE: Final = "aws-native"

OWN_REGION_TYPES: Final = frozenset({"aws-native:sns:Subscription"})
"""Types whose own ``region`` input says where they are created (else the provider's region)."""

METADATA_ONLY_AWS_NATIVE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aws-native:budgets:Budget": gs.BILLING,
        "aws-native:budgets:BudgetsAction": gs.BILLING,
        "aws-native:ce:AnomalyMonitor": gs.BILLING,
        "aws-native:ce:AnomalySubscription": gs.BILLING,
        "aws-native:ce:CostCategory": gs.BILLING,
        "aws-native:cloudfront:CachePolicy": gs.CDN_CONFIG,
        "aws-native:cloudfront:CloudFrontOriginAccessIdentity": gs.CDN_CONFIG,
        "aws-native:cloudfront:ConnectionGroup": gs.CDN_CONFIG,
        "aws-native:cloudfront:ContinuousDeploymentPolicy": gs.CDN_CONFIG,
        "aws-native:cloudfront:KeyGroup": gs.CDN_CONFIG,
        "aws-native:cloudfront:MonitoringSubscription": gs.CDN_CONFIG,
        "aws-native:cloudfront:OriginAccessControl": gs.CDN_CONFIG,
        "aws-native:cloudfront:OriginRequestPolicy": gs.CDN_CONFIG,
        "aws-native:cloudfront:PublicKey": gs.CDN_CONFIG,
        "aws-native:cloudfront:ResponseHeadersPolicy": gs.CDN_CONFIG,
        "aws-native:cloudfront:TrustStore": gs.CDN_CONFIG,
        "aws-native:cloudfront:VpcOrigin": gs.CDN_CONFIG,
        "aws-native:iam:Group": gs.IDENTITY,
        "aws-native:iam:GroupPolicy": gs.IDENTITY,
        "aws-native:iam:InstanceProfile": gs.IDENTITY,
        "aws-native:iam:ManagedPolicy": gs.IDENTITY,
        "aws-native:iam:OidcProvider": gs.IDENTITY,
        "aws-native:iam:Role": gs.IDENTITY,
        "aws-native:iam:RolePolicy": gs.IDENTITY,
        "aws-native:iam:SamlProvider": gs.IDENTITY,
        "aws-native:iam:ServerCertificate": gs.IDENTITY,
        "aws-native:iam:ServiceLinkedRole": gs.IDENTITY,
        "aws-native:iam:User": gs.IDENTITY,
        "aws-native:iam:UserPolicy": gs.IDENTITY,
        "aws-native:iam:VirtualMfaDevice": gs.IDENTITY,
        "aws-native:networkmanager:ConnectAttachment": gs.NETWORK,
        "aws-native:networkmanager:ConnectPeer": gs.NETWORK,
        "aws-native:networkmanager:Connection": gs.NETWORK,
        "aws-native:networkmanager:CoreNetwork": gs.NETWORK,
        "aws-native:networkmanager:CoreNetworkPrefixListAssociation": gs.NETWORK,
        "aws-native:networkmanager:CustomerGatewayAssociation": gs.NETWORK,
        "aws-native:networkmanager:Device": gs.NETWORK,
        "aws-native:networkmanager:DirectConnectGatewayAttachment": gs.NETWORK,
        "aws-native:networkmanager:GlobalNetwork": gs.NETWORK,
        "aws-native:networkmanager:Link": gs.NETWORK,
        "aws-native:networkmanager:LinkAssociation": gs.NETWORK,
        "aws-native:networkmanager:Site": gs.NETWORK,
        "aws-native:networkmanager:SiteToSiteVpnAttachment": gs.NETWORK,
        "aws-native:networkmanager:TransitGatewayPeering": gs.NETWORK,
        "aws-native:networkmanager:TransitGatewayRegistration": gs.NETWORK,
        "aws-native:networkmanager:TransitGatewayRouteTableAttachment": gs.NETWORK,
        "aws-native:networkmanager:VpcAttachment": gs.NETWORK,
        "aws-native:organizations:Account": gs.ORGANIZATION,
        "aws-native:organizations:Organization": gs.ORGANIZATION,
        "aws-native:organizations:OrganizationalUnit": gs.ORGANIZATION,
        "aws-native:organizations:Policy": gs.ORGANIZATION,
        "aws-native:organizations:ResourcePolicy": gs.ORGANIZATION,
        "aws-native:pricingplanmanager:Subscription": gs.BILLING,
        "aws-native:rolesanywhere:Profile": gs.IDENTITY,
        "aws-native:rolesanywhere:TrustAnchor": gs.IDENTITY,
        "aws-native:route53:CidrCollection": gs.DNS,
        "aws-native:route53:DelegationSet": gs.DNS,
        "aws-native:route53:Dnssec": gs.DNS,
        "aws-native:route53:HealthCheck": gs.HEALTH_CHECK,
        "aws-native:route53:HostedZone": gs.DNS,
        "aws-native:route53:KeySigningKey": gs.DNS,
        "aws-native:route53:RecordSet": gs.DNS,
        "aws-native:route53:TrafficPolicy": gs.DNS,
        "aws-native:route53recoverycontrol:Cluster": gs.RECOVERY,
        "aws-native:route53recoverycontrol:ControlPanel": gs.RECOVERY,
        "aws-native:route53recoverycontrol:RoutingControl": gs.RECOVERY,
        "aws-native:route53recoverycontrol:SafetyRule": gs.RECOVERY,
        "aws-native:route53recoveryreadiness:Cell": gs.RECOVERY,
        "aws-native:route53recoveryreadiness:ReadinessCheck": gs.RECOVERY,
        "aws-native:route53recoveryreadiness:RecoveryGroup": gs.RECOVERY,
        "aws-native:route53recoveryreadiness:ResourceSet": gs.RECOVERY,
        "aws-native:shield:DrtAccess": gs.SHIELD,
        "aws-native:shield:ProactiveEngagement": gs.SHIELD,
        "aws-native:shield:Protection": gs.SHIELD,
        "aws-native:shield:ProtectionGroup": gs.SHIELD,
    }
)
"""Global aws-native types that hold metadata only (the reasons global_services.py gives their
pulumi-aws twins): the region rule skips them by default."""

EDGE_AWS_NATIVE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aws-native:cloudfront:Distribution": "cloudfront",
        "aws-native:cloudfront:DistributionTenant": "cloudfront",
        "aws-native:cloudfront:Function": "cloudfront-functions",
        "aws-native:cloudfront:ConnectionFunction": "cloudfront-functions",
        "aws-native:cloudfront:KeyValueStore": "cloudfront-functions",
        "aws-native:cloudfront:RealtimeLogConfig": "cloudfront-realtime-logs",
        "aws-native:globalaccelerator:Accelerator": "global-accelerator",
        "aws-native:globalaccelerator:CrossAccountAttachment": "global-accelerator",
        "aws-native:globalaccelerator:EndpointGroup": "global-accelerator",
        "aws-native:globalaccelerator:Listener": "global-accelerator",
    }
)
"""Global aws-native types that keep or serve copies at edge locations (global_services.py
EDGE_KINDS): their provider region says nothing about where the data is, so they are blocked
unless a stack lists the type in ``exemptTypes`` after review."""

EXEMPT_TYPES_DEFAULT: Final = tuple(METADATA_ONLY_AWS_NATIVE)


def effective_region(
    resource_type: str, props: Mapping[str, Any], provider_props: Mapping[str, Any]
) -> Any:
    """Where Cloud Control creates the resource: the provider's region (see module docstring)."""
    if resource_type in OWN_REGION_TYPES:
        own = props.get("region")
        if own is not None and own != "":
            return own
    region = provider_props.get("region")
    return region if region != "" else None


def _region_issue(region: Any, allowed: Collection[str]) -> str | None:
    if region is None:
        return (
            "no region is set on its aws-native provider (the stack config aws-native:region or "
            "an explicit provider's region; AWS_REGION of the engine cannot be checked)"
        )
    return region_problem(region, allowed)


def _edge_issue(resource_type: str) -> str | None:
    kind_name = EDGE_AWS_NATIVE.get(resource_type)
    if kind_name is None:
        return None
    kind = gs.KINDS_BY_NAME[kind_name]
    return (
        f"{resource_type} is {kind.label}: {kind.why}, whatever its provider's region; list the "
        "type in exemptTypes only after reviewing where its copies go"
    )


def check_resource_region(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[str]:
    """Messages for every placement problem of one aws-native resource (empty when compliant)."""
    if not resource_type.startswith(f"{PACKAGE}:"):
        return []
    if resource_type in config_strings(config, "exemptTypes", EXEMPT_TYPES_DEFAULT):
        return []
    allowed = allowed_aws_regions(config)
    problems: list[str] = []
    edge = _edge_issue(resource_type)
    if edge is not None:
        problems.append(edge)
    else:
        issue = _region_issue(effective_region(resource_type, props, provider_props), allowed)
        if issue is not None:
            problems.append(issue)
    problems.extend(zone_problems(props, allowed))
    hint = f"allowed regions: {', '.join(sorted(allowed))}"
    return [f"{urn}: {p}; {hint}." for p in problems]


def _validate_region(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith(f"{PACKAGE}:"):
        return
    provider = args.provider
    report_all(
        report,
        check_resource_region(
            resource_type=args.resource_type,
            urn=args.urn,
            props=mapping(plain(args.props)),
            provider_props=mapping(plain(provider.props)) if provider is not None else {},
            config=args.get_config(),
        ),
    )


REGION_ALLOWED = "aws-native-resource-region-allowed"

residency_common.register_placed_package(PACKAGE)

POLICIES: Final = [
    resource_rule(
        REGION_ALLOWED,
        description=(
            "AWS Cloud Control (aws-native) resources must be created through a provider whose "
            "region is allowed (and in EEA zones)."
        ),
        validate=_validate_region,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Set the stack config `aws-native:region`, or give the resource an explicit "
            "aws-native provider whose `region` is one of `allowedRegions`. Global edge types "
            "(CloudFront distributions and functions, Global Accelerator) serve copies worldwide "
            "and pass only when listed in `exemptTypes`."
        ),
        config_schema=aws_schema(
            exemptTypes={
                "type": "array",
                "items": {"type": "string"},
                "uniqueItems": True,
                "description": "Global-service types that take no region and hold no user data.",
                "default": list(EXEMPT_TYPES_DEFAULT),
            }
        ),
    ),
]
