"""Exposure: nothing that holds or reaches European user data is reachable from the internet.

Clover's networks are private: data stores are reached over private endpoints and VPC endpoints,
and a public entry point is a reviewed exception granted per stack in the policy config (by setting
a rule's enforcement level), never a silent default.

Each validator is a plain function ``(args, report_violation) -> None`` so it can be imported and
timed in-process; the ``POLICIES`` list at the end wraps them for ``PolicyPack``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
)

# The CLI runs the pack with this directory first on sys.path, so sibling modules are imported
# as top-level modules; the type checker sees the repository layout instead.
if TYPE_CHECKING:
    from policy_packs.eu_data_protection.bucket_links import Settings, check_buckets
    from policy_packs.eu_data_protection.props import (
        MISSING,
        UNKNOWN,
        as_bool,
        as_list,
        get,
        iter_dicts,
        lower,
        plain,
        show,
    )
    from policy_packs.eu_data_protection.rulekit import resource_rule, stack_rule
else:
    from bucket_links import Settings, check_buckets
    from props import (
        MISSING,
        UNKNOWN,
        as_bool,
        as_list,
        get,
        iter_dicts,
        lower,
        plain,
        show,
    )
    from rulekit import resource_rule, stack_rule

S3_PUBLIC_ACCESS_BLOCK_TYPE: Final = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_VERSIONING_TYPES: Final = frozenset(
    {
        "aws:s3/bucketVersioning:BucketVersioning",
        # Deprecated in pulumi-aws v7 but still registrable; v7's BucketVersioning aliases it.
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
    }
)
AZURE_STORAGE_ACCOUNT: Final = "azure-native:storage:StorageAccount"
AZURE_KEY_VAULT: Final = "azure-native:keyvault:Vault"
INTERNET_GATEWAY: Final = "aws:ec2/internetGateway:InternetGateway"
EIP: Final = "aws:ec2/eip:Eip"
EC2_INSTANCE: Final = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE: Final = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET: Final = "aws:ec2/subnet:Subnet"
SECURITY_GROUP_TYPES: Final = frozenset(
    {"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"}
)
SECURITY_GROUP_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AZURE_PUBLIC_IP_TYPES: Final = frozenset(
    {"azure-native:network:PublicIPAddress", "azure-native:network:PublicIPPrefix"}
)
AZURE_NSG: Final = "azure-native:network:NetworkSecurityGroup"
AZURE_SECURITY_RULE: Final = "azure-native:network:SecurityRule"

S3_PUBLIC_ACCESS_BLOCK = "aws-s3-bucket-require-public-access-block"
S3_VERSIONING = "aws-s3-bucket-require-versioning"
STORAGE_BLOB_PUBLIC = "azure-native-storage-account-disallow-blob-public-access"
STORAGE_PUBLIC_NETWORK = "azure-native-storage-account-disable-public-network-access"
STORAGE_SHARED_KEY = "azure-native-storage-account-disallow-shared-key-access"
VAULT_PUBLIC_NETWORK = "azure-native-keyvault-vault-disable-public-network-access"
INTERNET_GATEWAY_RULE = "aws-ec2-internet-gateway-disallow"
EIP_RULE = "aws-ec2-eip-disallow"
INSTANCE_PUBLIC_IP = "aws-ec2-instance-disallow-public-ip"
LAUNCH_TEMPLATE_PUBLIC_IP = "aws-ec2-launch-template-disallow-public-ip"
SUBNET_PUBLIC_IP = "aws-ec2-subnet-disallow-public-ip-on-launch"
SECURITY_GROUP_INGRESS = "aws-ec2-security-group-disallow-public-ingress"
SECURITY_GROUP_RULE_INGRESS = "aws-ec2-security-group-rule-disallow-public-ingress"
VPC_INGRESS_RULE_PUBLIC = "aws-vpc-security-group-ingress-rule-disallow-public-ingress"
AZURE_PUBLIC_IP = "azure-native-network-public-ip-address-disallow"
NSG_INBOUND = "azure-native-network-security-group-disallow-internet-inbound"
SECURITY_RULE_INBOUND = "azure-native-network-security-rule-disallow-internet-inbound"

PUBLIC_ACCESS_BLOCK_FLAGS: Final = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)

# Azure source prefixes that mean "anyone": the service tag Internet, the wildcard and Any.
_AZURE_ANYWHERE: Final = frozenset({"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0"})  # noqa: S104 - a source prefix, not a bind address


def _unknown_note(value: Any) -> str:
    return (
        " (unknown during preview: a data-protection rule fails closed)" if value is UNKNOWN else ""
    )


# -- AWS S3 (stack) --------------------------------------------------------------------------------


def public_access_block_problems(settings: Settings) -> list[str]:
    problems = []
    for flag in PUBLIC_ACCESS_BLOCK_FLAGS:
        value = as_bool(get(settings.props, flag))
        if value is not True:
            problems.append(f"`{flag}` is {show(value)}{_unknown_note(value)}")
    return problems


def validate_s3_public_access_block(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    check_buckets(
        args.resources,
        report_violation,
        rule=S3_PUBLIC_ACCESS_BLOCK,
        settings_types={S3_PUBLIC_ACCESS_BLOCK_TYPE},
        kind="BucketPublicAccessBlock",
        evaluate=public_access_block_problems,
        expected="a BucketPublicAccessBlock with all four flags true: "
        + ", ".join(PUBLIC_ACCESS_BLOCK_FLAGS),
    )


def versioning_problems(settings: Settings) -> list[str]:
    status = get(settings.props, "versioningConfiguration", "status")
    if status != "Enabled":
        return [f"`versioningConfiguration.status` is {show(status)}{_unknown_note(status)}"]
    return []


def validate_s3_versioning(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    check_buckets(
        args.resources,
        report_violation,
        rule=S3_VERSIONING,
        settings_types=S3_VERSIONING_TYPES,
        kind="BucketVersioning",
        evaluate=versioning_problems,
        expected="a BucketVersioning with versioningConfiguration.status 'Enabled'",
    )


# -- Azure storage accounts and key vaults ---------------------------------------------------------


def _report_setting(
    args: ResourceValidationArgs,
    report_violation: ReportViolation,
    *,
    rule: str,
    what: str,
    path: str,
    value: Any,
    required: str,
) -> None:
    report_violation(
        f"{rule}: {what} {args.name!r} has {path} = {show(value)}{_unknown_note(value)}; "
        f"required: {required}.",
        None,
    )


def validate_storage_blob_public_access(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != AZURE_STORAGE_ACCOUNT:
        return
    value = as_bool(get(plain(args.props), "allowBlobPublicAccess"))
    # Explicit false required: the default has changed across API versions.
    if value is not False:
        _report_setting(
            args,
            report_violation,
            rule=STORAGE_BLOB_PUBLIC,
            what="storage account",
            path="allowBlobPublicAccess",
            value=value,
            required="false, set explicitly",
        )


def validate_storage_public_network_access(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != AZURE_STORAGE_ACCOUNT:
        return
    value = get(plain(args.props), "publicNetworkAccess")
    if lower(value) != "disabled":
        _report_setting(
            args,
            report_violation,
            rule=STORAGE_PUBLIC_NETWORK,
            what="storage account",
            path="publicNetworkAccess",
            value=value,
            required="'Disabled' (reach the account through private endpoints)",
        )


def validate_storage_shared_key_access(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != AZURE_STORAGE_ACCOUNT:
        return
    value = as_bool(get(plain(args.props), "allowSharedKeyAccess"))
    # Unset is documented as equivalent to true.
    if value is not False:
        _report_setting(
            args,
            report_violation,
            rule=STORAGE_SHARED_KEY,
            what="storage account",
            path="allowSharedKeyAccess",
            value=value,
            required="false (Entra ID authorization only)",
        )


def validate_vault_public_network_access(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != AZURE_KEY_VAULT:
        return
    value = get(plain(args.props), "properties", "publicNetworkAccess")
    # Compared case-insensitively: the API documents 'disabled' and the portal writes 'Disabled'.
    if lower(value) != "disabled":
        _report_setting(
            args,
            report_violation,
            rule=VAULT_PUBLIC_NETWORK,
            what="key vault",
            path="properties.publicNetworkAccess",
            value=value,
            required="'Disabled' (reach the vault through private endpoints)",
        )


# -- AWS networking: gateways and public addresses -------------------------------------------------


def validate_no_internet_gateway(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    # Egress-only internet gateways are allowed: they carry outbound IPv6 only and accept no
    # inbound connection, which is the point of this rule.
    if args.resource_type == INTERNET_GATEWAY:
        report_violation(
            f"{INTERNET_GATEWAY_RULE}: internet gateway {args.name!r} would make the VPC "
            "reachable from the internet; allowed: none (use VPC endpoints, or an egress-only "
            "internet gateway for outbound IPv6).",
            None,
        )


def validate_no_eip(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == EIP:
        report_violation(
            f"{EIP_RULE}: Elastic IP {args.name!r} is a public IPv4 address; allowed: none.",
            None,
        )


def validate_instance_public_ip(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != EC2_INSTANCE:
        return
    value = as_bool(get(plain(args.props), "associatePublicIpAddress"))
    # Unset defers to the subnet's mapPublicIpOnLaunch, which its own rule checks.
    if value is True or value is UNKNOWN:
        _report_setting(
            args,
            report_violation,
            rule=INSTANCE_PUBLIC_IP,
            what="EC2 instance",
            path="associatePublicIpAddress",
            value=value,
            required="false or unset",
        )


def validate_launch_template_public_ip(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    interfaces = get(plain(args.props), "networkInterfaces")
    for index, interface in enumerate(iter_dicts(interfaces)):
        value = as_bool(get(interface, "associatePublicIpAddress"))
        if value is True or value is UNKNOWN:
            _report_setting(
                args,
                report_violation,
                rule=LAUNCH_TEMPLATE_PUBLIC_IP,
                what="launch template",
                path=f"networkInterfaces[{index}].associatePublicIpAddress",
                value=value,
                required="'false' or unset",
            )


def validate_subnet_public_ip(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != SUBNET:
        return
    value = as_bool(get(plain(args.props), "mapPublicIpOnLaunch"))
    if value is True or value is UNKNOWN:
        _report_setting(
            args,
            report_violation,
            rule=SUBNET_PUBLIC_IP,
            what="subnet",
            path="mapPublicIpOnLaunch",
            value=value,
            required="false or unset",
        )


def validate_no_azure_public_ip(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type in AZURE_PUBLIC_IP_TYPES:
        report_violation(
            f"{AZURE_PUBLIC_IP}: {args.resource_type.rsplit(':', 1)[-1]} {args.name!r} allocates "
            "public internet addresses; allowed: none (use private endpoints).",
            None,
        )


# -- Open ingress ----------------------------------------------------------------------------------


def _is_anywhere_cidr(cidr: Any) -> bool:
    """True for a CIDR that covers the whole address space (0.0.0.0/0, ::/0) or an unknown one."""
    if cidr is UNKNOWN:
        return True
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def _open_cidrs(block: Any, *keys: str) -> list[str]:
    """The world-open (or unknown) CIDRs among the list-valued ``keys`` of ``block``."""
    found: list[str] = []
    for key in keys:
        values = as_list(get(block, key))
        if values is UNKNOWN:
            found.append(f"{key} = {show(UNKNOWN)}")
            continue
        if isinstance(values, list):
            found.extend(f"{key} contains {show(v)}" for v in values if _is_anywhere_cidr(v))
    return found


_OPEN_INGRESS_ALLOWED = "no 0.0.0.0/0 or ::/0 source (use security-group or prefix-list sources)"


def validate_security_group_ingress(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in SECURITY_GROUP_TYPES:
        return
    ingress = get(plain(args.props), "ingress")
    if ingress is UNKNOWN:
        _report_setting(
            args,
            report_violation,
            rule=SECURITY_GROUP_INGRESS,
            what="security group",
            path="ingress",
            value=UNKNOWN,
            required=_OPEN_INGRESS_ALLOWED,
        )
        return
    for index, rule in enumerate(iter_dicts(ingress)):
        if rule is UNKNOWN:
            problems = [f"ingress[{index}] = {show(UNKNOWN)}"]
        else:
            problems = [
                f"ingress[{index}].{p}" for p in _open_cidrs(rule, "cidrBlocks", "ipv6CidrBlocks")
            ]
        for problem in problems:
            report_violation(
                f"{SECURITY_GROUP_INGRESS}: security group {args.name!r} has {problem}; "
                f"allowed: {_OPEN_INGRESS_ALLOWED}.",
                None,
            )


def validate_security_group_rule_ingress(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != SECURITY_GROUP_RULE:
        return
    props = plain(args.props)
    direction = lower(get(props, "type"))
    if direction == "egress":
        return
    for problem in _open_cidrs(props, "cidrBlocks", "ipv6CidrBlocks"):
        report_violation(
            f"{SECURITY_GROUP_RULE_INGRESS}: security group rule {args.name!r} (type "
            f"{show(direction)}) has {problem}; allowed: {_OPEN_INGRESS_ALLOWED}.",
            None,
        )


def validate_vpc_ingress_rule(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != VPC_INGRESS_RULE:
        return
    props = plain(args.props)
    for key in ("cidrIpv4", "cidrIpv6"):
        value = get(props, key)
        if _is_anywhere_cidr(value):
            _report_setting(
                args,
                report_violation,
                rule=VPC_INGRESS_RULE_PUBLIC,
                what="security group ingress rule",
                path=key,
                value=value,
                required=_OPEN_INGRESS_ALLOWED,
            )


def nsg_rule_problem(rule: Any) -> str | None:
    """Why an Azure security rule admits internet traffic, or None when it is shown not to.

    A rule is safe only when it is known to be outbound, known to deny, or has only known,
    non-public sources; anything unknown or missing on the way to that proof fails closed.
    """
    if rule is UNKNOWN:
        return f"a rule that is {show(UNKNOWN)}"
    # ARM's wire shape nests the rule under `properties`; the SDK flattens it. Accept both.
    nested = get(rule, "properties")
    if isinstance(nested, dict) and get(rule, "direction") is MISSING:
        rule = nested
    direction = lower(get(rule, "direction"))
    access = lower(get(rule, "access"))
    if direction == "outbound" or access == "deny":
        return None
    sources: list[Any] = []
    single = get(rule, "sourceAddressPrefix")
    if single is not MISSING and single is not None:
        sources.append(single)
    many = get(rule, "sourceAddressPrefixes")
    if many is UNKNOWN:
        sources.append(UNKNOWN)
    elif isinstance(many, list):
        sources.extend(many)
    open_sources = [
        s for s in sources if s is UNKNOWN or (isinstance(s, str) and _azure_anywhere(s))
    ]
    if not open_sources:
        return None
    return (
        f"direction {show(direction)}, access {show(access)}, source "
        f"{', '.join(show(s) for s in open_sources)}"
    )


def _azure_anywhere(prefix: str) -> bool:
    text = prefix.strip().lower()
    return text in _AZURE_ANYWHERE or _is_anywhere_cidr(text)


_NSG_ALLOWED = (
    "no Allow Inbound rule from Internet, *, Any, 0.0.0.0/0 or ::/0 "
    "(use VirtualNetwork, a private CIDR or an application security group)"
)


def validate_nsg_inbound(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != AZURE_NSG:
        return
    rules = get(plain(args.props), "securityRules")
    if rules is UNKNOWN:
        _report_setting(
            args,
            report_violation,
            rule=NSG_INBOUND,
            what="network security group",
            path="securityRules",
            value=UNKNOWN,
            required=_NSG_ALLOWED,
        )
        return
    for index, rule in enumerate(iter_dicts(rules)):
        problem = nsg_rule_problem(rule)
        if problem is not None:
            name = get(rule, "name")
            label = f"securityRules[{index}]" + (f" ({name!r})" if isinstance(name, str) else "")
            report_violation(
                f"{NSG_INBOUND}: network security group {args.name!r} {label} admits internet "
                f"traffic: {problem}; allowed: {_NSG_ALLOWED}.",
                None,
            )


def validate_security_rule_inbound(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != AZURE_SECURITY_RULE:
        return
    problem = nsg_rule_problem(plain(args.props))
    if problem is not None:
        report_violation(
            f"{SECURITY_RULE_INBOUND}: security rule {args.name!r} admits internet traffic: "
            f"{problem}; allowed: {_NSG_ALLOWED}.",
            None,
        )


# -- The policies ----------------------------------------------------------------------------------


def _resource_policy(
    name: str,
    description: str,
    validate: Any,
    remediation: str,
    *,
    severity: Severity = Severity.HIGH,
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    return resource_rule(
        name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        severity=severity,
        remediation_steps=remediation,
    )


_PRIVATE_NETWORK_WHY = (
    "Mandatory: Clover's networks are private by design; a stack that truly needs a public entry "
    "point gets a reviewed per-stack exception in its policy config."
)

POLICIES: Final[list[Policy]] = [
    stack_rule(
        S3_PUBLIC_ACCESS_BLOCK,
        description=(
            "Every S3 bucket has a public access block with all four flags on. Mandatory: one "
            "public ACL or bucket policy would publish user data to the whole internet."
        ),
        validate=validate_s3_public_access_block,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Add an aws.s3.BucketPublicAccessBlock with bucket=<bucket>.id and block_public_acls, "
            "block_public_policy, ignore_public_acls and restrict_public_buckets all True."
        ),
    ),
    stack_rule(
        S3_VERSIONING,
        description=(
            "Every S3 bucket has versioning Enabled. Mandatory: an overwrite or delete of user "
            "data (by mistake or by an attacker) must stay recoverable, and the check is only "
            "expressible across resources."
        ),
        validate=validate_s3_versioning,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.MEDIUM,
        remediation_steps=(
            "Add an aws.s3.BucketVersioning with bucket=<bucket>.id and "
            "versioning_configuration={status: 'Enabled'}."
        ),
    ),
    _resource_policy(
        STORAGE_BLOB_PUBLIC,
        "Azure storage accounts forbid anonymous blob access, set explicitly. Mandatory: a "
        "public container publishes user data to anyone with the URL.",
        validate_storage_blob_public_access,
        "Set allow_blob_public_access=False on the storage account.",
        severity=Severity.CRITICAL,
    ),
    _resource_policy(
        STORAGE_PUBLIC_NETWORK,
        "Azure storage accounts disable public network access. Mandatory: the data plane must "
        "be reachable only through private endpoints.",
        validate_storage_public_network_access,
        "Set public_network_access='Disabled' and add a private endpoint for each service used.",
    ),
    _resource_policy(
        STORAGE_SHARED_KEY,
        "Azure storage accounts disable Shared Key (account key and SAS) authorization. "
        "Advisory by default: some Azure services and the azure-native storage.Blob resource "
        "still authenticate with account keys, so turning it off can break a deployment; "
        "production stacks make it mandatory in their policy config.",
        validate_storage_shared_key_access,
        "Set allow_shared_key_access=False and grant Entra ID data roles (Storage Blob Data "
        "Reader/Contributor) to the identities that need access.",
        enforcement=EnforcementLevel.ADVISORY,
    ),
    _resource_policy(
        VAULT_PUBLIC_NETWORK,
        "Key vaults disable public network access. Mandatory: the keys that protect user data "
        "must be reachable only through private endpoints (the Azure Resource Manager control "
        "plane that Pulumi uses is unaffected).",
        validate_vault_public_network_access,
        "Set properties.public_network_access='Disabled' and add a private endpoint.",
    ),
    _resource_policy(
        INTERNET_GATEWAY_RULE,
        "No internet gateways (egress-only internet gateways are allowed: they accept no "
        "inbound traffic). " + _PRIVATE_NETWORK_WHY,
        validate_no_internet_gateway,
        "Remove the aws.ec2.InternetGateway; reach AWS services through VPC endpoints.",
    ),
    _resource_policy(
        EIP_RULE,
        "No Elastic IPs. " + _PRIVATE_NETWORK_WHY,
        validate_no_eip,
        "Remove the aws.ec2.Eip; use private addresses and VPC endpoints.",
    ),
    _resource_policy(
        INSTANCE_PUBLIC_IP,
        "EC2 instances get no public IPv4 address. " + _PRIVATE_NETWORK_WHY,
        validate_instance_public_ip,
        "Set associate_public_ip_address=False (or leave it unset in a private subnet).",
    ),
    _resource_policy(
        LAUNCH_TEMPLATE_PUBLIC_IP,
        "Launch templates give their instances no public IPv4 address. " + _PRIVATE_NETWORK_WHY,
        validate_launch_template_public_ip,
        "Set network_interfaces[*].associate_public_ip_address='false' or leave it unset.",
    ),
    _resource_policy(
        SUBNET_PUBLIC_IP,
        "Subnets do not hand out public IPv4 addresses on launch. " + _PRIVATE_NETWORK_WHY,
        validate_subnet_public_ip,
        "Set map_public_ip_on_launch=False or leave it unset.",
    ),
    _resource_policy(
        SECURITY_GROUP_INGRESS,
        "Security groups admit no ingress from 0.0.0.0/0 or ::/0. " + _PRIVATE_NETWORK_WHY,
        validate_security_group_ingress,
        "Replace the open CIDR in ingress with a security group, prefix list or private CIDR.",
        severity=Severity.CRITICAL,
    ),
    _resource_policy(
        SECURITY_GROUP_RULE_INGRESS,
        "Ingress security group rules admit no traffic from 0.0.0.0/0 or ::/0. "
        + _PRIVATE_NETWORK_WHY,
        validate_security_group_rule_ingress,
        "Replace cidr_blocks / ipv6_cidr_blocks with source_security_group_id or a private CIDR.",
        severity=Severity.CRITICAL,
    ),
    _resource_policy(
        VPC_INGRESS_RULE_PUBLIC,
        "VPC security group ingress rules admit no traffic from 0.0.0.0/0 or ::/0. "
        + _PRIVATE_NETWORK_WHY,
        validate_vpc_ingress_rule,
        "Replace cidr_ipv4 / cidr_ipv6 with referenced_security_group_id, prefix_list_id or a "
        "private CIDR.",
        severity=Severity.CRITICAL,
    ),
    _resource_policy(
        AZURE_PUBLIC_IP,
        "No Azure public IP addresses or public IP prefixes. " + _PRIVATE_NETWORK_WHY,
        validate_no_azure_public_ip,
        "Remove the PublicIPAddress / PublicIPPrefix; expose services through private endpoints.",
    ),
    _resource_policy(
        NSG_INBOUND,
        "Network security groups have no inline rule allowing inbound traffic from the "
        "internet. " + _PRIVATE_NETWORK_WHY,
        validate_nsg_inbound,
        "Change the rule's source to VirtualNetwork, a private CIDR or an application security "
        "group, or set access='Deny'.",
        severity=Severity.CRITICAL,
    ),
    _resource_policy(
        SECURITY_RULE_INBOUND,
        "Standalone NSG security rules do not allow inbound traffic from the internet. "
        + _PRIVATE_NETWORK_WHY,
        validate_security_rule_inbound,
        "Change source_address_prefix(es) to VirtualNetwork, a private CIDR or an application "
        "security group, or set access='Deny'.",
        severity=Severity.CRITICAL,
    ),
]
