"""Azure role assignments on data stores go only to allowed principals or the stack's identities.

A role assignment whose scope is a data store (a storage account or anything in it, a key vault,
a Cosmos DB account, a SQL or PostgreSQL server, ...), the resource group or subscription that
holds it, or a management group, gives its principal whatever the role allows on the data. Such an
assignment must name a principal of ``allowedPrincipalIds`` (reviewed operators, groups) or an
identity of the stack itself: a user-assigned identity's ``principalId`` or a resource's
``identity.principalId``, which is unknown at preview and proven by the offline check
(``provenOutputs``: the input is exactly that output of a resource of this stack). A scope or
principal that cannot be told is treated as a data scope and an outside principal (fail closed).
https://learn.microsoft.com/azure/role-based-access-control/scope-overview
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        ARN_LIST_SCHEMA,
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        config_strings,
        proven_output,
        read_property,
        schema,
        show,
        urn_type,
    )
    from policy_packs.eu_access.rulekit import resource_rule
else:
    from access_common import (
        ARN_LIST_SCHEMA,
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        config_strings,
        proven_output,
        read_property,
        schema,
        show,
        urn_type,
    )
    from rulekit import resource_rule

DATA_SCOPE_RESTRICTED: Final = "azure-native-role-assignment-data-scope-restricted"
ROLE_ASSIGNMENT: Final = "azure-native:authorization:RoleAssignment"

DATA_PROVIDERS: Final = frozenset(
    {
        "microsoft.storage/storageaccounts",
        "microsoft.keyvault/vaults",
        "microsoft.keyvault/managedhsms",
        "microsoft.documentdb/databaseaccounts",
        "microsoft.documentdb/mongoclusters",
        "microsoft.sql/servers",
        "microsoft.sql/managedinstances",
        "microsoft.dbforpostgresql/servers",
        "microsoft.dbforpostgresql/flexibleservers",
        "microsoft.dbformysql/servers",
        "microsoft.dbformysql/flexibleservers",
        "microsoft.cache/redis",
        "microsoft.cache/redisenterprise",
        "microsoft.datalakestore/accounts",
        "microsoft.synapse/workspaces",
        "microsoft.eventhub/namespaces",
        "microsoft.servicebus/namespaces",
        "microsoft.recoveryservices/vaults",
        "microsoft.dataprotection/backupvaults",
        "microsoft.operationalinsights/workspaces",
    }
)
"""Resource types (provider namespace/type, lower case) that hold data; a scope at or below one
of them reaches the data."""

# azure-native v3 type tokens of the same data stores and of the containers above them, for a
# scope that is proven to be an in-stack resource's ``id``.
_DATA_TOKEN_MODULES: Final = frozenset(
    {
        "storage",
        "keyvault",
        "cosmosdb",
        "documentdb",
        "sql",
        "dbforpostgresql",
        "dbformysql",
        "redis",
        "redisenterprise",
        "cache",
        "synapse",
        "eventhub",
        "servicebus",
        "recoveryservices",
        "dataprotection",
        "operationalinsights",
    }
)
_CONTAINER_TOKENS: Final = frozenset(
    {"azure-native:resources:ResourceGroup", "azure-native:resources:Subscription"}
)
_PROVIDERS: Final = re.compile(r"/providers/([^/]+)/([^/]+)/[^/]+")
_IDENTITY_OUTPUTS: Final = frozenset({"principalid", "identity.principalid"})
"""An identity's object id, as the output is named in either case (``principal_id``)."""


def _proven_scope(source: str, output: str) -> str | None:
    token = urn_type(source)
    module = token.split(":")[1].lower() if token.count(":") == 2 else ""
    if output != "id":
        return f"the scope is output {output} of {source}"
    if token in _CONTAINER_TOKENS or module in _DATA_TOKEN_MODULES:
        return f"the scope is the id of {token} {source.rsplit('::', 1)[-1]}"
    return None


def scope_finding(scope: Any, proof: tuple[str, str] | None) -> str | None:
    """What data ``scope`` reaches, or None when it is not a data scope."""
    if proof is not None:
        return _proven_scope(*proof)
    if scope is UNKNOWN or not isinstance(scope, str) or not scope.strip():
        return f"the scope {show(scope)} cannot be told (treated as a data store, fail closed)"
    text = scope.strip().lower().rstrip("/")
    for namespace, kind in _PROVIDERS.findall(text):
        if f"{namespace}/{kind}" in DATA_PROVIDERS:
            return f"the scope {scope} is a data store ({namespace}/{kind}) or within one"
    if "/providers/" not in text:
        # A subscription, a resource group or the root: every data store inside it.
        return f"the scope {scope} holds every data store inside it"
    if (
        "/providers/microsoft.management/managementgroups/" in text
        and text.count("/providers/") == 1
    ):
        return f"the scope {scope} is a management group: every data store below it"
    return None


def principal_finding(
    principal: Any, proof: tuple[str, str] | None, allowed: frozenset[str]
) -> str | None:
    """Why ``principal`` may not hold a role on data, or None when it may."""
    if proof is not None and proof[1].replace("_", "").lower() in _IDENTITY_OUTPUTS:
        return None
    if isinstance(principal, str) and principal.strip().lower() in allowed:
        return None
    if principal is UNKNOWN:
        return (
            "principalId is unknown at preview and not proven to be an identity of this stack "
            "(the offline check proves an in-stack identity's principalId; under pulumi preview "
            "without its evidence this blocks, fail closed)"
        )
    return (
        f"principalId {show(principal)} is neither in allowedPrincipalIds nor an identity of "
        "this stack"
    )


def validate_data_scope_restricted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ROLE_ASSIGNMENT:
        return
    config: Any = args.get_config()
    reaches = scope_finding(read_property(args, "scope"), proven_output(args, "scope"))
    if reaches is None:
        return
    allowed = frozenset(p.lower() for p in config_strings(config, "allowedPrincipalIds"))
    why = principal_finding(
        read_property(args, "principalId"), proven_output(args, "principalId"), allowed
    )
    if why is not None:
        report(f"{DATA_SCOPE_RESTRICTED}: {ROLE_ASSIGNMENT} {args.name}: {reaches}; {why}.", None)


POLICIES: Final = [
    resource_rule(
        DATA_SCOPE_RESTRICTED,
        description=(
            "Azure role assignments whose scope is a data store (storage account, key vault, "
            "Cosmos DB, SQL, ...), or the resource group, subscription or management group above "
            "one, go only to principals in allowedPrincipalIds or to the stack's own identities. "
            "Mandatory: the principal reaches European user data."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Assign data roles to a managed identity of the stack (the gateway's) or to a "
            "reviewed principal listed in allowedPrincipalIds; scope the assignment to the data "
            "store, not to its resource group or subscription."
        ),
        config_schema=schema(
            allowedPrincipalIds={
                **ARN_LIST_SCHEMA,
                "description": "Entra object ids that may hold roles on data stores.",
            },
            **{PROVEN_OUTPUTS: PROVEN_OUTPUTS_SCHEMA},
        ),
        validate=validate_data_scope_restricted,
    )
]
