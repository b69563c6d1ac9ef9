"""The eu-residency policy pack: keeps resources and every copy of their data in allowed regions.

Only wiring lives here: constructing ``PolicyPack`` starts the analyzer server, so no other module
may import this one. Rules live in the domain modules.
"""

import data_movement_aws
import data_movement_azure
import placement_aws
import placement_azure
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="eu-residency",
    description="Keeps resources and every copy of their data in allowed EEA regions.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *placement_aws.POLICIES,
        *placement_azure.POLICIES,
        *data_movement_aws.POLICIES,
        *data_movement_azure.POLICIES,
    ],
)
