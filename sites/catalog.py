"""The site catalog: Clover's sites, and the regions they may use on each cloud.

The regions' facts (city, country, EEA membership, Azure pairs) are the residency facts of
``clover/facts.py``, the one source the checker and the residency pack share; this module adds
what only Clover's own program knows: its sites and where each may put data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from clover import facts


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


def _regions(cloud: Cloud, places: dict[str, tuple[str, str]]) -> MappingProxyType[str, Region]:
    return MappingProxyType(
        {
            code: Region(
                cloud=cloud,
                code=code,
                city=city,
                country=country,
                eea=country in facts.EEA_COUNTRIES,
                pair=facts.AZURE_PAIRS.get(code) if cloud is Cloud.AZURE else None,
                restricted=code in facts.AZURE_RESTRICTED_LOCATIONS,
            )
            for code, (city, country) in places.items()
        }
    )


AWS_REGIONS: Final = _regions(Cloud.AWS, facts.AWS_EUROPE_REGIONS)
"""AWS commercial-partition regions in Europe."""

AZURE_REGIONS: Final = _regions(Cloud.AZURE, facts.AZURE_EUROPE_LOCATIONS)
"""Azure regions in Europe, by programmatic name."""

REGIONS: Final = MappingProxyType({Cloud.AWS: AWS_REGIONS, Cloud.AZURE: AZURE_REGIONS})

APPROVED_AWS_REGIONS: Final = frozenset(facts.EEA_AWS_REGIONS)
"""Where Clover may place data on AWS: the EEA regions."""

APPROVED_AZURE_LOCATIONS: Final = frozenset(facts.EEA_AZURE_LOCATIONS)
"""Where Clover may place data on Azure: the EEA regions."""

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
    position: tuple[float, float]
    """(latitude, longitude) of the site's town: where the evidence report draws its ring."""

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
            position=(53.35, -6.26),
        ),
        "hamar": Site(
            name="hamar",
            country="NO",
            regions=MappingProxyType({Cloud.AZURE: "norwayeast"}),
            # AWS has no region in Norway; Stockholm is the nearest region inside the EEA.
            nearest=MappingProxyType({Cloud.AWS: "eu-north-1"}),
            position=(60.79, 11.07),
        ),
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
