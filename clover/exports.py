"""Stack export names and the placement export: the contract auditors and scripts read."""

from __future__ import annotations

from typing import Any, Final

from clover.catalog import REGIONS, SITES, Cloud
from clover.config import StackConfig

PLACEMENTS_EXPORT: Final = "placements"
"""Export listing where every site's data sits: one entry per (site, cloud)."""


def site_export_name(site: str, cloud: Cloud) -> str:
    """The export holding one site's ids on one cloud, e.g. ``dublin_aws``."""
    return f"{site}_{cloud.value}"


def placement_export(config: StackConfig) -> list[dict[str, Any]]:
    """One entry per (site, cloud): cloud, region, city, country and whether it is in-country."""
    entries: list[dict[str, Any]] = []
    for site in config.sites:
        for cloud_config in (site.aws, site.azure):
            if cloud_config is None:
                continue
            placement = cloud_config.placement
            region = REGIONS[placement.cloud][placement.region]
            entries.append(
                {
                    "site": site.name,
                    "cloud": placement.cloud.value,
                    "region": placement.region,
                    "city": region.city,
                    "country": placement.country,
                    "site_country": SITES[site.name].country,
                    "in_site_country": placement.in_site_country,
                    "description": placement.describe(),
                }
            )
    return entries
