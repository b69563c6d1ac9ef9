"""Where each recorded resource lands: what the providers fill in during ``Check``, reproduced.

Mocks do not run a provider's ``Check``, so defaults that the real engine would see are filled in
here, deliberately and only as the providers document them:

- pulumi-aws v7 gives most resources a ``region`` argument. When it is not set, the provider's
  ``region`` applies (for a default provider, the stack's ``aws:region``). A region given only by
  the ``AWS_REGION`` environment variable is not in the provider's inputs, so it stays unknown.
  https://www.pulumi.com/registry/packages/aws/how-to-guides/multi-region-v7/
- pulumi-azure-native v3 fills a missing ``location`` from the provider's ``location`` (for a
  default provider ``azure-native:location``), else from the resource group's location; when the
  resource group cannot be identified, the location is unknown.
  https://www.pulumi.com/registry/packages/azure-native/installation-configuration/

Values the engine would not know at preview stay ``UNKNOWN``, so the residency rules fail closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clover.catalog import AWS_REGIONS, AZURE_REGIONS, normalise_azure_location
from clover.standin.engine import UNKNOWN, RecordedResource, Recording
from clover.standin.provider_defaults import takes_argument

AWS_PACKAGE = "aws"
AZURE_PACKAGE = "azure-native"
AWS_NATIVE_PACKAGE = "aws-native"
AZURE_CLASSIC_PACKAGE = "azure"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"


@dataclass(frozen=True, kw_only=True)
class Placed:
    """A recorded resource with the properties the engine would send after the provider's Check."""

    resource: RecordedResource
    properties: Mapping[str, Any]
    provider: RecordedResource | None
    region: str | None
    """AWS: the effective region (``UNKNOWN`` when it cannot be proven); None for other packages."""
    location: str | None
    """Azure: the effective location (``UNKNOWN`` when it cannot be proven); None for others."""

    @property
    def country(self) -> str | None:
        if self.region and self.region in AWS_REGIONS:
            return AWS_REGIONS[self.region].country
        if self.location and self.location in AZURE_REGIONS:
            return AZURE_REGIONS[self.location].country
        return None


def package_of(type_: str) -> str:
    if type_.startswith("pulumi:providers:"):
        return "pulumi"
    return type_.split(":", 1)[0]


def _takes(resource: RecordedResource, argument: str) -> bool:
    """Whether the resource's SDK class takes ``argument``: as the program's process reported it,
    else read from the SDK installed here."""
    if resource.arguments is not None:
        return argument in resource.arguments
    return takes_argument(resource.type, argument)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class Placer:
    """Fills in effective regions and locations, one resource at a time as they are registered.

    A resource's provider and resource group are registered before the resource itself (their
    outputs are its inputs), so each resource can be placed as soon as it arrives, the way the
    engine checks and analyzes each resource at registration.
    """

    def __init__(self, recording: Recording | None, config: Mapping[str, str]) -> None:
        self.config = config
        self.by_urn: dict[str, RecordedResource] = {}
        self._groups: list[RecordedResource] = []
        self._locations: dict[str, str] = {}
        for resource in recording.resources if recording is not None else ():
            self.add(resource)

    def add(self, resource: RecordedResource) -> None:
        self.by_urn[resource.urn] = resource
        if resource.type == RESOURCE_GROUP:
            self._groups.append(resource)

    def _provider(self, resource: RecordedResource) -> RecordedResource | None:
        return self.by_urn.get(resource.provider_urn) if resource.provider_urn else None

    def aws_region(self, resource: RecordedResource) -> str:
        own = resource.inputs.get("region")
        if own is not None:
            return own if isinstance(own, str) and own else UNKNOWN
        provider = self._provider(resource)
        if provider is not None:
            return _text(provider.inputs.get("region")) or UNKNOWN
        return _text(self.config.get("aws:region")) or UNKNOWN

    def aws_native_region(self, resource: RecordedResource) -> str:
        """Shown only: Cloud Control creates the resource in its provider's region (for the default
        provider ``aws-native:region``); the properties the packs see are left as the program gave
        them, since aws-native types take no region of their own."""
        own = _text(resource.inputs.get("region"))
        if own is not None and resource.type == "aws-native:sns:Subscription":
            return own  # the topic's region, where the subscription lives
        provider = self._provider(resource)
        if provider is not None:
            return _text(provider.inputs.get("region")) or UNKNOWN
        return _text(self.config.get("aws-native:region")) or UNKNOWN

    def azure_location(self, resource: RecordedResource) -> str:
        cached = self._locations.get(resource.urn)
        if cached is not None:
            return cached
        location = self._azure_location(resource)
        self._locations[resource.urn] = location
        return location

    def _azure_location(self, resource: RecordedResource) -> str:
        own = resource.inputs.get("location")
        if own is not None:
            return normalise_azure_location(own) if isinstance(own, str) and own else UNKNOWN
        provider = self._provider(resource)
        provider_location = (
            provider.inputs.get("location")
            if provider is not None
            else self.config.get("azure-native:location")
        )
        if _text(provider_location):
            return normalise_azure_location(str(provider_location))
        group = self._resource_group(resource)
        if group is None:
            return UNKNOWN
        return self.azure_location(group)

    def _resource_group(self, resource: RecordedResource) -> RecordedResource | None:
        """The stack's resource group this resource is placed in, if it can be identified."""
        name = resource.inputs.get("resourceGroupName")
        if isinstance(name, str) and name != UNKNOWN:
            for group in self._groups:
                if group.inputs.get("resourceGroupName", group.name) == name:
                    return group
            return None
        # Not known until apply: the group's only when it is exactly that group's name output
        # (clover/standin/provenance.py). A dependency is no proof: `Output.concat(rg.name,
        # "-shared")` depends on the group and names another one.
        source = resource.proofs.get("resourceGroupName", "")
        urn, _, output = source.rpartition("#")
        found = self.by_urn.get(urn)
        if found is not None and found.type == RESOURCE_GROUP and output == "name":
            return found
        return None

    def place(self, resource: RecordedResource) -> Placed:
        package = package_of(resource.type)
        properties = dict(resource.inputs)
        region = location = None
        if package == AWS_PACKAGE and _takes(resource, "region"):
            region = self.aws_region(resource)
            properties.setdefault("region", region)
        elif package == AZURE_PACKAGE and _takes(resource, "location"):
            location = self.azure_location(resource)
            properties.setdefault("location", location)
        elif package == AWS_NATIVE_PACKAGE:
            region = self.aws_native_region(resource)
        elif package == AZURE_CLASSIC_PACKAGE and _text(resource.inputs.get("location")):
            location = normalise_azure_location(resource.inputs["location"])
        return Placed(
            resource=resource,
            properties=properties,
            provider=self._provider(resource),
            region=region,
            location=location,
        )

    def place_all(self) -> list[Placed]:
        return [self.place(r) for r in self.by_urn.values()]
