"""The GitHub workflows: actionlint finds nothing, every third-party action is pinned to a commit,
they name the packs, configs and stacks that exist in this repository, with minimal permissions and
the concurrency each one needs; a pull request is judged by the base branch's packs too, and the
review gate and CODEOWNERS keep the reviewed paths under the data-protection owners' review."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from codeowners import CodeOwners

from clover.errors import DEFAULT_PACKS
from tests.modules import module_from_file

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
    "review-gate.yml": {"contents": "read"},
}
# Stacks that hold production data are never previewed from a branch (preview.yml).
PROD_STACKS = sorted(
    stack
    for stack in STACKS
    if yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))[
        "config"
    ].get("clover:environment")
    == "prod"
)
assert PROD_STACKS, "no stack is marked clover:environment prod"


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


def test_the_workflows_exist() -> None:
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


@pytest.mark.parametrize("name", ["residency-check.yml", "deploy.yml"])
def test_every_workflow_covers_exactly_the_stacks(name: str) -> None:
    workflow = _load(name)
    for job_name, job in workflow["jobs"].items():
        stacks = job["strategy"]["matrix"]["stack"]
        assert stacks == STACKS, f"{name}: job {job_name} runs {stacks}, stacks/ has {STACKS}"


def test_previews_cover_every_stack_but_prod() -> None:
    # A preview runs the branch's program with the stack's state and config secrets readable
    # (Pulumi Cloud's Stack Read includes stack:decrypt): a branch must never reach prod's.
    (job,) = _load("preview.yml")["jobs"].values()
    stacks = job["strategy"]["matrix"]["stack"]
    assert stacks == [s for s in STACKS if s not in PROD_STACKS]
    assert job["environment"] == "${{ matrix.stack }}-preview"
    text = (WORKFLOWS / "preview.yml").read_text(encoding="utf-8")
    for stack in PROD_STACKS:
        assert f"{stack}-preview" not in text


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


def test_residency_check_runs_the_program_once_for_every_output() -> None:
    workflow = _load("residency-check.yml")
    steps = _steps(workflow)
    check = next(s for s in steps if s.get("id") == "check")
    # One run writes the text, the SARIF and the report (clover check --sarif/--report).
    assert check["run"].count("python -m clover") == 1
    command = " ".join(check["run"].replace("\\\n", " ").split())
    for flag in (
        '--stack "$STACK" --format text',
        '--output "clover-$STACK.txt"',
        '--sarif "clover-$STACK.sarif"',
        '--report "residency-$STACK.html"',
        '--report-json "residency-$STACK.json"',
    ):
        assert flag in command, flag
    (upload,) = _uses(workflow, "github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == "clover-${{ matrix.stack }}.sarif"
    (artifact,) = _uses(workflow, "actions/upload-artifact")
    assert artifact["with"]["path"].splitlines() == [
        "residency-${{ matrix.stack }}.html",
        "residency-${{ matrix.stack }}.json",
    ]
    summary = next(s for s in steps if s.get("name") == "Job summary")
    assert "$GITHUB_STEP_SUMMARY" in summary["run"]
    assert 'cat "clover-$STACK.txt"' in summary["run"]
    assert 'cat "clover-$STACK-base.txt"' in summary["run"]


def test_residency_check_fails_on_either_check_not_on_the_upload() -> None:
    workflow = _load("residency-check.yml")
    steps = _steps(workflow)
    upload = _uses(workflow, "github/codeql-action/upload-sarif")
    assert len(upload) == 1
    assert upload[0]["with"]["category"].endswith("${{ matrix.stack }}")
    # Only the upload may fail quietly (a fork's token cannot write code scanning).
    tolerant = [s for s in steps if s.get("continue-on-error")]
    assert tolerant == upload
    verdict = steps[-1]
    # A code that was never set ('') is not '0': no verdict fails too.
    assert verdict["if"] == (
        "${{ steps.check.outputs.exit-code != '0' || steps.base.outputs.exit-code != '0' }}"
    )
    assert verdict["run"].rstrip().endswith("exit 1")


def test_residency_check_checks_out_the_base_branch_beside_the_pull_request() -> None:
    workflow = _load("residency-check.yml")
    checkouts = _uses(workflow, "actions/checkout")
    assert len(checkouts) == 2
    own, base = checkouts
    assert "ref" not in own.get("with", {})
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert base["with"]["path"] == ".clover-base"
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False
    steps = _steps(workflow)
    base_step = next(s for s in steps if s.get("id") == "base")
    assert steps.index(base_step) > next(i for i, s in enumerate(steps) if s.get("id") == "check")


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


# --- pinned actions -----------------------------------------------------------------------------

# `uses: owner/repo[/path]@<40 hex> # vX.Y.Z`: a tag can be moved to other code, a commit cannot;
# the comment says which release the commit is, for review and for update tools.
PINNED = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})"
    r"\s+#\s+(?P<version>v\d+\.\d+\.\d+)\s*$"
)


def _uses_lines(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"^\s*(?:-\s+)?uses:", line)
    ]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = _uses_lines(path)
    # Every step that uses an action is one of these lines (none hides in a flow mapping).
    uses = [s["uses"] for s in _steps(_load(path.name)) if "uses" in s]
    assert len(lines) == len(uses), path.name
    for line in lines:
        if re.match(r"^\s*(?:-\s+)?uses:\s+\./", line):
            continue  # a local action is this repository's own code, reviewed with it
        assert PINNED.match(line), f"{path.name}: not pinned to a commit with a version: {line}"


def test_one_release_of_each_action_is_one_commit() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOW_FILES:
        for line in _uses_lines(path):
            match = PINNED.match(line)
            if match is not None:
                pins.setdefault(match["action"], set()).add((match["sha"], match["version"]))
    assert pins
    for action, releases in pins.items():
        assert len(releases) == 1, f"{action} pinned to several commits or releases: {releases}"


# --- the base branch's packs judge too ----------------------------------------------------------

PROJECT_FILES = (
    "Pulumi.yaml",
    "__main__.py",
    "clover",
    "sites",
    "components",
    "stacks",
    "policy_packs",
)


def _tree(target: Path) -> Path:
    """A copy of the program, its stacks, the checker and the packs, using this checkout's venv."""
    target.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, target / name, ignore=shutil.ignore_patterns("venv", "__pycache__")
            )
        else:
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(Path(sys.executable).parents[1])
    return target


def _run_step(step_id: str, workspace: Path, base: Path, stack: str) -> tuple[str, Path]:
    (step,) = [s for s in _steps(_load("residency-check.yml")) if s.get("id") == step_id]
    script = step["run"].replace('base="$GITHUB_WORKSPACE/.clover-base"', f'base="{base}"')
    assert step_id != "base" or str(base) in script
    output = workspace / f"github-output-{step_id}"
    env = {
        **os.environ,
        "STACK": stack,
        "BASE_SHA": "0" * 40,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output),
    }
    # As GitHub runs a `run:` step: bash -e, in the workspace.
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    codes = re.findall(r"^exit-code=(\d+)$", output.read_text(encoding="utf-8"), re.M)
    assert len(codes) == 1, output.read_text(encoding="utf-8")
    return codes[0], workspace


def test_a_pull_request_that_relaxes_its_own_packs_is_still_blocked_by_the_base_branch(
    tmp_path: Path,
) -> None:
    base = _tree(tmp_path / "base")
    pull = _tree(tmp_path / "pull")
    # The pull request drops prod's data-store protection and, in the same change, loosens its
    # own pack config so that nothing blocks it (an overlay regenerated as the README says).
    stack_file = pull / "stacks" / "Pulumi.prod.yaml"
    text = stack_file.read_text(encoding="utf-8")
    assert "clover:protectDataStores: true" in text
    stack_file.write_text(
        text.replace("clover:protectDataStores: true", "clover:protectDataStores: false"),
        encoding="utf-8",
    )
    overlay = pull / "policy_packs" / "config" / "layers" / "eu_data_protection.prod.json"
    assert not overlay.exists()
    overlay.write_text(
        json.dumps(
            {
                "aws-data-store-require-protect": "disabled",
                "azure-native-data-store-require-protect": "disabled",
            }
        ),
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "clover.pack_config"], cwd=pull, check=True, capture_output=True
    )

    own, _ = _run_step("check", pull, base, "prod")
    judged, _ = _run_step("base", pull, base, "prod")
    assert own == "0", "the pull request's own packs were meant to let it pass"
    assert judged == "1"
    report = (pull / "clover-prod-base.txt").read_text(encoding="utf-8")
    assert "require-protect" in report
    judges = (pull / "clover-prod-base-judges.txt").read_text(encoding="utf-8")
    for pack in PACKS:
        assert f"`{pack}` with `policy_packs/config/{pack}.prod.json`" in judges
    # Every output of the one run exists for the upload steps.
    for name in ("clover-prod.sarif", "residency-prod.html", "residency-prod.json"):
        assert (pull / name).is_file(), name


def test_a_stack_the_base_branch_lacks_is_judged_by_its_strict_base(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base")
    pull = _tree(tmp_path / "pull")
    shutil.copy(pull / "stacks" / "Pulumi.dev.yaml", pull / "stacks" / "Pulumi.staging.yaml")
    subprocess.run(
        [sys.executable, "-m", "clover.pack_config"], cwd=pull, check=True, capture_output=True
    )
    code, _ = _run_step("base", pull, base, "staging")
    judges = (pull / "clover-staging-base-judges.txt").read_text(encoding="utf-8")
    for pack in PACKS:
        assert f"`{pack}` with `policy_packs/config/layers/{pack}.base.json`" in judges
    # dev's content is loosened for dev only: under the strict base it is blocked.
    assert code == "1"


def test_the_base_branch_without_packs_gives_no_verdict(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base")
    pull = _tree(tmp_path / "pull")
    shutil.rmtree(base / "policy_packs" / "config")
    code, _ = _run_step("base", pull, base, "prod")
    assert code == "2"


# --- CODEOWNERS and the review gate -------------------------------------------------------------

CODEOWNERS_FILE = ROOT / ".github" / "CODEOWNERS"


def _gate() -> ModuleType:
    return module_from_file(
        "review_gate", ROOT / ".github" / "scripts" / "review_gate.py", keep=True
    )


GATE = _gate()
OWNER: str = GATE.OWNER


def _tracked() -> list[str]:
    done = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_the_reviewed_paths_are_the_ones_that_judge() -> None:
    for path in (
        "policy_packs/eu_data_protection/PulumiPolicy.yaml",
        "policy_packs/config/exemptions.yaml",
        "policy_packs/config/external-resources.yaml",
        "policy_packs/config/layers/eu_access.base.json",
        ".github/workflows/deploy.yml",
        ".github/CODEOWNERS",
        "clover/pack_config.py",
    ):
        assert GATE.is_reviewed(path), path
    for path in ("README.md", "components/keys/aws.py", "clover/check.py", "x/policy_packs/a"):
        assert not GATE.is_reviewed(path), path


def test_codeowners_puts_every_reviewed_path_under_data_protection_review() -> None:
    text = CODEOWNERS_FILE.read_text(encoding="utf-8")
    reviewed = [path for path in _tracked() if GATE.is_reviewed(path)]
    assert "policy_packs/config/exemptions.yaml" in reviewed
    paths = sorted({*reviewed, *GATE.SAMPLE_PATHS})
    assert GATE.unowned(text, paths) == []
    owners = CodeOwners(text)
    for path in paths:
        assert ("TEAM", OWNER) in owners.of(path), path


def test_codeowners_last_match_wins() -> None:
    # GitHub's rule: a later line overrides an earlier one, so a catch-all added after the
    # reviewed lines would take the review away from the data-protection owners.
    text = CODEOWNERS_FILE.read_text(encoding="utf-8") + "\n*.json @someone-else\n"
    assert GATE.unowned(text, ["policy_packs/config/eu_residency.prod.json"]) == [
        "policy_packs/config/eu_residency.prod.json"
    ]
    assert GATE.unowned(text, ["policy_packs/config/exemptions.yaml"]) == []


def _rules(
    *, approvals: int = 1, owners: bool = True, stale: bool = True, checks: list[str] | None = None
) -> list[dict[str, Any]]:
    contexts = REQUIRED_CHECKS if checks is None else checks
    return [
        {"type": "deletion", "ruleset_id": 1},
        {
            "type": "pull_request",
            "ruleset_id": 1,
            "parameters": {
                "required_approving_review_count": approvals,
                "require_code_owner_review": owners,
                "dismiss_stale_reviews_on_push": stale,
                "require_last_push_approval": True,
                "required_review_thread_resolution": False,
            },
        },
        {
            "type": "required_status_checks",
            "ruleset_id": 2,
            "parameters": {
                "strict_required_status_checks_policy": True,
                "required_status_checks": [{"context": c} for c in contexts],
            },
        },
    ]


def _expand_name(name: str, job: dict[str, Any]) -> list[str]:
    if "${{" not in name:
        return [name]
    stacks = job["strategy"]["matrix"]["stack"]
    return [_expand(name, stack) for stack in stacks]


# The status checks a pull request must pass: every job of the residency check and the gate.
REQUIRED_CHECKS = [
    check
    for name in ("residency-check.yml", "review-gate.yml")
    for job in _load(name)["jobs"].values()
    for check in _expand_name(job["name"], job)
]


def _judge(changed: list[str], **kwargs: Any) -> list[str]:
    arguments: dict[str, Any] = {
        "codeowners_text": CODEOWNERS_FILE.read_text(encoding="utf-8"),
        "codeowners_errors": {"errors": []},
        "rules": _rules(),
        "required_checks": REQUIRED_CHECKS,
    }
    arguments.update(kwargs)
    _, problems = GATE.judge(changed=changed, **arguments)
    assert isinstance(problems, list)
    return problems


def test_gate_passes_a_change_outside_the_reviewed_paths_whatever_the_settings() -> None:
    assert _judge(["README.md", "components/keys/aws.py"], rules=[], codeowners_text=None) == []


def test_gate_passes_a_reviewed_change_when_github_requires_the_review() -> None:
    assert _judge(["policy_packs/config/exemptions.yaml", "README.md"]) == []


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"codeowners_text": None}, "has no .github/CODEOWNERS"),
        ({"codeowners_text": "/policy_packs/ @someone\n"}, "is not owned by"),
        (
            {"codeowners_errors": {"errors": [{"line": 3, "kind": "Unknown owner"}]}},
            "CODEOWNERS line 3: Unknown owner",
        ),
        ({"rules": []}, "does not require a pull request with an approval"),
        ({"rules": _rules(approvals=0)}, "does not require a pull request with an approval"),
        ({"rules": _rules(owners=False)}, "does not require a review from Code Owners"),
        ({"rules": _rules(stale=False)}, "keeps approvals when new commits are pushed"),
        ({"rules": _rules(checks=["check (dev)"])}, "does not require the status checks"),
    ],
)
def test_gate_fails_a_reviewed_change_the_repository_does_not_make_github_review(
    kwargs: dict[str, Any], problem: str
) -> None:
    problems = _judge(["policy_packs/eu_residency/placement.py"], **kwargs)
    assert any(problem in p for p in problems), problems


def test_gate_takes_the_strictest_of_several_rulesets() -> None:
    rules = [*_rules(owners=False, stale=False), *_rules(approvals=2)]
    assert _judge([".github/workflows/deploy.yml"], rules=rules) == []


@pytest.mark.parametrize(
    "rules",
    [{"rules": "not a list"}, ["not an object"], [{"type": "pull_request", "parameters": []}]],
)
def test_gate_cannot_judge_malformed_rules(rules: Any) -> None:
    with pytest.raises(GATE.GateError):
        _judge(["clover/pack_config.py"], rules=rules)


def test_gate_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "changed.txt"
    changed.write_text("policy_packs/config/exemptions.yaml\nREADME.md\n", encoding="utf-8")
    codeowners = tmp_path / "CODEOWNERS"
    shutil.copy(CODEOWNERS_FILE, codeowners)
    errors = tmp_path / "errors.json"
    errors.write_text('{"errors": []}', encoding="utf-8")
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(_rules()), encoding="utf-8")
    args = [
        *("--changed", str(changed), "--codeowners", str(codeowners)),
        *("--codeowners-errors", str(errors), "--rules", str(rules)),
        *(arg for check in REQUIRED_CHECKS for arg in ("--require-check", check)),
    ]
    assert GATE.main(args) == 0
    assert "`policy_packs/config/exemptions.yaml`" in capsys.readouterr().out
    rules.write_text(json.dumps(_rules(owners=False)), encoding="utf-8")
    assert GATE.main(args) == 1
    assert "review from Code Owners" in capsys.readouterr().out
    codeowners.unlink()
    assert GATE.main(args) == 1
    rules.write_text("{", encoding="utf-8")
    assert GATE.main(args) == 2


def test_review_gate_workflow_runs_the_base_branchs_gate_on_every_pull_request() -> None:
    workflow = _load("review-gate.yml")
    assert _on(workflow) == {"pull_request": None}
    (job,) = workflow["jobs"].values()
    assert job["name"] == "review gate"
    assert "if" not in job
    (checkout,) = _uses(workflow, "actions/checkout")
    assert checkout["with"] == {"fetch-depth": 2, "persist-credentials": False}
    text = (WORKFLOWS / "review-gate.yml").read_text(encoding="utf-8")
    assert "secrets." not in text
    assert "git show HEAD^1:.github/CODEOWNERS" in text
    assert 'git show "HEAD^1:.github/$file"' in text
    assert "--no-renames HEAD^1 HEAD" in text
    assert "--require-hashes" in text
    gate = next(s for s in job["steps"] if s.get("name") == "Review gate")
    asked = re.findall(r'--require-check "([^"]+)"', gate["run"])
    assert asked == REQUIRED_CHECKS
    assert 'python "$RUNNER_TEMP/gate/review_gate.py"' in gate["run"]


def test_the_gate_installs_the_codeowners_version_the_tests_use() -> None:
    dev = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    gate = (ROOT / ".github" / "review-gate-requirements.txt").read_text(encoding="utf-8")
    (pin,) = re.findall(r"^codeowners==[\d.]+", dev, re.M)
    assert re.search(rf"^{re.escape(pin)} \\\n\s+--hash=sha256:[0-9a-f]{{64}}$", gate, re.M)
