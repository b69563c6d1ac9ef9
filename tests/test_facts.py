"""The residency facts: one source (clover/facts.py), byte-identical copies in the packs."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

from clover import facts
from sites import catalog
from tests.modules import module_from_file

ROOT = Path(__file__).resolve().parents[1]


def _sync_tool() -> ModuleType:
    return module_from_file("_clover_sync_facts", ROOT / "tools" / "sync_facts.py")


def test_every_pack_copy_is_the_source_byte_for_byte() -> None:
    tool = _sync_tool()
    assert tool.COPIES, "no pack carries the facts"
    packs = {p.parent for p in (ROOT / "policy_packs").glob("*/PulumiPolicy.yaml")}
    assert {copy.parent for copy in tool.KIT_COPIES} == packs, "every pack carries the rule kit"
    assert tool.stale() == [], "run `make facts` after editing a shared file"


def test_a_copy_edited_by_hand_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tool = _sync_tool()
    source = tmp_path / "facts.py"
    source.write_text('EEA_AWS_REGIONS = ("eu-west-1",)\n', encoding="utf-8")
    same, edited, missing = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    same.write_bytes(source.read_bytes())
    edited.write_text('EEA_AWS_REGIONS = ("eu-west-1", "us-east-1")\n', encoding="utf-8")
    assert tool.stale(source, (same, edited, missing)) == [edited, missing]


def test_the_check_mode_fails_and_names_a_stale_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = _sync_tool()
    copy = tmp_path / "policy_packs" / "eu_residency" / "regions.py"
    copy.parent.mkdir(parents=True)
    copy.write_text("# edited\n", encoding="utf-8")
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.setattr(tool, "SOURCE", tmp_path / "clover" / "facts.py")
    monkeypatch.setattr(tool, "COPIES", (copy,))
    monkeypatch.setattr(tool, "KIT", tmp_path / "policy_packs" / "rulekit.py")
    monkeypatch.setattr(tool, "KIT_COPIES", ())
    (tmp_path / "clover").mkdir()
    (tmp_path / "clover" / "facts.py").write_text("FACT = 1\n", encoding="utf-8")
    (tmp_path / "policy_packs" / "rulekit.py").write_text("KIT = 1\n", encoding="utf-8")
    assert tool.main(["--check"]) == 1
    assert (
        "policy_packs/eu_residency/regions.py differs from clover/facts.py"
        in capsys.readouterr().err
    )
    assert copy.read_text(encoding="utf-8") == "# edited\n"  # --check writes nothing
    assert tool.main([]) == 0
    assert copy.read_text(encoding="utf-8") == "FACT = 1\n"
    assert tool.main(["--check"]) == 0


def test_the_facts_need_the_standard_library_only() -> None:
    # A pack starts in its own virtualenv (pulumi_policy and its requirements): the copy may
    # import nothing else.
    tree = (ROOT / "clover" / "facts.py").read_text(encoding="utf-8")
    imported = {
        line.split()[1].split(".")[0]
        for line in tree.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_storage_skus_are_the_sdks() -> None:
    from pulumi_azure_native import storage

    assert frozenset(sku.value for sku in storage.SkuName) == facts.AZURE_STORAGE_SKUS


@pytest.mark.parametrize(
    ("sku", "geo"),
    [
        ("Standard_LRS", False),
        ("Premium_ZRS", False),
        ("StandardV2_ZRS", False),
        ("Standard_RAGZRS", True),
        ("StandardV2_GRS", True),
        ("StandardV2_GZRS", True),
        # A SKU Azure adds later is geo-redundant until known otherwise (fail closed).
        ("StandardV3_XRS", True),
    ],
)
def test_geo_redundancy(sku: str, geo: bool) -> None:
    assert facts.geo_redundant_storage_sku(sku) is geo


@pytest.mark.parametrize(
    ("region", "country"),
    # Google's region tables: St. Ghislain, Belgium; Hamina, Finland; Eemshaven, Netherlands;
    # Frankfurt, Germany; London, England; Zurich, Switzerland.
    [
        ("europe-west1", "BE"),
        ("europe-north1", "FI"),
        ("europe-west4", "NL"),
        ("europe-west3", "DE"),
        ("europe-west2", "GB"),
        ("europe-west6", "CH"),
    ],
)
def test_gcp_region_countries(region: str, country: str) -> None:
    assert facts.GCP_EUROPE_REGIONS[region] == country
    assert (region in facts.EEA_GCP_LOCATIONS) == (country in facts.EEA_COUNTRIES)


def test_eea_lists_leave_out_the_uk_and_switzerland() -> None:
    assert "eu-west-2" not in facts.EEA_AWS_REGIONS
    assert "eu-central-2" not in facts.EEA_AWS_REGIONS
    assert {"uksouth", "ukwest", "switzerlandnorth"}.isdisjoint(facts.EEA_AZURE_LOCATIONS)
    assert "eur5" not in facts.EEA_GCP_LOCATIONS  # London holds a replica
    assert {"eu", "eur4", "eur3"} <= set(facts.EEA_GCP_LOCATIONS)


def test_every_azure_pair_is_mutual() -> None:
    for name, pair in facts.AZURE_PAIRS.items():
        assert facts.AZURE_PAIRS[pair] == name


def test_the_site_catalog_is_built_on_the_facts() -> None:
    # Every region a site may use is a European region of the facts, with its country.
    for site in catalog.SITES.values():
        for cloud, region in {**site.regions, **site.nearest}.items():
            places = (
                facts.AWS_EUROPE_REGIONS
                if cloud is catalog.Cloud.AWS
                else facts.AZURE_EUROPE_LOCATIONS
            )
            assert catalog.REGIONS[cloud][region].country == places[region][1]
            assert region in catalog.APPROVED[cloud]
