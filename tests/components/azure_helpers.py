"""Shared pieces of the Azure component tests: a site program, and the provider responses the
shared engine stand-in does not synthesize."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
from pulumi_azure_native import Provider

from clover.standin.engine import Recording
from clover.standin.recorded import RecordedResource
from components.site.azure import AzureSite, AzureSiteArgs

TAGS: Mapping[str, str] = {"residency-site": "dublin", "data-classification": "personal"}
OPERATOR = "11111111-2222-3333-4444-555555555555"
SECOND_OPERATOR = "66666666-7777-8888-9999-000000000000"

SITE_ARGS: Mapping[str, Any] = {
    "site": "dublin",
    "location": "northeurope",
    "vnet_cidr": "10.20.0.0/16",
    "account_name": "cloverdublindata",
    "vault_name": "clover-dublin-kv",
    "gateway_principal_ids": [OPERATOR],
    "tags": TAGS,
}


def site_program(provider_name: str = "dublin-azure", **overrides: Any) -> Callable[[], AzureSite]:
    """A program that builds one :class:`AzureSite` with an explicit provider in its location."""
    values = {**SITE_ARGS, **overrides}

    def program() -> AzureSite:
        provider = Provider(provider_name, location=values["location"])
        return AzureSite(
            "dublin",
            AzureSiteArgs(**values),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return program


def of_type(recording: Recording, token: str) -> list[RecordedResource]:
    found = recording.of_type(token)
    assert found, f"no {token} registered"
    return found


def one(recording: Recording, token: str) -> RecordedResource:
    found = of_type(recording, token)
    assert len(found) == 1, f"expected one {token}, got {[r.urn for r in found]}"
    return found[0]


def azure_resources(recording: Recording) -> list[RecordedResource]:
    return [r for r in recording.resources if r.type.startswith("azure-native:")]
