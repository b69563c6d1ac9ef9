"""Edge and global services: blocked unless the stack opts in; metadata-only global types pass.

Over the analyzer protocol (the pack as the CLI starts it), through ``python -m clover check`` on
the misplaced programs ``tests/data/programs/edge-*``, and meta-tests that keep the reviewed list in
``global_services.py`` true against the installed SDKs.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clover.__main__ import main
from clover.analyzer import UNKNOWN, PolicyConfigError, PolicyPack
from tests.policy_packs.conftest import (
    EU_RESIDENCY_DIR,
    eu_aws_provider,
    eu_azure_provider,
    eu_only,
    eu_resource,
)

AWS_RULE = "aws-edge-service-opt-in-required"
AZURE_RULE = "azure-native-edge-service-opt-in-required"
REGION_RULE = "aws-resource-region-allowed"
LOCATION_RULE = "azure-native-resource-location-allowed"
PROGRAMS = Path(__file__).resolve().parents[1] / "data" / "programs"

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
BUCKET_ORIGIN = {
    "enabled": True,
    "origins": [{"domainName": "data.s3.eu-west-1.amazonaws.com", "originId": "data"}],
}
EDGE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:rewrite:3"


def behavior(**extra: Any) -> dict[str, Any]:
    return {
        "targetOriginId": "data",
        "viewerProtocolPolicy": "https-only",
        "allowedMethods": ["GET", "HEAD"],
        "cachedMethods": ["GET", "HEAD"],
        **extra,
    }


def distribution(**extra: Any) -> dict[str, Any]:
    return {**BUCKET_ORIGIN, "defaultCacheBehavior": behavior(), **extra}


# (type, properties, the kinds it must be blocked as): one case per edge kind, and per way of
# recognising it.
AWS_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    (DISTRIBUTION, distribution(), {"cloudfront"}),
    (
        "aws:cloudfront/multitenantDistribution:MultitenantDistribution",
        distribution(),
        {"cloudfront"},
    ),
    (
        "aws:cloudfront/distributionTenant:DistributionTenant",
        {"distributionId": "E1"},
        {"cloudfront"},
    ),
    ("aws:lightsail/distribution:Distribution", {"name": "cdn"}, {"cloudfront"}),
    (
        DISTRIBUTION,
        distribution(
            defaultCacheBehavior=behavior(
                lambdaFunctionAssociations=[{"eventType": "viewer-request", "lambdaArn": EDGE_ARN}]
            )
        ),
        {"cloudfront", "lambda-at-edge"},
    ),
    (
        DISTRIBUTION,
        distribution(
            defaultCacheBehavior=behavior(
                functionAssociations=[{"eventType": "viewer-request", "functionArn": "arn:f"}]
            )
        ),
        {"cloudfront", "cloudfront-functions"},
    ),
    (
        DISTRIBUTION,
        distribution(
            orderedCacheBehaviors=[behavior(pathPattern="/a/*", realtimeLogConfigArn="x")]
        ),
        {"cloudfront", "cloudfront-realtime-logs"},
    ),
    (
        "aws:cloudfront/function:Function",
        {"runtime": "cloudfront-js-2.0"},
        {"cloudfront-functions"},
    ),
    ("aws:cloudfront/keyValueStore:KeyValueStore", {"name": "kv"}, {"cloudfront-functions"}),
    (
        "aws:cloudfront/keyvaluestoreKey:KeyvaluestoreKey",
        {"key": "user", "value": "x"},
        {"cloudfront-functions"},
    ),
    (
        "aws:cloudfront/realtimeLogConfig:RealtimeLogConfig",
        {"samplingRate": 100},
        {"cloudfront-realtime-logs"},
    ),
    ("aws:globalaccelerator/accelerator:Accelerator", {"name": "ga"}, {"global-accelerator"}),
    ("aws:globalaccelerator/listener:Listener", {"protocol": "TCP"}, {"global-accelerator"}),
    (
        "aws:globalaccelerator/endpointGroup:EndpointGroup",
        {"endpointGroupRegion": "eu-west-1"},
        {"global-accelerator"},
    ),
    (
        "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
        {"bucket": "data", "status": "Enabled"},
        {"s3-transfer-acceleration"},
    ),
    (
        "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
        {"bucket": "data", "status": UNKNOWN},
        {"s3-transfer-acceleration"},
    ),
    ("aws:s3/bucket:Bucket", {"accelerationStatus": "Enabled"}, {"s3-transfer-acceleration"}),
    ("aws:apigateway/restApi:RestApi", {"name": "api"}, {"apigateway-edge"}),
    (
        "aws:apigateway/domainName:DomainName",
        {"domainName": "api.example.eu", "endpointConfiguration": {"types": "EDGE"}},
        {"apigateway-edge"},
    ),
    ("aws:route53/queryLog:QueryLog", {"zoneId": "Z1"}, {"route53-query-logs"}),
    ("aws:waf/webAcl:WebAcl", {"metricName": "acl"}, {"waf-global"}),
]

AZURE_CASES: list[tuple[str, set[str]]] = [
    ("azure-native:cdn:Profile", {"azure-front-door-cdn"}),
    ("azure-native:cdn:AFDEndpoint", {"azure-front-door-cdn"}),
    ("azure-native:cdn:Endpoint", {"azure-front-door-cdn"}),
    ("azure-native:cdn:AFDOrigin", {"azure-front-door-cdn"}),
    ("azure-native:cdn:Route", {"azure-front-door-cdn"}),
    ("azure-native:frontdoor:FrontDoor", {"azure-front-door-classic"}),
    ("azure-native:frontdoor:Policy", {"azure-front-door-classic"}),
]


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [f"{c[0].rsplit(':', 1)[1]}-{'+'.join(sorted(c[-1]))}-{i}" for i, c in enumerate(cases)]


def edge_messages(
    pack: PolicyPack, resource_type: str, props: dict[str, Any], *, rule: str = AWS_RULE
) -> tuple[str, list[str]]:
    provider = eu_aws_provider() if rule == AWS_RULE else eu_azure_provider("northeurope")
    resource = eu_resource(resource_type, "edge", props, provider=provider)
    found = eu_only(pack.analyze(resource), rule)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.severity == "critical", d.message
        assert d.urn == resource.urn
    return resource.urn, [d.message for d in found]


def kinds_in(messages: list[str]) -> set[str]:
    return {m for message in messages for m in re.findall(r'add "([a-z0-9-]+)"', message)}


# -- blocked by default, with a message that says how to opt in ---------------------------------


@pytest.mark.parametrize(("resource_type", "props", "kinds"), AWS_CASES, ids=_ids(AWS_CASES))
def test_aws_edge_kind_is_blocked_by_default(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], kinds: set[str]
) -> None:
    urn, messages = edge_messages(eu_residency, resource_type, props)
    assert kinds_in(messages) == kinds, messages
    for message in messages:
        assert f"\n{urn}: " in message, message
        assert "allowEdgeServices" in message
        assert AWS_RULE in message
        assert "edge service" in message


@pytest.mark.parametrize(("resource_type", "props", "kinds"), AWS_CASES, ids=_ids(AWS_CASES))
def test_aws_edge_kind_passes_when_opted_in(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], kinds: set[str]
) -> None:
    eu_residency.configure({AWS_RULE: {"allowEdgeServices": sorted(kinds)}})
    assert edge_messages(eu_residency, resource_type, props)[1] == []


def test_opting_into_cloudfront_does_not_allow_lambda_at_edge(eu_residency: PolicyPack) -> None:
    eu_residency.configure({AWS_RULE: {"allowEdgeServices": ["cloudfront"]}})
    props = distribution(
        orderedCacheBehaviors=[
            behavior(pathPattern="/img/*"),
            behavior(
                pathPattern="/api/*",
                lambdaFunctionAssociations=[{"eventType": "origin-request", "lambdaArn": UNKNOWN}],
            ),
        ]
    )
    _, (message,) = edge_messages(eu_residency, DISTRIBUTION, props)
    assert "orderedCacheBehaviors[1].lambdaFunctionAssociations" in message
    assert "a value not known until apply" in message
    assert "(lambda-at-edge)" in message
    assert "Lambda@Edge" in message
    assert 'add "lambda-at-edge"' in message


def test_lambda_at_edge_names_the_function_version(eu_residency: PolicyPack) -> None:
    eu_residency.configure({AWS_RULE: {"allowEdgeServices": ["cloudfront"]}})
    props = distribution(
        defaultCacheBehavior=behavior(
            lambdaFunctionAssociations=[{"eventType": "viewer-request", "lambdaArn": EDGE_ARN}]
        )
    )
    _, (message,) = edge_messages(eu_residency, DISTRIBUTION, props)
    assert EDGE_ARN in message
    assert "defaultCacheBehavior.lambdaFunctionAssociations" in message


@pytest.mark.parametrize("where", ["defaultCacheBehavior", "orderedCacheBehaviors"])
def test_unknown_behaviors_may_hide_any_edge_code_or_log(
    eu_residency: PolicyPack, where: str
) -> None:
    eu_residency.configure({AWS_RULE: {"allowEdgeServices": ["cloudfront"]}})
    _, messages = edge_messages(eu_residency, DISTRIBUTION, distribution(**{where: UNKNOWN}))
    assert kinds_in(messages) == {
        "lambda-at-edge",
        "cloudfront-functions",
        "cloudfront-realtime-logs",
    }
    assert all(f"{where} is not known until apply" in m for m in messages)


def test_connection_function_association_is_a_cloudfront_function(
    eu_residency: PolicyPack,
) -> None:
    eu_residency.configure({AWS_RULE: {"allowEdgeServices": ["cloudfront"]}})
    props = distribution(connectionFunctionAssociation={"id": "cf-1"})
    _, messages = edge_messages(eu_residency, DISTRIBUTION, props)
    assert kinds_in(messages) == {"cloudfront-functions"}


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (
            "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
            {"bucket": "data", "status": "Suspended"},
        ),
        ("aws:s3/bucket:Bucket", {"bucket": "data"}),
        ("aws:s3/bucket:Bucket", {"accelerationStatus": "Suspended"}),
        ("aws:apigateway/restApi:RestApi", {"endpointConfiguration": {"types": "REGIONAL"}}),
        ("aws:apigateway/restApi:RestApi", {"endpointConfiguration": {"types": ["PRIVATE"]}}),
        ("aws:apigateway/domainName:DomainName", {"endpointConfiguration": {"types": "REGIONAL"}}),
        ("aws:cloudfront/cachePolicy:CachePolicy", {"name": "p"}),
        ("aws:cloudfront/originAccessControl:OriginAccessControl", {"name": "oac"}),
        ("aws:waf/ipSet:IpSet", {"name": "ips"}),
    ],
)
def test_regional_or_configuration_only_use_passes(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any]
) -> None:
    assert edge_messages(eu_residency, resource_type, props)[1] == []


@pytest.mark.parametrize(
    ("resource_type", "props", "fragment"),
    [
        (
            "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
            {"bucket": "data", "status": "Enabled"},
            "or set status to 'Suspended'",
        ),
        ("aws:apigateway/restApi:RestApi", {}, "endpointConfiguration is not set"),
        (
            "aws:apigateway/restApi:RestApi",
            {"endpointConfiguration": {"types": UNKNOWN}},
            "a value not known until apply",
        ),
        ("aws:apigateway/restApi:RestApi", {}, "or set endpointConfiguration.types to 'REGIONAL'"),
    ],
)
def test_message_says_what_else_would_pass(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], fragment: str
) -> None:
    _, (message,) = edge_messages(eu_residency, resource_type, props)
    assert fragment in message


@pytest.mark.parametrize(("resource_type", "kinds"), AZURE_CASES, ids=_ids(AZURE_CASES))
def test_azure_edge_kind_is_blocked_by_default(
    eu_residency: PolicyPack, resource_type: str, kinds: set[str]
) -> None:
    props = {"location": "global", "resourceGroupName": "rg"}
    urn, (message,) = edge_messages(eu_residency, resource_type, props, rule=AZURE_RULE)
    assert kinds_in([message]) == kinds
    assert f"\n{urn}: type {resource_type}: " in message
    assert "allowEdgeServices" in message
    assert AZURE_RULE in message
    assert "globalTypes" in message


@pytest.mark.parametrize(("resource_type", "kinds"), AZURE_CASES, ids=_ids(AZURE_CASES))
def test_azure_edge_kind_passes_when_opted_in(
    eu_residency: PolicyPack, resource_type: str, kinds: set[str]
) -> None:
    eu_residency.configure({AZURE_RULE: {"allowEdgeServices": sorted(kinds)}})
    props = {"location": "global", "resourceGroupName": "rg"}
    assert edge_messages(eu_residency, resource_type, props, rule=AZURE_RULE)[1] == []


def test_azure_opt_in_for_one_kind_keeps_the_other_blocked(eu_residency: PolicyPack) -> None:
    eu_residency.configure({AZURE_RULE: {"allowEdgeServices": ["azure-front-door-cdn"]}})
    _, (message,) = edge_messages(
        eu_residency, "azure-native:frontdoor:FrontDoor", {"location": "global"}, rule=AZURE_RULE
    )
    assert 'add "azure-front-door-classic"' in message


@pytest.mark.parametrize(
    "config",
    [
        {AWS_RULE: {"allowEdgeServices": ["cdn"]}},
        {AWS_RULE: {"allowEdgeServices": ["azure-front-door-cdn"]}},
        {AZURE_RULE: {"allowEdgeServices": ["cloudfront"]}},
        {AWS_RULE: {"allowEdgeServices": "cloudfront"}},
    ],
)
def test_config_accepts_only_the_cloud_s_kinds(
    eu_residency: PolicyPack, config: dict[str, Any]
) -> None:
    with pytest.raises(PolicyConfigError, match="allowEdgeServices"):
        eu_residency.configure(config)


def test_default_opt_in_is_empty(eu_residency: PolicyPack) -> None:
    for rule in (AWS_RULE, AZURE_RULE):
        assert eu_residency.effective_config[rule]["allowEdgeServices"] == []
        assert eu_residency.effective_config[rule]["enforcementLevel"] == "mandatory"


# -- metadata-only global types still pass -----------------------------------------------------


def test_every_metadata_only_aws_type_passes_both_rules(
    eu_residency: PolicyPack, eu_residency_modules: dict[str, ModuleType]
) -> None:
    reviewed = eu_residency_modules["global_services"].METADATA_ONLY_AWS
    # Through a provider in us-east-1: a global type's provider region must not matter.
    virginia = eu_aws_provider("us-east-1", name="virginia")
    resources = [
        eu_resource(token, f"g{i}", {}, provider=virginia) for i, token in enumerate(reviewed)
    ]
    diagnostics = eu_residency.preview(resources)
    assert eu_only(diagnostics, AWS_RULE) == []
    assert eu_only(diagnostics, REGION_RULE) == []


@pytest.mark.parametrize(
    "token",
    ["aws:route53/record:Record", "aws:iam/role:Role", "aws:route53/zone:Zone"],
)
def test_dns_and_iam_are_reviewed_metadata_only(
    eu_residency_modules: dict[str, ModuleType], token: str
) -> None:
    assert token in eu_residency_modules["global_services"].METADATA_ONLY_AWS


def test_metadata_only_azure_types_pass_at_global(
    eu_residency: PolicyPack, eu_residency_modules: dict[str, ModuleType]
) -> None:
    for token in eu_residency_modules["global_services"].METADATA_ONLY_AZURE:
        resource = eu_resource(
            token, "dns", {"location": "global", "resourceGroupName": "rg"}, provider=None
        )
        diagnostics = eu_residency.analyze(resource)
        assert eu_only(diagnostics, AZURE_RULE) == [], token
        assert eu_only(diagnostics, LOCATION_RULE) == [], token


# -- the reviewed list, kept true against the installed SDKs -----------------------------------


def _resource_modules(package: str) -> dict[str, tuple[str, str]]:
    """token -> (module, class) of every resource the SDK registers (its ``resource_modules``)."""
    init = Path(importlib.import_module(package).__file__ or "").read_text(encoding="utf-8")
    match = re.search(r'resource_modules="""(.*?)"""', init, re.S)
    assert match, f"{package} no longer registers its resource modules this way"
    return {
        token: (entry["fqn"], name)
        for entry in json.loads(match.group(1))
        for token, name in entry["classes"].items()
    }


def _aws_types_without_region(tokens: dict[str, tuple[str, str]]) -> set[str]:
    """Tokens whose class has no ``region`` argument, read from each module's source.

    Importing all of pulumi_aws takes about 20 s; the source holds one ``_internal_init`` per
    resource class and is read in well under a second. The candidates are confirmed by import.
    """
    root = Path(importlib.import_module("pulumi_aws").__file__ or "").parent
    signature = re.compile(
        r"class (\w+)\(pulumi\.CustomResource\):.*?def _internal_init\(__self__,(.*?)\):", re.S
    )
    without: set[str] = set()
    seen: set[str] = set()
    by_class = {(fqn, name): token for token, (fqn, name) in tokens.items()}
    for path in root.glob("*/*.py"):
        fqn = f"pulumi_aws.{path.parent.name}"
        for name, params in signature.findall(path.read_text(encoding="utf-8")):
            token = by_class.get((fqn, name))
            if token is None:
                continue
            seen.add(token)
            if not re.search(r"\bregion\s*:", params):
                without.add(token)
    # A class the scan did not read could be a global type that falls through unreviewed.
    assert seen == set(tokens), sorted(set(tokens) - seen)[:10]
    for token in without:
        fqn, name = tokens[token]
        init = getattr(importlib.import_module(fqn), name)._internal_init
        assert "region" not in inspect.signature(init).parameters, token
    return without


@pytest.fixture(scope="module")
def aws_tokens() -> dict[str, tuple[str, str]]:
    return _resource_modules("pulumi_aws")


def test_every_global_only_aws_type_is_reviewed(
    eu_residency_modules: dict[str, ModuleType], aws_tokens: dict[str, tuple[str, str]]
) -> None:
    services = eu_residency_modules["global_services"]
    metadata = set(services.METADATA_ONLY_AWS)
    edge = set(services.GLOBAL_EDGE_TYPES_AWS)
    without_region = _aws_types_without_region(aws_tokens)
    assert len(without_region) > 100, "the SDK scan found too few global types to be right"
    assert not metadata & edge, metadata & edge
    assert without_region - metadata - edge == set(), "review these in global_services.py"
    assert (metadata | edge) - without_region == set(), "these take a region now"


def test_every_reviewed_token_exists(
    eu_residency_modules: dict[str, ModuleType], aws_tokens: dict[str, tuple[str, str]]
) -> None:
    services = eu_residency_modules["global_services"]
    for kind in services.EDGE_KINDS:
        for token in kind.types:
            if kind.cloud == "gcp":
                assert _gcp_token_exists(token), token
            else:
                assert token in aws_tokens, token
    for token in services.REGIONAL_EDGE_TYPES_AWS:
        fqn, name = aws_tokens[token]
        init = getattr(importlib.import_module(fqn), name)._internal_init
        assert "region" in inspect.signature(init).parameters, token
    rule = eu_residency_modules["edge_services"]
    for token in [*rule.DISTRIBUTIONS, *rule.ACCELERATE_CONFIGURATIONS, *rule.BUCKETS]:
        assert token in aws_tokens, token
    for token in rule.API_ENDPOINTS:
        assert token in aws_tokens, token


def _gcp_token_exists(token: str) -> bool:
    """Whether pulumi-gcp registers a resource with this type token (``gcp:<module>/...``)."""
    module = token.split(":")[1].split("/", maxsplit=1)[0]
    package = Path(importlib.import_module("pulumi_gcp").__file__ or "").parent / module
    return any(
        f'"{token}"' in source.read_text(encoding="utf-8") for source in package.glob("*.py")
    )


def _args_fields(module: str, cls: str) -> set[str]:
    return set(inspect.signature(getattr(importlib.import_module(module), cls)).parameters)


def test_property_names_the_rule_reads_exist() -> None:
    # A renamed input silently never fires: read the SDK's own argument names.
    cloudfront, s3, apigateway = "pulumi_aws.cloudfront", "pulumi_aws.s3", "pulumi_aws.apigateway"
    distribution_fields = _args_fields(cloudfront, "DistributionArgs")
    assert {"default_cache_behavior", "ordered_cache_behaviors"} <= distribution_fields
    assert "connection_function_association" in distribution_fields
    assert {"default_cache_behavior", "cache_behaviors"} <= _args_fields(
        cloudfront, "MultitenantDistributionArgs"
    )
    behavior_fields = {"lambda_function_associations", "function_associations"}
    for cls in [
        "DistributionDefaultCacheBehaviorArgs",
        "DistributionOrderedCacheBehaviorArgs",
        "MultitenantDistributionDefaultCacheBehaviorArgs",
        "MultitenantDistributionCacheBehaviorArgs",
    ]:
        assert {*behavior_fields, "realtime_log_config_arn"} <= _args_fields(cloudfront, cls), cls
    assert "lambda_arn" in _args_fields(
        cloudfront, "DistributionDefaultCacheBehaviorLambdaFunctionAssociationArgs"
    )
    assert "function_arn" in _args_fields(
        cloudfront, "DistributionDefaultCacheBehaviorFunctionAssociationArgs"
    )
    assert "status" in _args_fields(s3, "BucketAccelerateConfigurationArgs")
    assert "acceleration_status" in _args_fields(s3, "BucketArgs")
    assert "acceleration_status" in _args_fields(s3, "BucketV2Args")
    assert "endpoint_configuration" in _args_fields(apigateway, "RestApiArgs")
    assert "endpoint_configuration" in _args_fields(apigateway, "DomainNameArgs")
    assert "types" in _args_fields(apigateway, "RestApiEndpointConfigurationArgs")


def test_every_azure_cdn_and_front_door_type_is_an_edge_kind(
    eu_residency_modules: dict[str, ModuleType],
) -> None:
    services = eu_residency_modules["global_services"]
    tokens = _resource_modules("pulumi_azure_native")
    for kind in services.EDGE_KINDS:
        if kind.cloud == "azure":
            assert any(t.startswith(kind.prefixes) for t in tokens), kind.name
    edge_modules = {"cdn", "frontdoor"}
    in_modules = [t for t in tokens if t.split(":")[1].split("/")[0] in edge_modules]
    assert len(in_modules) > 20
    for token in in_modules:
        kind = services.edge_kind_of_type(token)
        assert kind is not None, token
        assert kind.cloud == "azure", token
    location_types = eu_residency_modules["placement_azure"].LOCATION_TYPES
    for token in services.METADATA_ONLY_AZURE:
        assert token in tokens, token
        assert token in location_types, token
        assert services.edge_kind_of_type(token) is None, token


def test_every_kind_has_a_reason_and_every_entry_one_line(
    eu_residency_modules: dict[str, ModuleType],
) -> None:
    services = eu_residency_modules["global_services"]
    for token, reason in {**services.METADATA_ONLY_AWS, **services.METADATA_ONLY_AZURE}.items():
        assert reason.strip(), token
        assert "\n" not in reason, token
    names = [kind.name for kind in services.EDGE_KINDS]
    assert len(names) == len(set(names))
    for kind in services.EDGE_KINDS:
        assert kind.why, kind.name
        assert kind.label, kind.name
        assert kind.cloud in {"aws", "azure", "gcp"}, kind.name
        assert (
            kind.types
            or kind.prefixes
            or kind.name
            in {
                "lambda-at-edge",
                "s3-transfer-acceleration",
                "apigateway-edge",
            }
        ), kind.name


def test_region_rule_defers_global_edge_types_to_the_edge_rule(
    eu_residency_modules: dict[str, ModuleType],
) -> None:
    services = eu_residency_modules["global_services"]
    exempt = set(eu_residency_modules["placement_aws"].EXEMPT_TYPES_DEFAULT)
    assert exempt == set(services.METADATA_ONLY_AWS) | set(services.GLOBAL_EDGE_TYPES_AWS)
    assert not exempt & services.REGIONAL_EDGE_TYPES_AWS


def test_pack_modules_import_only_pack_siblings() -> None:
    for name in ("global_services.py", "edge_services.py"):
        text = (EU_RESIDENCY_DIR / name).read_text(encoding="utf-8")
        imported = set(re.findall(r"^(?:from|import) (\w+)", text, re.M))
        assert imported <= {
            "__future__",
            "collections",
            "dataclasses",
            "types",
            "typing",
            "global_services",
            "pulumi_policy",
            "residency_common",
            "rulekit",
        }, name


# -- misplaced programs through the offline check ----------------------------------------------


def _check(capsys: pytest.CaptureFixture[str], program: str, *extra: str) -> tuple[int, Any]:
    code = main(
        [
            "check",
            "--cwd",
            str(PROGRAMS / program),
            "--stack",
            "test",
            "--policy-pack",
            str(EU_RESIDENCY_DIR),
            *extra,
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert out, err
    return code, json.loads(out)


def test_cloudfront_in_front_of_a_dublin_bucket_is_blocked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, result = _check(capsys, "edge-cloudfront-bucket")
    assert code == 1
    edge = [d for d in result["diagnostics"] if d["policy"] == AWS_RULE]
    assert edge, result["diagnostics"]
    assert all(d["enforcementLevel"] == "mandatory" for d in edge)
    (blocked,) = edge
    assert blocked["urn"].endswith("::downloads")
    assert '"cloudfront"' in blocked["message"]
    # Nothing else is wrong with the program: the edge rule alone blocks it.
    assert {d["policy"] for d in result["diagnostics"] if d["enforcementLevel"] == "mandatory"} == {
        AWS_RULE
    }


def test_cloudfront_opted_in_passes(capsys: pytest.CaptureFixture[str]) -> None:
    config = PROGRAMS / "edge-cloudfront-bucket" / "eu_residency.opt-in.json"
    code, result = _check(capsys, "edge-cloudfront-bucket", "--policy-pack-config", str(config))
    assert [d for d in result["diagnostics"] if d["policy"] == AWS_RULE] == []
    assert code == 0, result["diagnostics"]


def test_opting_into_lambda_at_edge_leaves_the_function_s_placement_to_the_region_rule(
    eu_residency: PolicyPack,
) -> None:
    # Lambda@Edge functions must be created in us-east-1; the opt-in covers the association on
    # the distribution, not the function's own placement, which stays the region rule's call.
    eu_residency.configure({AWS_RULE: {"allowEdgeServices": ["cloudfront", "lambda-at-edge"]}})
    virginia = eu_aws_provider("us-east-1", name="virginia")
    function = eu_resource("aws:lambda/function:Function", "rewrite", {}, provider=virginia)
    props = distribution(
        defaultCacheBehavior=behavior(
            lambdaFunctionAssociations=[{"eventType": "viewer-request", "lambdaArn": EDGE_ARN}]
        )
    )
    edge = eu_resource(DISTRIBUTION, "cdn", props, provider=eu_aws_provider())
    diagnostics = eu_residency.preview([function, edge])
    assert eu_only(diagnostics, AWS_RULE) == []
    (placement,) = eu_only(diagnostics, REGION_RULE)
    assert placement.urn == function.urn
    assert "'us-east-1' is not allowed" in placement.message


GCP_EDGE_RULE = "gcp-edge-service-opt-in-required"


@pytest.mark.parametrize(
    ("resource_type", "props", "kinds"),
    [
        ("gcp:compute/uRLMap:URLMap", {}, ["gcp-global-load-balancing"]),
        (
            "gcp:compute/globalForwardingRule:GlobalForwardingRule",
            {},
            ["gcp-global-load-balancing"],
        ),
        ("gcp:compute/backendBucket:BackendBucket", {"bucketName": "b"}, ["cloud-cdn"]),
        (
            "gcp:compute/backendService:BackendService",
            {"enableCdn": True},
            ["gcp-global-load-balancing", "cloud-cdn"],
        ),
        ("gcp:compute/backendService:BackendService", {}, ["gcp-global-load-balancing"]),
    ],
)
def test_gcp_global_load_balancing_and_cdn_need_an_opt_in(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], kinds: list[str]
) -> None:
    resource = eu_resource(resource_type, "edge", props)
    found = eu_only(eu_residency.analyze(resource), GCP_EDGE_RULE)
    assert [k for k in kinds if any(f'add "{k}"' in d.message for d in found)] == kinds, found
    assert all(d.enforcement_level == "mandatory" for d in found)
    # Owned by the edge rule: the location rule does not call it unassessed.
    assert eu_only(eu_residency.analyze(resource), "gcp-resource-location-allowed") == []
    eu_residency.configure({GCP_EDGE_RULE: {"allowEdgeServices": kinds}})
    assert eu_only(eu_residency.analyze(resource), GCP_EDGE_RULE) == []
