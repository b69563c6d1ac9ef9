"""Edge and global services that keep or serve copies of data: blocked unless the stack opts in.

A CloudFront distribution in front of a bucket in Dublin still caches the bucket's objects at edge
locations worldwide; Lambda@Edge code runs in regional edge caches everywhere; Global Accelerator
and S3 Transfer Acceleration carry every request through edge locations; Azure Front Door and CDN
serve from Microsoft's edges. None of them has a region to check, so the placement rules cannot
see them. Each kind (``global_services.EDGE_KINDS``) is a mandatory violation until the stack lists
it in ``allowEdgeServices`` (default: empty), so that loosening is explicit and shows up in review
and in the residency evidence report, which lists the opted-in kinds.

Lambda@Edge is recognised on the distribution, not on the function: the association
(``lambdaFunctionAssociations``) is in the distribution's own inputs even when the version ARN is
unknown at preview, so a resource policy sees it without a stack-wide lookup. The function itself
must live in us-east-1 (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-
functions-restrictions.html), which the region rule judges on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any, Final

from global_services import EDGE_KINDS, KINDS_BY_NAME, EdgeKind, edge_kind_of_type
from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)
from residency_common import config_strings, describe, mapping, plain
from rulekit import is_unknown, resource_rule

AWS_RULE: Final = "aws-edge-service-opt-in-required"
AZURE_RULE: Final = "azure-native-edge-service-opt-in-required"
GCP_RULE: Final = "gcp-edge-service-opt-in-required"
CDN_BACKEND_SERVICE: Final = "gcp:compute/backendService:BackendService"
CONFIG_KEY: Final = "allowEdgeServices"

DISTRIBUTIONS: Final = {
    # type -> the input holding its non-default cache behaviors
    "aws:cloudfront/distribution:Distribution": "orderedCacheBehaviors",
    "aws:cloudfront/multitenantDistribution:MultitenantDistribution": "cacheBehaviors",
}
ACCELERATE_CONFIGURATIONS: Final = frozenset(
    {
        "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
        "aws:s3/bucketAccelerateConfigurationV2:BucketAccelerateConfigurationV2",
    }
)
BUCKETS: Final = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
API_ENDPOINTS: Final = frozenset(
    {"aws:apigateway/restApi:RestApi", "aws:apigateway/domainName:DomainName"}
)

Finding = tuple[EdgeKind, str, str]
"""(kind, what in the resource makes it that kind, how else it could pass or '')."""


def _kind(name: str) -> EdgeKind:
    return KINDS_BY_NAME[name]


def _present(value: Any) -> bool:
    """Whether an association list or ARN may be set: unknown counts as set (fail closed)."""
    if is_unknown(value):
        return True
    if isinstance(value, list):
        return bool(value)
    return value is not None and value != ""


def _behaviors(props: Mapping[str, Any], ordered_key: str) -> Iterator[tuple[str, Any]]:
    yield "defaultCacheBehavior", props.get("defaultCacheBehavior")
    ordered = props.get(ordered_key)
    if is_unknown(ordered):
        yield ordered_key, ordered
    elif isinstance(ordered, list):
        for index, behavior in enumerate(ordered):
            yield f"{ordered_key}[{index}]", behavior


def _association_values(value: Any, field: str) -> str:
    if is_unknown(value):
        return "a value not known until apply"
    arns = [mapping(item).get(field) for item in value] if isinstance(value, list) else []
    return ", ".join(describe(a) for a in arns) or describe(value)


def distribution_findings(props: Mapping[str, Any], ordered_key: str) -> list[Finding]:
    """Lambda@Edge, CloudFront Functions and real-time logs attached to a distribution's behaviors.

    A behavior (or the whole list) unknown at preview may hold any of them, so it counts as all.
    """
    found: list[Finding] = []
    checks = (
        ("lambdaFunctionAssociations", "lambdaArn", "lambda-at-edge"),
        ("functionAssociations", "functionArn", "cloudfront-functions"),
    )
    for path, behavior in _behaviors(props, ordered_key):
        if is_unknown(behavior):
            for kind in ("lambda-at-edge", "cloudfront-functions", "cloudfront-realtime-logs"):
                found.append((_kind(kind), f"{path} is not known until apply", ""))
            continue
        fields = mapping(behavior)
        for field, arn_field, kind in checks:
            value = fields.get(field)
            if _present(value):
                what = f"{path}.{field} ({_association_values(value, arn_field)})"
                found.append((_kind(kind), what, f"or remove {path}.{field}"))
        log = fields.get("realtimeLogConfigArn")
        if _present(log):
            found.append(
                (
                    _kind("cloudfront-realtime-logs"),
                    f"{path}.realtimeLogConfigArn ({describe(log)})",
                    f"or remove {path}.realtimeLogConfigArn",
                )
            )
    connection = props.get("connectionFunctionAssociation")
    if _present(connection):
        found.append(
            (
                _kind("cloudfront-functions"),
                f"connectionFunctionAssociation ({describe(connection)})",
                "or remove connectionFunctionAssociation",
            )
        )
    return found


def acceleration_findings(resource_type: str, props: Mapping[str, Any]) -> list[Finding]:
    """S3 Transfer Acceleration: a status other than a known ``Suspended`` may be on."""
    kind = _kind("s3-transfer-acceleration")
    if resource_type in ACCELERATE_CONFIGURATIONS:
        status = props.get("status")
        if status == "Suspended":
            return []
        return [(kind, f"status is {describe(status)}", "or set status to 'Suspended'")]
    status = props.get("accelerationStatus")
    if status is None or status == "Suspended":
        return []
    return [
        (kind, f"accelerationStatus is {describe(status)}", "or set accelerationStatus 'Suspended'")
    ]


def api_endpoint_findings(props: Mapping[str, Any]) -> list[Finding]:
    """An API Gateway REST API or custom domain whose endpoint type is (or defaults to) EDGE."""
    configuration = props.get("endpointConfiguration")
    if configuration is None:
        # https://docs.aws.amazon.com/apigateway/latest/api/API_EndpointConfiguration.html:
        # "The default endpoint type is EDGE" when none is given.
        types: Any = None
    elif is_unknown(configuration):
        types = configuration
    else:
        types = mapping(configuration).get("types")
    listed = types if isinstance(types, list) else [types]
    if all(isinstance(t, str) and not is_unknown(t) and t != "EDGE" for t in listed):
        return []
    what = (
        "endpointConfiguration is not set"
        if types is None
        else f"endpointConfiguration.types is {describe(types)}"
    )
    return [(_kind("apigateway-edge"), what, "or set endpointConfiguration.types to 'REGIONAL'")]


def aws_findings(resource_type: str, props: Mapping[str, Any]) -> list[Finding]:
    """Every edge kind one pulumi-aws resource is or uses."""
    found: list[Finding] = []
    own = edge_kind_of_type(resource_type)
    if own is not None and own.cloud == "aws":
        found.append((own, f"type {resource_type}", ""))
    if resource_type in DISTRIBUTIONS:
        found.extend(distribution_findings(props, DISTRIBUTIONS[resource_type]))
    if resource_type in ACCELERATE_CONFIGURATIONS or resource_type in BUCKETS:
        found.extend(acceleration_findings(resource_type, props))
    if resource_type in API_ENDPOINTS:
        found.extend(api_endpoint_findings(props))
    return found


def azure_findings(resource_type: str) -> list[Finding]:
    own = edge_kind_of_type(resource_type)
    if own is None or own.cloud != "azure":
        return []
    return [
        (
            own,
            f"type {resource_type}",
            # The location rule still judges a `global` location by its own list (globalTypes).
            "and list the type in globalTypes of azure-native-resource-location-allowed if it "
            "takes a location",
        )
    ]


def gcp_findings(resource_type: str, props: Mapping[str, Any]) -> list[Finding]:
    """Every edge kind one pulumi-gcp resource is or uses: a global load-balancing type, a
    backend bucket, and Cloud CDN on a backend service (``enableCdn``, unknown counts as on)."""
    own = edge_kind_of_type(resource_type)
    if own is None or own.cloud != "gcp":
        return []
    found: list[Finding] = [(own, f"type {resource_type}", "")]
    cdn = props.get("enableCdn")
    if resource_type == CDN_BACKEND_SERVICE and (cdn is True or is_unknown(cdn)):
        found.append(
            (_kind("cloud-cdn"), f"enableCdn is {describe(cdn)}", "or set enableCdn false")
        )
    return found


def messages(
    urn: str, findings: list[Finding], allowed: Collection[str], *, rule: str
) -> list[str]:
    """One message per finding whose kind the stack has not opted into."""
    out = []
    for kind, what, alternative in findings:
        if kind.name in allowed:
            continue
        tail = f" ({alternative})" if alternative else ""
        out.append(
            f"{urn}: {what}: {kind.label} ({kind.name}) is an edge service: {kind.why}. It is "
            f'blocked unless the stack opts in: add "{kind.name}" to {CONFIG_KEY} in the config '
            f"of {rule}{tail}."
        )
    return out


def _validate_aws(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("aws:"):
        return
    findings = aws_findings(args.resource_type, mapping(plain(args.props)))
    allowed = config_strings(args.get_config(), CONFIG_KEY, ())
    for message in messages(args.urn, findings, allowed, rule=AWS_RULE):
        report(message, None)


def _validate_azure(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("azure-native:"):
        return
    allowed = config_strings(args.get_config(), CONFIG_KEY, ())
    for message in messages(args.urn, azure_findings(args.resource_type), allowed, rule=AZURE_RULE):
        report(message, None)


def _validate_gcp(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("gcp:"):
        return
    findings = gcp_findings(args.resource_type, mapping(plain(args.props)))
    allowed = config_strings(args.get_config(), CONFIG_KEY, ())
    for message in messages(args.urn, findings, allowed, rule=GCP_RULE):
        report(message, None)


def _schema(cloud: str) -> PolicyConfigSchema:
    names = [kind.name for kind in EDGE_KINDS if kind.cloud == cloud]
    return PolicyConfigSchema(
        properties={
            CONFIG_KEY: {
                "type": "array",
                "items": {"type": "string", "enum": names},
                "uniqueItems": True,
                "description": (
                    "Edge service kinds this stack may use although they keep or serve copies "
                    f"outside the allowed regions ({', '.join(names)}). Empty by default."
                ),
                "default": [],
            }
        }
    )


_REMEDIATION: Final = (
    "Serve the data from the region it lives in (a regional endpoint, an Application Load "
    "Balancer or Application Gateway in an allowed region), or, if a data protection review "
    f"approved the edge service, list its kind in `{CONFIG_KEY}` of this rule's config; the "
    "residency evidence report then shows the opt-in."
)

POLICIES: Final = [
    resource_rule(
        AWS_RULE,
        description=(
            "AWS edge services that cache, run or log at edge locations worldwide (CloudFront, "
            "Lambda@Edge, CloudFront Functions, Global Accelerator, S3 Transfer Acceleration, "
            "edge-optimized API Gateway) need an explicit opt-in."
        ),
        validate=_validate_aws,
        severity=Severity.CRITICAL,
        remediation_steps=_REMEDIATION,
        config_schema=_schema("aws"),
    ),
    resource_rule(
        AZURE_RULE,
        description=(
            "Azure Front Door and Azure CDN, which cache and serve from edge locations worldwide, "
            "need an explicit opt-in."
        ),
        validate=_validate_azure,
        severity=Severity.CRITICAL,
        remediation_steps=_REMEDIATION,
        config_schema=_schema("azure"),
    ),
    resource_rule(
        GCP_RULE,
        description=(
            "Google Cloud global load balancing and Cloud CDN, which take connections and cache "
            "content at Google's edge locations worldwide, need an explicit opt-in."
        ),
        validate=_validate_gcp,
        severity=Severity.CRITICAL,
        remediation_steps=_REMEDIATION,
        config_schema=_schema("gcp"),
    ),
]
