"""Cross-site backup on Azure: blob object replication from one site's account to another's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import storage

from sites.catalog import APPROVED_AZURE_LOCATIONS


@dataclass(frozen=True, kw_only=True)
class AzureObjectReplicationArgs:
    """Inputs of :class:`AzureObjectReplication`.

    Both accounts must have blob versioning on, and the source its change feed too, before the
    policies are created; :class:`components.storage.azure.AzureSiteStorage` turns both on.
    https://learn.microsoft.com/azure/storage/blobs/object-replication-overview#prerequisites-and-caveats-for-object-replication
    """

    source_account_name: pulumi.Input[str]
    """Name of the account whose blobs are copied."""
    source_resource_group_name: pulumi.Input[str]
    """Resource group of the source account."""
    source_account_id: pulumi.Input[str]
    """ARM id of the source account."""
    source_container_name: pulumi.Input[str]
    """Container whose blobs are copied."""
    source_location: str
    """Azure location of the source account."""
    source_provider: pulumi.ProviderResource
    """The azure-native provider of the source site: the source-side policy is created with it."""
    destination_account_name: pulumi.Input[str]
    """Name of the account that receives the copies."""
    destination_resource_group_name: pulumi.Input[str]
    """Resource group of the destination account."""
    destination_account_id: pulumi.Input[str]
    """ARM id of the destination account."""
    destination_location: str
    """Azure location of the destination account."""
    destination_provider: pulumi.ProviderResource
    """The azure-native provider of the destination site: the replica container and the
    destination-side policy are created with it."""
    destination_container_name: str = "replica"
    """Private container created in the destination account to receive the copies; object
    replication makes it read-only for everyone else."""
    prefix_match: Sequence[str] = ()
    """Copy only blobs whose names start with one of these prefixes; empty copies every blob."""
    protect: bool = True
    """Protect the replica container from deletion by Pulumi, and keep it in Azure when it leaves
    the stack (``retain_on_delete``)."""

    def __post_init__(self) -> None:
        for field, location in (
            ("source_location", self.source_location),
            ("destination_location", self.destination_location),
        ):
            if location not in APPROVED_AZURE_LOCATIONS:
                raise ValueError(
                    f"{field} {location!r} is not an approved Azure location:"
                    f" use one of {sorted(APPROVED_AZURE_LOCATIONS)}"
                )


class AzureObjectReplication(pulumi.ComponentResource):
    """Asynchronous copies of a source container's blobs into a replica container in another
    site's account.

    Azure requires the policy on the destination account first: created with the id ``default``,
    it returns the real policy id and rule ids, and the source account's policy must then be
    created with those same ids. Accounts that refuse cross-tenant replication (Clover's do)
    must name each other by full ARM id.
    https://learn.microsoft.com/azure/storage/blobs/object-replication-configure#configure-object-replication-using-a-json-file
    https://learn.microsoft.com/azure/storage/blobs/object-replication-prevent-cross-tenant-policies
    """

    replica_container_name: pulumi.Output[str]
    replica_container_id: pulumi.Output[str]
    policy_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: AzureObjectReplicationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("clover:backup:AzureObjectReplication", name, None, opts)
        filters = (
            storage.ObjectReplicationPolicyFilterArgs(prefix_match=list(args.prefix_match))
            if args.prefix_match
            else None
        )

        replica = storage.BlobContainer(
            f"{name}-replica",
            account_name=args.destination_account_name,
            resource_group_name=args.destination_resource_group_name,
            container_name=args.destination_container_name,
            public_access=storage.PublicAccess.NONE,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.destination_provider,
                protect=args.protect,
                retain_on_delete=args.protect,
            ),
        )

        destination_policy = storage.ObjectReplicationPolicy(
            f"{name}-destination-policy",
            account_name=args.destination_account_name,
            resource_group_name=args.destination_resource_group_name,
            object_replication_policy_id="default",
            source_account=args.source_account_id,
            destination_account=args.destination_account_id,
            rules=[
                storage.ObjectReplicationPolicyRuleArgs(
                    source_container=args.source_container_name,
                    destination_container=replica.name,
                    filters=filters,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, provider=args.destination_provider),
        )

        rule_id = destination_policy.rules.apply(lambda rules: rules[0].rule_id if rules else None)
        source_policy = storage.ObjectReplicationPolicy(
            f"{name}-source-policy",
            account_name=args.source_account_name,
            resource_group_name=args.source_resource_group_name,
            object_replication_policy_id=destination_policy.policy_id,
            source_account=args.source_account_id,
            destination_account=args.destination_account_id,
            rules=[
                storage.ObjectReplicationPolicyRuleArgs(
                    rule_id=rule_id,
                    source_container=args.source_container_name,
                    destination_container=replica.name,
                    filters=filters,
                )
            ],
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.source_provider, depends_on=[destination_policy]
            ),
        )

        self.replica_container_name = replica.name
        self.replica_container_id = replica.id
        self.policy_id = source_policy.policy_id
        self.register_outputs(
            {
                "replica_container_name": self.replica_container_name,
                "replica_container_id": self.replica_container_id,
                "policy_id": self.policy_id,
            }
        )
