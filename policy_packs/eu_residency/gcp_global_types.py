"""The reviewed placement-neutral pulumi-gcp types: they take no location, region or zone.

``gcp_placement_types.json`` (generated from the SDK) lists the types that take a placement
argument; the placement rule checks those. A type without one is global in GCP or lives inside a
parent. Each such type that the rule lets pass is reviewed here, once, for one question: does it
keep a copy of user data somewhere of its own? Every entry says why not. A type without a placement
argument that is on neither this list nor the rule's nested readers (``placement_gcp.py``) is not
assessed, and the rule blocks it.

``tests/policy_packs/test_eu_residency_placement_gcp_meta.py`` keeps this true against the
installed SDK: every token exists and takes none of the three arguments, so a type that gains a
``location`` in a provider release leaves this list for the rule's checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

IDENTITY: Final = "identities, credentials, roles and permission documents; no user data"
HIERARCHY: Final = "organisation, folder and project structure and their settings; no user data"
BILLING: Final = "billing accounts, budgets and project billing links; no user data"
DNS: Final = "DNS names, records and resolver policies (public by nature); no user data"
POLICY: Final = "organisation-policy constraints and audit settings; no user data"
API: Final = "enables an API or overrides a quota on the project; stores nothing"
TAGS: Final = "tag keys and values (labels on resources); no user data"
CONTACTS: Final = "the operator's own contacts for Google's notices; no user data"
NETWORK: Final = (
    "a VPC network, its firewall rules, routes or peering: configuration of Google's global SDN; "
    "the subnetworks, instances and addresses in it are regional or zonal and checked"
)
STATIC_ADDRESS: Final = "a reserved global IP address; carries traffic only for what uses it"
HEALTH_CHECK: Final = "probes backends from Google's checkers and keeps only their health status"
CERTIFICATE: Final = "a TLS certificate or policy; configuration, no user data"
MONITORING: Final = "alerting, dashboards and uptime settings about the project; no user data"
LOG_ROUTING: Final = (
    "a Cloud Logging router rule: it keeps no log entry itself and sends entries to its "
    "destination, which the data-flow rule judges (a bucket, dataset or topic of the stack in an "
    "allowed location, or a declared one)"
)
TRANSFER: Final = (
    "a Storage Transfer Service job: it keeps no object itself and copies from its source to its "
    "sink, which the data-flow rule judges (buckets of the stack in an allowed location, or "
    "declared ones)"
)
ACCESS: Final = (
    "Access Context Manager: organisation-level access policies, access levels (conditions on "
    "the origin of a request) and VPC Service Controls perimeters; rules about who may reach data, "
    "no user data"
)


def _in_parent(parent: str) -> str:
    return (
        f"lives inside its {parent}, whose placement this rule checks where it is declared (a "
        "parent outside the stack is the data-flow rule's concern)"
    )


IN_BUCKET: Final = _in_parent("Cloud Storage bucket")
IN_DATASET: Final = _in_parent("BigQuery dataset")
IN_SQL_INSTANCE: Final = _in_parent("Cloud SQL instance")
IN_SPANNER_INSTANCE: Final = _in_parent("Spanner instance")
IN_BIGTABLE_INSTANCE: Final = _in_parent("Bigtable instance")
IN_KEY_RING: Final = _in_parent("KMS key ring")
IN_SECRET: Final = _in_parent("secret (its replication policy)")
IN_TOPIC: Final = _in_parent("topic (its message storage policy)")
IN_FIRESTORE: Final = _in_parent("Firestore database")

_ACCESS_CONTEXT_TYPES: Final = (
    "AccessPolicy",
    "AccessLevel",
    "AccessLevels",
    "AccessLevelCondition",
    "AuthorizedOrgsDesc",
    "EgressPolicy",
    "IngressPolicy",
    "GcpUserAccessBinding",
    "ServicePerimeter",
    "ServicePerimeters",
    "ServicePerimeterResource",
    "ServicePerimeterDryRunResource",
    "ServicePerimeterEgressPolicy",
    "ServicePerimeterIngressPolicy",
    "ServicePerimeterDryRunEgressPolicy",
    "ServicePerimeterDryRunIngressPolicy",
)


def _access_context(name: str) -> str:
    """``gcp:accesscontextmanager/accessLevel:AccessLevel`` for ``AccessLevel``."""
    return f"gcp:accesscontextmanager/{name[0].lower()}{name[1:]}:{name}"


PLACEMENT_NEUTRAL_GCP: Final[Mapping[str, str]] = MappingProxyType(
    {
        # Identity and access
        "gcp:serviceaccount/account:Account": IDENTITY,
        "gcp:serviceaccount/key:Key": IDENTITY,
        "gcp:organizations/iAMCustomRole:IAMCustomRole": IDENTITY,
        "gcp:projects/iAMCustomRole:IAMCustomRole": IDENTITY,
        "gcp:projects/iamMemberRemove:IamMemberRemove": IDENTITY,
        "gcp:projects/defaultServiceAccounts:DefaultServiceAccounts": IDENTITY,
        "gcp:projects/serviceIdentity:ServiceIdentity": IDENTITY,
        "gcp:organizations/serviceIdentity:ServiceIdentity": IDENTITY,
        "gcp:folder/serviceIdentity:ServiceIdentity": IDENTITY,
        "gcp:iam/denyPolicy:DenyPolicy": IDENTITY,
        "gcp:iam/accessBoundaryPolicy:AccessBoundaryPolicy": IDENTITY,
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": IDENTITY,
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": IDENTITY,
        "gcp:projects/apiKey:ApiKey": IDENTITY,
        # Resource hierarchy and policy
        "gcp:organizations/project:Project": HIERARCHY,
        "gcp:organizations/folder:Folder": HIERARCHY,
        "gcp:resourcemanager/lien:Lien": HIERARCHY,
        "gcp:organizations/policy:Policy": POLICY,
        "gcp:orgpolicy/policy:Policy": POLICY,
        "gcp:orgpolicy/customConstraint:CustomConstraint": POLICY,
        "gcp:projects/organizationPolicy:OrganizationPolicy": POLICY,
        "gcp:folder/organizationPolicy:OrganizationPolicy": POLICY,
        "gcp:projects/iAMAuditConfig:IAMAuditConfig": POLICY,
        "gcp:organizations/iamAuditConfig:IamAuditConfig": POLICY,
        "gcp:folder/iamAuditConfig:IamAuditConfig": POLICY,
        "gcp:projects/service:Service": API,
        "gcp:serviceusage/consumerQuotaOverride:ConsumerQuotaOverride": API,
        "gcp:billing/budget:Budget": BILLING,
        "gcp:billing/projectInfo:ProjectInfo": BILLING,
        "gcp:billing/subAccount:SubAccount": BILLING,
        "gcp:tags/tagKey:TagKey": TAGS,
        "gcp:tags/tagValue:TagValue": TAGS,
        "gcp:essentialcontacts/contact:Contact": CONTACTS,
        # Log routing (the destinations are judged by data-flow-destination-allowed)
        "gcp:storage/transferJob:TransferJob": TRANSFER,
        "gcp:logging/projectSink:ProjectSink": LOG_ROUTING,
        "gcp:logging/folderSink:FolderSink": LOG_ROUTING,
        "gcp:logging/organizationSink:OrganizationSink": LOG_ROUTING,
        "gcp:logging/billingAccountSink:BillingAccountSink": LOG_ROUTING,
        "gcp:logging/projectExclusion:ProjectExclusion": LOG_ROUTING,
        "gcp:logging/folderExclusion:FolderExclusion": LOG_ROUTING,
        "gcp:logging/organizationExclusion:OrganizationExclusion": LOG_ROUTING,
        "gcp:logging/billingAccountExclusion:BillingAccountExclusion": LOG_ROUTING,
        "gcp:logging/metric:Metric": (
            "a log-based metric: counts or distributions of matching entries, kept as metrics "
            "of the project; no log entry"
        ),
        # Access Context Manager and VPC Service Controls
        **{_access_context(name): ACCESS for name in _ACCESS_CONTEXT_TYPES},
        # DNS
        "gcp:dns/managedZone:ManagedZone": DNS,
        "gcp:dns/recordSet:RecordSet": DNS,
        "gcp:dns/policy:Policy": DNS,
        "gcp:dns/responsePolicy:ResponsePolicy": DNS,
        "gcp:dns/responsePolicyRule:ResponsePolicyRule": DNS,
        # Global network configuration (global load balancers are not here: their proxies
        # terminate TLS at Google's edge worldwide, so they stay unassessed and blocked)
        "gcp:compute/network:Network": NETWORK,
        "gcp:compute/firewall:Firewall": NETWORK,
        "gcp:compute/route:Route": NETWORK,
        "gcp:compute/networkPeering:NetworkPeering": NETWORK,
        "gcp:compute/firewallPolicy:FirewallPolicy": NETWORK,
        "gcp:compute/firewallPolicyRule:FirewallPolicyRule": NETWORK,
        "gcp:compute/networkFirewallPolicy:NetworkFirewallPolicy": NETWORK,
        "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule": NETWORK,
        "gcp:compute/sharedVPCHostProject:SharedVPCHostProject": NETWORK,
        "gcp:compute/sharedVPCServiceProject:SharedVPCServiceProject": NETWORK,
        "gcp:compute/globalAddress:GlobalAddress": STATIC_ADDRESS,
        "gcp:compute/healthCheck:HealthCheck": HEALTH_CHECK,
        "gcp:compute/httpHealthCheck:HttpHealthCheck": HEALTH_CHECK,
        "gcp:compute/httpsHealthCheck:HttpsHealthCheck": HEALTH_CHECK,
        "gcp:compute/sSLPolicy:SSLPolicy": CERTIFICATE,
        "gcp:monitoring/alertPolicy:AlertPolicy": MONITORING,
        "gcp:monitoring/notificationChannel:NotificationChannel": MONITORING,
        "gcp:monitoring/dashboard:Dashboard": MONITORING,
        "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": MONITORING,
        # Children of placed parents
        "gcp:storage/bucketObject:BucketObject": IN_BUCKET,
        "gcp:storage/bucketACL:BucketACL": IN_BUCKET,
        "gcp:storage/bucketAccessControl:BucketAccessControl": IN_BUCKET,
        "gcp:storage/defaultObjectACL:DefaultObjectACL": IN_BUCKET,
        "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl": IN_BUCKET,
        "gcp:storage/objectACL:ObjectACL": IN_BUCKET,
        "gcp:storage/objectAccessControl:ObjectAccessControl": IN_BUCKET,
        "gcp:storage/managedFolder:ManagedFolder": IN_BUCKET,
        "gcp:storage/folder:Folder": IN_BUCKET,
        "gcp:bigquery/table:Table": IN_DATASET,
        "gcp:bigquery/routine:Routine": IN_DATASET,
        "gcp:bigquery/datasetAccess:DatasetAccess": IN_DATASET,
        "gcp:bigquery/rowAccessPolicy:RowAccessPolicy": IN_DATASET,
        "gcp:sql/database:Database": IN_SQL_INSTANCE,
        "gcp:sql/user:User": IN_SQL_INSTANCE,
        "gcp:sql/sslCert:SslCert": IN_SQL_INSTANCE,
        "gcp:spanner/database:Database": IN_SPANNER_INSTANCE,
        "gcp:bigtable/table:Table": IN_BIGTABLE_INSTANCE,
        "gcp:bigtable/gCPolicy:GCPolicy": IN_BIGTABLE_INSTANCE,
        "gcp:bigtable/appProfile:AppProfile": IN_BIGTABLE_INSTANCE,
        "gcp:bigtable/authorizedView:AuthorizedView": IN_BIGTABLE_INSTANCE,
        "gcp:kms/cryptoKey:CryptoKey": IN_KEY_RING,
        "gcp:kms/cryptoKeyVersion:CryptoKeyVersion": IN_KEY_RING,
        "gcp:secretmanager/secretVersion:SecretVersion": IN_SECRET,
        "gcp:pubsub/subscription:Subscription": IN_TOPIC,
        "gcp:pubsub/schema:Schema": "a message schema definition; configuration, no user data",
        "gcp:firestore/document:Document": IN_FIRESTORE,
        "gcp:firestore/index:Index": IN_FIRESTORE,
        "gcp:firestore/field:Field": IN_FIRESTORE,
    }
)
"""Types without a placement argument that hold no user data of their own, with the reason."""

IAM_SUFFIXES: Final = (
    "IAMMember",
    "IAMBinding",
    "IAMPolicy",
    "IamMember",
    "IamBinding",
    "IamPolicy",
)
"""A type named ``<Resource>IamMember`` (or ``IAMBinding``/``IAMPolicy``) that takes no placement
argument grants access to a resource that is placed where it is declared: permission documents
only. Types with those names that do take a ``location`` (Cloud Run, Artifact Registry...) are
checked like any other placed type."""


def is_iam_type(resource_type: str) -> bool:
    """Whether the type's name marks an IAM member, binding or policy (see IAM_SUFFIXES)."""
    return resource_type.rsplit(":", 1)[-1].endswith(IAM_SUFFIXES)


def neutral_reason(resource_type: str) -> str | None:
    """Why a type without a placement argument may pass, or None if it is not reviewed."""
    reason = PLACEMENT_NEUTRAL_GCP.get(resource_type)
    if reason is not None:
        return reason
    if is_iam_type(resource_type):
        return IDENTITY
    return None
