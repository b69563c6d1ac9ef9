"""The site and region catalog: the one place that says where Clover may put data.

Facts come from the providers' own region metadata (botocore ``partitions.json`` for AWS,
Microsoft's list of Azure regions and region pairs). A policy pack is published on its own and
keeps its own allow-list defaults; a test proves every site placement here lies inside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Cloud(StrEnum):
    AWS = "aws"
    AZURE = "azure"


@dataclass(frozen=True, kw_only=True)
class Region:
    """A cloud region or location in Europe."""

    cloud: Cloud
    code: str
    """The provider's identifier: ``eu-west-1``, ``northeurope``."""
    city: str
    country: str
    """ISO 3166-1 alpha-2 code of the country the region's data centres are in."""
    eea: bool
    """Inside the European Economic Area (the EU plus Norway, Iceland and Liechtenstein)."""
    pair: str | None = None
    """Azure only: the region that geo-redundant storage copies to, if the region has one."""
    restricted: bool = False
    """Azure only: the region accepts new customers only on request."""


def _index(*regions: Region) -> MappingProxyType[str, Region]:
    return MappingProxyType({r.code: r for r in regions})


_EU_COUNTRIES: Final = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
)
EEA_COUNTRIES: Final = frozenset([*_EU_COUNTRIES.split(), "IS", "LI", "NO"])


AWS_REGIONS: Final = _index(
    Region(cloud=Cloud.AWS, code="eu-west-1", city="Dublin", country="IE", eea=True),
    Region(cloud=Cloud.AWS, code="eu-north-1", city="Stockholm", country="SE", eea=True),
    Region(cloud=Cloud.AWS, code="eu-central-1", city="Frankfurt", country="DE", eea=True),
    Region(cloud=Cloud.AWS, code="eu-west-3", city="Paris", country="FR", eea=True),
    Region(cloud=Cloud.AWS, code="eu-south-1", city="Milan", country="IT", eea=True),
    Region(cloud=Cloud.AWS, code="eu-south-2", city="Aragón", country="ES", eea=True),
    Region(cloud=Cloud.AWS, code="eu-west-2", city="London", country="GB", eea=False),
    Region(cloud=Cloud.AWS, code="eu-central-2", city="Zurich", country="CH", eea=False),
)
"""AWS commercial-partition regions in Europe."""

AZURE_REGIONS: Final = _index(
    Region(
        cloud=Cloud.AZURE,
        code="northeurope",
        city="Dublin",
        country="IE",
        eea=True,
        pair="westeurope",
    ),
    Region(
        cloud=Cloud.AZURE,
        code="westeurope",
        city="Amsterdam",
        country="NL",
        eea=True,
        pair="northeurope",
    ),
    Region(
        cloud=Cloud.AZURE, code="norwayeast", city="Oslo", country="NO", eea=True, pair="norwaywest"
    ),
    Region(
        cloud=Cloud.AZURE,
        code="norwaywest",
        city="Stavanger",
        country="NO",
        eea=True,
        pair="norwayeast",
        restricted=True,
    ),
    Region(
        cloud=Cloud.AZURE,
        code="swedencentral",
        city="Gävle",
        country="SE",
        eea=True,
        pair="swedensouth",
    ),
    Region(
        cloud=Cloud.AZURE,
        code="germanywestcentral",
        city="Frankfurt",
        country="DE",
        eea=True,
        pair="germanynorth",
    ),
    Region(
        cloud=Cloud.AZURE,
        code="germanynorth",
        city="Berlin",
        country="DE",
        eea=True,
        pair="germanywestcentral",
        restricted=True,
    ),
    Region(
        cloud=Cloud.AZURE,
        code="francecentral",
        city="Paris",
        country="FR",
        eea=True,
        pair="francesouth",
    ),
    Region(
        cloud=Cloud.AZURE,
        code="francesouth",
        city="Marseille",
        country="FR",
        eea=True,
        pair="francecentral",
        restricted=True,
    ),
    Region(
        cloud=Cloud.AZURE,
        code="swedensouth",
        city="Malmö",
        country="SE",
        eea=True,
        pair="swedencentral",
        restricted=True,
    ),
    Region(cloud=Cloud.AZURE, code="italynorth", city="Milan", country="IT", eea=True),
    Region(cloud=Cloud.AZURE, code="polandcentral", city="Warsaw", country="PL", eea=True),
    Region(cloud=Cloud.AZURE, code="spaincentral", city="Madrid", country="ES", eea=True),
    Region(cloud=Cloud.AZURE, code="austriaeast", city="Vienna", country="AT", eea=True),
    Region(cloud=Cloud.AZURE, code="belgiumcentral", city="Brussels", country="BE", eea=True),
    Region(cloud=Cloud.AZURE, code="denmarkeast", city="Copenhagen", country="DK", eea=True),
    Region(
        cloud=Cloud.AZURE, code="uksouth", city="London", country="GB", eea=False, pair="ukwest"
    ),
    Region(
        cloud=Cloud.AZURE, code="ukwest", city="Cardiff", country="GB", eea=False, pair="uksouth"
    ),
    Region(
        cloud=Cloud.AZURE,
        code="switzerlandnorth",
        city="Zurich",
        country="CH",
        eea=False,
        pair="switzerlandwest",
    ),
    Region(
        cloud=Cloud.AZURE,
        code="switzerlandwest",
        city="Geneva",
        country="CH",
        eea=False,
        pair="switzerlandnorth",
        restricted=True,
    ),
)
"""Azure regions in Europe, by programmatic name."""

GCP: Final = "gcp"
"""Google Cloud: resources a program creates with pulumi-gcp are shown and judged, though no
Clover site deploys to it (so it is no :class:`Cloud` a site or backup route can name)."""


@dataclass(frozen=True, kw_only=True)
class GcpRegion:
    """A Google Cloud region in Europe."""

    code: str
    """The region's name, lower case: ``europe-west1``."""
    city: str
    country: str
    """ISO 3166-1 alpha-2 code of the country the region's data centres are in."""
    eea: bool


def _gcp(code: str, city: str, country: str) -> GcpRegion:
    return GcpRegion(code=code, city=city, country=country, eea=country in EEA_COUNTRIES)


# The facts of the residency pack's reviewed list (policy_packs/eu_residency/regions.py
# GCP_EUROPE_REGIONS, with its sources); tests/test_placement_providers.py keeps the two equal.
# Google's region tables, e.g. https://cloud.google.com/kubernetes-engine/distributed-cloud/
# bare-metal/docs/reference/supported-regions-on-prem-api: europe-west1 St. Ghislain, Belgium;
# europe-north1 Hamina, Finland; europe-west4 Eemshaven, Netherlands.
GCP_REGIONS: Final = MappingProxyType(
    {
        r.code: r
        for r in (
            _gcp("europe-west1", "St. Ghislain", "BE"),
            _gcp("europe-west2", "London", "GB"),
            _gcp("europe-west3", "Frankfurt", "DE"),
            _gcp("europe-west4", "Eemshaven", "NL"),
            _gcp("europe-west6", "Zurich", "CH"),
            _gcp("europe-west8", "Milan", "IT"),
            _gcp("europe-west9", "Paris", "FR"),
            _gcp("europe-west10", "Berlin", "DE"),
            _gcp("europe-west12", "Turin", "IT"),
            _gcp("europe-central2", "Warsaw", "PL"),
            _gcp("europe-north1", "Hamina", "FI"),
            _gcp("europe-north2", "Stockholm", "SE"),
            _gcp("europe-southwest1", "Madrid", "ES"),
        )
    }
)
"""Google Cloud regions in Europe, by name."""

GCP_MULTI_REGIONS: Final = MappingProxyType(
    {
        # Cloud Storage / BigQuery multi-regions (https://cloud.google.com/storage/docs/locations):
        # an area, not a list of regions. ``EU`` keeps data in EU member states; ``EUROPE``
        # (Artifact Registry) spans all of Europe, the UK and Switzerland included.
        "eu": "EU multi-region",
        "europe": "Europe multi-region",
        "us": "US multi-region",
        "asia": "Asia multi-region",
    }
)
"""Multi-regions, and what the country column says of them."""

GCP_DUAL_REGIONS: Final = MappingProxyType(
    {
        # Predefined Cloud Storage dual-regions (https://cloud.google.com/storage/docs/locations).
        "eur4": ("europe-north1", "europe-west4"),
        "eur5": ("europe-west1", "europe-west2"),
        "eur7": ("europe-west2", "europe-west3"),
        "eur8": ("europe-west3", "europe-west6"),
        "nam4": ("us-central1", "us-east1"),
        "asia1": ("asia-northeast1", "asia-northeast2"),
    }
)
"""Predefined dual-regions and the two regions holding the data."""

GCP_MULTI_REGION_CONFIGS: Final = MappingProxyType(
    {
        # Spanner / Firestore multi-region configurations, witness regions included
        # (https://cloud.google.com/spanner/docs/instance-configurations).
        "eur3": ("europe-west1", "europe-west4", "europe-north1"),
        "eur6": ("europe-west4", "europe-west3", "europe-west6"),
        "nam3": ("us-east4", "us-east1", "us-central1"),
        "nam5": ("us-central1", "us-central2", "us-east1"),
        "nam-eur-asia1": (
            "us-central1",
            "us-central2",
            "europe-west1",
            "europe-west4",
            "asia-east1",
        ),
    }
)
"""Multi-region database configurations and every region holding a replica."""

REGIONS: Final = MappingProxyType({Cloud.AWS: AWS_REGIONS, Cloud.AZURE: AZURE_REGIONS})

AZURE_STORAGE_SKUS: Final = frozenset(
    {
        "Premium_LRS",
        "Premium_ZRS",
        "PremiumV2_LRS",
        "PremiumV2_ZRS",
        "Standard_GRS",
        "Standard_GZRS",
        "Standard_LRS",
        "Standard_RAGRS",
        "Standard_RAGZRS",
        "Standard_ZRS",
        "StandardV2_GRS",
        "StandardV2_GZRS",
        "StandardV2_LRS",
        "StandardV2_ZRS",
    }
)
"""Azure storage account SKUs (azure-native v3 ``storage.SkuName``; tests/test_catalog.py keeps
the two equal)."""


def geo_redundant_storage_sku(sku: str) -> bool:
    """Whether an Azure storage SKU copies the data to the location's paired region: every SKU
    but the locally and zone-redundant ones (``*_LRS``, ``*_ZRS``), an unknown future one included
    (fail closed), exactly as the residency pack judges them (``_is_local_storage_sku`` in
    policy_packs/eu_residency/data_movement_azure.py).
    https://learn.microsoft.com/azure/storage/common/storage-redundancy#redundancy-in-a-secondary-region"""
    return not sku.endswith(("_LRS", "_ZRS"))


APPROVED_AWS_REGIONS: Final = frozenset(code for code, r in AWS_REGIONS.items() if r.eea)
"""Where Clover may place data on AWS: the EEA regions."""

APPROVED_AZURE_LOCATIONS: Final = frozenset(code for code, r in AZURE_REGIONS.items() if r.eea)
"""Where Clover may place data on Azure: the EEA regions."""

APPROVED_GCP_LOCATIONS: Final = frozenset(
    [
        *(code for code, r in GCP_REGIONS.items() if r.eea),
        "eu",
        *(
            name
            for name, spans in (*GCP_DUAL_REGIONS.items(), *GCP_MULTI_REGION_CONFIGS.items())
            if all(code in GCP_REGIONS and GCP_REGIONS[code].eea for code in spans)
        ),
    ]
)
"""Where Clover may place data on Google Cloud: EEA regions, the EU multi-region, and dual- and
multi-region configurations wholly in the EEA (the residency pack's ``allowedGcpLocations``)."""

APPROVED: Final = MappingProxyType(
    {Cloud.AWS: APPROVED_AWS_REGIONS, Cloud.AZURE: APPROVED_AZURE_LOCATIONS}
)


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where one site's data sits on one cloud."""

    site: str
    cloud: Cloud
    region: str
    country: str
    in_site_country: bool
    """False when the cloud has no region in the site's country and the stack opted into a
    neighbouring one: every placement output then says the data sits outside the country."""

    def describe(self) -> str:
        where = REGIONS[self.cloud][self.region]
        text = f"{self.cloud.value} {self.region} ({where.city}, {self.country})"
        if not self.in_site_country:
            text += f": outside {SITES[self.site].country}, by explicit opt-in"
        return text


@dataclass(frozen=True, kw_only=True)
class Site:
    """A place that holds European user data."""

    name: str
    country: str
    regions: MappingProxyType[Cloud, str]
    """The default region per cloud that has one in the site's country."""
    nearest: MappingProxyType[Cloud, str]
    """Per cloud without a region in the country: the nearest EEA region, used only by opt-in."""

    def placement(self, cloud: Cloud, region: str) -> Placement:
        country = REGIONS[cloud][region].country
        return Placement(
            site=self.name,
            cloud=cloud,
            region=region,
            country=country,
            in_site_country=country == self.country,
        )


SITES: Final = MappingProxyType(
    {
        "dublin": Site(
            name="dublin",
            country="IE",
            regions=MappingProxyType({Cloud.AWS: "eu-west-1", Cloud.AZURE: "northeurope"}),
            nearest=MappingProxyType({}),
        ),
        "hamar": Site(
            name="hamar",
            country="NO",
            regions=MappingProxyType({Cloud.AZURE: "norwayeast"}),
            # AWS has no region in Norway; Stockholm is the nearest region inside the EEA.
            nearest=MappingProxyType({Cloud.AWS: "eu-north-1"}),
        ),
    }
)

# Local Zones carry their parent region's code; their own names say where they are.
# https://aws.amazon.com/about-aws/global-infrastructure/localzones/locations/
AWS_LOCAL_ZONES: Final = MappingProxyType(
    {
        "eu-central-1-ath-1a": "GR",
        "eu-central-1-ham-1a": "DE",
        "eu-central-1-waw-1a": "PL",
        "eu-central-1-ist-1a": "TR",
        "eu-north-1-cph-1a": "DK",
        "eu-north-1-hel-1a": "FI",
    }
)


def normalise_azure_location(value: str) -> str:
    """Azure's programmatic form of a location: ``"North Europe"`` becomes ``northeurope``.

    Only ASCII letters and digits survive a match afterwards; a look-alike character (a non-ASCII
    hyphen, a Cyrillic letter) leaves a name that is in no catalog and is therefore refused.
    """
    if not value.isascii():
        # str.lower() maps some non-ASCII look-alikes onto ASCII (KELVIN SIGN to "k"): refuse first.
        return value
    return value.replace(" ", "").lower()


_GCP_NAME: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_GCP_ZONE: Final = re.compile(r"(?P<region>[a-z]+(?:-[a-z]+)+[0-9]+)-[a-z]")


def normalise_gcp_location(value: str) -> str:
    """The form Google documents a location in: regions and zones lower case (``EUROPE-WEST1``
    becomes ``europe-west1``), multi- and dual-regions upper case (``eu`` becomes ``EU``).

    GCP location names are case-insensitive. Anything that is not an ASCII location name is
    returned unchanged, so it is in no catalog and never allowed (``str.lower`` maps KELVIN SIGN
    to ``k``: refuse non-ASCII first).
    """
    if not value.isascii():
        return value
    name = value.strip().lower()
    if not _GCP_NAME.fullmatch(name):
        return value
    if name in GCP_MULTI_REGIONS or name in GCP_DUAL_REGIONS:
        return name.upper()
    return name


def gcp_zone_region(location: str) -> str | None:
    """The region of a (normalised) zone, ``europe-west1-b`` → ``europe-west1``; else None."""
    zone = _GCP_ZONE.fullmatch(location)
    return zone.group("region") if zone is not None else None


def gcp_regions_of(location: str) -> tuple[str, ...]:
    """The regions a (normalised) location keeps data in: itself, a zone's region, a dual- or
    multi-region configuration's regions; empty for an area multi-region or an unknown name."""
    if not location.isascii():
        return ()
    name = location.lower()
    spans = GCP_DUAL_REGIONS.get(name) or GCP_MULTI_REGION_CONFIGS.get(name)
    if spans is not None:
        return spans
    return (gcp_zone_region(name) or name,) if _GCP_NAME.fullmatch(name) else ()


def gcp_country(location: str) -> str | None:
    """What the country column says of a (normalised) GCP location: the ISO code of a region's
    (or a zone's region's) country, the area of a multi-region (``EU multi-region``), the
    countries of a dual-region (``FI, NL``); None where the catalog does not know it."""
    name = location.lower()
    if name in GCP_MULTI_REGIONS:
        return GCP_MULTI_REGIONS[name]
    spans = gcp_regions_of(name)
    countries = [GCP_REGIONS[code].country for code in spans if code in GCP_REGIONS]
    if not spans or len(countries) != len(spans):
        return None
    return ", ".join(dict.fromkeys(countries))
