"""The eu-residency policy pack: keeps resources and every copy of their data in allowed regions.

Only wiring lives here: constructing ``PolicyPack`` starts the analyzer server, so no other module
may import this one. Rules live in the domain modules.
"""

import assessment
import data_flow
import data_movement_aws
import data_movement_azure
import edge_services
import exemptions
import external_resources
import placement_aws
import placement_aws_native
import placement_azure
import placement_azure_classic
import placement_gcp
import placement_kubernetes
import residency_common
from pulumi_policy import EnforcementLevel, PolicyPack
from pulumi_policy import policy as sdk_policy

# One allow-list per cloud for the whole pack: every ``Configure`` (from `pulumi preview
# --policy-pack-config` or a Pulumi Cloud policy group) also sets the intersection of all the
# policies' allow-lists, which residency_common.allowed_aws_regions/allowed_azure_locations apply.
# The SDK offers no public hook (PolicyPack builds its servicer and serves in the constructor), so
# the servicer class is wrapped before construction; requirements.txt pins the SDK to a minor.
servicer = sdk_policy._PolicyAnalyzerServicer
servicer.Configure = residency_common.wrap_configure(servicer.Configure)
# Declared external resources (policy_packs/config/external-resources.yaml) reach the pack in the
# config of external-resource-declarations and hold pack-wide, read the same way.
servicer.Configure = external_resources.wrap_configure(servicer.Configure)
# Reviewed exemptions (policy_packs/config/exemptions.yaml) reach each rule through its config;
# exemptions.py wraps the rules and the servicer the same way and adds policy-exemption-applied.
policies = exemptions.install(
    servicer,
    [
        *placement_aws.POLICIES,
        *placement_azure.POLICIES,
        *placement_aws_native.POLICIES,
        *placement_azure_classic.POLICIES,
        *placement_gcp.POLICIES,
        *data_movement_aws.POLICIES,
        *data_movement_azure.POLICIES,
        *edge_services.POLICIES,
        *data_flow.POLICIES,
        *placement_kubernetes.POLICIES,
        *assessment.POLICIES,
        *external_resources.POLICIES,
    ],
)

PolicyPack(
    name="eu-residency",
    description="Keeps resources and every copy of their data in allowed EEA regions.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies,
)
