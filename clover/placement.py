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

Shown only, the packs being sent what the program gave (they reproduce these defaults themselves):

- pulumi-gcp places a resource by its own ``location``, ``region`` or ``zone`` (which of them a
  type takes: the residency pack's ``gcp_placement_types.json``, read from the SDK), else by its
  provider's ``region``/``zone`` (for the default provider the stack's ``gcp:region`` /
  ``gcp:zone``). A BigQuery dataset without a ``location`` is created in the ``US`` multi-region,
  whatever the provider says.
  https://www.pulumi.com/registry/packages/gcp/installation-configuration/
  https://cloud.google.com/bigquery/docs/locations
- pulumi-azure (classic) takes a resource's own ``location``; a type that takes one and is given
  none gets its resource group's, which the provider reads from Azure by ``resourceGroupName``
  (``defaultAzureLocation`` in https://github.com/pulumi/pulumi-azure/blob/master/provider/
  resources.go). Offline, only a group of this stack can say where that is.

Values the engine would not know at preview stay ``UNKNOWN``, so the residency rules fail closed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from clover import facts
from clover.packs import packs_dir
from clover.standin.engine import UNKNOWN, Recording
from clover.standin.provider_defaults import takes_argument
from clover.standin.recorded import RecordedResource

AWS_PACKAGE = "aws"
AZURE_PACKAGE = "azure-native"
AWS_NATIVE_PACKAGE = "aws-native"
AZURE_CLASSIC_PACKAGE = "azure"
GCP_PACKAGE = "gcp"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
CLASSIC_RESOURCE_GROUP = "azure:core/resourceGroup:ResourceGroup"

_RESIDENCY_PACK: Final = packs_dir() / "eu_residency"

GCP_DEFAULT_LOCATIONS: Final = {
    # "If you don't specify a location, the dataset is created in the US multi-region."
    # (https://cloud.google.com/bigquery/docs/datasets#create-dataset); pulumi-gcp's ``location``
    # doc: "The default value is multi-regional location `US`". The residency pack's
    # placement_gcp.DOCUMENTED_DEFAULTS holds the same.
    "gcp:bigquery/dataset:Dataset": "US",
}
"""Where a GCP type lands without a location of its own, when that is not the provider's."""


@functools.cache
def remote_component_packages() -> Mapping[str, str]:
    """Reviewed multi-language components and the placed package of their children (the
    residency pack's ``remote_components.json``); empty when the pack is not here."""
    try:
        data = json.loads((_RESIDENCY_PACK / "remote_components.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(t): str(e.get("package", "")) for t, e in data.get("components", {}).items()}


def remote_component_package(resource_type: str) -> str:
    """The package whose provider a remote component's children inherit: the reviewed one, else
    the component's own (the engine binds a remote component to its own package's provider)."""
    for pattern, package in remote_component_packages().items():
        if pattern.endswith("*") and resource_type.startswith(pattern[:-1]):
            return package
        if pattern == resource_type:
            return package
    return package_of(resource_type)


@functools.cache
def gcp_placement_arguments() -> Mapping[str, tuple[str, ...]]:
    """Which of ``location``/``region``/``zone`` each pulumi-gcp type takes, as the residency pack
    read them from the SDK (``gcp_placement_types.json``); empty when the pack is not here."""
    try:
        data = json.loads((_RESIDENCY_PACK / "gcp_placement_types.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(t): tuple(a) for t, a in data.get("placementArguments", {}).items()}


@functools.cache
def azure_classic_location_types() -> frozenset[str]:
    """The pulumi-azure types that take ``location`` (the residency pack's list, from the SDK)."""
    try:
        data = json.loads(
            (_RESIDENCY_PACK / "azure_classic_location_types.json").read_text("utf-8")
        )
    except (OSError, ValueError):
        return frozenset()
    return frozenset(str(t) for t in data.get("typesWithLocation", ()))


@dataclass(frozen=True, kw_only=True)
class Placed:
    """A recorded resource with the properties the engine would send after the provider's Check."""

    resource: RecordedResource
    properties: Mapping[str, Any]
    provider: RecordedResource | None
    region: str | None = None
    """AWS: the effective region (``UNKNOWN`` when it cannot be proven); None for other packages."""
    location: str | None = None
    """Azure: the effective location (``UNKNOWN`` when it cannot be proven); None for others."""
    gcp_location: str | None = None
    """Google Cloud: the effective region, zone or multi-region as Google writes it (``UNKNOWN``
    when it cannot be proven); None for other packages and for types placed by nested fields."""
    provider_package: str | None = None
    """A remote component's: the package of the provider it is analyzed with (its children's),
    whose default provider stands in when it was given none."""

    @property
    def place(self) -> str | None:
        """Where the resource is, whichever cloud: its region, location or GCP location."""
        for where in (self.region, self.location, self.gcp_location):
            if where is not None:
                return where
        return None

    @property
    def country(self) -> str | None:
        if self.region and self.region in facts.AWS_EUROPE_REGIONS:
            return facts.AWS_EUROPE_REGIONS[self.region][1]
        if self.location and self.location in facts.AZURE_EUROPE_LOCATIONS:
            return facts.AZURE_EUROPE_LOCATIONS[self.location][1]
        if self.gcp_location and self.gcp_location != UNKNOWN:
            return gcp_country(self.gcp_location)
        return None


def normalise_azure_location(value: str) -> str:
    """Azure's programmatic form of a location (``"North Europe"`` is ``northeurope``); a value
    that is no location name (a look-alike character, a path) unchanged, so in no list."""
    return facts.normalise_azure_location(value) or value


def normalise_gcp_location(value: str) -> str:
    """A GCP location as Google writes it: regions and zones lower case (``EUROPE-WEST1`` is
    ``europe-west1``), multi- and dual-regions upper case (``eu`` is ``EU``); a value that is no
    location name unchanged, so in no list."""
    name = facts.normalise_gcp_location(value)
    if name is None:
        return value
    if name in facts.GCP_MULTI_LOCATIONS or name in facts.GCP_DUAL_REGIONS:
        return name.upper()
    return name


def gcp_regions_of(location: str) -> tuple[str, ...]:
    """The regions a (normalised) GCP location keeps data in: itself, a zone's region, a dual- or
    multi-region configuration's regions; empty for an area multi-region or an unknown name."""
    name = facts.normalise_gcp_location(location)
    if name is None:
        return ()
    spans = facts.gcp_location_regions(name)
    if spans is not None:
        return spans
    return () if name in facts.GCP_MULTI_LOCATIONS else (facts.gcp_zone_region(name) or name,)


def gcp_multi_region_label(name: str) -> str:
    """What the country column says of a multi-region: ``EU multi-region``, ``Europe
    multi-region``."""
    return f"{name.upper() if len(name) == 2 else name.capitalize()} multi-region"


def gcp_country(location: str) -> str | None:
    """What the country column says of a (normalised) GCP location: the ISO code of a region's
    (or a zone's region's) country, the area of a multi-region (``EU multi-region``), the
    countries of a dual-region (``FI, NL``); None where the facts do not know it."""
    name = facts.normalise_gcp_location(location)
    if name is None or name != location.lower():
        return None
    if name in facts.GCP_MULTI_LOCATIONS:
        return gcp_multi_region_label(name)
    spans = gcp_regions_of(name)
    countries = [
        facts.GCP_EUROPE_REGIONS[code] for code in spans if code in facts.GCP_EUROPE_REGIONS
    ]
    if not spans or len(countries) != len(spans):
        return None
    return ", ".join(dict.fromkeys(countries))


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


def _known(value: object) -> TypeGuard[str]:
    """A non-empty string the engine knows at preview."""
    return isinstance(value, str) and value not in {"", UNKNOWN}


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
        self._classic_groups: dict[str, RecordedResource] = {}
        self._locations: dict[str, str] = {}
        for resource in recording.resources if recording is not None else ():
            self.add(resource)

    def add(self, resource: RecordedResource) -> None:
        self.by_urn[resource.urn] = resource
        if resource.type == RESOURCE_GROUP:
            self._groups.append(resource)
        if resource.type == CLASSIC_RESOURCE_GROUP:
            # Without a ``name`` input the group is named from its logical name; ARM names are
            # case-insensitive (the residency pack's ClassicIndex matches them the same way).
            own = resource.inputs.get("name", resource.name)
            if isinstance(own, str) and own and own != UNKNOWN:
                self._classic_groups.setdefault(own.lower(), resource)

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
            # Resource-group names are case-insensitive in ARM, as the residency pack matches
            # them (policy_packs/eu_residency/placement_azure.py).
            for group in self._groups:
                own = group.inputs.get("resourceGroupName", group.name)
                if isinstance(own, str) and own.lower() == name.lower():
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

    def gcp_location(self, resource: RecordedResource) -> str | None:
        """A pulumi-gcp resource's effective location; None for a type without a placement
        argument (placed by a nested field, or placed nowhere: the residency pack judges it)."""
        arguments = gcp_placement_arguments().get(resource.type)
        if arguments is None:
            return None
        for argument in arguments:
            own = resource.inputs.get(argument)
            if own is not None and own != "":
                return normalise_gcp_location(own) if _known(own) else UNKNOWN
        default = GCP_DEFAULT_LOCATIONS.get(resource.type)
        if default is not None:
            return default
        provider = self._provider(resource)
        settings: Mapping[str, Any] = (
            provider.inputs
            if provider is not None
            else {"region": self.config.get("gcp:region"), "zone": self.config.get("gcp:zone")}
        )
        # A zonal type falls back to the provider's zone first, the others to its region; either
        # names the region, which is what residency needs (placement_gcp._provider_placement).
        order = ("zone", "region") if arguments == ("zone",) else ("region", "zone")
        for key in order:
            value = settings.get(key)
            if value is not None and value != "":
                return normalise_gcp_location(value) if _known(value) else UNKNOWN
        return UNKNOWN

    def azure_classic_location(self, resource: RecordedResource) -> str | None:
        """A pulumi-azure resource's location: its own, else (for a type that takes one) its
        resource group's; None for a type without a location (it lives in its parent)."""
        own = resource.inputs.get("location")
        if own is not None and own != "":
            return normalise_azure_location(own) if _known(own) else UNKNOWN
        if resource.type == CLASSIC_RESOURCE_GROUP:
            return self._classic_provider_location(resource)
        if resource.type not in azure_classic_location_types():
            return None
        group = self._classic_group(resource)
        if group is None or group is resource:
            return UNKNOWN
        return self.azure_classic_location(group)

    def _classic_provider_location(self, group: RecordedResource) -> str:
        """A pulumi-azure resource group without a location takes its provider's ``location``
        (for the default provider the stack's ``azure:location``): the bridge's default for
        ``azurerm_resource_group`` (pulumi-azure provider/resources.go, ``DefaultInfo{Config:
        azureLocation}``). Other resources inherit it from their group, as the pack resolves."""
        provider = self._provider(group)
        location = (
            provider.inputs.get("location")
            if provider is not None
            else self.config.get("azure:location")
        )
        text = _text(location)
        return (normalise_azure_location(text) or UNKNOWN) if text else UNKNOWN

    def _classic_group(self, resource: RecordedResource) -> RecordedResource | None:
        name = resource.inputs.get("resourceGroupName")
        if _known(name):
            return self._classic_groups.get(name.lower())
        # Unknown until apply: the group's only when it is exactly that group's name output.
        urn, _, output = resource.proofs.get("resourceGroupName", "").rpartition("#")
        found = self.by_urn.get(urn)
        if found is not None and found.type == CLASSIC_RESOURCE_GROUP and output == "name":
            return found
        return None

    def _remote(self, resource: RecordedResource) -> Placed:
        """A multi-language component, whose children its provider plugin would construct: the
        check cannot run that plugin, so the component stands for them, with the provider of
        their package it passes down (its ``providers`` map, else that package's default).
        The residency pack judges a reviewed one (remote_components.json) as that package's
        resource; any other is not assessed."""
        package = remote_component_package(resource.type)
        reference = resource.providers.get(package)
        if reference is None and package == package_of(resource.type):
            reference = resource.provider
        provider = self.by_urn.get(reference.rsplit("::", 1)[0]) if reference else None
        region = None
        if package == AWS_PACKAGE:
            source = (
                provider.inputs
                if provider is not None
                else {"region": self.config.get("aws:region")}
            )
            region = _text(source.get("region")) or UNKNOWN
        return Placed(
            resource=resource,
            properties=dict(resource.inputs),
            provider=provider,
            region=region,
            provider_package=package,
        )

    def place(self, resource: RecordedResource) -> Placed:
        if resource.remote:
            return self._remote(resource)
        package = package_of(resource.type)
        properties = dict(resource.inputs)
        region = location = gcp_location = None
        if package == AWS_PACKAGE and _takes(resource, "region"):
            region = self.aws_region(resource)
            properties.setdefault("region", region)
        elif package == AZURE_PACKAGE and _takes(resource, "location"):
            location = self.azure_location(resource)
            properties.setdefault("location", location)
        elif package == AWS_NATIVE_PACKAGE:
            region = self.aws_native_region(resource)
        elif package == AZURE_CLASSIC_PACKAGE:
            location = self.azure_classic_location(resource)
            if resource.type == CLASSIC_RESOURCE_GROUP and location is not None:
                properties.setdefault("location", location)
        elif package == GCP_PACKAGE:
            gcp_location = self.gcp_location(resource)
        return Placed(
            resource=resource,
            properties=properties,
            provider=self._provider(resource),
            region=region,
            location=location,
            gcp_location=gcp_location,
        )

    def place_all(self) -> list[Placed]:
        return [self.place(r) for r in self.by_urn.values()]
