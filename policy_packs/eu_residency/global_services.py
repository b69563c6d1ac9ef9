"""The reviewed global services: which types without a region hold only metadata, which hold copies.

pulumi-aws v7 gives almost every type a ``region`` argument; the types without one belong to
global services (https://www.pulumi.com/registry/packages/aws/how-to-guides/enhanced-region-support/).
Each of them is reviewed here, once, for one question: does it keep or serve a copy of user data?

* :data:`METADATA_ONLY_AWS` / :data:`METADATA_ONLY_AZURE`: no. Identities, names, routing, billing
  and settings. The placement rules let them be global.
* :data:`EDGE_KINDS`: yes. Content caches, edge code and its data, request logs collected at edge
  locations worldwide. ``edge_services.py`` blocks them unless the stack lists the kind in
  ``allowEdgeServices``.

``tests/policy_packs/test_eu_residency_edge.py`` keeps this true against the installed SDKs: every
token exists, and every type of pulumi-aws without a ``region`` argument is in exactly one of the
two tables, so a service added by a provider release fails the test until someone reviews it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

# -- why a type holds metadata only (one reason per entry below) -------------------------------

IDENTITY: Final = "identities, credentials and permission documents; no user data"
ORGANIZATION: Final = "account structure, delegation and service access; no user data"
BILLING: Final = "costs, budgets and billing exports about the account; no user data"
DNS: Final = "DNS names and records (public by nature) and their signing; no user data"
DOMAINS: Final = "domain registration; registrant contacts are the operator's, not user data"
RECOVERY: Final = "DNS failover switches and readiness checks of configuration; no user data"
CDN_CONFIG: Final = (
    "CloudFront configuration (policies, keys, origins' access); serves nothing by itself, the "
    "distribution that uses it is an edge service"
)
SHIELD: Final = "DDoS protection settings and grants to the response team; stores no data"
WAF_CONDITIONS: Final = (
    "WAF Classic match conditions and rules (patterns, IP sets); the web ACL that samples and "
    "logs requests is an edge service"
)
NETWORK: Final = "routing between the account's own regional attachments; stores no content"
NOTIFICATIONS: Final = "notification routing about the account's resources; no user data"
SETTING: Final = "an account-wide setting or form; stores no user data"
SETTING_DESTINATION: Final = (
    "an account-wide setting; the bucket it names for call records is placed where it is declared"
)
CONTACTS: Final = "the operator's own contact details for AWS; no user data"
HEALTH_CHECK: Final = "probes an endpoint from AWS checkers and keeps only its health status"

METADATA_ONLY_AWS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aws:account/alternativeContact:AlternativeContact": CONTACTS,
        "aws:account/primaryContact:PrimaryContact": CONTACTS,
        "aws:account/region:Region": ORGANIZATION,
        "aws:backup/globalSettings:GlobalSettings": SETTING,
        "aws:bcmdata/export:Export": BILLING,
        "aws:bedrock/useCaseForModelAccess:UseCaseForModelAccess": SETTING,
        "aws:billing/view:View": BILLING,
        "aws:budgets/budget:Budget": BILLING,
        "aws:budgets/budgetAction:BudgetAction": BILLING,
        "aws:chime/sdkvoiceGlobalSettings:SdkvoiceGlobalSettings": SETTING_DESTINATION,
        "aws:cloudfront/anycastIpList:AnycastIpList": CDN_CONFIG,
        "aws:cloudfront/cachePolicy:CachePolicy": CDN_CONFIG,
        "aws:cloudfront/connectionGroup:ConnectionGroup": CDN_CONFIG,
        "aws:cloudfront/continuousDeploymentPolicy:ContinuousDeploymentPolicy": CDN_CONFIG,
        "aws:cloudfront/fieldLevelEncryptionConfig:FieldLevelEncryptionConfig": CDN_CONFIG,
        "aws:cloudfront/fieldLevelEncryptionProfile:FieldLevelEncryptionProfile": CDN_CONFIG,
        "aws:cloudfront/keyGroup:KeyGroup": CDN_CONFIG,
        "aws:cloudfront/monitoringSubscription:MonitoringSubscription": CDN_CONFIG,
        "aws:cloudfront/originAccessControl:OriginAccessControl": CDN_CONFIG,
        "aws:cloudfront/originAccessIdentity:OriginAccessIdentity": CDN_CONFIG,
        "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": CDN_CONFIG,
        "aws:cloudfront/publicKey:PublicKey": CDN_CONFIG,
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": CDN_CONFIG,
        "aws:cloudfront/trustStore:TrustStore": CDN_CONFIG,
        "aws:cloudfront/vpcOrigin:VpcOrigin": CDN_CONFIG,
        "aws:cloudtrail/organizationDelegatedAdminAccount:OrganizationDelegatedAdminAccount": ORGANIZATION,  # noqa: E501 - a type token stays whole, so it can be searched for
        "aws:costexplorer/anomalyMonitor:AnomalyMonitor": BILLING,
        "aws:costexplorer/anomalySubscription:AnomalySubscription": BILLING,
        "aws:costexplorer/costAllocationTag:CostAllocationTag": BILLING,
        "aws:costexplorer/costCategory:CostCategory": BILLING,
        "aws:costoptimizationhub/enrollmentStatus:EnrollmentStatus": BILLING,
        "aws:costoptimizationhub/preferences:Preferences": BILLING,
        "aws:cur/reportDefinition:ReportDefinition": BILLING,
        "aws:directconnect/gateway:Gateway": NETWORK,
        "aws:directconnect/hostedConnection:HostedConnection": NETWORK,
        "aws:ec2/vpcIpamOrganizationAdminAccount:VpcIpamOrganizationAdminAccount": ORGANIZATION,
        "aws:fms/adminAccount:AdminAccount": ORGANIZATION,
        "aws:iam/accessKey:AccessKey": IDENTITY,
        "aws:iam/accountAlias:AccountAlias": IDENTITY,
        "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": IDENTITY,
        "aws:iam/group:Group": IDENTITY,
        "aws:iam/groupMembership:GroupMembership": IDENTITY,
        "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive": IDENTITY,
        "aws:iam/groupPolicy:GroupPolicy": IDENTITY,
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": IDENTITY,
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": IDENTITY,
        "aws:iam/instanceProfile:InstanceProfile": IDENTITY,
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": IDENTITY,
        "aws:iam/organizationsFeatures:OrganizationsFeatures": IDENTITY,
        "aws:iam/outboundWebIdentityFederation:OutboundWebIdentityFederation": IDENTITY,
        "aws:iam/policy:Policy": IDENTITY,
        "aws:iam/policyAttachment:PolicyAttachment": IDENTITY,
        "aws:iam/role:Role": IDENTITY,
        "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive": IDENTITY,
        "aws:iam/rolePolicy:RolePolicy": IDENTITY,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": IDENTITY,
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": IDENTITY,
        "aws:iam/samlProvider:SamlProvider": IDENTITY,
        "aws:iam/securityTokenServicePreferences:SecurityTokenServicePreferences": IDENTITY,
        "aws:iam/serverCertificate:ServerCertificate": IDENTITY,
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": IDENTITY,
        "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": IDENTITY,
        "aws:iam/signingCertificate:SigningCertificate": IDENTITY,
        "aws:iam/sshKey:SshKey": IDENTITY,
        "aws:iam/user:User": IDENTITY,
        "aws:iam/userGroupMembership:UserGroupMembership": IDENTITY,
        "aws:iam/userLoginProfile:UserLoginProfile": IDENTITY,
        "aws:iam/userPoliciesExclusive:UserPoliciesExclusive": IDENTITY,
        "aws:iam/userPolicy:UserPolicy": IDENTITY,
        "aws:iam/userPolicyAttachment:UserPolicyAttachment": IDENTITY,
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": IDENTITY,
        "aws:iam/virtualMfaDevice:VirtualMfaDevice": IDENTITY,
        "aws:networkmanager/attachmentAccepter:AttachmentAccepter": NETWORK,
        "aws:networkmanager/attachmentRoutingPolicyLabel:AttachmentRoutingPolicyLabel": NETWORK,
        "aws:networkmanager/connectAttachment:ConnectAttachment": NETWORK,
        "aws:networkmanager/connectPeer:ConnectPeer": NETWORK,
        "aws:networkmanager/connection:Connection": NETWORK,
        "aws:networkmanager/coreNetwork:CoreNetwork": NETWORK,
        "aws:networkmanager/coreNetworkPolicyAttachment:CoreNetworkPolicyAttachment": NETWORK,
        "aws:networkmanager/customerGatewayAssociation:CustomerGatewayAssociation": NETWORK,
        "aws:networkmanager/device:Device": NETWORK,
        "aws:networkmanager/dxGatewayAttachment:DxGatewayAttachment": NETWORK,
        "aws:networkmanager/globalNetwork:GlobalNetwork": NETWORK,
        "aws:networkmanager/link:Link": NETWORK,
        "aws:networkmanager/linkAssociation:LinkAssociation": NETWORK,
        "aws:networkmanager/prefixListAssociation:PrefixListAssociation": NETWORK,
        "aws:networkmanager/site:Site": NETWORK,
        "aws:networkmanager/siteToSiteVpnAttachment:SiteToSiteVpnAttachment": NETWORK,
        "aws:networkmanager/transitGatewayConnectPeerAssociation:TransitGatewayConnectPeerAssociation": NETWORK,  # noqa: E501 - a type token stays whole, so it can be searched for
        "aws:networkmanager/transitGatewayPeering:TransitGatewayPeering": NETWORK,
        "aws:networkmanager/transitGatewayRegistration:TransitGatewayRegistration": NETWORK,
        "aws:networkmanager/transitGatewayRouteTableAttachment:TransitGatewayRouteTableAttachment": NETWORK,  # noqa: E501 - a type token stays whole, so it can be searched for
        "aws:networkmanager/vpcAttachment:VpcAttachment": NETWORK,
        "aws:notifications/channelAssociation:ChannelAssociation": NOTIFICATIONS,
        "aws:notifications/contactsEmailContact:ContactsEmailContact": CONTACTS,
        "aws:notifications/eventRule:EventRule": NOTIFICATIONS,
        "aws:notifications/managedNotificationAccountContactAssociation:ManagedNotificationAccountContactAssociation": NOTIFICATIONS,  # noqa: E501 - a type token stays whole, so it can be searched for
        "aws:notifications/managedNotificationAdditionalChannelAssociation:ManagedNotificationAdditionalChannelAssociation": NOTIFICATIONS,  # noqa: E501 - a type token stays whole, so it can be searched for
        "aws:notifications/notificationConfiguration:NotificationConfiguration": NOTIFICATIONS,
        "aws:notifications/notificationHub:NotificationHub": NOTIFICATIONS,
        "aws:notifications/organizationalUnitAssociation:OrganizationalUnitAssociation": NOTIFICATIONS,  # noqa: E501 - a type token stays whole, so it can be searched for
        "aws:notifications/organizationsAccess:OrganizationsAccess": NOTIFICATIONS,
        "aws:organizations/account:Account": ORGANIZATION,
        "aws:organizations/awsServiceAccess:AwsServiceAccess": ORGANIZATION,
        "aws:organizations/delegatedAdministrator:DelegatedAdministrator": ORGANIZATION,
        "aws:organizations/organization:Organization": ORGANIZATION,
        "aws:organizations/organizationalUnit:OrganizationalUnit": ORGANIZATION,
        "aws:organizations/policy:Policy": ORGANIZATION,
        "aws:organizations/policyAttachment:PolicyAttachment": ORGANIZATION,
        "aws:organizations/resourcePolicy:ResourcePolicy": ORGANIZATION,
        "aws:organizations/tag:Tag": ORGANIZATION,
        "aws:pricingplanmanager/subscription:Subscription": BILLING,
        "aws:ram/sharingWithOrganization:SharingWithOrganization": ORGANIZATION,
        "aws:rolesanywhere/profile:Profile": IDENTITY,
        "aws:rolesanywhere/trustAnchor:TrustAnchor": IDENTITY,
        "aws:route53/cidrCollection:CidrCollection": DNS,
        "aws:route53/cidrLocation:CidrLocation": DNS,
        "aws:route53/delegationSet:DelegationSet": DNS,
        "aws:route53/healthCheck:HealthCheck": HEALTH_CHECK,
        "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec": DNS,
        "aws:route53/keySigningKey:KeySigningKey": DNS,
        "aws:route53/record:Record": DNS,
        "aws:route53/recordsExclusive:RecordsExclusive": DNS,
        "aws:route53/trafficPolicy:TrafficPolicy": DNS,
        "aws:route53/trafficPolicyInstance:TrafficPolicyInstance": DNS,
        "aws:route53/vpcAssociationAuthorization:VpcAssociationAuthorization": DNS,
        "aws:route53/zone:Zone": DNS,
        "aws:route53/zoneAssociation:ZoneAssociation": DNS,
        "aws:route53domains/delegationSignerRecord:DelegationSignerRecord": DOMAINS,
        "aws:route53domains/domain:Domain": DOMAINS,
        "aws:route53domains/registeredDomain:RegisteredDomain": DOMAINS,
        "aws:route53recoverycontrol/cluster:Cluster": RECOVERY,
        "aws:route53recoverycontrol/controlPanel:ControlPanel": RECOVERY,
        "aws:route53recoverycontrol/routingControl:RoutingControl": RECOVERY,
        "aws:route53recoverycontrol/safetyRule:SafetyRule": RECOVERY,
        "aws:route53recoveryreadiness/cell:Cell": RECOVERY,
        "aws:route53recoveryreadiness/readinessCheck:ReadinessCheck": RECOVERY,
        "aws:route53recoveryreadiness/recoveryGroup:RecoveryGroup": RECOVERY,
        "aws:route53recoveryreadiness/resourceSet:ResourceSet": RECOVERY,
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": SETTING,
        "aws:savingsplans/savingsPlan:SavingsPlan": BILLING,
        "aws:servicecatalog/organizationsAccess:OrganizationsAccess": ORGANIZATION,
        "aws:shield/applicationLayerAutomaticResponse:ApplicationLayerAutomaticResponse": SHIELD,
        "aws:shield/drtAccessLogBucketAssociation:DrtAccessLogBucketAssociation": SHIELD,
        "aws:shield/drtAccessRoleArnAssociation:DrtAccessRoleArnAssociation": SHIELD,
        "aws:shield/proactiveEngagement:ProactiveEngagement": SHIELD,
        "aws:shield/protection:Protection": SHIELD,
        "aws:shield/protectionGroup:ProtectionGroup": SHIELD,
        "aws:shield/protectionHealthCheckAssociation:ProtectionHealthCheckAssociation": SHIELD,
        "aws:shield/subscription:Subscription": SHIELD,
        "aws:uxc/accountCustomizations:AccountCustomizations": SETTING,
        "aws:waf/byteMatchSet:ByteMatchSet": WAF_CONDITIONS,
        "aws:waf/geoMatchSet:GeoMatchSet": WAF_CONDITIONS,
        "aws:waf/ipSet:IpSet": WAF_CONDITIONS,
        "aws:waf/rateBasedRule:RateBasedRule": WAF_CONDITIONS,
        "aws:waf/regexMatchSet:RegexMatchSet": WAF_CONDITIONS,
        "aws:waf/regexPatternSet:RegexPatternSet": WAF_CONDITIONS,
        "aws:waf/rule:Rule": WAF_CONDITIONS,
        "aws:waf/ruleGroup:RuleGroup": WAF_CONDITIONS,
        "aws:waf/sizeConstraintSet:SizeConstraintSet": WAF_CONDITIONS,
        "aws:waf/sqlInjectionMatchSet:SqlInjectionMatchSet": WAF_CONDITIONS,
        "aws:waf/xssMatchSet:XssMatchSet": WAF_CONDITIONS,
    }
)
"""pulumi-aws types without a ``region`` argument that hold metadata only, with the reason."""

METADATA_ONLY_AZURE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "azure-native:dns:Zone": DNS,
        "azure-native:privatedns:PrivateZone": DNS,
        "azure-native:privatedns:VirtualNetworkLink": "links a private zone to a network; no data",
        "azure-native:trafficmanager:Profile": (
            "DNS-based routing: answers with endpoint names, no request passes through it"
        ),
        "azure-native:monitor:PrivateLinkScope": (
            "which Azure Monitor resources are reached privately (Azure requires global); no data"
        ),
    }
)
"""azure-native types whose location may be ``global``: they hold metadata only."""


@dataclass(frozen=True, kw_only=True)
class EdgeKind:
    """A kind of edge or global service that keeps or serves copies of data outside any region."""

    name: str
    """The value a stack lists in ``allowEdgeServices`` to opt in."""
    cloud: str
    """``aws``, ``azure`` or ``gcp``."""
    label: str
    """What the service is, as a message names it."""
    why: str
    """Where it keeps or serves copies: the reason it is blocked by default."""
    types: tuple[str, ...] = ()
    """Types that are this kind by themselves (other kinds are recognised by a property)."""
    prefixes: tuple[str, ...] = ()
    """Type-token prefixes: every type of the provider module is this kind, present or future."""


EDGE_KINDS: Final = (
    EdgeKind(
        name="cloudfront",
        cloud="aws",
        label="a CloudFront distribution",
        why="it caches its origins' responses at edge locations worldwide, outside any region",
        types=(
            "aws:cloudfront/distribution:Distribution",
            "aws:cloudfront/multitenantDistribution:MultitenantDistribution",
            "aws:cloudfront/distributionTenant:DistributionTenant",
            # Lightsail distributions are CloudFront distributions managed by Lightsail
            # (https://docs.aws.amazon.com/lightsail/latest/userguide/amazon-lightsail-content-delivery-network-distributions.html).
            "aws:lightsail/distribution:Distribution",
        ),
    ),
    EdgeKind(
        name="cloudfront-functions",
        cloud="aws",
        label="CloudFront Functions code or KeyValueStore data",
        why="function code and key-value data are replicated to every edge location",
        types=(
            "aws:cloudfront/function:Function",
            "aws:cloudfront/connectionFunction:ConnectionFunction",
            "aws:cloudfront/keyValueStore:KeyValueStore",
            "aws:cloudfront/keyvaluestoreKey:KeyvaluestoreKey",
            "aws:cloudfront/keyvaluestoreKeysExclusive:KeyvaluestoreKeysExclusive",
        ),
    ),
    EdgeKind(
        name="lambda-at-edge",
        cloud="aws",
        label="a Lambda@Edge association",
        why=(
            "the function version is replicated to regional edge caches worldwide and runs there "
            "on viewer and origin requests and responses"
        ),
    ),
    EdgeKind(
        name="cloudfront-realtime-logs",
        cloud="aws",
        label="CloudFront real-time logs",
        why="request logs (viewer IP, URL, headers) are collected at edge locations worldwide",
        types=("aws:cloudfront/realtimeLogConfig:RealtimeLogConfig",),
    ),
    EdgeKind(
        name="global-accelerator",
        cloud="aws",
        label="Global Accelerator",
        why="connections are terminated and proxied at AWS edge locations worldwide",
        types=(
            "aws:globalaccelerator/accelerator:Accelerator",
            "aws:globalaccelerator/crossAccountAttachment:CrossAccountAttachment",
            "aws:globalaccelerator/customRoutingAccelerator:CustomRoutingAccelerator",
            "aws:globalaccelerator/customRoutingEndpointGroup:CustomRoutingEndpointGroup",
            "aws:globalaccelerator/customRoutingListener:CustomRoutingListener",
            "aws:globalaccelerator/endpointGroup:EndpointGroup",
            "aws:globalaccelerator/listener:Listener",
        ),
    ),
    EdgeKind(
        name="s3-transfer-acceleration",
        cloud="aws",
        label="S3 Transfer Acceleration",
        why="uploads and downloads are routed through CloudFront edge locations worldwide",
    ),
    EdgeKind(
        name="apigateway-edge",
        cloud="aws",
        label="an edge-optimized API Gateway endpoint",
        why=(
            "requests are received and TLS is terminated at CloudFront edge locations worldwide "
            "(EDGE is the default endpoint type)"
        ),
    ),
    EdgeKind(
        name="route53-query-logs",
        cloud="aws",
        label="Route 53 query logging",
        why=(
            "DNS queries (with resolver and client subnet addresses) are logged from edge "
            "locations to a log group that must be in us-east-1"
        ),
        types=("aws:route53/queryLog:QueryLog",),
    ),
    EdgeKind(
        name="waf-global",
        cloud="aws",
        label="a WAF Classic global web ACL",
        why=(
            "it inspects CloudFront requests at edge locations and keeps sampled requests "
            "(client IP, headers, URI) in the global service"
        ),
        types=("aws:waf/webAcl:WebAcl",),
    ),
    EdgeKind(
        name="azure-front-door-cdn",
        cloud="azure",
        label="Azure Front Door Standard/Premium or Azure CDN (Microsoft.Cdn)",
        why="it caches and serves content from Microsoft's edge locations worldwide",
        prefixes=("azure-native:cdn:", "azure-native:cdn/"),
    ),
    EdgeKind(
        name="gcp-global-load-balancing",
        cloud="gcp",
        label="a global Cloud Load Balancing resource (URL map, target proxy, global forwarding "
        "rule, backend service, global network endpoint group)",
        why=(
            "a global load balancer takes connections at Google Front Ends or proxies in every "
            "region, terminating TLS there, outside any one region "
            "(https://cloud.google.com/load-balancing/docs/application-load-balancer)"
        ),
        types=(
            "gcp:compute/uRLMap:URLMap",
            "gcp:compute/targetHttpProxy:TargetHttpProxy",
            "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
            "gcp:compute/targetSSLProxy:TargetSSLProxy",
            "gcp:compute/targetTCPProxy:TargetTCPProxy",
            "gcp:compute/targetGrpcProxy:TargetGrpcProxy",
            "gcp:compute/globalForwardingRule:GlobalForwardingRule",
            "gcp:compute/backendService:BackendService",
            "gcp:compute/globalNetworkEndpointGroup:GlobalNetworkEndpointGroup",
            "gcp:compute/globalNetworkEndpoint:GlobalNetworkEndpoint",
            "gcp:compute/backendServiceSignedUrlKey:BackendServiceSignedUrlKey",
        ),
    ),
    EdgeKind(
        name="cloud-cdn",
        cloud="gcp",
        label="Cloud CDN (a backend bucket, or a backend service with enableCdn)",
        why=(
            "it caches and serves content from Google's edge locations worldwide "
            "(https://cloud.google.com/cdn/docs/overview)"
        ),
        types=(
            "gcp:compute/backendBucket:BackendBucket",
            "gcp:compute/backendBucketSignedUrlKey:BackendBucketSignedUrlKey",
        ),
    ),
    EdgeKind(
        name="azure-front-door-classic",
        cloud="azure",
        label="Azure Front Door (classic, Microsoft.Network)",
        why="it caches and serves content from Microsoft's edge locations worldwide",
        prefixes=("azure-native:frontdoor:", "azure-native:frontdoor/"),
    ),
)
"""Every edge kind, in the order messages and the schema list them."""

KINDS_BY_NAME: Final[Mapping[str, EdgeKind]] = MappingProxyType({k.name: k for k in EDGE_KINDS})

EDGE_TYPE_KIND: Final[Mapping[str, EdgeKind]] = MappingProxyType(
    {token: kind for kind in EDGE_KINDS for token in kind.types}
)
"""Type token -> the kind it is by itself."""


def edge_kind_of_type(resource_type: str) -> EdgeKind | None:
    """The edge kind a type is by itself (by token or provider module), or None."""
    kind = EDGE_TYPE_KIND.get(resource_type)
    if kind is not None:
        return kind
    for candidate in EDGE_KINDS:
        if candidate.prefixes and resource_type.startswith(candidate.prefixes):
            return candidate
    return None


REGIONAL_EDGE_TYPES_AWS: Final = frozenset({"aws:lightsail/distribution:Distribution"})
"""Edge types that do take a ``region`` (Lightsail distributions: us-east-1 only), so the region
rule checks them too."""

GLOBAL_EDGE_TYPES_AWS: Final = tuple(
    token
    for kind in EDGE_KINDS
    if kind.cloud == "aws"
    for token in kind.types
    if token not in REGIONAL_EDGE_TYPES_AWS
)
"""pulumi-aws edge types without a ``region``: the edge rule, not the region rule, owns them."""

GLOBAL_EDGE_TYPES_GCP: Final = tuple(
    token for kind in EDGE_KINDS if kind.cloud == "gcp" for token in kind.types
)
"""pulumi-gcp edge types (none takes a location): the edge rule, not the location rule, owns
them."""
