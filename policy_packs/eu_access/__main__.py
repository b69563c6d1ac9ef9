"""The eu-access policy pack: who may reach European user data (pulumi-aws v7, azure-native v3).

Constructing ``PolicyPack`` starts the analyzer server and blocks, so nothing may import this file;
the rules live in the domain modules beside it, which the CLI can import because it runs the pack
with this directory first on ``sys.path``.
"""

from typing import TYPE_CHECKING

from pulumi_policy import PolicyPack
from pulumi_policy import policy as sdk_policy

# The CLI runs the pack with this directory first on sys.path, so sibling modules are imported
# as top-level modules; the type checker sees the repository layout instead.
if TYPE_CHECKING:
    from policy_packs.eu_access import exemptions
    from policy_packs.eu_access.access_logging import POLICIES as ACCESS_LOGGING_POLICIES
    from policy_packs.eu_access.azure_network import POLICIES as AZURE_NETWORK_POLICIES
    from policy_packs.eu_access.azure_roles import POLICIES as AZURE_ROLE_POLICIES
    from policy_packs.eu_access.endpoints import POLICIES as ENDPOINT_POLICIES
    from policy_packs.eu_access.gateway_roles import POLICIES as GATEWAY_ROLE_POLICIES
    from policy_packs.eu_access.kms_key_policies import POLICIES as KMS_KEY_POLICIES
    from policy_packs.eu_access.resource_policies import POLICIES as RESOURCE_POLICIES
    from policy_packs.eu_access.sharing import POLICIES as SHARING_POLICIES
    from policy_packs.eu_access.trust_policies import POLICIES as TRUST_POLICIES
else:
    import exemptions
    from access_logging import POLICIES as ACCESS_LOGGING_POLICIES
    from azure_network import POLICIES as AZURE_NETWORK_POLICIES
    from azure_roles import POLICIES as AZURE_ROLE_POLICIES
    from endpoints import POLICIES as ENDPOINT_POLICIES
    from gateway_roles import POLICIES as GATEWAY_ROLE_POLICIES
    from kms_key_policies import POLICIES as KMS_KEY_POLICIES
    from resource_policies import POLICIES as RESOURCE_POLICIES
    from sharing import POLICIES as SHARING_POLICIES
    from trust_policies import POLICIES as TRUST_POLICIES

# Reviewed exemptions (policy_packs/config/exemptions.yaml) reach each rule through its config;
# exemptions.py wraps the rules and the SDK servicer (no public hook; the SDK is pinned to a minor)
# and adds policy-exemption-applied as the last policy.
policies = exemptions.install(
    sdk_policy._PolicyAnalyzerServicer,
    [
        *RESOURCE_POLICIES,
        *SHARING_POLICIES,
        *TRUST_POLICIES,
        *GATEWAY_ROLE_POLICIES,
        *KMS_KEY_POLICIES,
        *AZURE_ROLE_POLICIES,
        *AZURE_NETWORK_POLICIES,
        *ENDPOINT_POLICIES,
        *ACCESS_LOGGING_POLICIES,
    ],
)

PolicyPack(
    name="eu-access",
    description=(
        "Access to European user data only through the security gateways: resource policies, "
        "grants and shares, role trust policies and KMS key policies admit only allowed "
        "accounts, listed principals and gateway-conditioned requests; access to data stores "
        "is logged."
    ),
    policies=policies,
)
