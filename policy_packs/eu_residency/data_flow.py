"""Every outbound reference of every resource is resolved to a place, or blocks.

The copy paths the other rules know by name are a list; personal data also leaves through a trail
or flow log delivering to a bucket elsewhere, a log subscription, a Firehose HTTP endpoint, an event
target, a diagnostic setting, a failover partner. So this stack rule walks every property of every
resource (lists and nested objects, JSON documents other than IAM policies too) and resolves each
value that designates somewhere else:

- an ARN: its region field; an ARN without one (S3 buckets) is resolved in the stack by name;
- an Azure resource id: the in-stack resource it names (type and name, case-insensitive);
- a GCP resource name or self-link (``projects/p/locations/l/...``, ``.../regions/r/...``,
  ``.../zones/z/...``): that location; ``projects/_/buckets/b``, a ``gs://b/...`` URL, a
  ``storage.googleapis.com/b`` or ``b.storage.googleapis.com`` address: the bucket ``b`` of this
  stack (one global namespace, like S3's); a logging sink's ``bigquery.googleapis.com/projects/p/
  datasets/d`` or ``pubsub.googleapis.com/projects/p/topics/t``: that dataset or topic of this
  stack;
- a URL or host name: an AWS endpoint carries its region, an Azure data-plane host names an
  account/namespace/server of this stack, a regional Google endpoint
  (``europe-west1-aiplatform.googleapis.com``, ``europe-west1-p.cloudfunctions.net``) its region,
  any other endpoint is external (not proven);
- a field whose name says region or location (for GCP also zone): the value must be allowed, in
  the package's own vocabulary (``eu-west-1``, ``westeurope``, ``europe-west1-b``);
- a value not known until apply in a field that holds a destination: the in-stack resource whose
  output it exactly is (``provenOutputs``, proven by the offline check while the program runs),
  in an allowed placement; a value merely depending on in-stack resources proves nothing.

A plain name (a log group, a function) is resolved by AWS and Azure in the resource's own region or
parent, which the placement rules check, except an S3 bucket name (one global namespace), which
must be a bucket of this stack.

An in-stack resource is placed as its package's placement rule places it: an AWS region, an Azure
location (own, resource group, storage account), and for ``gcp:`` resources exactly what
gcp-resource-location-allowed judges (own ``location``/``region``/``zone``, a documented default
such as BigQuery's ``US``, the provider's region or zone, the nested fields of topics, secrets,
Spanner and Bigtable), against the same GCP allow-list (``allowedGcpLocations``): a flow is never
allowed to a GCP resource that rule refuses. A reviewed placement-neutral GCP type (IAM, projects,
DNS) places nothing; a GCP type that rule does not assess is not proven.

Which (type, property) pairs hold destinations and which are
harmless references (an IAM role ARN) is the reviewed table ``flow_table.json`` (generated from the
provider SDKs by ``tools/generate_flow_table.py``, then reviewed); a property it does not know that
holds an ARN, id or URL is a flow all the same (fail closed).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import ipaddress
import json
import re
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import code_files
import external_resources
import placement_aws_native
import placement_azure_classic
import placement_gcp
import regions
import residency_common
from flow_evidence import COMPUTED_VALUES, COMPUTED_VALUES_SCHEMA, STAND_IN_SUFFIX, Computed
from placement_aws import EXEMPT_TYPES_DEFAULT, effective_region, region_problem
from placement_azure import GLOBAL_TYPES_DEFAULT, RESOURCE_GROUP, location_problem, resolve_location
from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
)
from residency_common import (
    ALLOWED_LOCATIONS_SCHEMA,
    ALLOWED_REGIONS_SCHEMA,
    StackResource,
    allowed_aws_regions,
    allowed_azure_locations,
    allowed_gcp_locations,
    report_all_at,
    stack_resources,
)
from rulekit import is_unknown, stack_rule

TABLE: Final[Mapping[str, Any]] = json.loads(
    Path(__file__).with_name("flow_table.json").read_text(encoding="utf-8")
)

FLOW: Final = "flow"
"""A destination: its value must resolve to an allowed place."""
BUCKET: Final = "bucket"
"""An S3 bucket given by name (one global namespace): it must be a bucket of this stack."""
REGION: Final = "region"
"""A region or location: the value itself must be allowed."""
HARMLESS: Final = "harmless"
"""A reference that moves no data (an IAM role, a subnet): only a literal foreign region blocks."""
KINDS: Final = frozenset({FLOW, BUCKET, REGION, HARMLESS})

# S3 buckets and the input that names them (pulumi-aws v7, aws-native).
_BUCKET_NAME_KEYS: Final = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws-native:s3:Bucket": "bucketName",
}
_BUCKET_TYPES: Final = frozenset(_BUCKET_NAME_KEYS)
_DIRECTORY_BUCKET: Final = re.compile(r"--(?P<zone>[a-z0-9]+-az[0-9]+)--x-s3$")
_GCP_BUCKET: Final = "gcp:storage/bucket:Bucket"
# In-stack GCP resources a Google API reference can name, by the collection of the resource name
# and the property holding the resource's own name (https://cloud.google.com/apis/design/resource_names).
_GCP_NAMED: Final = {
    "datasets": ("gcp:bigquery/dataset:Dataset", "datasetId"),
    "topics": ("gcp:pubsub/topic:Topic", "name"),
}

# ARNs of these services carry no region because the service is global and holds identities or
# DNS metadata, not user data (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
_NEUTRAL_ARN_SERVICES: Final = frozenset({"iam", "sts", "organizations", "route53"})

# Azure namespaces whose ids name role definitions, identities and policy: no data stored there.
_NEUTRAL_AZURE_NAMESPACES: Final = frozenset(
    {"microsoft.authorization", "microsoft.managedidentity", "microsoft.policyinsights"}
)

# Azure data-plane host suffixes and the ARM type (singular, lower case) of the resource the first
# label names (https://learn.microsoft.com/azure/storage/common/storage-account-overview#standard-endpoints).
_AZURE_HOSTS: Final = (
    (".blob.core.windows.net", "storageaccount"),
    (".queue.core.windows.net", "storageaccount"),
    (".table.core.windows.net", "storageaccount"),
    (".file.core.windows.net", "storageaccount"),
    (".dfs.core.windows.net", "storageaccount"),
    (".web.core.windows.net", "storageaccount"),
    (".servicebus.windows.net", "namespace"),
    (".database.windows.net", "server"),
    (".vault.azure.net", "vault"),
    (".documents.azure.com", "databaseaccount"),
    (".azurecr.io", "registry"),
    (".azurewebsites.net", "webapp"),
    (".ods.opinsights.azure.com", "workspace"),
)
_AZURE_TYPE_ALIASES: Final = {"sites": "webapp"}

# Azure hosts that name their region in a label before the service's domain: Container Apps
# (`<app>.<environment>.<region>.azurecontainerapps.io`), public IP DNS names
# (`<label>.<region>.cloudapp.azure.com`), Container Instances
# (`<label>.<region>.azurecontainer.io`), AKS API servers (`<dns>.hcp.<region>.azmk8s.io`), Data
# Explorer (`<cluster>.<region>.kusto.windows.net`).
# Azure's public service domains (https://learn.microsoft.com/azure/security/fundamentals/
# azure-domains).
_AZURE_SERVICE_DOMAINS: Final = (".azure.com", ".azure.net", ".windows.net")
# Azure Maps' geographic endpoints keep requests and data in the geography's regions
# (https://learn.microsoft.com/azure/azure-maps/geographic-scope); the global
# ``atlas.microsoft.com`` routes to the nearest geography, so it stays unproven.
_AZURE_MAPS_GEOGRAPHIES: Final = {
    "eu.atlas.microsoft.com": ("northeurope", "westeurope"),
    "us.atlas.microsoft.com": ("eastus", "westus2"),
}
_AZURE_REGIONAL_DOMAINS: Final = (
    ".azurecontainerapps.io",
    ".cloudapp.azure.com",
    ".azurecontainer.io",
    ".azmk8s.io",
    ".kusto.windows.net",
)

_FLOW_WORDS: Final = re.compile(
    r"arn|destination|target|endpoint|url|uri|bucket|topic|queue|stream|workspace|"
    r"storageaccount|eventhub|partner|sink|region|location|id$|ids$|host|address",
    re.I,
)
_REGION_WORDS_AWS: Final = frozenset({"region", "regions"})
_REGION_WORDS_AZURE: Final = frozenset({"location", "locations", "region", "regions"})
_REGION_WORDS_GCP: Final = frozenset(
    {"location", "locations", "region", "regions", "zone", "zones"}
)
# A resource name's location segment: ``projects/p/locations/europe-west1/keyRings/k``, a compute
# self-link's ``projects/p/regions/europe-west1/subnetworks/s`` or ``.../zones/europe-west1-b/...``
# (https://cloud.google.com/apis/design/resource_names, https://cloud.google.com/compute/docs/
# reference/rest/v1). ``global`` is left to the referent's own placement (it proves nothing).
_GCP_LOCATION_SEGMENT: Final = re.compile(
    r"(?:^|/)projects/[^/]+/(?:locations|regions|zones)/(?P<location>[^/?#\s]+)", re.I
)
# A bucket's full resource name, ``projects/_/buckets/<bucket>`` (Cloud Storage's one namespace).
_GCP_BUCKET_NAME: Final = re.compile(r"(?:^|/)projects/[^/]+/buckets/(?P<bucket>[^/?#\s]+)", re.I)
# ``datasets/<d>``, ``topics/<t>`` of a resource name (in a logging sink's destination).
_GCP_COLLECTION: Final = re.compile(
    r"(?:^|/)projects/[^/]+/(?P<collection>datasets|topics)/(?P<name>[^/?#\s]+)", re.I
)
# A regional Google endpoint names its region as the host's first label's prefix:
# ``europe-west1-aiplatform.googleapis.com``, a function's ``europe-west1-p.cloudfunctions.net``
# (https://cloud.google.com/vertex-ai/docs/reference/rest#service-endpoint,
# https://cloud.google.com/functions/docs/calling/http), ``europe-west1-docker.pkg.dev``.
_GCP_REGIONAL_HOST: Final = re.compile(r"^(?P<region>[a-z]+-[a-z]+[0-9]+)-[a-z0-9-]+$")
_GCP_ZONE_PREFIX: Final = re.compile(r"^(?P<zone>[a-z]+-[a-z]+[0-9]+(?:-[a-z])?)(?=-|$)")
# Cloud Run's deterministic URL names the service's region: ``https://<service>-<project number>.
# <region>.run.app`` (https://cloud.google.com/run/docs/triggering/https-request#deterministic); the
# older ``<service>-<hash>-<region code>.a.run.app`` abbreviates it and proves nothing.
_CLOUD_RUN_DOMAIN: Final = ".run.app"
# Artifact Registry's multi-region repositories: ``us-docker.pkg.dev``, ``europe-python.pkg.dev``
# (https://cloud.google.com/artifact-registry/docs/repositories/repo-locations).
_GCP_MULTI_REGION_HOST: Final = re.compile(r"^(?P<location>us|europe|asia)-[a-z0-9-]+\.pkg\.dev$")
_GCP_REGIONAL_SUFFIXES: Final = (".googleapis.com", ".cloudfunctions.net", ".pkg.dev")
# AWS endpoints: the service domains, and ``on.aws``, where Lambda function URLs name their region
# (``<url-id>.lambda-url.<region>.on.aws``,
# https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html).
_AWS_HOST_SUFFIXES: Final = (
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".api.aws",
    ".on.aws",
    # Cognito hosted UI domains: ``<prefix>.auth.<region>.amazoncognito.com``.
    ".amazoncognito.com",
)
# Region-less endpoints that are one region's: SQS's classic queue URLs are US East
# (``https://queue.amazonaws.com/<account>/<queue>``).
_AWS_LEGACY_HOSTS: Final = {"queue.amazonaws.com": "us-east-1"}
# ElastiCache endpoints abbreviate the region (``<name>.<id>.euw1.cache.amazonaws.com``,
# https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Endpoints.html): a region's code is
# its area, the initials of its direction and its number (eu-west-1: euw1, ap-northeast-1: apne1).
_ELASTICACHE_SUFFIX: Final = ".cache.amazonaws.com"
# Hosts in free text that may name their region (_places_in_text).
_CLOUD_HOST_SUFFIXES: Final = (
    *_AWS_HOST_SUFFIXES,
    ".core.windows.net",
    ".servicebus.windows.net",
    ".database.windows.net",
    ".vault.azure.net",
    ".documents.azure.com",
    ".azurecr.io",
    ".azurewebsites.net",
    *_AZURE_REGIONAL_DOMAINS,
    *_AZURE_SERVICE_DOMAINS,
    *_GCP_REGIONAL_SUFFIXES,
    _CLOUD_RUN_DOMAIN,
    "gcr.io",
)
# A Google API reference without a scheme: a logging sink's ``storage.googleapis.com/<bucket>``,
# ``bigquery.googleapis.com/projects/p/datasets/d`` (https://cloud.google.com/logging/docs/export/
# configure_export_v2#dest-path), a full resource name ``//storage.googleapis.com/projects/_/...``.
_GOOGLE_API_REFERENCE: Final = re.compile(
    r"^(?://)?(?P<host>(?:[a-z0-9-]+\.)+googleapis\.com)(?P<rest>/\S*)$", re.I
)
_KEY_WORD: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# The user information before `@` (`postgres://user:password@host/db`) is no host.
_URL: Final = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?:[^/?#\s@]*@)?(?P<host>[^/:?#\s]*)(?P<rest>.*)$",
    re.I,
)
_HOST: Final = re.compile(r"^(?=.{4,253}$)([a-z0-9-]+\.)+[a-z]{2,}$", re.I)
_MAX_DEPTH: Final = 48
# The label of a stand-in for another stack's output (clover/standin/engine.py).
_STACK_REFERENCE_LABEL: Final = "stackref-"

# A stand-in value of a computed output in the offline check's evidence run (flow_evidence.py).
_STAND_IN_HOST: Final = re.compile(r"[a-z0-9-]+\.[0-9a-f]{16}\.stand-in\.invalid")
# Addresses inside a private network (RFC 1918, shared address space RFC 6598, IPv6 unique local
# and link-local, loopback); any other address is somewhere on the internet.
_INTERNAL_NETWORKS: Final = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
# Loopback hosts are the machine the resource runs on (a Lambda extension on localhost:2773, a
# sidecar): nothing leaves it (RFC 6761 section 6.3 reserves ``localhost``).
_IN_CLUSTER_SUFFIXES: Final = (".svc.cluster.local", ".svc")
_LOOPBACK: Final = re.compile(r"^(?:localhost|127(?:\.[0-9]{1,3}){3}|\[?::1\]?)$", re.I)
# Amazon Bedrock's cross-region inference profiles route each request to a region of a
# geography AWS chooses: ``us.``/``apac.``/``global.``... profiles outside Europe, ``eu.`` among
# the EU regions below (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-
# support.html). The profile id stands alone (``foundationModel``, ``modelId``) or ends an ARN.
_BEDROCK_PROFILE: Final = re.compile(
    r"^(?:arn:aws[a-z-]*:bedrock:[a-z0-9-]*:[0-9]*:(?:inference-profile|"
    r"application-inference-profile)/)?(?P<geo>global|us|us-gov|apac|eu|jp|au|ca)\."
    r"(?P<model>[a-z0-9-]+\.[^\s/]+)$"
)
_BEDROCK_EU_REGIONS: Final = (
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-3",
)
# Azure OpenAI / AI Foundry deployment types that process prompts outside the resource's region:
# ``Global*`` in any Azure region worldwide (https://learn.microsoft.com/azure/ai-foundry/openai/
# how-to/deployment-types#global-standard). ``DataZone*`` stays in the data zone of the resource's
# geography (the EU for an EU resource), which its location rule judges.
_GLOBAL_AI_SKUS: Final = {
    "azure-native:cognitiveservices:Deployment": "sku.name",
    "azure:cognitive/deployment:Deployment": "sku.name",
}
_ZONE_WORDS: Final = frozenset({"zone", "zones", "az", "azs"})
# Free text: a value with separators between its words; its tokens are host names and words.
# An underscore too: a Cognito user pool id is ``<region>_<id>`` (``eu-west-1_AbC123``).
_TEXT_SEPARATOR: Final = re.compile(r"[\s,;:/()<>=\"'@_]")
_TEXT_TOKEN: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")

# SQL statements that write a query's result to storage, and the storage URL they name:
# BigQuery ``EXPORT DATA OPTIONS (uri = 'gs://...')``, Redshift and Athena ``UNLOAD (...) TO
# 's3://...'``, Snowflake ``COPY INTO 's3://...'``, Athena and Trino ``external_location =
# 's3://...'``, Aurora MySQL ``SELECT ... INTO OUTFILE S3 's3://...'``.
# https://cloud.google.com/bigquery/docs/reference/standard-sql/export-statements
# https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html
_EXPORT_TARGET: Final = re.compile(
    r"""(?:\bEXPORT\s+DATA\b[^;]*?\buri\s*=\s*|\bUNLOAD\b[^;]*?\bTO\s+|\bCOPY\s+INTO\s+"""
    r"""|\bexternal_location\s*=\s*|\bINTO\s+OUTFILE\s+S3\s+)['"](?P<url>[a-z0-9]+://[^'"\s]+)['"]""",
    re.IGNORECASE,
)
_BASE64: Final = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_MIN_BASE64: Final = 16
# An S3 bucket name (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
_S3_BUCKET_NAME: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Top-level fields that describe a resource for people and tooling, never where its data goes: a
# region name in a tag or description is not a flow.
_DESCRIPTIVE: Final = frozenset(
    {"tags", "tagsAll", "defaultTags", "labels", "effectiveLabels", "description", "displayName"}
)
# Fields of free text for people at any depth (an alarm's ``alarmDescription``, a rule's
# ``comment``): a region named there is prose, not a place.
_PROSE_WORDS: Final = frozenset(
    {"description", "descriptions", "comment", "comments", "note", "notes", "summary", "title"}
)


def _is_prose(leaf: Leaf) -> bool:
    return leaf.top in _DESCRIPTIVE or _key_words(leaf.key)[-1] in _PROSE_WORDS


# A provider's inputs carry its endpoints (``endpoints[].s3`` of pulumi-aws, custom endpoints of
# pulumi-gcp) as flows, but also credentials and plugin metadata that name no place: a service
# account key's token URIs, a kubeconfig's cluster address (the kubernetes rule resolves the
# cluster), the plugin's download URL, identity endpoints used only to sign in.
_PROVIDER_PREFIX: Final = "pulumi:providers:"
_PROVIDER_CREDENTIALS: Final = frozenset(
    {
        "version",
        "pluginDownloadURL",
        "credentials",
        "accessToken",
        "kubeconfig",
        "clientCertificate",
        "clientCertificatePassword",
        "clientCertificatePath",
        "clientSecret",
        "oidcRequestUrl",
        "oidcRequestToken",
        "oidcToken",
        "oidcTokenFilePath",
        "msiEndpoint",
        "sharedConfigFiles",
        "sharedCredentialsFiles",
        "webIdentityTokenFile",
    }
)
_MAX_HOPS: Final = 8


# Azure resource provider types as Event Grid, Resource Graph and policies write them: dotted,
# but no DNS name (https://learn.microsoft.com/azure/azure-resource-manager/management/
# resource-providers-and-types).
_AZURE_TYPE_NAME: Final = re.compile(r"^Microsoft\.[A-Z][A-Za-z]*(?:\.[A-Z][A-Za-z]*)+$")
_HOST_KEY: Final = re.compile(r"(?:host|hostname|endpoint|url|uri|server|address)s?$")
# Names that only resolve inside a network (RFC 6762 .local, RFC 8375 home.arpa, the common
# private zones): no public DNS name to send data to.
_PRIVATE_SUFFIXES: Final = (
    ".local",
    ".internal",
    ".localdomain",
    ".lan",
    ".home.arpa",
    ".corp",
    ".intranet",
    ".private",
    ".svc",
)


def _names_a_public_host(type_: str, key: str, value: str) -> bool:
    """Whether ``key`` names a host (``Host``, ``endpoint``, ``serverUrl``, ...) and ``value`` is a
    public DNS name, not a name of a private zone. Kubernetes objects are left out: their ``host``
    and ``hosts`` name what a workload serves (an Ingress rule, a route, TLS hosts), not where
    data goes; their outbound endpoints are URLs or in-cluster services."""
    if type_.startswith("kubernetes:"):
        return False
    lowered = value.lower().rstrip(".")
    return _HOST_KEY.search(_camel_words(key)) is not None and not lowered.endswith(
        _PRIVATE_SUFFIXES
    )


def _camel_words(key: str) -> str:
    return key.replace("-", "").replace("_", "").lower()


def _singular(arm_type: str) -> str:
    lower = arm_type.lower()
    if lower in _AZURE_TYPE_ALIASES:
        return _AZURE_TYPE_ALIASES[lower]
    if lower.endswith("ies"):
        return lower[:-3] + "y"
    return lower[:-1] if lower.endswith("s") else lower


def _class_of(token: str) -> str:
    return token.rsplit(":", 1)[-1].lower()


@dataclass(frozen=True)
class Place:
    """Where a destination is: a region/location to check, nowhere to check, or why unproven."""

    cloud: str | None = None  # "aws", "azure" or "gcp"; None with ``neutral`` or ``unproven``
    value: Any = (
        None  # a region/location; for "gcp" also the in-stack resource placement_gcp judges
    )
    via: str = ""
    neutral: bool = False
    unproven: str = ""
    reviewed: bool = False  # neutral because the type is on a reviewed list of metadata-only types
    incidental: bool = False  # a region name in a field that does not say region: a flow only
    # when it is not allowed, so an allowed name in a setting is not drawn as one
    nowhere: bool = False  # computed from resources placed nowhere (a random string): no
    # destination, so unproven in a field that holds one and nothing in any other (a password)


class StackIndex:
    """The stack's resources indexed once per validation (URN, bucket name, Azure type and name,
    GCP collection and name)."""

    def __init__(self, stack: Sequence[StackResource]) -> None:
        self.by_urn = {r.urn: r for r in stack}
        self.groups = [r for r in stack if r.type == RESOURCE_GROUP]
        self.buckets: dict[str, StackResource] = {}
        self.azure: dict[tuple[str, str], list[StackResource]] = {}
        self.azure_groups: dict[str, list[StackResource]] = {}
        self.classic = placement_azure_classic.ClassicIndex.of(stack)
        self.gcp: dict[tuple[str, str], StackResource] = {}
        gcp_names = {("buckets", _GCP_BUCKET, "name")} | {
            (collection, token, key) for collection, (token, key) in _GCP_NAMED.items()
        }
        for resource in stack:
            if resource.type in _BUCKET_TYPES:
                name = resource.props.get(_BUCKET_NAME_KEYS[resource.type])
                if isinstance(name, str) and not is_unknown(name):
                    self.buckets[name] = resource
            elif resource.type.startswith("azure-native:"):
                self._index_azure(resource)
            elif resource.type.startswith("gcp:"):
                for collection, token, key in gcp_names:
                    name = resource.props.get(key)
                    if resource.type == token and isinstance(name, str) and not is_unknown(name):
                        # Bucket names are global; dataset and topic ids are per project, and
                        # a stack's references name its own (GCP names are case-sensitive).
                        self.gcp[(collection, name)] = resource

    def _index_azure(self, resource: StackResource) -> None:
        names = {resource.name.lower()}
        for key, value in resource.props.items():
            if (
                key.endswith("Name")
                and key != "resourceGroupName"
                and isinstance(value, str)
                and not is_unknown(value)
            ):
                names.add(value.lower())
        kind = _class_of(resource.type)
        for name in names:
            self.azure.setdefault((kind, name), []).append(resource)
        if resource.type == RESOURCE_GROUP:
            for name in names:
                self.azure_groups.setdefault(name, []).append(resource)

    def place_of(self, resource: StackResource) -> Place:
        """The effective placement of an in-stack resource."""
        via = resource.urn
        remote = residency_common.remote_component_package(resource.type, resource.provider_type)
        if resource.type.startswith("aws:") or remote == "aws":
            if resource.type in EXEMPT_TYPES_DEFAULT:
                return Place(neutral=True, via=via, reviewed=True)
            return Place("aws", effective_region(resource.props, resource.provider_props), via)
        if resource.type.startswith("azure-native:"):
            location, why = resolve_location(resource, self.groups)
            if location is None:
                return Place(unproven=f"{via} has no location ({why or 'none set'})", via=via)
            if (
                isinstance(location, str)
                and regions.normalise_azure_location(location) == regions.GLOBAL_LOCATION
                and resource.type in GLOBAL_TYPES_DEFAULT
            ):
                # Reviewed: names and routing, no user data (placement_azure.GLOBAL_TYPES_DEFAULT).
                return Place(neutral=True, via=via, reviewed=True)
            return Place("azure", location, via)
        return self._place_other(resource)

    def _place_other(self, resource: StackResource) -> Place:  # noqa: PLR0911 - one per package
        """aws-native (its provider's region), classic Azure (own location, resource group or
        storage account, as placement_azure_classic resolves them), GCP (as placement_gcp places
        it: judged in :meth:`Allowed.problem`), else neutral."""
        via = resource.urn
        if resource.type.startswith("gcp:"):
            if placement_gcp.placement_neutral(resource.type):
                # Reviewed: identities, hierarchy, DNS... (gcp_global_types.py), IAM bindings.
                return Place(neutral=True, via=via, reviewed=True)
            return Place("gcp", resource, via)
        if resource.type.startswith("aws-native:"):
            if resource.type in placement_aws_native.METADATA_ONLY_AWS_NATIVE:
                return Place(neutral=True, via=via, reviewed=True)
            region = placement_aws_native.effective_region(
                resource.type, resource.props, resource.provider_props
            )
            return Place("aws", region, via)
        classic = (
            placement_azure_classic.location_of(resource, self.classic)
            if resource.type.startswith("azure:")
            else None
        )
        if classic is None:
            # random strings, TLS keys, components: they hold no data in a region of their own.
            return Place(neutral=True, via=via)
        location, why = classic
        if location is None:
            return Place(unproven=f"{via} has no location ({why or 'none set'})", via=via)
        return Place("azure", location, via)


@dataclass(frozen=True)
class Leaf:
    path: str
    key: str
    value: Any
    top: str
    kind: str | None


@functools.lru_cache(maxsize=65536)
def _table_kind(resource_type: str, path: tuple[str, ...]) -> str | None:
    """The reviewed (or generated) kind of a property path; a reviewed prefix covers its subtree.

    Cached: a stack repeats the same few paths per type thousands of times.
    """
    reviewed = TABLE.get("reviewed", {})
    for scope in (reviewed.get(resource_type, {}), reviewed.get("*", {})):
        for end in range(len(path), 0, -1):
            kind = scope.get(".".join(path[:end]))
            if kind is not None:
                return str(kind)
    if len(path) == 1:
        generated = TABLE.get("generated", {}).get(resource_type, {}).get(path[0])
        if generated is not None:
            return str(generated)
    return None


def _policy_document(value: Any) -> bool:
    return isinstance(value, dict) and ("Statement" in value or "statement" in value)


def _parse_json(text: str) -> Any:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


_PAIR_KEYS: Final = 3
"""At most ``name``, ``value`` and one more field (a ``slotSetting``, a ``type``): a pair."""


def walk(resource_type: str, props: Mapping[str, Any]) -> Iterator[Leaf]:
    """Every scalar below ``props`` with its path; list items keep their field's name."""
    stack: list[tuple[Any, list[str], str, str, int]] = [
        (value, [key], key, key, 0) for key, value in reversed(list(props.items()))
    ]
    while stack:
        value, path, key, top, depth = stack.pop()
        if isinstance(value, str) and not is_unknown(value):
            parsed = _parse_json(value)
            if parsed is not None:
                value = parsed
                if _policy_document(value):
                    continue  # IAM/resource policies name principals and resources, not places
        text_path = ".".join(path).replace(".[", "[")
        if depth > _MAX_DEPTH:
            yield Leaf(text_path, key, "<nested too deep>", top, FLOW)
        elif isinstance(value, dict):  # plain() copies every object into a dict
            if _policy_document(value):
                continue
            # A name/value pair (a container's env entry, an app setting) names its value: the
            # value is read under the pair's name (``ANALYTICS_TOPIC``), as a map entry would be.
            named = value.get("name") if "value" in value and len(value) <= _PAIR_KEYS else None
            stack.extend(
                (
                    v,
                    [*path, str(k)],
                    named if k == "value" and isinstance(named, str) and named else str(k),
                    top,
                    depth + 1,
                )
                for k, v in reversed(list(value.items()))
            )
        elif isinstance(value, list):
            stack.extend(
                (v, [*path, f"[{i}]"], key, top, depth + 1)
                for i, v in reversed(list(enumerate(value)))
            )
        else:
            names = tuple(p for p in path if not p.startswith("["))
            yield Leaf(text_path, key, value, top, _table_kind(resource_type, names))


# -- Reading a value -------------------------------------------------------------------------


def _aws_host_region(host: str) -> str | None:
    host = host.lower()
    if host in _AWS_LEGACY_HOSTS:
        return _AWS_LEGACY_HOSTS[host]
    labels = host.split(".")
    for label in labels:
        candidate = label.removeprefix("s3-")
        if regions.is_aws_region_code(candidate):
            return candidate
    if host.endswith(_ELASTICACHE_SUFFIX):
        return next((_AWS_SHORT_CODES[x] for x in labels if x in _AWS_SHORT_CODES), None)
    return None


_DIRECTION_INITIALS: Final = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def _short_code(region: str) -> str | None:
    """``euw1`` for ``eu-west-1``; None for a region whose name does not abbreviate so."""
    parts = region.split("-")
    if len(parts) != 3 or parts[1] not in _DIRECTION_INITIALS:
        return None
    return f"{parts[0]}{_DIRECTION_INITIALS[parts[1]]}{parts[2]}"


_AWS_SHORT_CODES: Final = {
    code: region
    for region in sorted(regions.AWS_REGION_CODES)
    if (code := _short_code(region)) is not None
}


def _azure_regional_host(host: str) -> str | None:
    """The Azure region a host of a regional Azure domain names (the label nearest the domain
    that is a region's name), or None: such a host without one proves nothing.

    Besides the domains that always carry one, any Azure service host whose label is a region's
    name, or a region's name with an instance number, is that region's: Event Grid topics
    (``<topic>.westeurope-1.eventgrid.azure.net``), Batch accounts
    (``<account>.westeurope.batch.azure.com``), Application Insights ingestion
    (``westeurope-5.in.applicationinsights.azure.com``)."""
    for domain in (*_AZURE_REGIONAL_DOMAINS, *_AZURE_SERVICE_DOMAINS):
        if host.endswith(domain):
            labels = host[: -len(domain)].split(".")
            return next((r for x in reversed(labels) if (r := _azure_region_label(x))), None)
    return None


_AZURE_INSTANCE: Final = re.compile(r"^(?P<region>[a-z0-9]+)-[0-9]+$")


def _azure_region_label(label: str) -> str | None:
    if label in regions.AZURE_LOCATION_NAMES:
        return label
    numbered = _AZURE_INSTANCE.match(label)
    if numbered is not None and numbered.group("region") in regions.AZURE_LOCATION_NAMES:
        return numbered.group("region")
    return None


# Images Google publishes for everyone (Cloud Build's builders, the Cloud SDK, distroless, the
# Cloud SQL proxy, its samples such as Cloud Run's hello container): software a build or a pod
# pulls, not a registry the program writes to.
_PUBLIC_IMAGES: Final = re.compile(
    r"\b(?:(?:[a-z]+\.)?gcr\.io|[a-z0-9-]+-docker\.pkg\.dev)/(?:cloud-builders|"
    r"google\.com/cloudsdktool|distroless|google-containers|google_containers|google-samples|"
    r"cloudsql-docker|k8s-artifacts-prod|cloudrun/container)/"
)
# Container Registry hosts, now served by Artifact Registry ``gcr.io`` repositories in the
# matching multi-region (https://cloud.google.com/artifact-registry/docs/transition/gcr-repositories).
_GCR_HOSTS: Final = {"gcr.io": "us", "us.gcr.io": "us", "eu.gcr.io": "eu", "asia.gcr.io": "asia"}


def _google_host_location(host: str) -> str | None:
    """The location a Cloud Run deterministic URL, an Artifact Registry multi-region host or a
    Container Registry host names, or None."""
    if host in _GCR_HOSTS:
        return _GCR_HOSTS[host]
    if host.endswith(_CLOUD_RUN_DOMAIN):
        labels = host[: -len(_CLOUD_RUN_DOMAIN)].split(".")
        if len(labels) >= 2 and labels[-1] in regions.GCP_REGION_NAMES:
            return labels[-1]
        return None
    multi = _GCP_MULTI_REGION_HOST.match(host)
    return multi.group("location") if multi is not None else None


def _s3_bucket_of_host(host: str, rest: str) -> str | None:
    """The bucket a virtual-hosted or path-style S3 URL names, if any."""
    labels = host.lower().split(".")
    for index, label in enumerate(labels):
        if label == "s3" or label.startswith("s3-") or label == "s3-website":
            if index > 0:
                return ".".join(labels[:index])
            first = rest.lstrip("/").split("/", 1)[0]
            return first or None
    return None


class Resolver:
    """Resolves one value of one resource to a :class:`Place` (or a list of them)."""

    def __init__(
        self,
        index: StackIndex,
        proofs: Mapping[str, Mapping[str, str]] | None = None,
        declarations: external_resources.Declarations | None = None,
        stand_ins: Mapping[str, str] | None = None,
        unchecked: str | None = None,
    ) -> None:
        self.index = index
        self.unchecked = unchecked
        """Why the evidence run did not finish (``computedValues.incomplete``), or None."""
        self.stand_ins = stand_ins or {}
        """``computedValues.standIns``: the resource each stand-in output's digest names."""
        self.proofs = proofs
        """``provenOutputs``: urn -> property path -> ``<urn>#<output>``; None when not given."""
        self.declarations = (
            external_resources.pack_declarations() if declarations is None else declarations
        )
        """The declared external resources (external_resources.py), consulted only where a
        destination is otherwise unproven."""

    def _declared(self, found: external_resources.Declaration | None, place: Place) -> Place:
        """``place`` (unproven) unless an active declaration states where the resource is: then
        its declared region, judged against the allow-list like a literal one."""
        if found is None or not place.unproven:
            return place
        today = self.declarations.today()
        if not found.active(today):
            return Place(unproven=f"{place.unproven}; {found.why_not(today)}")
        return Place(found.cloud, found.region, found.via)

    def bucket(self, name: str) -> Place:
        bucket = self.index.buckets.get(name)
        directory = _DIRECTORY_BUCKET.search(name)
        if bucket is None and directory is not None:
            # An S3 directory bucket lives in the one zone its name ends with
            # (``<base>--<zone id>--x-s3``, https://docs.aws.amazon.com/AmazonS3/latest/userguide/
            # directory-bucket-naming-rules.html).
            zone = directory.group("zone")
            placed = regions.aws_zone_placement(zone)
            if placed is None:
                return Place(unproven=f"bucket {name!r} is in zone {zone!r}, of no known region")
            return Place("aws", placed[0], f"the directory bucket's zone {zone}")
        if bucket is None and ("buckets", name) in self.index.gcp:
            # Bucket names are one global namespace on each cloud: a name no S3 bucket of the
            # stack has but a Cloud Storage bucket of the stack has is that bucket (a Lambda's
            # ``EXPORT_BUCKET`` handed to a GCS client).
            return self.index.place_of(self.index.gcp[("buckets", name)])
        if bucket is None:
            return self._declared(
                self.declarations.s3_bucket(name),
                Place(
                    unproven=(
                        f"bucket {name!r} is not a bucket of this stack nor a declared external "
                        "resource; a bucket name or ARN carries no region, so where its data "
                        "lives cannot be proven"
                    )
                ),
            )
        return self.index.place_of(bucket)

    def gcp_named(self, collection: str, name: str) -> Place:
        """The in-stack GCP bucket, dataset or topic of that name, else unproven."""
        found = self.index.gcp.get((collection, name))
        if found is None:
            singular = collection[:-1]
            return self._declared(
                self.declarations.gcp(collection, name),
                Place(
                    unproven=(
                        f"{singular} {name!r} is not a {singular} of this stack nor a declared "
                        "external resource, so where its data lives cannot be proven"
                    )
                ),
            )
        return self.index.place_of(found)

    def gcp_name(self, value: str) -> Place | None:
        """A GCP resource name's place (its location, or the in-stack bucket, dataset or topic it
        names); None when it names neither (a global resource, a plain project path)."""
        location = _GCP_LOCATION_SEGMENT.search(value)
        if location is not None and location.group("location").lower() != "global":
            return Place("gcp", location.group("location"), "the resource name's location")
        bucket = _GCP_BUCKET_NAME.search(value)
        if bucket is not None:
            return self.gcp_named("buckets", bucket.group("bucket"))
        named = _GCP_COLLECTION.search(value)
        if named is not None:
            return self.gcp_named(named.group("collection").lower(), named.group("name"))
        return None

    def google(self, host: str, rest: str, *, scheme: bool) -> Place | list[Place] | None:  # noqa: PLR0911
        """A Google endpoint's place: a Cloud Storage bucket it addresses, the location in its
        path or host; otherwise unproven with a scheme, or None (a service name such as
        ``pubsub.googleapis.com``)."""
        path = rest.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        if host in ("storage.googleapis.com", "storage.cloud.google.com"):
            # Path-style XML API ``/<bucket>/<object>`` and JSON API ``/storage/v1/b/<bucket>``,
            # ``/upload/storage/v1/b/<bucket>`` (https://cloud.google.com/storage/docs/
            # request-endpoints).
            segments = path.split("/")
            for prefix in (["storage", "v1", "b"], ["upload", "storage", "v1", "b"]):
                if segments[: len(prefix)] == prefix and len(segments) > len(prefix):
                    return self.gcp_named("buckets", segments[len(prefix)])
            if segments[0] and segments[0] != "projects":
                return self.gcp_named("buckets", segments[0])
        elif host.endswith(".storage.googleapis.com"):
            # Virtual-hosted style ``<bucket>.storage.googleapis.com`` (bucket names may hold dots).
            return self.gcp_named("buckets", host[: -len(".storage.googleapis.com")])
        named = self.gcp_name(path)
        if named is not None:
            return named
        inside = self.stand_ins_in(path)
        if inside is not None:
            # An API call on a resource of the stack (``/v1/{workflow.id}/executions``).
            return inside
        regional = _GCP_REGIONAL_HOST.match(host.split(".", 1)[0])
        if regional is not None:
            return Place("gcp", regional.group("region"), "the endpoint's region")
        # Regional endpoints name the region as a label: ``storage.europe-west1.rep.googleapis.com``
        # (https://cloud.google.com/storage/docs/regional-endpoints).
        labelled = next((x for x in host.split(".") if x in regions.GCP_REGION_NAMES), None)
        if labelled is not None:
            return Place("gcp", labelled, "the endpoint's region")
        if not scheme:
            return None
        return self._declared(
            self.declarations.url(f"https://{host}{rest}"),
            Place(
                unproven=(
                    f"{host!r} is a Google endpoint that names no location, no resource of this "
                    "stack and no declared external resource; where it keeps data cannot be "
                    "proven"
                )
            ),
        )

    def arn(self, arn: str) -> Place:  # noqa: PLR0911 - one return per kind of ARN
        parts = arn.split(":", 5)
        if len(parts) < 6:
            return Place(unproven=f"{arn!r} is not a complete ARN")
        service, region, account, resource = parts[2], parts[3], parts[4], parts[5]
        if service == "outposts":
            return self._outpost(arn, region)
        if region:
            return Place("aws", region, "the ARN's region field")
        if service == "states" and not account:
            # A Step Functions service integration (``arn:aws:states:::dynamodb:getItem``) names
            # an API the state machine calls in its own region; the table, queue or function it
            # acts on is in the state's Parameters, judged there.
            return Place(neutral=True)
        if service == "scheduler" and not account and resource.startswith("aws-sdk:"):
            # An EventBridge Scheduler universal target (``arn:aws:scheduler:::aws-sdk:sqs:
            # sendMessage``) is an API the schedule calls in its own region; what it acts on is
            # in the target's input, judged there
            # (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
            return Place(neutral=True)
        if service in _NEUTRAL_ARN_SERVICES:
            return Place(neutral=True)
        if service == "s3" and resource:
            return self.bucket(resource.split("/", 1)[0])
        return self._declared(
            self.declarations.arn(arn),
            Place(
                unproven=(
                    "the ARN names no region, no resource of this stack and no declared external "
                    f"resource ({service})"
                )
            ),
        )

    def _outpost(self, arn: str, region: str) -> Place:
        """An Outpost rack stands in the customer's own facility; the ARN's region is only the
        region it is anchored to (https://docs.aws.amazon.com/outposts/latest/userguide/
        what-is-outposts.html). Where it stands must be declared."""
        return self._declared(
            self.declarations.arn(arn),
            Place(
                unproven=(
                    f"{arn!r} is an AWS Outpost, which stands in a facility of its own, not in "
                    f"region {region or '?'}; declare where it stands"
                )
            ),
        )

    def azure_id(self, value: str) -> Place:
        return self._declared(self.declarations.azure_id(value), self._azure_id(value))

    def _azure_id(self, value: str) -> Place:
        segments = [s for s in value.split("/") if s]
        lower = [s.lower() for s in segments]
        if "providers" in lower:
            at = lower.index("providers")
            namespace = lower[at + 1] if at + 1 < len(lower) else ""
            if namespace in _NEUTRAL_AZURE_NAMESPACES:
                return Place(neutral=True)
            if at + 3 < len(segments):
                return self.azure_named(_singular(segments[at + 2]), segments[at + 3], value)
        if "resourcegroups" in lower:
            at = lower.index("resourcegroups")
            if at + 1 < len(segments):
                groups = self.index.azure_groups.get(segments[at + 1].lower(), [])
                if groups:
                    return self.index.place_of(groups[0])
        return Place(
            unproven=(
                "the Azure resource id names no resource of this stack nor a declared external "
                "resource"
            )
        )

    def azure_named(self, kind: str, name: str, shown: str) -> Place:
        found = self.index.azure.get((kind, name.lower()), [])
        if not found:
            # An Azure id is matched exactly by azure_id; a data-plane host (an account's
            # ``<name>.blob.core.windows.net``) by a declared host or URL, or the declared
            # resource of that type and name.
            declared = (
                None
                if shown.startswith("/")
                else self.declarations.url(shown) or self.declarations.azure_named(kind, name)
            )
            return self._declared(
                declared,
                Place(
                    unproven=(
                        f"{shown!r} names no {kind} of this stack nor a declared external "
                        "resource, so its location is not proven"
                    )
                ),
            )
        # Several same-named candidates (a server of two services): each must be allowed.
        return self.index.place_of(found[0]) if len(found) == 1 else self._first_bad(found)

    def _first_bad(self, found: Sequence[StackResource]) -> Place:
        places = [self.index.place_of(r) for r in found]
        return next((p for p in places if p.unproven), places[0])

    def url(self, value: str, *, scheme: bool) -> Place | list[Place] | None:  # noqa: PLR0911, PLR0912
        """A URL's or host's place; None for a bare host that names no cloud endpoint."""
        match = _URL.match(value)
        host, rest = (match.group("host"), match.group("rest")) if match else (value, "")
        if match and not host and match.group("scheme").lower() not in ("s3", "gs"):
            # No host: a local socket (`postgres://u:p@/db?host=/cloudsql/<instance>`); what
            # the rest names is read as text.
            return None
        local = self._local(host, scheme=match is not None)
        if local is not None:
            return local
        if match and match.group("scheme").lower() == "s3":
            return self.bucket(host) if host else Place(unproven="the s3:// URL names no bucket")
        if match and match.group("scheme").lower() == "gs":
            # ``gs://<bucket>/<object>``: Cloud Storage bucket names are one global namespace.
            if not host:
                return Place(unproven="the gs:// URL names no bucket")
            return self.gcp_named("buckets", host)
        lowered = host.lower()
        if lowered.endswith(_GCP_REGIONAL_SUFFIXES) and (
            lowered.endswith(".googleapis.com") or _GCP_REGIONAL_HOST.match(lowered.split(".")[0])
        ):
            return self.google(lowered, rest, scheme=scheme)
        if lowered.endswith(_AWS_HOST_SUFFIXES):
            region = _aws_host_region(lowered)
            if region is not None:
                return Place("aws", region, "the endpoint's region")
            bucket = _s3_bucket_of_host(lowered, rest)
            if bucket is not None and (scheme or "." in lowered.split(".s3", 1)[0]):
                return self.bucket(bucket)
            if not scheme:
                return None  # a service principal such as events.amazonaws.com
            return self._declared(
                self.declarations.url(value),
                Place(unproven=f"the AWS endpoint {host!r} names no region"),
            )
        for suffix, kind in _AZURE_HOSTS:
            # ``privatelink.<suffix>`` is the private DNS zone Azure reserves, not an account.
            if (
                lowered.endswith(suffix)
                and len(lowered) > len(suffix)
                and not lowered.startswith("privatelink.")
            ):
                # The resource is the first label: a static website's host carries a zone
                # label after the account's (``<account>.z6.web.core.windows.net``).
                name = lowered[: -len(suffix)].split(".")[0]
                replica = self._regional_account(kind, name)
                if replica is not None:
                    account, region = replica
                    return [
                        self.azure_named(kind, account, value),
                        Place("azure", region, "the endpoint's region"),
                    ]
                return self.azure_named(kind, name, value)
        geography = _AZURE_MAPS_GEOGRAPHIES.get(lowered)
        if geography is not None:
            return [
                Place("azure", region, "the Azure Maps geography's region") for region in geography
            ]
        regional = _azure_regional_host(lowered)
        if regional is not None:
            return Place("azure", regional, "the endpoint's region")
        google_region = _google_host_location(lowered)
        if google_region is not None:
            return Place("gcp", google_region, "the endpoint's region")
        if not scheme:
            return None
        return self._declared(
            self.declarations.url(value),
            Place(
                unproven=(
                    f"{host or value!r} is an endpoint outside this stack and not a declared "
                    "external resource; where it keeps data cannot be proven"
                )
            ),
        )

    def _regional_account(self, kind: str, name: str) -> tuple[str, str] | None:
        """(account, region) of a Cosmos DB account's regional endpoint,
        ``<account>-<region>.documents.azure.com`` (https://learn.microsoft.com/azure/cosmos-db/
        nosql/how-to-multi-master#regional-endpoints), when that account is in the stack."""
        if kind != "databaseaccount" or (kind, name) in self.index.azure:
            return None
        account, _, region = name.rpartition("-")
        if region in regions.AZURE_LOCATION_NAMES and (kind, account) in self.index.azure:
            return account, region
        return None

    def _local(self, host: str, *, scheme: bool) -> Place | list[Place] | None:
        """A host that is no endpoint elsewhere: a stand-in output of the offline check's evidence
        run (placed at its resource), or a loopback address (the resource's own machine)."""
        lowered = host.lower()
        if lowered.endswith(STAND_IN_SUFFIX):
            return self.stand_in(lowered)
        embedded = _STAND_IN_HOST.search(lowered)
        if embedded is not None:
            # A host built from an output of the stack (``{account.name}.blob.core.windows.net``,
            # a package URL with a SAS token): that resource's endpoint, where that resource is,
            # and in the region the rest of the host names, if it names one.
            found = self.stand_in(embedded.group(0))
            places = list(found) if isinstance(found, list) else [found]
            rest = lowered.replace(embedded.group(0), "")
            region = _aws_host_region(rest)
            if region is not None:
                places.append(Place("aws", region, "the endpoint's region"))
            location = _azure_regional_host(rest)
            if location is not None:
                places.append(Place("azure", location, "the endpoint's region"))
            return places
        if scheme and _LOOPBACK.match(host):
            return Place(neutral=True, via="a loopback address: the machine the resource runs on")
        if lowered.endswith(_IN_CLUSTER_SUFFIXES):
            # Kubernetes service DNS (``<service>.<namespace>.svc.cluster.local``) resolves
            # inside the cluster the workload runs on, which the cluster rule places.
            # https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
            return Place(neutral=True, via="a Kubernetes service inside the workload's cluster")
        return None

    def stand_ins_in(self, value: str) -> list[Place] | None:
        """A value built from computed outputs in a shape that names no endpoint of its own
        (``<endpoint>/hook`` without a scheme): placed where each of those outputs' resources
        is. A URL whose host is elsewhere has been judged by its host before this."""
        if STAND_IN_SUFFIX not in value.lower():
            return None
        places: list[Place] = []
        for host in _STAND_IN_HOST.findall(value.lower()):
            found = self.stand_in(host)
            places.extend(found if isinstance(found, list) else [found])
        return places or None

    def stand_in(self, host: str) -> Place | list[Place]:
        """A value built from a computed output's stand-in (the offline check's evidence run):
        placed where the resource that output belongs to is."""
        digest = host.removesuffix(STAND_IN_SUFFIX).rsplit(".", 1)[-1]
        urn = self.stand_ins.get(digest)
        if urn is None and host.startswith(_STACK_REFERENCE_LABEL):
            return Place(
                unproven=(
                    f"{host!r} is computed from an output of another stack, read through a "
                    "stack reference; nothing in this stack proves where it is"
                )
            )
        if urn is None or urn not in self.index.by_urn:
            return Place(
                unproven=(
                    f"{host!r} stands for a value the offline check cannot know (a data "
                    "source's lookup in the cloud, or an output of no resource of this stack), "
                    "so where it points is not proven"
                )
            )
        places = self._places_through([urn], seen=set())
        # As for an exact output (unknown()): a random string or key places nothing.
        if not any(p.reviewed or not p.neutral for p in places):
            return Place(
                unproven=f"{host!r} is computed from {urn}, which is placed nowhere", nowhere=True
            )
        return [p for p in places if not p.neutral] or Place(neutral=True, via=urn)

    def _places_through(self, urns: Sequence[str], seen: set[str], depth: int = 0) -> list[Place]:
        """The places of these resources; one placed by nothing of its own that is not reviewed
        (a classic Azure subnet, a setting on a resource) stands for the resources its own inputs
        depend on, where its data really is: a subnet of a virtual network is in that network."""
        places: list[Place] = []
        for urn in urns:
            dependency = self.index.by_urn.get(urn)
            if dependency is None or urn in seen:
                continue
            seen.add(urn)
            place = self.index.place_of(dependency)
            places.append(place)
            if place.neutral and not place.reviewed and depth < _MAX_HOPS:
                inner = [u for us in dependency.property_dependencies.values() for u in us]
                places.extend(self._places_through(inner, seen, depth + 1))
        return places

    def unknown(self, resource: StackResource, leaf: Leaf) -> Place | list[Place]:
        """The place of a destination not known until apply: the resource whose output it is.

        A dependency is no proof: ``replica.arn.apply(lambda a: override or a)`` depends on the
        replica exactly as ``replica.arn`` does, and may name anything. Only a value proven to be
        exactly an in-stack resource's output (``provenOutputs``, which ``python -m clover check``
        finds while the program runs: clover/standin/provenance.py) is placed, by that resource.
        """
        source = (self.proofs or {}).get(resource.urn, {}).get(leaf.path)
        if source is None:
            return Place(unproven=self._not_proven(resource, leaf))
        urn = source.rsplit("#", 1)[0]
        places = self._places_through([urn], seen={resource.urn})
        # An output of a random string or key proves no place; one of a placed resource, or of a
        # reviewed metadata-only one (a DNS zone, an IAM role), does.
        if not any(p.reviewed or not p.neutral for p in places):
            return Place(
                unproven=(
                    f"it is not known until apply and is an output of {source}, which is placed "
                    "nowhere and depends on no placed resource of this stack"
                ),
            )
        return [p for p in places if not p.neutral]

    def unchecked_value(self, resource: StackResource, leaf: Leaf) -> Place | list[Place] | None:
        """A value not known until apply in a field that is no destination as such, when the
        evidence run did not finish: an exact output of an in-stack resource names only that
        resource (judged on its own); any other value is unproven."""
        if (self.proofs or {}).get(resource.urn, {}).get(leaf.path) is not None:
            return None
        return Place(
            unproven=(
                "it is not known until apply, and the program's second run, which shows what "
                f"such values compute to, did not finish ({self.unchecked}); make the program "
                "run to the end as an update with every output known, or pass the resource's "
                "output itself or a literal"
            )
        )

    def _not_proven(self, resource: StackResource, leaf: Leaf) -> str:
        depends = [u for u in resource.property_dependencies.get(leaf.top, ()) if u != resource.urn]
        computed = (
            f"a value computed from {', '.join(depends)} can name any place"
            if depends
            else "it depends on no resource of this stack"
        )
        if self.proofs is None:
            how = (
                "at preview the engine sends only the unknown value; run "
                "`python -m clover check`, which proves the values that are exactly an in-stack "
                "resource's output, or give them as provenOutputs in the policy config"
            )
        else:
            how = "pass the resource's output itself (e.g. `bucket.arn`) or a literal"
        return (
            f"it is not known until apply and is not exactly an output of a resource of this "
            f"stack ({computed}); {how}"
        )


# -- Judging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """The allow-lists, one per cloud, exactly the placement rules' (pack-wide intersection)."""

    regions: frozenset[str]
    locations: frozenset[str]
    gcp_locations: frozenset[str] = frozenset()

    def problem(self, place: Place) -> str | None:
        if place.neutral:
            return None
        if place.unproven:
            return place.unproven
        where = f" ({place.via})" if place.via else ""
        if place.cloud == "aws":
            issue = region_problem(place.value, self.regions)
        elif place.cloud == "gcp":
            issue = self._gcp_problem(place.value)
        else:
            issue = location_problem(place.value, self.locations, resource_type="", global_types=())
        return None if issue is None else f"{issue}{where}"

    def _gcp_problem(self, value: Any) -> str | None:
        """An in-stack GCP resource is judged as gcp-resource-location-allowed judges it (own
        argument, documented default, provider, nested fields), so a flow is never allowed to a
        resource that rule refuses; a location is judged as that rule judges one."""
        if isinstance(value, StackResource):
            problems = placement_gcp.resource_problems(
                value.type, value.props, value.provider_props, self.gcp_locations
            )
            return "; ".join(problems) or None
        return placement_gcp.location_problem("GCP location", value, self.gcp_locations)


_AWS_VOCABULARY: Final = ("aws:", "aws-native:")
_AZURE_VOCABULARY: Final = ("azure-native:", "azure:")
_GCP_VOCABULARY: Final = "gcp:"


# Kubernetes custom resources of the clouds' own operators create that cloud's resources: Config
# Connector (``storage.cnrm.cloud.google.com``), AWS Controllers for Kubernetes
# (``s3.services.k8s.aws``), Azure Service Operator (``storage.azure.com``); their ``spec``
# names regions and locations in that cloud's vocabulary.
_OPERATOR_GROUPS: Final = (
    (".cnrm.cloud.google.com/", "gcp"),
    (".services.k8s.aws/", "aws"),
    (".azure.com/", "azure"),
)


def _vocabulary(resource_type: str) -> str | None:
    """The cloud whose region names a type's fields use, or None."""
    if resource_type.startswith(_GCP_VOCABULARY):
        return "gcp"
    if resource_type.startswith(_AZURE_VOCABULARY):
        return "azure"
    if resource_type.startswith(_AWS_VOCABULARY):
        return "aws"
    if resource_type.startswith("kubernetes:"):
        group = resource_type.split(":", 2)[1]
        return next((cloud for suffix, cloud in _OPERATOR_GROUPS if suffix in f"{group}/"), None)
    return None


def _region_value(resource_type: str, key: str, value: Any) -> Place | None:
    cloud = _vocabulary(resource_type)
    if cloud == "gcp":
        if _key_words(key)[-1] not in {"zone", "zones"}:
            return Place("gcp", value)
        # "Zone" also names DNS managed zones (``managedZone``) and time zones (``timeZone =
        # "America/New_York"``); a Compute Engine zone is always ``<region>-<letter>``
        # (https://cloud.google.com/compute/docs/regions-zones), possibly with a suffix of its
        # own (Oracle Database@Google Cloud's ``us-east4-b-r1``): only such a value is a place.
        zone = _GCP_ZONE_PREFIX.match(value.lower()) if isinstance(value, str) else None
        return None if zone is None else Place("gcp", zone.group("zone"))
    return Place("azure" if cloud == "azure" else "aws", value)


def _is_region_key(resource_type: str, key: str) -> bool:
    """Whether a field's name says region/location, in a package whose region names we know.

    GCP names zones as places too (``zone = "europe-west1-b"``, a cluster's ``nodeLocations``);
    other packages name regions in their own vocabulary, judged by their own placement rules, and
    their ARNs, ids and URLs are still resolved here.
    """
    cloud = _vocabulary(resource_type)
    if cloud == "azure":
        words = _REGION_WORDS_AZURE
    elif cloud == "aws":
        words = _REGION_WORDS_AWS
    elif cloud == "gcp":
        words = _REGION_WORDS_GCP
    else:
        return False
    # By whole words of the camelCase or dashed name: ``sourceRegion``, ``awslogs-region``,
    # ``AWS_REGION``, ``locationName``; not ``privateIpAddressAllocation``, whose "Dynamic" or
    # "Static" is no place.
    return _key_words(key)[-1] in words


def _key_words(key: str) -> list[str]:
    """The lower-case words of a field name, a trailing ``name(s)`` dropped; never empty."""
    parts = [w.lower() for w in _KEY_WORD.findall(key)]
    if parts and parts[-1] in {"name", "names"}:
        parts = parts[:-1]
    return parts or [""]


_IDENTIFIER_WORDS: Final = frozenset({"scope", "scopes", "schema"})


def _names_an_identifier(key: str) -> bool:
    """Fields whose URLs are names, never contacted with data: OAuth scopes
    (``https://www.googleapis.com/auth/cloud-platform``, https://developers.google.com/identity/
    protocols/oauth2/scopes) and JSON schema ids (an ARM template's ``$schema``)."""
    parts = _KEY_WORD.findall(key)
    return bool(parts) and parts[-1].lower() in _IDENTIFIER_WORDS


def _from_another_stack(value: str) -> bool:
    """Whether the value holds the second run's stand-in for another stack's output."""
    lowered = value.lower()
    return STAND_IN_SUFFIX in lowered and _STACK_REFERENCE_LABEL in lowered


def _is_own_name(resource_type: str, prop: str) -> bool:
    """The resource's own name or id as the program gives it (``bucket`` of a Bucket,
    ``workspaceName`` of a Workspace, ``repositoryId`` of a GCP Repository, ``accountId`` of a
    service Account): it names the resource being created, which the placement rules judge."""
    own = _class_of(resource_type)
    return prop.lower() in (own, f"{own}name", f"{own}id", "name")


def _is_itself(resource_type: str, leaf: Leaf) -> bool:
    """The resource's own placement (the placement rules judge it: a GCP zonal type's ``zone``
    too) or its own name (``bucket`` of a Bucket, ``workspaceName`` of a Workspace)."""
    if leaf.path in ("region", "location") or (
        leaf.path == "zone" and resource_type.startswith(_GCP_VOCABULARY)
    ):
        return True
    return leaf.path == leaf.top and _is_own_name(resource_type, leaf.top)


def _google_reference(
    value: str, kind: str | None, resolver: Resolver
) -> Place | list[Place] | None:
    """A Google reference without a scheme (``storage.googleapis.com/<bucket>``, a resource name
    ``projects/p/locations/l/...``): its place, or None when it names none (a harmless one only
    blocks by a literal location or an in-stack resource it names, as an ARN does)."""
    google = _GOOGLE_API_REFERENCE.match(value)
    place: Place | list[Place] | None
    if google is not None:
        place = resolver.google(google.group("host").lower(), google.group("rest"), scheme=False)
    elif value.startswith("projects/"):
        place = resolver.gcp_name(value)
    else:
        return None
    if isinstance(place, list):
        kept = [p for p in place if p.cloud is not None] if kind == HARMLESS else place
        return kept or None
    if place is None or (kind == HARMLESS and place.cloud is None):
        return None
    return place


def _classify(
    resource: StackResource, leaf: Leaf, resolver: Resolver
) -> Place | list[Place] | None:
    """The place(s) a leaf designates; None when it designates nowhere else.

    A value is judged by what it is (an ARN, a URL, a reference to a resource of the stack), and
    then read as text for any further place it names: a list of endpoints in one setting, a
    command that reads from an in-stack database and pipes to an endpoint in Virginia, a
    connection string with a second host. Its first entry proves nothing about the rest."""
    literal = _arm_literal(leaf.value)
    if literal is not None:
        leaf = dataclasses.replace(leaf, value=literal)
    shipped = _shipped_file_places(leaf, resolver)
    if shipped is not None:
        return shipped
    primary = _designated(resource, leaf, resolver)
    if primary is not None and not _holds_a_destination(resource.type, leaf):
        # A password or a name made from a random string names no place at all.
        kept = [p for p in (primary if isinstance(primary, list) else [primary]) if not p.nowhere]
        primary = kept or None
    if primary is None or not isinstance(leaf.value, str):
        return primary
    more = _places_in_text(leaf, leaf.value, resolver)
    if not more:
        return primary
    places = list(primary) if isinstance(primary, list) else [primary]
    seen = {(p.cloud, str(p.value).lower(), p.unproven) for p in places}
    places += [p for p in more if (p.cloud, str(p.value).lower(), p.unproven) not in seen]
    return places


_FILE_WORDS: Final = frozenset({"file", "files"})


def _shipped_file_places(leaf: Leaf, resolver: Resolver) -> list[Place] | None:
    """The places named in a local file a setting uploads (a canary's ``zipFile``, a web app's
    ``zipDeployFile``): its text, or its archive's text files (code_files.py), read as the code of
    a file archive is. None when the setting names no readable file."""
    value = leaf.value
    if not isinstance(value, str) or _key_words(leaf.key)[-1] not in _FILE_WORDS or "\n" in value:
        return None
    texts = code_files.archive_texts(value)
    single = code_files.file_text(value) if not texts else None
    if single is not None:
        texts = {"": single}
    if not texts:
        return None
    places: list[Place] = []
    for name, text in texts.items():
        inside = dataclasses.replace(leaf, key="text")
        where = f"in {name} of the file" if name else "in the file"
        places.extend(
            dataclasses.replace(place, via=f"{place.via}, {where}" if place.via else where)
            for place in _places_in_text(inside, text, resolver) or []
        )
    return places


def _holds_a_destination(resource_type: str, leaf: Leaf) -> bool:
    """Whether the field is one whose value is where data goes (by the table, or by its name)."""
    if leaf.kind in (FLOW, BUCKET, REGION):
        return True
    return leaf.kind is None and (
        _FLOW_WORDS.search(_camel_words(leaf.key)) is not None
        or _is_region_key(resource_type, leaf.key)
    )


# A BigQuery table as Google's APIs take it: ``[project.|project:]dataset.table``
# (https://cloud.google.com/bigquery/docs/tables#table_naming).
_BIGQUERY_TABLE: Final = re.compile(
    r"^(?:(?P<project>[a-z](?:[a-z0-9-]*[a-z0-9])?)[.:])?(?P<dataset>[A-Za-z0-9_]+)\."
    r"(?P<table>[A-Za-z0-9_$-]+)$"
)


# A BigQuery dataset or table as a URI: ``bq://project.dataset[.table]``, the form Cloud Healthcare
# streaming, Vertex AI request logging and batch prediction take
# (https://cloud.google.com/vertex-ai/docs/predictions/online-prediction-logging).
_BIGQUERY_URI: Final = re.compile(
    r"^bq://(?P<project>[a-z](?:[a-z0-9-]*[a-z0-9])?)\.(?P<dataset>[A-Za-z0-9_]+)"
    r"(?:\.(?P<table>[A-Za-z0-9_$-]+))?/?$",
    re.IGNORECASE,
)


def _bigquery_uri(resource: StackResource, value: str, resolver: Resolver) -> Place | None:
    """The place of a ``bq://`` URI: its dataset of this stack, in this stack's project, else
    unproven; None for a value of another form."""
    if value[:5].lower() != "bq://":
        return None
    match = _BIGQUERY_URI.match(value)
    if match is None:
        return Place(unproven=f"{value!r} is no BigQuery dataset or table this pack can read")
    return _in_project(resource, value, match.group("project"), resolver, match.group("dataset"))


def _in_project(
    resource: StackResource, value: str, project: str | None, resolver: Resolver, dataset: str
) -> Place:
    own = resource.props.get("project") or resource.provider_props.get("project")
    if project is not None and isinstance(own, str) and not is_unknown(own) and project != own:
        return Place(
            unproven=(
                f"{value!r} is in project {project!r}, not in this stack's project {own!r}, so "
                "where its dataset keeps data cannot be proven"
            )
        )
    return resolver.gcp_named("datasets", dataset)


def _bigquery_table(resource: StackResource, leaf: Leaf, resolver: Resolver) -> Place | None:
    """The place of a BigQuery table a GCP field named ``...table`` holds: its dataset of this
    stack (in this stack's project), else unproven; None for anything else."""
    if not resource.type.startswith("gcp:") or not isinstance(leaf.value, str):
        return None
    if not _camel_words(leaf.key).endswith("table"):
        return None
    match = _BIGQUERY_TABLE.match(leaf.value)
    if match is None:
        return None
    return _in_project(
        resource, leaf.value, match.group("project"), resolver, match.group("dataset")
    )


def _designated(  # noqa: PLR0911, PLR0912 - one return per shape of value
    resource: StackResource, leaf: Leaf, resolver: Resolver
) -> Place | list[Place] | None:
    """What a leaf designates by its shape (see :func:`_classify`)."""
    value, kind = leaf.value, leaf.kind
    if _is_itself(resource.type, leaf):
        return None
    region_key = kind == REGION or (kind is None and _is_region_key(resource.type, leaf.key))
    if is_unknown(value):
        named_flow = _FLOW_WORDS.search(_camel_words(leaf.key)) is not None
        if kind in (FLOW, BUCKET, REGION) or (kind is None and named_flow):
            return resolver.unknown(resource, leaf)
        if kind is None and resolver.unchecked is not None:
            # Any text may name a place (a log driver's region inside a container definition):
            # with no second run to show what it computes to, only an exact output is proof.
            return resolver.unchecked_value(resource, leaf)
        return None
    if not isinstance(value, str) or not value:
        return None
    if _from_another_stack(value) and not (
        kind in (FLOW, BUCKET, REGION)
        or (kind is None and _FLOW_WORDS.search(_camel_words(leaf.key)) is not None)
    ):
        # Another stack's output (the second run's stand-in) is judged where it would be
        # judged unknown at preview: in a destination; a subnet list or a count moves nothing.
        return None
    if kind == FLOW and _ip_address(value) is not None:
        return _ip_place(value)
    processing = _global_processing(resource.type, leaf, value)
    if processing is not None:
        return processing
    if value.startswith("arn:"):
        place = resolver.arn(value)
        if kind == HARMLESS and place.cloud is None:
            return None  # a region-less reference that moves no data (an IAM role)
        return place
    if value.lower().startswith(("/subscriptions/", "/providers/")):
        return None if kind == HARMLESS else resolver.azure_id(value)
    google = _google_reference(value, kind, resolver)
    if google is not None:
        return google
    table = _bigquery_table(resource, leaf, resolver) or _bigquery_uri(resource, value, resolver)
    if table is not None:
        return table
    has_scheme = _URL.match(value) is not None
    if not has_scheme and _AZURE_TYPE_NAME.match(value):
        return None  # an Azure resource type (``Microsoft.Storage.StorageAccounts``), no host
    if (has_scheme or _HOST.match(value)) and not _names_an_identifier(leaf.key):
        endpoint = resolver.url(value, scheme=has_scheme)
        if endpoint is not None:
            harmless = kind == HARMLESS and isinstance(endpoint, Place) and endpoint.cloud is None
            return None if harmless else endpoint
        if not has_scheme and (
            kind == FLOW or (kind is None and _names_a_public_host(resource.type, leaf.key, value))
        ):
            # A bare host in a destination field (a VPN peer's FQDN), or under a key that names
            # a host (a log router's ``Host``, an ``endpoint``), is a place outside the stack, as
            # an https endpoint is.
            return resolver.url(value, scheme=True)
    if region_key and kind != HARMLESS:
        return _region_value(resource.type, leaf.key, value)
    if kind == BUCKET:
        return resolver.bucket(value)
    if kind is None and _names_a_bucket(resource.type, leaf, value):
        if resource.type.startswith(_GCP_VOCABULARY):
            return resolver.gcp_named("buckets", value)
        return resolver.bucket(value)
    return (
        _region_literal(resource.type, leaf, value)
        or resolver.stand_ins_in(value)
        or _places_in_text(leaf, value, resolver)
    )


_GZIP_MAGIC: Final = b"\x1f\x8b"
_MAX_EXPANDED: Final = 1 << 20


def _base64_text(value: str) -> str | None:
    """The text a base64 value encodes (EC2 user data is sent so), or None when it is not one."""
    if len(value) < _MIN_BASE64 or len(value) % 4 or _BASE64.fullmatch(value) is None:
        return None
    try:
        data = base64.b64decode(value, validate=True)
        if data[:2] == _GZIP_MAGIC:
            # cloud-init and launch templates take gzip-compressed user data as well; the
            # expansion is bounded so a crafted value cannot exhaust the pack's memory.
            data = zlib.decompressobj(wbits=31).decompress(data, _MAX_EXPANDED)
        text = data.decode("utf-8")
    except (ValueError, zlib.error):  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    return text if text.isprintable() or "\n" in text else None


def _names_a_bucket(resource_type: str, leaf: Leaf, value: str) -> bool:
    """A nested setting named as a bucket (``EXPORT_BUCKET`` of a function's environment, a
    mapping's ``bucket``, ``flowLogsS3Bucket``) holding a plain bucket name: that bucket must be one
    of this stack's (S3 and Cloud Storage names are one global namespace, so a name alone places
    nothing). Top-level inputs are the reviewed table's to classify (a time-series database's own
    ``bucket`` is no storage bucket); Azure has no buckets."""
    return (
        leaf.path != leaf.top
        and not resource_type.startswith(_AZURE_VOCABULARY)
        and _key_words(leaf.key)[-1] == "bucket"
        and _S3_BUCKET_NAME.fullmatch(value) is not None
    )


def _places_in_text(leaf: Leaf, value: str, resolver: Resolver) -> list[Place] | None:
    """Places named inside free text: a script, a JDBC or broker list, an XML configuration
    (``--region us-east-1``, ``db.x.us-east-1.rds.amazonaws.com:5432``,
    ``ssl://b-1.mq.us-east-1.amazonaws.com:61617``). Only tokens that prove a place count: a
    cloud endpoint with its region, an account of this stack by its data-plane host, a region or
    zone name; other hosts in text (a package mirror in a boot script) are left to the fields
    that hold destinations. Reported only when not allowed, like a region name in any field."""
    if _is_prose(leaf):
        return None
    # Instance user data and similar scripts are sent base64-encoded.
    decoded = _base64_text(value)
    if decoded is not None:
        value = decoded
    elif _TEXT_SEPARATOR.search(value) is None:
        return None
    value = _PUBLIC_IMAGES.sub(" ", fold_literals(value))
    places: list[Place] = []
    for match in _EXPORT_TARGET.finditer(value):
        # A query that writes its result to storage names that storage as its destination.
        target = resolver.url(match.group("url"), scheme=True)
        places.extend(target if isinstance(target, list) else [] if target is None else [target])
    for account in _storage_accounts_named(value):
        places.append(resolver.azure_named("storageaccount", account, f"AccountName={account}"))
    for token in dict.fromkeys(_TEXT_TOKEN.findall(value)):
        lowered = token.lower()
        found: Place | list[Place] | None = None
        if lowered.endswith(_CLOUD_HOST_SUFFIXES):
            found = _assembled_host(lowered) or resolver.url(token, scheme=False)
        else:
            literal = regions.region_literal(token)
            found = None if literal is None else Place(literal[0], literal[1], "a region name")
        for place in found if isinstance(found, list) else [] if found is None else [found]:
            if place.cloud is not None or place.unproven:
                places.append(dataclasses.replace(place, incidental=True))
    return places or None


# Expressions that only join string literals, as other engines and languages write them: a Step
# Functions ``States.Format('https://sqs.{}-{}-1.amazonaws.com/...', 'eu', 'west')``
# (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html), an ARM or Logic
# Apps ``concat('...', '...')``, a CloudFormation ``!Join ['-', ['eu', 'west', '1']]``, a ``"..." +
# "..."`` of Python, JavaScript or Workflows. Each is replaced by the text it makes, so the
# endpoint it builds is judged whole; one with any other argument stays as written.
_QUOTED: Final = r"""(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_FORMAT_CALL: Final = re.compile(rf"States\.Format\(\s*({_QUOTED})((?:\s*,\s*{_QUOTED})*)\s*\)")
_CONCAT_CALL: Final = re.compile(rf"\bconcat\(\s*({_QUOTED}(?:\s*,\s*{_QUOTED})*)\s*\)")
_JOIN_TAG: Final = re.compile(
    rf"!Join\s*\[\s*({_QUOTED})\s*,\s*\[\s*({_QUOTED}(?:\s*,\s*{_QUOTED})*)\s*\]\s*\]"
)
_PLUS_CHAIN: Final = re.compile(rf"{_QUOTED}(?:\s*\+\s*{_QUOTED})+")
_EACH_QUOTED: Final = re.compile(_QUOTED)
_FOLD_PASSES: Final = 8


def _literals(text: str) -> list[str]:
    return [q[1:-1] for q in _EACH_QUOTED.findall(text)]


def _format(match: re.Match[str]) -> str:
    template, *args = _literals(match.group(1)) + _literals(match.group(2))
    pieces = template.split("{}")
    if len(pieces) != len(args) + 1:
        return match.group(0)
    return "'" + "".join(p + a for p, a in zip(pieces, [*args, ""], strict=True)) + "'"


def _join(match: re.Match[str]) -> str:
    (separator,) = _literals(match.group(1))
    return "'" + separator.join(_literals(match.group(2))) + "'"


_ARM_EXPRESSION: Final = re.compile(r"^\[(?!\[)(?P<body>.*)\]$", re.S)
_ONE_LITERAL: Final = re.compile(r"""^\s*(?:'(?P<single>[^']*)'|"(?P<double>[^"]*)")\s*$""")


def _arm_literal(value: Any) -> str | None:
    """The text an ARM template expression (``"[concat('north', 'europe')]"``) evaluates to
    when it only joins literals; None for any other value (an expression that reads a parameter,
    a variable or a function of the deployment stays as written, and unproven). ``[[`` starts a
    literal that begins with ``[`` (https://learn.microsoft.com/azure/azure-resource-manager/
    templates/template-expressions#escape-characters)."""
    if not isinstance(value, str):
        return None
    expression = _ARM_EXPRESSION.match(value)
    if expression is None:
        return None
    folded = _ONE_LITERAL.match(fold_literals(expression.group("body")))
    if folded is None:
        return None
    return folded.group("single") if folded.group("single") is not None else folded.group("double")


def fold_literals(text: str) -> str:
    """``text`` with every expression that joins only string literals replaced by the quoted
    text it makes (nested ones too, inside out)."""
    if "'" not in text and '"' not in text:
        return text
    for _ in range(_FOLD_PASSES):
        folded = _FORMAT_CALL.sub(_format, text)
        folded = _CONCAT_CALL.sub(lambda m: "'" + "".join(_literals(m.group(1))) + "'", folded)
        folded = _JOIN_TAG.sub(_join, folded)
        folded = _PLUS_CHAIN.sub(lambda m: "'" + "".join(_literals(m.group(0))) + "'", folded)
        if folded == text:
            break
        text = folded
    return text


# The tail of a region's name at the start of a host: what is left of a regional endpoint whose
# region was cut in pieces and is put together at run time by another engine (a Step Functions
# ``States.Format('https://sqs.{}-{}-1.amazonaws.com', ...)``, a Logic Apps ``concat(...)``, a
# Workflows ``${"https://us-" + "central1-..."}``): ``1.amazonaws.com``, ``east-1.amazonaws.com``,
# ``central1-acme.cloudfunctions.net``. A region substituted whole (``sqs.{region}.amazonaws.com``)
# leaves no such piece; a piece like this is never a service's own name.
_DIRECTIONS: Final = "(?:north|south|east|west|central|northeast|northwest|southeast|southwest)"
_AWS_REGION_TAIL: Final = re.compile(rf"^(?:{_DIRECTIONS}-)?[0-9]{{1,2}}$")
_GCP_REGION_TAIL: Final = re.compile(rf"^{_DIRECTIONS}[0-9]+(?:-|$)")


def _assembled_host(host: str) -> Place | None:
    """Unproven when ``host`` is the end of an endpoint whose region is put together at run time
    (see :data:`_AWS_REGION_TAIL`), else None."""
    first = host.split(".", 1)[0]
    if _aws_host_region(host) is not None or _GCP_REGIONAL_HOST.match(first) is not None:
        return None  # a whole region is in it (an ECR registry starts with its account's id)
    aws = host.endswith(_AWS_HOST_SUFFIXES) and _AWS_REGION_TAIL.match(first) is not None
    gcp = host.endswith(_GCP_REGIONAL_SUFFIXES) and _GCP_REGION_TAIL.match(first) is not None
    if not (aws or gcp):
        return None
    return Place(
        unproven=(
            f"{host!r} is the end of an endpoint whose region is assembled from pieces at run "
            "time, so where it sends data cannot be proven; write the endpoint whole"
        )
    )


# An Azure Storage connection string names its account, and may name no endpoint at all
# (``DefaultEndpointsProtocol=https;AccountName=<name>;AccountKey=...``,
# https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string).
_ACCOUNT_NAME: Final = re.compile(
    r"(?:^|[;\s\"'])AccountName=(?P<name>[a-z0-9]{3,24})(?=$|[;\s\"'])"
)
_CONNECTION_STRING_KEYS: Final = (
    "AccountKey=",
    "DefaultEndpointsProtocol=",
    "SharedAccessSignature=",
)


def _storage_accounts_named(text: str) -> list[str]:
    """The storage accounts an Azure Storage connection string in ``text`` names."""
    if "AccountName=" not in text or not any(k in text for k in _CONNECTION_STRING_KEYS):
        return []
    return list(dict.fromkeys(m.group("name") for m in _ACCOUNT_NAME.finditer(text)))


def _ip_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _ip_place(value: str) -> Place | None:
    """A destination given as an IP address (a VPN peer, a customer gateway): a private address is
    inside the network the resource is part of; a public one is a place outside the stack that
    nothing proves."""
    address = _ip_address(value)
    if address is None or any(address in network for network in _INTERNAL_NETWORKS):
        return None
    return Place(
        unproven=(
            f"{value!r} is a public address outside this stack (a VPN peer, an on-premises "
            "gateway); where it keeps data cannot be proven"
        )
    )


def _global_processing(resource_type: str, leaf: Leaf, value: str) -> Place | list[Place] | None:
    """Where a model invocation is processed when the service routes it across regions: a Bedrock
    cross-region inference profile by its geography, an Azure OpenAI global deployment type."""
    profile = _BEDROCK_PROFILE.match(value)
    if profile is not None:
        geography = profile.group("geo")
        if geography == "eu":
            via = "one of the regions an EU cross-region inference profile routes to"
            return [Place("aws", region, via) for region in _BEDROCK_EU_REGIONS]
        return Place(
            unproven=(
                f"the cross-region inference profile {value!r} routes requests to regions of "
                f"the {geography!r} geography, outside Europe; use an 'eu.' profile or a model "
                "id of the resource's own region"
            )
        )
    if _GLOBAL_AI_SKUS.get(resource_type) == leaf.path and value.lower().startswith("global"):
        return Place(
            unproven=(
                f"the deployment type {value!r} processes prompts in any Azure region worldwide; "
                "use a Standard (regional) or DataZone deployment type"
            )
        )
    return None


def _region_literal(resource_type: str, leaf: Leaf, value: str) -> Place | None:
    """A value that is exactly a region or zone name of some cloud (``East US``, ``us-east-1``,
    ``us-central1-b``) names a place whatever its field is called: an image gallery's
    ``targetRegions[].name``, a replication setting's value. Tags and descriptions aside, and an
    AWS zone field, which aws-resource-region-allowed judges at every depth."""
    if _is_prose(leaf):
        return None
    if resource_type.startswith(_AWS_VOCABULARY) and _key_words(leaf.key)[-1] in _ZONE_WORDS:
        return None
    found = regions.region_literal(value)
    if found is None:
        return None
    cloud, region = found
    return Place(cloud, region, "a region name", incidental=True)


@dataclass(frozen=True)
class ResolvedFlow:
    """One outbound reference as the rule resolved it: where it goes, how that was proven, and
    the violation message when it is not allowed (the evidence report draws these)."""

    urn: str
    path: str
    value: Any
    place: Place
    how: str
    """``as written``, ``exactly the output <urn>#<output>``, ``computed as <value>``, or the
    declaration that placed it (``declared external resource <id>, vouched for by ...``)."""
    problem: str | None
    message: str | None

    @property
    def destination(self) -> str | None:
        """The URN of the stack resource the flow goes to, when it goes to one."""
        return self.place.via if self.place.via.startswith("urn:") else None


_CONTAINER_LISTS: Final = ("containers", "initContainers", "ephemeralContainers")
_VARIABLE_REFERENCE: Final = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def _expand(text: str, variables: Mapping[str, str]) -> str:
    """Kubernetes' dependent variable expansion: ``$(NAME)`` becomes the value of a variable
    defined before it, ``$$`` a literal ``$``, an undefined reference stays as written.
    https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return variables.get(match.group(1), match.group(0))

    return _VARIABLE_REFERENCE.sub(replace, text)


def _expand_container(container: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, str] = {}
    expanded = dict(container)
    env = container.get("env")
    if isinstance(env, list):
        entries: list[Any] = []
        for entry in env:
            if isinstance(entry, dict) and isinstance(entry.get("value"), str):
                value = _expand(entry["value"], variables)
                entry = {**entry, "value": value}  # noqa: PLW2901 - the expanded copy
                if isinstance(entry.get("name"), str):
                    variables[entry["name"]] = value
            entries.append(entry)
        expanded["env"] = entries
    for key in ("command", "args"):
        items = container.get(key)
        if isinstance(items, list):
            expanded[key] = [_expand(i, variables) if isinstance(i, str) else i for i in items]
    return expanded


def expand_container_variables(value: Any) -> Any:
    """A Kubernetes object's inputs with each container's ``$(VAR)`` references in ``env``,
    ``command`` and ``args`` expanded as the kubelet expands them, so a URL assembled from
    variables is judged whole (``https://sqs.$(REGION).amazonaws.com/...``)."""
    if isinstance(value, list):
        return [expand_container_variables(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in _CONTAINER_LISTS and isinstance(item, list):
            out[key] = [
                _expand_container(expand_container_variables(c)) if isinstance(c, dict) else c
                for c in item
            ]
        else:
            out[key] = expand_container_variables(item)
    return out


_ARM_DEPLOYMENT: Final = "azure-native:resources:Deployment"
_ARM_REFERENCE: Final = re.compile(r"""\b(parameters|variables)\(\s*'([^']*)'\s*\)""", re.I)


def _arm_constants(template: Mapping[str, Any], given: Any) -> dict[tuple[str, str], str]:
    """The template's parameters and variables whose value is a plain string: a parameter's
    value given to the deployment (``properties.parameters.<name>.value``), else its
    ``defaultValue``; a variable's value. Expressions are left out (they stay unproven)."""
    found: dict[tuple[str, str], str] = {}
    declared = template.get("parameters")
    for name, spec in (declared if isinstance(declared, dict) else {}).items():
        supplied = given.get(name) if isinstance(given, dict) else None
        value = supplied.get("value") if isinstance(supplied, dict) else None
        if value is None and isinstance(spec, dict):
            value = spec.get("defaultValue")
        if isinstance(value, str) and not value.startswith("["):
            found[("parameters", name.lower())] = value
    variables = template.get("variables")
    for name, value in (variables if isinstance(variables, dict) else {}).items():
        if isinstance(value, str) and not value.startswith("["):
            found[("variables", name.lower())] = value
    return found


def _substitute(value: Any, constants: Mapping[tuple[str, str], str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, constants) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, constants) for v in value]
    if not isinstance(value, str) or not _ARM_EXPRESSION.match(value):
        return value

    def literal(match: re.Match[str]) -> str:
        known = constants.get((match.group(1).lower(), match.group(2).lower()))
        return match.group(0) if known is None else "'" + known.replace("'", "''") + "'"

    return _ARM_REFERENCE.sub(literal, value)


def substitute_arm_parameters(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """An ARM deployment's inputs with ``parameters('x')`` and ``variables('x')`` in its
    template's expressions replaced by their plain string values (the value the deployment
    passes, else the template's default), so ``"[parameters('location')]"`` is judged as the
    location it deploys to. https://learn.microsoft.com/azure/azure-resource-manager/templates/
    template-functions-deployment#parameters"""
    properties = props.get("properties")
    if not isinstance(properties, dict):
        return props
    template = properties.get("template")
    if not isinstance(template, dict):
        return props
    constants = _arm_constants(template, properties.get("parameters"))
    if not constants:
        return props
    resolved = {**template, "resources": _substitute(template.get("resources"), constants)}
    if "outputs" in template:
        resolved["outputs"] = _substitute(template["outputs"], constants)
    return {**props, "properties": {**properties, "template": resolved}}


def resolve_flows(stack: Sequence[StackResource], config: Mapping[str, Any]) -> list[ResolvedFlow]:
    """Every outbound reference of every resource, resolved, allowed or not."""
    index = StackIndex(stack)
    computed = Computed(config)
    for name, urn in computed.bucket_names.items():
        bucket = index.by_urn.get(str(urn))
        if bucket is not None and bucket.type in _BUCKET_TYPES:
            index.buckets.setdefault(str(name), bucket)
    proofs = config.get(PROVEN_OUTPUTS)
    resolver = Resolver(
        index,
        proofs if isinstance(proofs, Mapping) else None,
        stand_ins=computed.stand_ins,
        unchecked=computed.incomplete,
    )
    allowed = Allowed(
        allowed_aws_regions(config), allowed_azure_locations(config), allowed_gcp_locations(config)
    )
    skipped = set(TABLE.get("skippedTypes", ()))
    flows: list[ResolvedFlow] = []
    for resource in stack:
        provider = resource.type.startswith(_PROVIDER_PREFIX)
        if (resource.type.startswith("pulumi:") and not provider) or resource.type in skipped:
            continue
        props, replaced = computed.props(resource.urn, resource.props)
        if resource.type.startswith("kubernetes:"):
            props = expand_container_variables(props)
        if resource.type.startswith(_ARM_DEPLOYMENT):
            props = substitute_arm_parameters(props)
        if provider:
            props = {k: v for k, v in props.items() if k not in _PROVIDER_CREDENTIALS}
        for leaf in walk(resource.type, props):
            found = _classify(resource, leaf, resolver)
            places = found if isinstance(found, list) else [] if found is None else [found]
            if not places:
                continue
            how = _how(resource, leaf, resolver, replaced)
            judged = [(place, allowed.problem(place)) for place in places]
            judged = [(p, problem) for p, problem in judged if problem or not p.incidental]
            # One value that may go to several places (a multi-region profile, a resource placed
            # through several dependencies) is one violation naming every place not allowed.
            problems = list(dict.fromkeys(problem for _, problem in judged if problem))
            reported = False
            for place, problem in judged:
                message = None
                if problem is not None and not reported:
                    reported = True
                    message = _message(
                        resource,
                        leaf,
                        "; ".join(problems),
                        allowed,
                        place.cloud,
                        computed=replaced,
                        unproven=any(p.unproven for p, q in judged if q),
                    )
                shown = place.via if place.via.startswith(_DECLARED) else how
                flows.append(
                    ResolvedFlow(
                        resource.urn, leaf.path, leaf.value, place, shown, problem, message
                    )
                )
    return flows


def _how(resource: StackResource, leaf: Leaf, resolver: Resolver, computed: Collection[str]) -> str:
    if any(leaf.path == p or leaf.path.startswith((f"{p}.", f"{p}[")) for p in computed):
        return f"computed as {leaf.value!r}"
    if is_unknown(leaf.value):
        source = (resolver.proofs or {}).get(resource.urn, {}).get(leaf.path)
        return f"exactly the output {source}" if source else "not proven"
    return "as written"


def check_data_flows(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(urn, message) for every outbound reference that is outside the allow-list or unproven,
    and for every resource with resource hooks (the offline check's ``resourceHooks``)."""
    found = [(f.urn, f.message) for f in resolve_flows(stack, config) if f.message is not None]
    return found + hooked_resources(stack, config)


def hooked_resources(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """A resource hook is the program's own code, run by the engine at deployment with the
    deployment's credentials (``ResourceOptions(hooks=...)``): it can copy the resource's data
    anywhere, and no analyzer request carries it. Only the offline check sees the bindings."""
    hooks = config.get(RESOURCE_HOOKS)
    if not isinstance(hooks, Mapping):
        return []
    in_stack = {r.urn for r in stack}
    return [
        (
            urn,
            f"{urn}: runs resource hooks at deployment ({', '.join(map(str, bound))}), code that "
            "can send its data anywhere and that no policy can judge; move the work into "
            "resources the packs judge, or exempt the resource after review "
            "(policy_packs/config/exemptions.yaml).",
        )
        for urn, bound in sorted(hooks.items())
        if urn in in_stack and isinstance(bound, list) and bound
    ]


def _message(
    resource: StackResource,
    leaf: Leaf,
    problem: str,
    allowed: Allowed,
    cloud: str | None,
    *,
    computed: Collection[str] = (),
    unproven: bool = False,
) -> str:
    """The violation; the allow-list shown is the destination's cloud's, else the resource's."""
    shown = "a value not known until apply" if is_unknown(leaf.value) else repr(leaf.value)
    if any(leaf.path == p or leaf.path.startswith((f"{p}.", f"{p}[")) for p in computed):
        shown = f"a value not known until apply, computed as {leaf.value!r}"
    if cloud is None:
        cloud = (
            "gcp"
            if resource.type.startswith(_GCP_VOCABULARY)
            else "azure"
            if resource.type.startswith(_AZURE_VOCABULARY)
            else "aws"
        )
    if cloud == "gcp":
        hint = f"allowed GCP locations: {', '.join(sorted(allowed.gcp_locations)) or 'none'}"
    elif cloud == "azure":
        hint = f"allowed locations: {', '.join(sorted(allowed.locations))}"
    else:
        hint = f"allowed regions: {', '.join(sorted(allowed.regions))}"
    return (
        f"{resource.urn}: {leaf.path} = {shown} sends data to a place that is not allowed or not "
        f"proven: {problem}. Point it at a resource of this stack in an allowed placement "
        f"({hint}), {_DECLARE_HINT if unproven else ''}or remove the flow."
    )


_DECLARED: Final = "declared external resource"
_DECLARE_HINT: Final = (
    "declare a resource outside the stack with its region in "
    "policy_packs/config/external-resources.yaml (reviewed), "
)


def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    report_all_at(report, check_data_flows(stack_resources(args), args.get_config()))


DATA_FLOW = "data-flow-destination-allowed"

PROVEN_OUTPUTS: Final = "provenOutputs"
PROVEN_OUTPUTS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": (
        "Which inputs that are unknown at preview are exactly an output of a resource of this "
        "stack: {urn: {property path: '<urn>#<output>'}}. Written by `python -m clover check`, "
        "which sees the program's values; a value not listed is not proven and blocks."
    ),
    "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
}

RESOURCE_HOOKS: Final = "resourceHooks"
RESOURCE_HOOKS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": (
        "The resource hooks bound to each resource: {urn: ['<phase>:<hook name>']}. Written by "
        "`python -m clover check`, which sees the registrations; a resource listed blocks."
    ),
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

POLICIES: Final = [
    stack_rule(
        DATA_FLOW,
        description=(
            "Every outbound reference of every resource (ARN, Azure id, GCP resource name, URL, "
            "region, location or zone field) must resolve to an allowed place; one not known "
            "until apply only by the resource whose output it exactly is, or by what it computes "
            "to (provenOutputs, computedValues from `python -m clover check`), never by a "
            "dependency."
        ),
        validate=_validate,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Point each destination (log delivery bucket, subscription, event target, endpoint, "
            "diagnostic workspace, failover partner...) at a resource managed in this stack whose "
            "region or location is allowed. External endpoints and resources of other stacks "
            "cannot be proven and block. The message names the property path that designates "
            "the destination."
        ),
        config_schema=PolicyConfigSchema(
            properties={
                "allowedRegions": ALLOWED_REGIONS_SCHEMA,
                "allowedLocations": ALLOWED_LOCATIONS_SCHEMA,
                "allowedGcpLocations": placement_gcp.ALLOWED_GCP_LOCATIONS_SCHEMA,
                PROVEN_OUTPUTS: PROVEN_OUTPUTS_SCHEMA,
                COMPUTED_VALUES: COMPUTED_VALUES_SCHEMA,
                RESOURCE_HOOKS: RESOURCE_HOOKS_SCHEMA,
            }
        ),
    ),
]
