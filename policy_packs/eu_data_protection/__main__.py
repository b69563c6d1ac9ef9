"""The eu-data-protection policy pack: encryption, exposure and governance rules for the data stores
Clover keeps European user data in (pulumi-aws v7, pulumi-azure-native v3).

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
    from policy_packs.eu_data_protection import exemptions
    from policy_packs.eu_data_protection.encryption import POLICIES as ENCRYPTION
    from policy_packs.eu_data_protection.exposure import POLICIES as EXPOSURE
    from policy_packs.eu_data_protection.governance import POLICIES as GOVERNANCE
else:
    import exemptions
    from encryption import POLICIES as ENCRYPTION
    from exposure import POLICIES as EXPOSURE
    from governance import POLICIES as GOVERNANCE

# Reviewed exemptions (policy_packs/config/exemptions.yaml) reach each rule through its config;
# exemptions.py wraps the rules and the SDK servicer (no public hook; the SDK is pinned to a minor)
# and adds policy-exemption-applied as the last policy.
policies = exemptions.install(
    sdk_policy._PolicyAnalyzerServicer, [*ENCRYPTION, *EXPOSURE, *GOVERNANCE]
)

PolicyPack(
    name="eu-data-protection",
    description=(
        "Keeps European user data encrypted with keys Clover controls, off the internet, and "
        "labelled and protected as a data store."
    ),
    policies=policies,
)
