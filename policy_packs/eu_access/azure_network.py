"""A key vault lets trusted Microsoft services past its firewall only for a documented need.

With public network access disabled, a vault is reached through its private endpoints; the
``AzureServices`` bypass of its network rules still admits every "trusted" Microsoft service from
Microsoft's own back end, whatever network it comes from. Azure documents one need for it that a
private endpoint cannot meet: services that encrypt data at rest with a customer-managed key in the
vault (Storage, disk encryption sets, SQL, Cosmos DB, PostgreSQL, MySQL) unwrap that key from their
own back end. https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints#trusted-services

So the bypass passes when a resource of this stack of such a type names the vault (its URI,
``https://<vault>.vault.azure.net``, a key in it, or its id); otherwise it is a violation. A vault
without ``networkAcls`` gets Azure's default, which bypasses for trusted services, and is judged
the same. Storage accounts need no such rule here: with ``publicNetworkAccess`` disabled (required
by eu-data-protection) Azure applies no network exceptions to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        ProvenOutput,
        StackInputs,
        schema,
        show,
    )
    from policy_packs.eu_access.rulekit import stack_rule
else:
    from access_common import (
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        ProvenOutput,
        StackInputs,
        schema,
        show,
    )
    from rulekit import stack_rule

RULE: Final = "azure-native-vault-trusted-services-justified"
VAULT: Final = "azure-native:keyvault:Vault"
KEY: Final = "azure-native:keyvault:Key"
# Services that encrypt at rest with a customer-managed key of a vault, from their own back end.
KEY_CONSUMERS: Final = frozenset(
    {
        "azure-native:storage:StorageAccount",
        "azure-native:storage:EncryptionScope",
        "azure-native:compute:DiskEncryptionSet",
        "azure-native:sql:ServerKey",
        "azure-native:sql:ManagedInstanceKey",
        "azure-native:cosmosdb:DatabaseAccount",
        "azure-native:dbforpostgresql:Server",
        "azure-native:dbformysql:Server",
    }
)
_READ: Final = frozenset({*KEY_CONSUMERS, VAULT, KEY})
_VAULT_HOST: Final = re.compile(r"https://([a-z0-9-]+)\.vault\.azure\.net", re.IGNORECASE)
_VAULT_ID: Final = re.compile(r"/providers/microsoft\.keyvault/vaults/([^/]+)", re.IGNORECASE)


def _references(value: Any) -> Iterator[Any]:
    """Every string and proven output in an input tree."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, (str, ProvenOutput)):
            yield item


def _named_vaults(value: Any) -> Iterator[str]:
    """Vault names (lower case) a string names by URI or id; for a proven output, its URN."""
    if isinstance(value, ProvenOutput):
        yield value.source
        return
    for pattern in (_VAULT_HOST, _VAULT_ID):
        for match in pattern.finditer(value):
            yield match.group(1).lower()


def _vaults_of(value: Any, keys: Mapping[str, Any]) -> Iterator[str]:
    """What :func:`_named_vaults` finds, a proven key output standing for the key's vault."""
    if isinstance(value, ProvenOutput) and value.source in keys:
        vault = keys[value.source]
        if isinstance(vault, str):
            yield vault.lower()
            return
        value = vault
    if isinstance(value, (str, ProvenOutput)):
        yield from _named_vaults(value)


def _bypass(props: Mapping[str, Any]) -> Any:
    properties = props.get("properties")
    acls = properties.get("networkAcls") if isinstance(properties, dict) else None
    if properties is UNKNOWN or acls is UNKNOWN:
        return UNKNOWN
    if not isinstance(acls, dict) or acls.get("bypass") is None:
        return "AzureServices"  # Azure's default for a vault's network rules
    return acls.get("bypass")


def _vault_name(resource: PolicyResource, props: Mapping[str, Any]) -> str:
    name = props.get("vaultName")
    return (name if isinstance(name, str) and name else resource.name).lower()


def validate_vault_bypass(args: StackValidationArgs, report: ReportViolation) -> None:
    config: Any = args.get_config()
    config = config if isinstance(config, Mapping) else {}
    stack = StackInputs(args.resources, config, _READ)
    resources, props = stack.resources, stack.props
    # A key of the stack stands for its vault (its vaultName, a name or the vault's output).
    keys: dict[str, Any] = {
        r.urn: props[r.urn].get("vaultName") for r in resources if r.resource_type == KEY
    }
    used: set[str] = set()
    for resource in resources:
        if resource.resource_type in KEY_CONSUMERS:
            for value in _references(props[resource.urn]):
                used.update(_vaults_of(value, keys))
    for resource in resources:
        if resource.resource_type != VAULT:
            continue
        bypass = _bypass(props[resource.urn])
        if isinstance(bypass, str) and bypass.strip().lower() == "none":
            continue
        if resource.urn in used or _vault_name(resource, props[resource.urn]) in used:
            continue
        report(
            f"{RULE}: {VAULT} {resource.name}: properties.networkAcls.bypass is {show(bypass)} "
            "(no networkAcls means Azure's default, AzureServices), so trusted Microsoft "
            "services reach the vault past its firewall and private endpoints, but no service "
            "of this stack encrypts with a key in it (a storage account's "
            "encryption.keyVaultProperties.keyVaultUri, a disk encryption set, a SQL server "
            "key, ...), the one need Azure documents. Set properties.networkAcls.bypass to "
            "'None', or record the need as a reviewed exemption.",
            resource.urn,
        )


POLICIES: Final = [
    stack_rule(
        RULE,
        description=(
            "Key vaults let trusted Microsoft services bypass their firewall only when a service "
            "of the stack encrypts at rest with a key in the vault (Storage, disk encryption "
            "sets, SQL, Cosmos DB, ...). Mandatory: otherwise the vault is reachable beyond its "
            "private endpoints."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Set properties.networkAcls = {defaultAction: 'Deny', bypass: 'None'} on the vault, "
            "unless a customer-managed key in it is used by a service of the stack."
        ),
        config_schema=schema(**{PROVEN_OUTPUTS: PROVEN_OUTPUTS_SCHEMA}),
        validate=validate_vault_bypass,
    )
]
