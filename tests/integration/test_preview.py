"""``pulumi preview`` of the dev stack with both policy packs, through the Automation API.

Runs only where the Pulumi CLI, the provider plugins and cloud credentials exist; everywhere else
it skips and says which one is missing. The offline check is Clover's evidence; this test is a
cross-check against the real engine when one is at hand, never a proof on its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pulumi import automation

ROOT = Path(__file__).resolve().parents[2]
STACK = "dev"
PACKS = ("eu_residency", "eu_data_protection")
PLUGINS = {"aws": "7", "azure-native": "3"}
"""Resource plugins the program needs, by major version (pinned in requirements.txt)."""


def _missing() -> str | None:
    """Why the real preview cannot run here, or None when it can."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return "the pulumi CLI is not installed (it is not on PyPI: https://www.pulumi.com/docs/install/)"
    try:
        listed = subprocess.run(
            [pulumi, "plugin", "ls", "--json"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        plugins = json.loads(listed or "[]")
    except (subprocess.SubprocessError, OSError, ValueError) as err:
        return f"`pulumi plugin ls` failed: {err}"
    installed = {
        (p.get("name"), str(p.get("version", "")).split(".")[0])
        for p in plugins
        if isinstance(p, dict) and p.get("kind") == "resource"
    }
    for name, major in PLUGINS.items():
        if (name, major) not in installed:
            return f"provider plugin {name} v{major} is not installed (`pulumi plugin install`)"
    aws = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")
    if not any(os.environ.get(name) for name in aws):
        return "no AWS credentials in the environment: the AWS provider checks them at preview"
    if not os.environ.get("ARM_CLIENT_ID") and shutil.which("az") is None:
        return "no Azure credentials (ARM_CLIENT_ID or an Azure CLI login)"
    return None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project, so that the stack's encryption salt never lands in stacks/."""
    copy = tmp_path / "clover"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "venv", ".git", "*_cache", "__pycache__"),
    )
    # Pulumi.yaml runs the program in .venv and each pack in its venv/: the repo's .venv has both.
    (copy / ".venv").symlink_to(ROOT / ".venv")
    for pack in PACKS:
        (copy / "policy_packs" / pack / "venv").symlink_to(ROOT / ".venv")
    return copy


def test_real_preview_of_dev_passes_both_packs(project: Path, tmp_path: Path) -> None:
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)

    backend = tmp_path / "state"
    backend.mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "clover-integration-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    stack = automation.create_or_select_stack(
        STACK,
        work_dir=str(project),
        opts=automation.LocalWorkspaceOptions(env_vars=env),
    )
    packs = [str(project / "policy_packs" / pack) for pack in PACKS]
    configs = [str(project / "policy_packs" / "config" / f"{pack}.{STACK}.json") for pack in PACKS]
    # A mandatory violation makes the CLI exit non-zero, which raises CommandError here.
    result = stack.preview(policy_packs=packs, policy_pack_configs=configs)
    for name in ("eu-residency", "eu-data-protection"):
        assert name in result.stdout, result.stdout[-4000:]
    assert result.change_summary.get(automation.OpType.CREATE, 0) > 0
