"""The GitHub workflows: actionlint finds nothing, and they name the packs, configs and stacks that
exist in this repository, with minimal permissions and the concurrency each one needs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from clover.check import DEFAULT_PACKS

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PACKS_DIR = ROOT / "policy_packs"
STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("*.yaml"))
# The workflows run the packs the offline check runs by default (a pack not yet among them, such
# as eu_access until the components pass it, is named with --policy-pack by hand).
PACKS = sorted(DEFAULT_PACKS)
assert set(PACKS) <= {p.parent.name for p in PACKS_DIR.glob("*/PulumiPolicy.yaml")}
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))

# The most each workflow's jobs may be granted; anything else must stay at the default "none".
ALLOWED_PERMISSIONS = {
    "residency-check.yml": {"contents": "read", "security-events": "write"},
    "preview.yml": {"contents": "read", "id-token": "write", "pull-requests": "write"},
    "deploy.yml": {"contents": "read", "id-token": "write"},
}


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), name
    return data


def _on(workflow: dict[Any, Any]) -> Any:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow["on"] if "on" in workflow else workflow[True]


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _uses(workflow: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in _steps(workflow) if str(s.get("uses", "")).startswith(f"{action}@")]


def _actionlint() -> Path:
    return Path(sys.executable).parent / "actionlint"


def test_the_three_workflows_exist() -> None:
    assert [p.name for p in WORKFLOW_FILES] == sorted(ALLOWED_PERMISSIONS)


def test_actionlint_is_installed() -> None:
    # A declared dev dependency (requirements-dev.txt): missing means a broken setup, not a skip.
    assert _actionlint().is_file(), f"{_actionlint()} missing: run `make setup`"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_actionlint_finds_nothing(path: Path) -> None:
    done = subprocess.run(
        [str(_actionlint()), "-no-color", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_permissions_are_minimal(path: Path) -> None:
    workflow = _load(path.name)
    assert workflow.get("permissions") == {"contents": "read"}, path.name
    allowed = ALLOWED_PERMISSIONS[path.name]
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"{path.name}: job {name} must list its permissions"
        for scope, level in granted.items():
            assert allowed.get(scope) == level or (level == "read" and scope in allowed), (
                f"{path.name}: job {name} asks for {scope}: {level}"
            )


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_long_lived_cloud_keys(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for forbidden in ("aws-access-key-id", "aws-secret-access-key", "client-secret", "creds:"):
        assert forbidden not in text, f"{path.name} uses {forbidden}: use OIDC"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_pack_paths_named_anywhere_exist(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for name in re.findall(r"policy_packs/(\w+)", text):
        if name == "config":
            continue
        assert name in PACKS, f"{path.name} names policy_packs/{name}, which is not a pack"


def _expand(value: str, stack: str) -> str:
    return re.sub(r"\$\{\{\s*matrix\.stack\s*\}\}", stack, value)


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_pulumi_runs_every_pack_with_its_stack_config(name: str) -> None:
    workflow = _load(name)
    steps = _uses(workflow, "pulumi/actions")
    assert len(steps) == 1, name
    inputs = steps[0]["with"]
    # pulumi/actions reads both inputs as one entry per line.
    packs = [line.strip() for line in str(inputs["policyPacks"]).splitlines() if line.strip()]
    configs = [
        line.strip() for line in str(inputs["policyPackConfigs"]).splitlines() if line.strip()
    ]
    assert sorted(Path(p).name for p in packs) == PACKS, f"{name}: packs {packs}"
    for pack in packs:
        assert (ROOT / pack / "PulumiPolicy.yaml").is_file(), pack
    # The CLI pairs configs with packs by position and needs one per pack.
    assert len(configs) == len(packs), f"{name}: {configs}"
    (job,) = workflow["jobs"].values()
    # The configs are the ones the offline check wrote just before, with its evidence about the
    # values unknown at preview (clover/evidence.py): the check reads each stack's own config.
    names = [step.get("uses", "") for step in job["steps"]]
    at = next(i for i, uses in enumerate(names) if uses.startswith("pulumi/actions"))
    evidence = job["steps"][at - 1]
    assert evidence["env"]["STACK"] == "${{ matrix.stack }}", name
    assert '--stack "$STACK" --write-pack-configs "$RUNNER_TEMP/clover"' in evidence["run"], name
    for stack in job["strategy"]["matrix"]["stack"]:
        for pack, config in zip(packs, configs, strict=True):
            expanded = _expand(config, stack)
            assert expanded == f"${{{{ runner.temp }}}}/clover/{Path(pack).name}.{stack}.json"
            own = ROOT / "policy_packs" / "config" / f"{Path(pack).name}.{stack}.json"
            assert own.is_file(), f"{name}: {own} does not exist"


@pytest.mark.parametrize("name", sorted(ALLOWED_PERMISSIONS))
def test_every_workflow_covers_exactly_the_stacks(name: str) -> None:
    workflow = _load(name)
    for job_name, job in workflow["jobs"].items():
        stacks = job["strategy"]["matrix"]["stack"]
        assert stacks == STACKS, f"{name}: job {job_name} runs {stacks}, stacks/ has {STACKS}"


def test_residency_check_runs_on_every_pull_request_without_secrets() -> None:
    workflow = _load("residency-check.yml")
    assert "pull_request" in _on(workflow)
    assert "pull_request_target" not in _on(workflow)
    text = (WORKFLOWS / "residency-check.yml").read_text(encoding="utf-8")
    assert "secrets." not in text
    (job,) = workflow["jobs"].values()
    assert "if" not in job, "forks must be checked too"


def test_residency_check_caches_pip_on_the_requirements() -> None:
    workflow = _load("residency-check.yml")
    (setup,) = _uses(workflow, "actions/setup-python")
    assert setup["with"]["cache"] == "pip"
    paths = str(setup["with"]["cache-dependency-path"]).split()
    assert {"requirements.txt", "requirements-dev.txt"} <= set(paths)


def test_residency_check_fails_on_the_check_not_on_the_upload() -> None:
    workflow = _load("residency-check.yml")
    steps = _steps(workflow)
    check = next(s for s in steps if s.get("id") == "check")
    assert "python -m clover check" in check["run"]
    assert "--format sarif" in check["run"]
    assert "$GITHUB_STEP_SUMMARY" in check["run"]
    assert "--format text" in check["run"]
    upload = _uses(workflow, "github/codeql-action/upload-sarif")
    assert len(upload) == 1
    assert upload[0]["with"]["category"].endswith("${{ matrix.stack }}")
    # Only the upload may fail quietly (a fork's token cannot write code scanning).
    tolerant = [s for s in steps if s.get("continue-on-error")]
    assert tolerant == upload
    verdict = steps[-1]
    assert "steps.check.outputs.exit-code" in verdict["if"]
    assert "exit 1" in verdict["run"]


def test_preview_runs_only_for_this_repository_with_one_group_per_stack_and_pr() -> None:
    workflow = _load("preview.yml")
    assert "pull_request" in _on(workflow)
    (job,) = workflow["jobs"].values()
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    concurrency = job["concurrency"]
    assert concurrency["cancel-in-progress"] is True
    assert "matrix.stack" in concurrency["group"]
    assert "github.event.pull_request.number" in concurrency["group"]
    (pulumi,) = _uses(workflow, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_cloud_logins_use_oidc_and_variables(name: str) -> None:
    workflow = _load(name)
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["id-token"] == "write"
    (aws,) = _uses(workflow, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    (azure,) = _uses(workflow, "azure/login")
    assert azure["with"] == {
        "client-id": "${{ vars.AZURE_CLIENT_ID }}",
        "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
        "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
    }
    (cache,) = _uses(workflow, "actions/cache")
    assert cache["with"]["path"] == "~/.pulumi/plugins"
    assert "hashFiles('requirements.txt')" in cache["with"]["key"]


def test_deploy_runs_on_main_in_environments_one_at_a_time_dev_first() -> None:
    workflow = _load("deploy.yml")
    assert _on(workflow) == {"push": {"branches": ["main"]}}
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["concurrency"]["cancel-in-progress"] is False
    assert "matrix.stack" in job["concurrency"]["group"]
    strategy = job["strategy"]
    assert strategy["max-parallel"] == 1
    assert strategy["fail-fast"] is True
    stacks = strategy["matrix"]["stack"]
    assert stacks.index("dev") < stacks.index("prod")
    (pulumi,) = _uses(workflow, "pulumi/actions")
    assert pulumi["with"]["command"] == "up"
