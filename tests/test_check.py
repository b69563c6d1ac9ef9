"""``python -m clover check``: exit codes, formats and bad input, over the real policy packs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from clover.__main__ import main
from clover.output import sarif as sarif_output

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "data" / "programs"
RESIDENCY = ROOT / "policy_packs" / "eu_residency"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
OUTPUT_SCHEMA = ROOT / "clover" / "schemas" / "check-output.schema.json"

# Each deliberately misplaced program, and the logical name of the resource that must be blocked.
MISPLACED = {
    "aws-bucket-us-east-1": "customer-exports",
    "aws-default-provider-region": "customer-key",
    "aws-resource-region-override": "replica-store",
    "aws-component-provider-map": "archive-bucket",
    "aws-computed-region": "wherever",
    "aws-local-zone-istanbul": "edge-istanbul",
    "aws-backup-copy-singapore": "nightly",
    "aws-dynamodb-replica-us": "sessions",
    "aws-replication-external-bucket": "source-replication",
    "aws-multi-region-key": "global-key",
    "azure-storage-eastus": "exports",
    "azure-resource-group-inheritance": "inherits",
    "azure-cosmos-us-replica": "profiles",
    "azure-grs-without-approved-pair": "geo",
    "flow-cloudtrail-foreign-bucket": "audit",
    "flow-diagnostic-eastus-workspace": "records-to-central",
    "flow-eventbridge-us-east-1": "forward-orders",
    "flow-firehose-http-endpoint": "clickstream",
    "edge-cloudfront-bucket": "downloads",
    "unknown-package-resource": "acme-archive",
    "kubernetes-ambient-cluster": "customer-settings",
    "gcp-bucket-us": "us-exports",
    "gcp-bigquery-default-location": "analytics",
    "azure-classic-storage-eastus": "exports",
    "aws-native-bucket-us-east-1": "customer-exports",
    "aws-remote-component-provider-map": "network",
    "flow-provider-custom-endpoint": "cold-storage",
    "flow-bedrock-global-profile": "tickets",
    "azure-gallery-image-east-us": "reporting-1",
}


def validate_check_output(document: Any) -> Any:
    """Fail unless ``document`` is what the published schema of ``check --format json`` allows:
    no key it does not list, no value of another shape."""
    schema = json.loads(OUTPUT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    return document


def _check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["check", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, (validate_check_output(json.loads(out)) if out else {}), err


def test_every_misplaced_program_is_in_the_set() -> None:
    assert sorted(p.name for p in PROGRAMS.iterdir() if p.is_dir()) == sorted(MISPLACED)


@pytest.mark.parametrize(("program", "resource"), sorted(MISPLACED.items()))
def test_misplaced_program_is_blocked_with_its_urn(
    capsys: pytest.CaptureFixture[str], program: str, resource: str
) -> None:
    code, report, err = _check_json(
        capsys, "--cwd", str(PROGRAMS / program), "--stack", "test", "--policy-pack", str(RESIDENCY)
    )
    assert code == 1, err
    blocked = [
        d
        for d in report["diagnostics"]
        if d["enforcementLevel"] == "mandatory" and d["urn"].endswith(f"::{resource}")
    ]
    assert blocked, f"{program}: no mandatory diagnostic for {resource}: {report['diagnostics']}"
    assert report["summary"]["mandatory"] >= len(blocked)


def test_resource_group_inheritance_is_filled_in_as_azure_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report, _ = _check_json(
        capsys,
        "--cwd",
        str(PROGRAMS / "azure-resource-group-inheritance"),
        "--stack",
        "test",
        "--policy-pack",
        str(RESIDENCY),
    )
    assert code == 1
    account = next(r for r in report["resources"] if r["name"] == "inherits")
    assert account["location"] == "westus"
    assert account["region"] is None


def test_computed_region_stays_unknown_and_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, _ = _check_json(
        capsys,
        "--cwd",
        str(PROGRAMS / "aws-computed-region"),
        "--stack",
        "test",
        "--policy-pack",
        str(RESIDENCY),
    )
    bucket = next(r for r in report["resources"] if r["name"] == "wherever")
    assert bucket["region"] == "unknown"


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, _ = _check_json(
        capsys,
        "--cwd",
        str(PROGRAMS / "aws-bucket-us-east-1"),
        "--stack",
        "test",
        "--policy-pack",
        str(RESIDENCY),
    )
    assert set(report) == {
        "stack",
        "complete",
        "incomplete",
        "resources",
        "diagnostics",
        "dataSources",
        "loosened",
        "summary",
    }
    assert report["stack"] == "test"
    assert report["complete"] is True
    assert report["incomplete"] is None
    for resource in report["resources"]:
        assert set(resource) == {
            "urn",
            "type",
            "name",
            "provider",
            "region",
            "location",
            "country",
            "assessment",
        }
    bucket = next(r for r in report["resources"] if r["name"] == "customer-exports")
    assert bucket["region"] == "us-east-1"
    assert bucket["assessment"] == "placed"
    assert bucket["location"] is None
    assert bucket["provider"].endswith("pulumi:providers:aws::us")
    for diagnostic in report["diagnostics"]:
        assert set(diagnostic) == {
            "policyPack",
            "policy",
            "enforcementLevel",
            "severity",
            "urn",
            "message",
        }
        assert diagnostic["enforcementLevel"] in {"mandatory", "advisory"}
    assert report["summary"] == {
        "resources": len(report["resources"]),
        "mandatory": sum(d["enforcementLevel"] == "mandatory" for d in report["diagnostics"]),
        "advisory": sum(d["enforcementLevel"] == "advisory" for d in report["diagnostics"]),
    }


def test_sarif_is_valid_against_the_official_schema(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "check.sarif"
    code = main(
        [
            "check",
            "--cwd",
            str(PROGRAMS / "azure-storage-eastus"),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--format",
            "sarif",
            "--output",
            str(output),
        ]
    )
    assert code == 1
    assert capsys.readouterr().out == ""
    sarif = json.loads(output.read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert results
    assert all(r["level"] in {"error", "warning"} for r in results)
    assert any(r["level"] == "error" and "::exports" in r["message"]["text"] for r in results)


def _sarif(capsys: pytest.CaptureFixture[str], program: Path, *args: str) -> tuple[int, Any]:
    code = main(["check", "--cwd", str(program), "--stack", "test", *args, "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    return code, sarif


def test_sarif_has_one_run_per_pack_with_ranked_rules_and_their_remediation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from clover.analyzer import PolicyPack

    code, sarif = _sarif(capsys, PROGRAMS / "azure-storage-eastus")
    assert code == 1
    runs = sarif["runs"]
    drivers = [run["tool"]["driver"]["name"] for run in runs]
    assert drivers == ["clover/eu-residency", "clover/eu-data-protection", "clover/eu-access"]
    # Code scanning refuses two runs of one tool in one category.
    assert len(
        {(d, r["automationDetails"]["id"]) for d, r in zip(drivers, runs, strict=True)}
    ) == len(runs)
    scores = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for run, directory in zip(
        runs, ("eu_residency", "eu_data_protection", "eu_access"), strict=True
    ):
        with PolicyPack(ROOT / "policy_packs" / directory) as pack:
            policies = dict(pack.policies)
        rules = run["tool"]["driver"]["rules"]
        assert [rule["name"] for rule in rules] == list(policies)
        for rule in rules:
            info = policies[rule["name"]]
            assert rule["id"] == f"{pack.name}/{info.name}"
            assert rule["properties"]["security-severity"] == scores[info.severity], rule["id"]
            assert "security" in rule["properties"]["tags"]
            assert info.remediation.strip() in rule["help"]["text"], rule["id"]
            assert info.remediation.strip() in rule["help"]["markdown"], rule["id"]
            assert rule["helpUri"].startswith(sarif_output.README_URI + "#")
        # The anchor is the one GitHub gives the heading above the pack's rule table.
        heading = sarif_output.RULE_TABLES[pack.name]
        assert f"\n{heading}\n" in readme
        assert rules[0]["helpUri"].endswith("#" + sarif_output.github_anchor(heading))
        for result in run["results"]:
            assert result["ruleId"].startswith(f"{pack.name}/")
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    blocked = [r for r in runs[0]["results"] if "::exports" in r["message"]["text"]]
    assert [r["level"] for r in blocked] == ["error"]
    assert "eu-residency/azure-native-resource-location-allowed" in {r["ruleId"] for r in blocked}


def test_sarif_reports_each_result_once_and_a_clean_program_gets_empty_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, sarif = _sarif(capsys, PROGRAMS / "azure-storage-eastus")
    keys = [
        (r["ruleId"], r["message"]["text"], r["partialFingerprints"]["cloverResult/v1"])
        for run in sarif["runs"]
        for r in run["results"]
    ]
    assert len(keys) == len(set(keys))
    assert len({k[2] for k in keys}) == len(keys), "each alert has a fingerprint of its own"
    code, clean = _sarif(capsys, ROOT / "tests" / "data" / "clean_programs" / "gcp-bucket-eu")
    assert code == 0
    # An empty run per pack closes that pack's alerts in code scanning.
    assert [run["results"] for run in clean["runs"]] == [[], [], []]


def test_github_anchor_is_the_heading_slug() -> None:
    assert sarif_output.github_anchor("### `eu-access` (`policy_packs/eu_access/`)") == (
        "eu-access-policy_packseu_access"
    )
    assert sarif_output.github_anchor("## The offline check") == "the-offline-check"


def test_the_output_schema_refuses_keys_it_does_not_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, report, _ = _check_json(
        capsys, "--cwd", str(PROGRAMS / "aws-bucket-us-east-1"), "--stack", "test"
    )
    assert report["diagnostics"], "the misplaced program is blocked"
    validate_check_output({"error": "no such project", "complete": False})
    with pytest.raises(jsonschema.ValidationError):
        validate_check_output({**report, "extra": 1})
    with pytest.raises(jsonschema.ValidationError):
        validate_check_output({**report, "resources": [{**report["resources"][0], "site": "x"}]})
    with pytest.raises(jsonschema.ValidationError):
        validate_check_output({"error": "x", "complete": True})


def test_text_shows_placement_table_and_grouped_violations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "check",
            "--cwd",
            str(PROGRAMS / "aws-bucket-us-east-1"),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "Placement of stack test" in out
    assert "customer-exports" in out
    assert "us-east-1" in out
    assert "eu-residency: 1 mandatory" in out
    assert "Residency check FAILED" in out


def test_progress_counts_registrations_then_analysis() -> None:
    from clover.check import REGISTERING, check

    calls: list[tuple[str, int, int]] = []
    result = check(
        cwd=PROGRAMS / "aws-bucket-us-east-1",
        stack="test",
        packs=[RESIDENCY],
        progress=lambda pack, done, total: calls.append((pack, done, total)),
    )
    registered = [done for pack, done, _ in calls if pack == REGISTERING]
    assert registered == list(range(1, len(result.placed) + 1))
    analyzed = [(done, total) for pack, done, total in calls if pack == "eu-residency"]
    assert analyzed
    assert analyzed[-1] == (len(result.placed), len(result.placed))
    first_analysis = next(i for i, (pack, _, _) in enumerate(calls) if pack != REGISTERING)
    assert all(pack != REGISTERING for pack, _, _ in calls[first_analysis:])


# --- bad input: exit 2, one message naming the file or flag, no output file -------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(PROGRAMS / "aws-bucket-us-east-1", target)
    return target


def _bad(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[str, Path]:
    output = tmp_path / "out.json"
    code = main(["check", *args, "--format", "json", "--output", str(output)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not output.exists(), "a failed check must not leave an output file"
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err, output


def test_missing_project_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err, _ = _bad(capsys, tmp_path, "--cwd", str(tmp_path), "--stack", "test")
    assert "no Pulumi.yaml" in err


def test_non_python_runtime(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    (project / "Pulumi.yaml").write_text("name: x\nruntime: nodejs\n")
    err, _ = _bad(capsys, tmp_path, "--cwd", str(project), "--stack", "test")
    assert "Pulumi.yaml" in err
    assert "nodejs" in err


def test_missing_stack_file_lists_stacks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    err, _ = _bad(capsys, tmp_path, "--cwd", str(project), "--stack", "prod")
    assert "Pulumi.prod.yaml" in err
    assert "stacks: test" in err


def test_no_stack_selected_lists_stacks(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    err, _ = _bad(capsys, tmp_path, "--cwd", str(project))
    assert "--stack" in err
    assert "test" in err


def test_stack_from_environment(
    capsys: pytest.CaptureFixture[str], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_STACK", "test")
    code, report, _ = _check_json(capsys, "--cwd", str(project), "--policy-pack", str(RESIDENCY))
    assert code == 1
    assert report["stack"] == "test"


def test_yaml_that_does_not_parse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    (project / "Pulumi.test.yaml").write_text("config: [unclosed\n")
    err, _ = _bad(capsys, tmp_path, "--cwd", str(project), "--stack", "test")
    assert "Pulumi.test.yaml" in err
    assert "not valid YAML" in err


def _incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str
) -> tuple[str, dict[str, Any]]:
    """A program that fails is an incomplete run: exit 2, one line saying why, and the output
    still written with what was found, marked incomplete."""
    output = tmp_path / "out.json"
    code = main(["check", *args, "--format", "json", "--output", str(output)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("clover check: the program ended before it finished: "), err
    document = validate_check_output(json.loads(output.read_text()))
    assert document["complete"] is False
    assert document["incomplete"] in err
    return err, document


def test_program_with_syntax_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    (project / "__main__.py").write_text("import pulumi\ndef broken(:\n")
    err, document = _incomplete(capsys, tmp_path, "--cwd", str(project), "--stack", "test")
    assert "SyntaxError" in err
    assert "__main__.py" in err
    assert document["summary"]["resources"] == 0


def test_program_that_raises(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    (project / "__main__.py").write_text("raise RuntimeError('no credentials for the vault')\n")
    err, _ = _incomplete(capsys, tmp_path, "--cwd", str(project), "--stack", "test")
    assert "RuntimeError: no credentials for the vault" in err


def test_verbose_shows_the_traceback(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    (project / "__main__.py").write_text("raise RuntimeError('boom')\n")
    code = main(["check", "--cwd", str(project), "--stack", "test", "--verbose"])
    assert code == 2
    assert "Traceback" in capsys.readouterr().err


def test_missing_pack_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    missing = tmp_path / "no-such-pack"
    err, _ = _bad(
        capsys, tmp_path, "--cwd", str(project), "--stack", "test", "--policy-pack", str(missing)
    )
    assert str(missing) in err


def test_pack_that_is_not_python(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    pack = ROOT / "tests" / "data" / "packs" / "not_python"
    err, _ = _bad(
        capsys, tmp_path, "--cwd", str(project), "--stack", "test", "--policy-pack", str(pack)
    )
    assert "--policy-pack" in err


def test_pack_config_that_is_not_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    config = tmp_path / "residency.json"
    config.write_text("{not json")
    err, _ = _bad(
        capsys,
        tmp_path,
        "--cwd",
        str(project),
        "--stack",
        "test",
        "--policy-pack",
        str(RESIDENCY),
        "--policy-pack-config",
        str(config),
    )
    assert str(config) in err


def test_pack_config_that_violates_the_schema(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    config = tmp_path / "residency.json"
    config.write_text(json.dumps({"aws-resource-region-allowed": {"allowedRegions": "eu-west-1"}}))
    err, _ = _bad(
        capsys,
        tmp_path,
        "--cwd",
        str(project),
        "--stack",
        "test",
        "--policy-pack",
        str(RESIDENCY),
        "--policy-pack-config",
        str(config),
    )
    assert "aws-resource-region-allowed" in err
    assert "allowedRegions" in err


def test_more_configs_than_packs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    config = tmp_path / "c.json"
    config.write_text("{}")
    err, _ = _bad(
        capsys,
        tmp_path,
        "--cwd",
        str(project),
        "--stack",
        "test",
        "--policy-pack-config",
        str(config),
    )
    assert "--policy-pack-config" in err


def test_unknown_format(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--cwd", str(project), "--stack", "test", "--format", "xml"])
    assert exited.value.code == 2
    assert "--format" in capsys.readouterr().err


def test_default_provider_refused_when_the_stack_disables_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    (project / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.s3.Bucket('implicit')\n", encoding="utf-8"
    )
    err, _ = _bad(capsys, tmp_path, "--cwd", str(project), "--stack", "test")
    assert "::implicit" in err
    assert "disable-default-providers" in err


def test_sarif_points_at_the_line_that_created_the_resource(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "check.sarif"
    main(
        [
            "check",
            "--cwd",
            str(PROGRAMS / "aws-component-provider-map"),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--format",
            "sarif",
            "--output",
            str(output),
        ]
    )
    capsys.readouterr()
    results = json.loads(output.read_text())["runs"][0]["results"]
    bucket = next(r for r in results if "::archive-bucket" in r["message"]["text"])
    location = bucket["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "__main__.py"
    program = (PROGRAMS / "aws-component-provider-map" / "__main__.py").read_text().splitlines()
    assert "aws.s3.Bucket(" in program[location["region"]["startLine"] - 1]


def test_relative_cwd(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROGRAMS)
    code, report, err = _check_json(
        capsys, "--cwd", "aws-bucket-us-east-1", "--stack", "test", "--policy-pack", str(RESIDENCY)
    )
    assert code == 1, err
    assert report["stack"] == "test"


def test_text_names_the_site_from_provider_default_tags(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    (project / "__main__.py").write_text(
        "import pulumi\nimport pulumi_aws as aws\n"
        "p = aws.Provider('eu', region='eu-west-1',"
        " default_tags={'tags': {'residency-site': 'dublin'}})\n"
        "aws.s3.Bucket('tagged-by-provider', opts=pulumi.ResourceOptions(provider=p))\n",
        encoding="utf-8",
    )
    main(
        [
            "check",
            "--cwd",
            str(project),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--table",
        ]
    )
    row = next(
        line for line in capsys.readouterr().out.splitlines() if "tagged-by-provider" in line
    )
    assert "dublin" in row
    assert "eu-west-1" in row


@pytest.mark.parametrize(("stack", "organization"), [("dev", "organization"), ("acme/dev", "acme")])
def test_the_program_sees_the_stacks_organization(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stack: str, organization: str
) -> None:
    """``pulumi.get_organization()`` names the organization of ``-s org/stack``, else the one
    a DIY backend gives every stack."""
    (tmp_path / "Pulumi.yaml").write_text("name: orgs\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "import pulumi_aws as aws\n"
        "aws.sns.Topic(f'alerts-{pulumi.get_organization()}')\n",
        encoding="utf-8",
    )
    code = main(["check", "-C", str(tmp_path), "-s", stack, "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    names = [r["urn"].rsplit("::", 1)[-1] for r in json.loads(out)["resources"]]
    assert f"alerts-{organization}" in names, names
