"""Residency facts: which regions and locations are in Europe, in which country and city, which
are inside the EEA, how Azure pairs them, and how names are normalised.

This file is the one source of these facts. A policy pack is published on its own, so
``tools/sync_facts.py`` copies it byte for byte into the pack that judges placement
(``policy_packs/eu_residency/regions.py``); ``tests/test_facts.py`` fails when a copy differs.
Edit it here, then run ``make facts``. It needs the standard library only.

Sources: botocore ``partitions.json`` and AWS's Local Zones list
(https://aws.amazon.com/about-aws/global-infrastructure/localzones/locations/), Microsoft's list of
regions and pairs (https://learn.microsoft.com/azure/reliability/cross-region-replication-azure),
Google's region tables (below).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

EEA_COUNTRIES: Final = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
    }
)  # fmt: skip
"""ISO 3166-1 alpha-2 codes of the EU member states plus Iceland, Liechtenstein and Norway."""

AWS_EUROPE_REGIONS: Final = {
    # code: (city, country)
    "eu-west-1": ("Dublin", "IE"),
    "eu-north-1": ("Stockholm", "SE"),
    "eu-central-1": ("Frankfurt", "DE"),
    "eu-west-3": ("Paris", "FR"),
    "eu-south-1": ("Milan", "IT"),  # opt-in
    "eu-south-2": ("Aragón", "ES"),  # opt-in
    "eu-west-2": ("London", "GB"),
    "eu-central-2": ("Zurich", "CH"),
}
"""AWS commercial-partition regions in Europe: their city and country."""

EEA_AWS_REGIONS: Final = tuple(
    code for code, (_, country) in AWS_EUROPE_REGIONS.items() if country in EEA_COUNTRIES
)
"""AWS commercial regions inside the EEA. eu-west-2 (GB) and eu-central-2 (CH) are not."""

AWS_LOCAL_ZONE_COUNTRIES: Final = {
    # A Local Zone carries its parent region's code, so a region check alone would let Istanbul
    # (parent eu-central-1, Frankfurt) through.
    "eu-central-1-ath-1": "GR",
    "eu-central-1-ham-1": "DE",
    "eu-central-1-waw-1": "PL",
    "eu-central-1-ist-1": "TR",
    "eu-north-1-cph-1": "DK",
    "eu-north-1-hel-1": "FI",
}
"""European Local Zone groups (zone name without its letter) and their countries."""

AWS_ZONE_ID_PREFIXES: Final = {
    # Availability-zone IDs (``euw1-az1``) name the region by an abbreviation.
    "euw1": "eu-west-1",
    "eun1": "eu-north-1",
    "euc1": "eu-central-1",
    "euw3": "eu-west-3",
    "eus1": "eu-south-1",
    "eus2": "eu-south-2",
    "euw2": "eu-west-2",
    "euc2": "eu-central-2",
}

AWS_LOCAL_ZONE_CITY_COUNTRIES: Final = {
    "ath": "GR",
    "ham": "DE",
    "waw": "PL",
    "ist": "TR",
    "cph": "DK",
    "hel": "FI",
}
"""The city code in a Local Zone ID (``euc1-ist1-az1``) and its country."""

AZURE_EUROPE_LOCATIONS: Final = {
    # name: (city, country)
    "northeurope": ("Dublin", "IE"),
    "westeurope": ("Amsterdam", "NL"),
    "norwayeast": ("Oslo", "NO"),
    "norwaywest": ("Stavanger", "NO"),
    "swedencentral": ("Gävle", "SE"),
    "swedensouth": ("Malmö", "SE"),  # listed so that GRS from swedencentral stays in Sweden
    "germanywestcentral": ("Frankfurt", "DE"),
    "germanynorth": ("Berlin", "DE"),
    "francecentral": ("Paris", "FR"),
    "francesouth": ("Marseille", "FR"),
    "italynorth": ("Milan", "IT"),
    "polandcentral": ("Warsaw", "PL"),
    "spaincentral": ("Madrid", "ES"),
    "austriaeast": ("Vienna", "AT"),
    "belgiumcentral": ("Brussels", "BE"),
    "denmarkeast": ("Copenhagen", "DK"),
    "uksouth": ("London", "GB"),
    "ukwest": ("Cardiff", "GB"),
    "switzerlandnorth": ("Zurich", "CH"),
    "switzerlandwest": ("Geneva", "CH"),
}
"""Azure locations in Europe, by programmatic name: their city and country."""

AZURE_RESTRICTED_LOCATIONS: Final = frozenset(
    {"norwaywest", "swedensouth", "germanynorth", "francesouth", "switzerlandwest"}
)
"""Azure locations that accept new customers only on request (a pair's other half)."""

EEA_AZURE_LOCATIONS: Final = tuple(
    name for name, (_, country) in AZURE_EUROPE_LOCATIONS.items() if country in EEA_COUNTRIES
)
"""Azure locations inside the EEA. uksouth/ukwest (GB) and switzerland* (CH) are not."""

AZURE_PAIRS: Final = {
    "northeurope": "westeurope",
    "westeurope": "northeurope",
    "norwayeast": "norwaywest",
    "norwaywest": "norwayeast",
    "swedencentral": "swedensouth",
    "swedensouth": "swedencentral",
    "germanywestcentral": "germanynorth",
    "germanynorth": "germanywestcentral",
    "francecentral": "francesouth",
    "francesouth": "francecentral",
    "uksouth": "ukwest",
    "ukwest": "uksouth",
    "switzerlandnorth": "switzerlandwest",
    "switzerlandwest": "switzerlandnorth",
}
"""Where geo-redundant storage copies to. Regions without a pair cannot be assumed to offer GRS."""

AZURE_STORAGE_SKUS: Final = frozenset(
    {
        "Premium_LRS", "Premium_ZRS", "PremiumV2_LRS", "PremiumV2_ZRS", "Standard_GRS",
        "Standard_GZRS", "Standard_LRS", "Standard_RAGRS", "Standard_RAGZRS", "Standard_ZRS",
        "StandardV2_GRS", "StandardV2_GZRS", "StandardV2_LRS", "StandardV2_ZRS",
    }
)  # fmt: skip
"""Azure storage account SKUs (azure-native v3 ``storage.SkuName``; a test keeps the two equal)."""


def geo_redundant_storage_sku(sku: str) -> bool:
    """Whether an Azure storage SKU copies the data to the location's paired region: every SKU but
    the locally and zone-redundant ones (``*_LRS``, ``*_ZRS``), an unknown future one included
    (fail closed).
    https://learn.microsoft.com/azure/storage/common/storage-redundancy#redundancy-in-a-secondary-region
    """
    return not sku.endswith(("_LRS", "_ZRS"))


GLOBAL_LOCATION: Final = "global"

_AZURE_NAME = re.compile(r"[a-z0-9]+")
_AWS_REGION = re.compile(r"(?:[a-z]{2}|eusc)(?:-[a-z]+)+-[0-9]")
_AWS_ZONE_NAME = re.compile(
    r"(?P<region>(?:[a-z]{2}|eusc)(?:-[a-z]+)+-[0-9])(?:-(?P<city>[a-z]{3})-(?P<n>[0-9]))?[a-z]"
)
_AWS_ZONE_ID = re.compile(r"(?P<prefix>[a-z]{3,4}[0-9])-(?:(?P<city>[a-z]{3})[0-9]-)?az[0-9]+")


def normalise_azure_location(value: str) -> str | None:
    """``"North Europe"`` → ``northeurope``; None for anything that is not an ASCII location name.

    Azure accepts display names and is case-insensitive, so spaces are dropped and ASCII is lowered.
    Non-ASCII input is refused *before* lowering: ``str.lower`` maps KELVIN SIGN to ``k``, so a
    look-alike would otherwise normalise into an allowed name.
    """
    if not value.isascii():
        return None
    name = value.replace(" ", "").lower()
    return name if _AZURE_NAME.fullmatch(name) else None


def normalise_azure_locations(values: Iterable[object]) -> frozenset[str]:
    """Normalise an allow-list from config, dropping entries that are not location names."""
    found = (normalise_azure_location(v) for v in values if isinstance(v, str))
    return frozenset(v for v in found if v is not None)


def is_aws_region_code(value: str) -> bool:
    """True for an exact AWS region code (lower case, no whitespace): codes are never normalised."""
    return value.isascii() and _AWS_REGION.fullmatch(value) is not None


def aws_zone_placement(zone: str) -> tuple[str, str | None] | None:  # noqa: PLR0911
    """Parse a zone name or ID into (parent region, Local Zone country or None).

    Returns None when the value is not a zone this pack can place (a Wavelength zone, a typo, an
    unknown Local Zone): the caller must then fail closed. A Local Zone whose country is unknown
    returns None as well.
    """
    if not zone.isascii():
        return None
    name = _AWS_ZONE_NAME.fullmatch(zone)
    if name is not None:
        region = name.group("region")
        if name.group("city") is None:
            return region, None
        group = f"{region}-{name.group('city')}-{name.group('n')}"
        country = AWS_LOCAL_ZONE_COUNTRIES.get(group)
        return (region, country) if country is not None else None
    zone_id = _AWS_ZONE_ID.fullmatch(zone)
    if zone_id is not None:
        id_region = AWS_ZONE_ID_PREFIXES.get(zone_id.group("prefix"))
        if id_region is None:
            return None
        city = zone_id.group("city")
        if city is None:
            return id_region, None
        id_country = AWS_LOCAL_ZONE_CITY_COUNTRIES.get(city)
        return (id_region, id_country) if id_country is not None else None
    return None


def arn_region(arn: str) -> str | None:
    """The region field (4th) of an ARN, or None if the ARN carries none (S3 bucket ARNs)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[3] or None


# -- Google Cloud ------------------------------------------------------------------------------
# Sources: Compute Engine regions and zones (https://cloud.google.com/compute/docs/regions-zones:
# europe-north1 Hamina FI, europe-west1 St. Ghislain BE, europe-west2 London GB, europe-west3
# Frankfurt DE, europe-west4 Eemshaven NL), Spanner's regional configurations
# (https://cloud.google.com/spanner/docs/instance-configurations: europe-central2 Warsaw,
# europe-southwest1 Madrid, europe-west6 Zurich, europe-west8 Milan, europe-west9 Paris),
# "Geography and regions" (https://cloud.google.com/docs/geography-and-regions: Stockholm),
# and Cloud Storage bucket locations (https://cloud.google.com/storage/docs/locations) for the
# multi- and dual-regions. GCP names are case-insensitive (``EU``/``eu``, ``EUROPE-WEST1``), so
# they are kept lower case here and normalised with :func:`normalise_gcp_location`.

GCP_EUROPE_CITIES: Final = {
    "europe-west1": "St. Ghislain",
    "europe-west2": "London",
    "europe-west3": "Frankfurt",
    "europe-west4": "Eemshaven",
    "europe-west6": "Zurich",
    "europe-west8": "Milan",
    "europe-west9": "Paris",
    "europe-west10": "Berlin",
    "europe-west12": "Turin",
    "europe-central2": "Warsaw",
    "europe-north1": "Hamina",
    "europe-north2": "Stockholm",
    "europe-southwest1": "Madrid",
}
"""GCP regions in Europe and the town their data centres are in."""

GCP_EUROPE_REGIONS: Final = {
    "europe-west1": "BE",
    "europe-west2": "GB",  # not EEA
    "europe-west3": "DE",
    "europe-west4": "NL",
    "europe-west6": "CH",  # not EEA
    "europe-west8": "IT",
    "europe-west9": "FR",
    "europe-west10": "DE",
    "europe-west12": "IT",
    "europe-central2": "PL",
    "europe-north1": "FI",
    "europe-north2": "SE",
    "europe-southwest1": "ES",
}
"""GCP regions in Europe and their countries."""

EEA_GCP_REGIONS: Final = tuple(r for r, c in GCP_EUROPE_REGIONS.items() if c in EEA_COUNTRIES)

GCP_MULTI_LOCATIONS: Final = {
    # Cloud Storage / BigQuery multi-regions: a large area, not a list of regions. ``eu`` keeps
    # data in EU member states (Cloud Storage bucket locations), so it is allowed as a whole;
    # ``europe`` (Artifact Registry, Container Registry) spans all of Europe, the UK and
    # Switzerland included, so it is not.
    "eu": "EU",
    "europe": "Europe (any European country, GB and CH included)",
    "us": "US",
    "asia": "Asia",
}
"""Multi-regions: the area each names."""

GCP_DUAL_REGIONS: Final = {
    # Predefined Cloud Storage dual-regions and the regions that hold the data. EUR4's pair is
    # also in Google's client libraries' descriptions ("EUROPE-NORTH1 and EUROPE-WEST4;
    # object metadata may be stored in EUROPE-WEST1", docs.rs cloud-storage DualRegion).
    "eur4": ("europe-north1", "europe-west4"),  # Finland + Netherlands
    "eur5": ("europe-west1", "europe-west2"),  # Belgium + London (GB)
    "eur7": ("europe-west2", "europe-west3"),  # London (GB) + Frankfurt
    "eur8": ("europe-west3", "europe-west6"),  # Frankfurt + Zurich (CH)
    "nam4": ("us-central1", "us-east1"),  # Iowa + South Carolina
    "asia1": ("asia-northeast1", "asia-northeast2"),  # Tokyo + Osaka
}
"""Predefined dual-regions. Only pairs wholly in the EEA are allowed by default: EUR4 alone."""

GCP_MULTI_REGION_CONFIGS: Final = {
    # Spanner / Firestore multi-region configurations: every region holding a replica, witness
    # regions included (a witness keeps a copy of the write-ahead log).
    "eur3": ("europe-west1", "europe-west4", "europe-north1"),  # Belgium, Netherlands; FI witness
    "eur5": ("europe-west2", "europe-west1", "europe-west4"),  # London (GB) first
    "eur6": ("europe-west4", "europe-west3", "europe-west6"),  # Zurich (CH) witness
    "nam3": ("us-east4", "us-east1", "us-central1"),
    "nam5": ("us-central1", "us-central2", "us-east1"),
    "nam-eur-asia1": ("us-central1", "us-central2", "europe-west1", "europe-west4", "asia-east1"),
}
"""Multi-region database configurations and their replica regions."""

EEA_GCP_LOCATIONS: Final = (
    *EEA_GCP_REGIONS,
    "eu",
    *(
        name
        for name, pair in GCP_DUAL_REGIONS.items()
        if all(GCP_EUROPE_REGIONS.get(r) in EEA_COUNTRIES for r in pair)
    ),
    *(
        name
        for name, replicas in GCP_MULTI_REGION_CONFIGS.items()
        if all(GCP_EUROPE_REGIONS.get(r) in EEA_COUNTRIES for r in replicas)
    ),
)
"""The default GCP allow-list: EEA regions, the EU multi-region, EEA-only dual-/multi-regions."""

_GCP_REGION = re.compile(r"[a-z]+(?:-[a-z]+)+[0-9]+")
_GCP_ZONE = re.compile(r"(?P<region>[a-z]+(?:-[a-z]+)+[0-9]+)-[a-f]")


def normalise_gcp_location(value: str) -> str | None:
    """``EUROPE-WEST1`` → ``europe-west1``; None for anything that is not an ASCII location name.

    Non-ASCII input is refused before lowering (``str.lower`` maps KELVIN SIGN to ``k``).
    """
    if not value.isascii():
        return None
    name = value.strip().lower()
    return name if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name) else None


def normalise_gcp_locations(values: Iterable[object]) -> frozenset[str]:
    """Normalise an allow-list from config, dropping entries that are not location names."""
    found = (normalise_gcp_location(v) for v in values if isinstance(v, str))
    return frozenset(v for v in found if v is not None)


def is_gcp_region(name: str) -> bool:
    """True for a (normalised) string shaped like a GCP region, ``europe-west1``, ``us-east4``."""
    return _GCP_REGION.fullmatch(name) is not None


def gcp_zone_region(name: str) -> str | None:
    """The region of a (normalised) GCP zone name (``europe-west1-b`` → ``europe-west1``)."""
    zone = _GCP_ZONE.fullmatch(name)
    return zone.group("region") if zone is not None else None


def gcp_location_regions(name: str) -> tuple[str, ...] | None:
    """The regions a (normalised) dual-region or multi-region configuration stores data in."""
    return GCP_DUAL_REGIONS.get(name) or GCP_MULTI_REGION_CONFIGS.get(name)


# -- Every region name, Europe or not ---------------------------------------------------------
# A value that is exactly one of these names a place wherever it appears, even in a field whose
# name does not say so (an image gallery's ``targetRegions[].name``, a setting's value): the data
# flow rule then judges it as it judges a region field. Lists are exact names, never patterns, so
# that ``my-app-1`` is not read as an AWS region.

AWS_REGION_CODES: Final = frozenset(
    {
        # botocore 1.44 partitions.json, every partition (aws, aws-cn, aws-us-gov, aws-iso*,
        # aws-eusc), the ``*-global`` pseudo-regions left out.
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
        "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
        "me-south-1", "me-west-1", "mx-central-1", "sa-east-1", "sa-west-1", "us-east-1",
        "us-east-2", "us-west-1", "us-west-2", "cn-north-1", "cn-northwest-1", "eusc-de-east-1",
        "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isob-west-1", "eu-isoe-west-1",
        "us-isof-east-1", "us-isof-south-1", "us-gov-east-1", "us-gov-west-1",
    }
)  # fmt: skip
"""Every AWS region code."""

AZURE_LOCATION_NAMES: Final = frozenset(
    {
        # Microsoft's list of Azure regions (``az account list-locations``), public cloud, plus
        # the sovereign clouds' regions; display names normalise to these.
        *EEA_AZURE_LOCATIONS,
        "uksouth", "ukwest", "switzerlandnorth", "switzerlandwest",
        "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus",
        "southcentralus", "westcentralus", "canadacentral", "canadaeast", "brazilsouth",
        "brazilsoutheast", "mexicocentral", "chilecentral", "eastasia", "southeastasia",
        "japaneast", "japanwest", "koreacentral", "koreasouth", "australiaeast",
        "australiasoutheast", "australiacentral", "australiacentral2", "centralindia",
        "southindia", "westindia", "jioindiawest", "jioindiacentral", "uaenorth", "uaecentral",
        "qatarcentral", "israelcentral", "southafricanorth", "southafricawest",
        "newzealandnorth", "indonesiacentral", "malaysiawest", "eastus2euap", "centraluseuap",
        "usgovvirginia", "usgovarizona", "usgovtexas", "usdodeast", "usdodcentral",
        "chinanorth", "chinanorth2", "chinanorth3", "chinaeast", "chinaeast2", "chinaeast3",
    }
)  # fmt: skip
"""Every Azure location name (normalised)."""

GCP_REGION_NAMES: Final = frozenset(
    {
        # https://cloud.google.com/about/locations (regions), Europe from GCP_EUROPE_REGIONS.
        *GCP_EUROPE_REGIONS,
        "us-central1", "us-central2", "us-east1", "us-east4", "us-east5", "us-south1",
        "us-west1", "us-west2", "us-west3", "us-west4", "us-west8", "northamerica-northeast1",
        "northamerica-northeast2", "northamerica-south1", "southamerica-east1",
        "southamerica-west1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
        "asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
        "asia-southeast3", "australia-southeast1", "australia-southeast2", "me-central1",
        "me-central2", "me-west1", "africa-south1",
    }
)  # fmt: skip
"""Every GCP region name."""


def region_literal(value: str) -> tuple[str, str] | None:
    """``(cloud, region)`` when ``value`` is exactly a region or zone name of some cloud: an AWS
    code (``us-east-1``) or availability zone (``us-east-1a``), an Azure location in any spelling
    (``East US``), a GCP region or zone (``us-central1-b``); None for anything else."""
    if not value.isascii() or not 4 <= len(value) <= 40:
        return None
    lowered = value.strip().lower()
    aws_zone = _AWS_ZONE_NAME.fullmatch(value)
    gcp_zone = gcp_zone_region(lowered)
    azure = normalise_azure_location(value)
    candidates = (
        ("aws", value if value in AWS_REGION_CODES else None),
        ("aws", aws_zone.group("region") if aws_zone is not None else None),
        ("gcp", lowered if lowered in GCP_REGION_NAMES else None),
        ("gcp", gcp_zone),
        ("azure", azure if azure in AZURE_LOCATION_NAMES else None),
    )
    return next(
        (
            (cloud, region)
            for cloud, region in candidates
            if region is not None
            and region in {"aws": AWS_REGION_CODES, "gcp": GCP_REGION_NAMES}.get(cloud, {region})
        ),
        None,
    )
