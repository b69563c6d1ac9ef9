"""Layered pack configs: a strict base per pack, stack overlays that loosen it, shown everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import markupsafe
import pytest

from clover import output, pack_config, report
from clover.__main__ import main
from clover.analyzer import PolicyPack
from clover.check import CLOVER_PACKS_DIR, check
from clover.errors import DEFAULT_PACKS
from clover.pack_config import PackConfigError, layer
from clover.project import load_project
from sites import catalog

ROOT = Path(__file__).resolve().parents[1]
DEV_LOOSENED = [
    "eu_data_protection azure-native-keyvault-vault-require-soft-delete: "
    "minimumRetentionInDays 90 -> 7",
    "eu_data_protection aws-data-store-require-protect: enforcementLevel mandatory -> disabled",
    "eu_data_protection azure-native-data-store-require-protect: "
    "enforcementLevel mandatory -> disabled",
]


# -- the repository's own files ---------------------------------------------------------------


def test_generated_configs_are_in_step_with_their_sources() -> None:
    expected = pack_config.generated(pack_config.LAYERED_PACKS, load_project(ROOT).stacks())
    on_disk = sorted(
        p for pack in pack_config.LAYERED_PACKS for p in pack_config.CONFIG_DIR.glob(f"{pack}.*")
    )
    assert sorted(expected) == on_disk, "run `python -m clover.pack_config`"
    for path, text in expected.items():
        assert path.read_bytes() == text.encode("utf-8"), (
            f"{path} is out of step: run `python -m clover.pack_config`"
        )


def test_the_check_default_packs_are_layered() -> None:
    assert set(DEFAULT_PACKS) <= set(pack_config.LAYERED_PACKS)


@pytest.mark.parametrize("pack", pack_config.LAYERED_PACKS)
def test_base_runs_every_rule_mandatory(pack: str) -> None:
    base = json.loads(pack_config.base_path(pack_config.CONFIG_DIR, pack).read_text("utf-8"))
    with PolicyPack(CLOVER_PACKS_DIR / pack) as running:
        # The pack's own defaults leave some rules advisory (tags, protect, shared key, RBAC).
        assert running.policies, pack
        running.configure(base)
        levels = {name: c["enforcementLevel"] for name, c in running.effective_config.items()}
    assert set(levels.values()) == {"mandatory"}, levels


def test_residency_base_allows_exactly_the_catalog_sites() -> None:
    base = json.loads(
        pack_config.base_path(pack_config.CONFIG_DIR, "eu_residency").read_text("utf-8")
    )
    aws: set[str] = set()
    azure: set[str] = set()
    for site in catalog.SITES.values():
        aws |= {r for c, r in (*site.regions.items(), *site.nearest.items()) if c == "aws"}
        for code in (r for c, r in site.regions.items() if c == "azure"):
            # Geo-redundant storage copies to the pair: the pair holds the site's data too.
            pair = catalog.AZURE_REGIONS[code].pair
            azure |= {code, *([pair] if pair else [])}
    assert set(pack_config._pack_wide(base, "allowedRegions") or ()) == aws
    assert set(pack_config._pack_wide(base, "allowedLocations") or ()) == azure


def test_dev_loosenings_are_listed_and_prod_has_none() -> None:
    assert [x.describe() for x in layer("eu_data_protection", "dev").loosened] == DEV_LOOSENED
    for pack in pack_config.LAYERED_PACKS:
        assert layer(pack, "prod").loosened == ()
        assert layer(pack, "production").loosened == ()
        assert layer(pack, "production").config == layer(pack, "prod").config


# -- layering rules, on files of a test's own --------------------------------------------------


def _configs(tmp_path: Path, base: dict[str, Any], overlay: dict[str, Any] | None) -> Path:
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "p.base.json").write_text(json.dumps(base), encoding="utf-8")
    if overlay is not None:
        (tmp_path / "layers" / "p.s.json").write_text(json.dumps(overlay), encoding="utf-8")
    return tmp_path


BASE: dict[str, Any] = {
    "all": "mandatory",
    "region": {"allowedRegions": ["eu-west-1", "eu-north-1"]},
    "location": {"allowedLocations": ["northeurope"]},
    "tags": {"requiredTags": ["a", "b"]},
    "retention": {"minimumRetentionInDays": 90},
    "rotation": {"maximumRotationPeriodInDays": 365},
}


def _changes(tmp_path: Path, overlay: dict[str, Any]) -> list[str]:
    layered = layer("p", "s", _configs(tmp_path, BASE, overlay))
    return [f"{x.policy}.{x.setting}: {x.change}" for x in layered.loosened]


def test_no_overlay_is_the_base(tmp_path: Path) -> None:
    layered = layer("p", "s", _configs(tmp_path, BASE, None))
    assert layered.config == BASE
    assert layered.overlay_file is None
    assert layered.loosened == ()


def test_tightening_is_no_loosening(tmp_path: Path) -> None:
    overlay = {
        "region": {"allowedRegions": ["eu-west-1"]},
        "tags": {"requiredTags": ["a", "b", "c"]},
        "retention": {"minimumRetentionInDays": 120},
        "rotation": {"maximumRotationPeriodInDays": 90},
    }
    assert _changes(tmp_path, overlay) == []


def test_every_kind_of_loosening_is_listed(tmp_path: Path) -> None:
    overlay = {
        "region": {"enforcementLevel": "advisory"},
        "tags": {"requiredTags": ["a"]},
        "retention": {"minimumRetentionInDays": 7},
        "rotation": {"maximumRotationPeriodInDays": 730},
        "kms": {"allowMultiRegionKeys": True},
        "edge": {"allowEdgeServices": ["cloudfront"]},
        "pairs": {"regionPairs": {"northeurope": "westeurope"}},
        "other": "remediate",
    }
    assert _changes(tmp_path, overlay) == [
        "region.enforcementLevel: mandatory -> advisory",
        "tags.requiredTags: loses b",
        "retention.minimumRetentionInDays: 90 -> 7",
        "rotation.maximumRotationPeriodInDays: 365 -> 730",
        "kms.allowMultiRegionKeys: pack default -> True",
        "edge.allowEdgeServices: set to cloudfront (base: pack default)",
        'pairs.regionPairs: changed from pack default to {"northeurope": "westeurope"} '
        "(not known to be stricter)",
        "other.enforcementLevel: mandatory -> remediate",
    ]


def test_all_advisory_is_one_loosening(tmp_path: Path) -> None:
    assert _changes(tmp_path, {"all": "advisory"}) == [
        "all.enforcementLevel: mandatory -> advisory (every rule not named)",
        "region.enforcementLevel: mandatory -> advisory",
        "location.enforcementLevel: mandatory -> advisory",
        "tags.enforcementLevel: mandatory -> advisory",
        "retention.enforcementLevel: mandatory -> advisory",
        "rotation.enforcementLevel: mandatory -> advisory",
    ]


def test_an_allow_list_swapped_for_a_wider_one_is_listed(tmp_path: Path) -> None:
    # Drops one entry and adds another: not stricter, since the added region is new.
    overlay = {"region": {"allowedRegions": ["eu-west-1", "eu-central-1"]}}
    assert _changes(tmp_path, overlay) == ["region.allowedRegions: gains eu-central-1"]


def test_a_rule_the_base_gives_no_list_is_held_to_the_pack_wide_list(tmp_path: Path) -> None:
    # The residency pack intersects every rule's list, so the base's list holds for all rules.
    overlay = {
        "replication": {"allowedRegions": ["eu-west-1"]},
        "cosmos": {"allowedLocations": ["North Europe", "westeurope"]},
    }
    assert _changes(tmp_path, overlay) == ["cosmos.allowedLocations: gains westeurope"]


@pytest.mark.parametrize(
    ("setting", "value"),
    [("allowedRegions", ["eu-west-2"]), ("allowedLocations", ["uksouth", "northeurope"])],
)
def test_an_overlay_may_not_allow_a_region_outside_the_eea(
    tmp_path: Path, setting: str, value: list[str]
) -> None:
    config_dir = _configs(tmp_path, BASE, {"region": {setting: value}})
    with pytest.raises(PackConfigError, match=r"p\.s\.json: region: .* outside the EEA"):
        layer("p", "s", config_dir)


@pytest.mark.parametrize(
    "base",
    [
        {"region": {"allowedRegions": ["eu-west-1"]}},
        {"all": "advisory"},
        {"all": "mandatory", "region": "advisory"},
    ],
)
def test_a_base_that_is_not_strict_is_refused(tmp_path: Path, base: dict[str, Any]) -> None:
    with pytest.raises(PackConfigError, match=r"p\.base\.json: .*mandatory"):
        layer("p", "s", _configs(tmp_path, base, None))


@pytest.mark.parametrize(
    ("overlay", "match"),
    [
        ({"region": 3}, "region: expected an enforcement level or an object"),
        ({"region": "strict"}, "region: enforcementLevel 'strict' is not one of"),
        ({"all": {"allowedRegions": []}}, "all: only enforcementLevel may be set"),
        (
            {"region": {"exemptions": []}},
            r"region: exemptions may not be set in a layer.*exemptions",
        ),
    ],
)
def test_a_malformed_overlay_is_refused(
    tmp_path: Path, overlay: dict[str, Any], match: str
) -> None:
    with pytest.raises(PackConfigError, match=match):
        layer("p", "s", _configs(tmp_path, BASE, overlay))


def test_no_stack_may_be_called_base(tmp_path: Path) -> None:
    with pytest.raises(PackConfigError, match="may not be called 'base'"):
        layer("p", "base", _configs(tmp_path, BASE, None))


def test_generation_covers_project_stacks_and_overlays(tmp_path: Path) -> None:
    config_dir = _configs(tmp_path, BASE, {"tags": {"requiredTags": ["a"]}})
    files = pack_config.generated(["p"], ["dev"], config_dir)
    assert sorted(p.name for p in files) == ["p.dev.json", "p.s.json"]
    assert json.loads(files[tmp_path / "p.dev.json"]) == BASE
    assert json.loads(files[tmp_path / "p.s.json"])["tags"] == {"requiredTags": ["a"]}


# -- the check ---------------------------------------------------------------------------------


def _copied_project(tmp_path: Path, protect: str) -> Path:
    """The repo's program with the prod stack file under the names prod and production."""
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py", "components", "clover", "sites", ".venv"):
        (project / name).symlink_to(ROOT / name)
    prod = (ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    assert "clover:protectDataStores: true" in prod
    changed = prod.replace("clover:protectDataStores: true", f"clover:protectDataStores: {protect}")
    for stack in ("prod", "production"):
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(changed, encoding="utf-8")
    return project


def test_a_stack_without_overlay_is_blocked_as_prod_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _copied_project(tmp_path, "false")
    verdicts = {}
    for stack in ("prod", "production"):
        code = main(["check", "-C", str(project), "--stack", stack, "--format", "json"])
        out = json.loads(capsys.readouterr().out)
        blocked = {d["policy"] for d in out["diagnostics"] if d["enforcementLevel"] == "mandatory"}
        verdicts[stack] = (code, blocked, out["loosened"])
    assert verdicts["production"] == verdicts["prod"]
    code, blocked, loosened = verdicts["production"]
    assert code == 1
    assert blocked == {"aws-data-store-require-protect", "azure-native-data-store-require-protect"}
    assert loosened == []


def test_dev_shows_its_loosenings_in_every_output() -> None:
    result = check(cwd=ROOT, stack="dev")
    assert not result.mandatory
    text = output.render(result, "text")
    assert "Stack dev loosens the packs' strict base configs:" in text
    for line in DEV_LOOSENED:
        assert f"  {line}\n" in text
    as_json = json.loads(output.render(result, "json"))
    assert [
        f"{x['pack']} {x['policy']}: {x['setting']} {x['change']}" for x in as_json["loosened"]
    ] == DEV_LOOSENED
    assert as_json["loosened"][1]["base"] == "mandatory"
    assert as_json["loosened"][1]["stack"] == "disabled"
    sarif = json.loads(output.render(result, "sarif"))
    # One run per pack: each carries its own pack's loosenings, and together all of them.
    by_run = {
        run["tool"]["driver"]["properties"]["policyPack"]: run["properties"]["loosened"]
        for run in sarif["runs"]
    }
    assert by_run["eu-residency"] == []
    assert by_run["eu-data-protection"] == as_json["loosened"]
    assert all(x["pack"] == "eu_data_protection" for x in by_run["eu-data-protection"])
    built = report.build(result)
    assert list(built.loosened) == DEV_LOOSENED
    assert report.to_json(built)["loosened"] == DEV_LOOSENED
    html = report.to_html(built)
    assert all(f"<li>{markupsafe.escape(line)}</li>" in html for line in DEV_LOOSENED)


def test_another_project_s_stack_of_the_same_name_gets_the_strict_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The dev overlay and exemptions were reviewed for this repository's dev stack; a copy of
    # the project elsewhere is another project, whose `dev` nobody reviewed.
    project = _copied_project(tmp_path, "false")
    dev = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    (project / "stacks" / "Pulumi.dev.yaml").write_text(dev, encoding="utf-8")
    code = main(["check", "-C", str(project), "--stack", "dev", "--format", "json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["loosened"] == [], captured.err
    blocked = {d["policy"] for d in out["diagnostics"] if d["enforcementLevel"] == "mandatory"}
    assert code == 1
    assert "azure-native-data-store-require-protect" in blocked
    code = main(["check", "-C", str(ROOT), "--stack", "dev", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["loosened"] != []


def test_a_config_given_to_clover_s_pack_shows_its_loosenings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A hand-made --policy-pack-config is held to the pack's strict base like a stack overlay.
    loose = tmp_path / "loose.json"
    loose.write_text(json.dumps({"all": "advisory"}), encoding="utf-8")
    residency = CLOVER_PACKS_DIR / "eu_residency"
    code = main(
        [
            "check",
            "-C",
            str(ROOT),
            "--stack",
            "dev",
            "--format",
            "json",
            "--policy-pack",
            str(residency),
            "--policy-pack-config",
            str(loose),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"pack": "eu_residency", "policy": "all", "setting": "enforcementLevel"}.items() <= (
        out["loosened"][0].items()
    )
