"""``azure-native-role-assignment-data-scope-restricted`` over the analyzer protocol: roles on
data stores (or the groups and subscriptions above them) go to allowed principals or to the
stack's own identities, proven by the offline check's ``provenOutputs``."""

from __future__ import annotations

from typing import Any, Final

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, Diagnostic, PolicyPack

from .conftest import eu_urn

RULE: Final = "azure-native-role-assignment-data-scope-restricted"
ASSIGNMENT: Final = "azure-native:authorization:RoleAssignment"
SUB: Final = "/subscriptions/00000000-0000-0000-0000-000000000000"
GROUP: Final = f"{SUB}/resourceGroups/customers"
ACCOUNT: Final = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/customers"
CONTAINER: Final = f"{ACCOUNT}/blobServices/default/containers/records"
VAULT: Final = f"{GROUP}/providers/Microsoft.KeyVault/vaults/keys"
IDENTITY: Final = f"{GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gateway"
OUTSIDER: Final = "5d3c8e2a-9f41-4b6e-a1c7-0e2f4d6b8a90"
OPERATORS: Final = "7c1e2b3a-4d5f-4e6a-8b9c-0d1e2f3a4b5c"
SUBJECT_URN: Final = eu_urn(ASSIGNMENT, "subject")
IDENTITY_URN: Final = eu_urn("azure-native:managedidentity:UserAssignedIdentity", "gateway")
CONTAINER_URN: Final = eu_urn("azure-native:storage:BlobContainer", "records")
WEB_URN: Final = eu_urn("azure-native:web:WebApp", "portal")


def analyze(pack: PolicyPack, **props: Any) -> list[Diagnostic]:
    resource = AnalyzedResource(urn=SUBJECT_URN, type=ASSIGNMENT, name="subject", properties=props)
    found = [d for d in pack.analyze(resource) if d.policy == RULE]
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert "could not be evaluated" not in d.message, d.message
    return found


def proven(pack: PolicyPack, **paths: str) -> PolicyPack:
    pack.configure({RULE: {"provenOutputs": {SUBJECT_URN: paths}}})
    return pack


@pytest.mark.parametrize(
    "scope",
    [
        ACCOUNT,
        CONTAINER,
        VAULT,
        GROUP,
        SUB,
        "/providers/Microsoft.Management/managementGroups/europe",
        f"{GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/profiles",
        f"{GROUP}/providers/Microsoft.Sql/servers/crm/databases/main",
        UNKNOWN,
    ],
)
def test_an_outside_principal_on_data_is_blocked(eu_access: PolicyPack, scope: Any) -> None:
    found = analyze(eu_access, scope=scope, principalId=OUTSIDER)
    assert len(found) == 1, [d.message for d in found]
    assert OUTSIDER in found[0].message


@pytest.mark.parametrize(
    "scope",
    [
        IDENTITY,
        f"{GROUP}/providers/Microsoft.Network/virtualNetworks/site",
        f"{GROUP}/providers/Microsoft.ContainerRegistry/registries/images",
    ],
)
def test_roles_on_resources_that_hold_no_data_are_not_judged(
    eu_access: PolicyPack, scope: str
) -> None:
    assert analyze(eu_access, scope=scope, principalId=OUTSIDER) == []


def test_allowed_principals_pass(eu_access: PolicyPack) -> None:
    eu_access.configure({RULE: {"allowedPrincipalIds": [OPERATORS.upper()]}})
    assert analyze(eu_access, scope=ACCOUNT, principalId=OPERATORS) == []
    assert len(analyze(eu_access, scope=ACCOUNT, principalId=OUTSIDER)) == 1


@pytest.mark.parametrize("output", ["principal_id", "principalId", "identity.principal_id"])
def test_the_stacks_own_identity_passes_when_proven(eu_access: PolicyPack, output: str) -> None:
    proven(eu_access, principalId=f"{IDENTITY_URN}#{output}")
    assert analyze(eu_access, scope=ACCOUNT, principalId=UNKNOWN) == []


def test_an_unknown_principal_without_proof_is_blocked(eu_access: PolicyPack) -> None:
    found = analyze(eu_access, scope=ACCOUNT, principalId=UNKNOWN)
    assert len(found) == 1
    assert "not proven to be an identity of this stack" in found[0].message


def test_a_principal_computed_from_another_output_is_not_an_identity(
    eu_access: PolicyPack,
) -> None:
    """Proven to be an output, but not an identity's object id (say, a client id)."""
    proven(eu_access, principalId=f"{IDENTITY_URN}#client_id")
    assert len(analyze(eu_access, scope=ACCOUNT, principalId=UNKNOWN)) == 1


@pytest.mark.parametrize(
    ("source", "blocked"),
    [(f"{CONTAINER_URN}#id", True), (f"{IDENTITY_URN}#id", False), (f"{WEB_URN}#id", False)],
)
def test_a_proven_scope_is_judged_by_the_resource_it_names(
    eu_access: PolicyPack, source: str, blocked: bool
) -> None:
    proven(eu_access, scope=source)
    found = analyze(eu_access, scope=UNKNOWN, principalId=OUTSIDER)
    assert bool(found) == blocked, [d.message for d in found]
