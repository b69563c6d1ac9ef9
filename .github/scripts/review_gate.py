"""The review gate: a pull request that changes a reviewed path fails unless the repository is set
up so that GitHub itself requires the data-protection owners' review before it can merge.

The reviewed paths decide what judges a deployment: the policy packs and their configs (the
exemptions and the declared external resources among them), the workflows that run them, and the
module that layers the configs. A pull request runs its own copy of the workflows, so a check in
them cannot stop a change to them; only GitHub's rules on the base branch can. This gate proves that
those rules are in place, from what the workflow's token may read:

- the base branch's CODEOWNERS (GitHub requests reviews from the base branch's file, not the pull
  request's) exists, GitHub reports no error in it, and every reviewed file the pull request
  changes is owned, by GitHub's last-match rule, by the data-protection team;
- the rules that apply to the base branch (rulesets: ``GET /repos/{repo}/rules/branches/{branch}``)
  require a pull request with at least one approval, a code owner's review, stale approvals
  dismissed on push, and the residency checks and this gate as status checks.

What no read-only token can see (bypass lists, who may push) is documented in the README, not
claimed here. Fails closed: unreadable or unexpected input is a failure, never a pass.

Usage (see .github/workflows/review-gate.yml)::

    python .github/scripts/review_gate.py --changed FILE --codeowners FILE \
        --codeowners-errors FILE --rules FILE --require-check NAME [--require-check NAME ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from codeowners import CodeOwners, path_to_regex

OWNER: Final = "@clover-eu/data-protection"
"""The team whose review every reviewed path needs."""

REVIEWED: Final = (
    "/policy_packs/",
    "/.github/",
    "/clover/pack_config.py",
    "/clover/facts.py",
)
"""The reviewed paths, as CODEOWNERS patterns (gitignore-style, matched as GitHub matches them).

``/policy_packs/`` holds the packs and ``policy_packs/config/`` (per-stack configs, their layers,
``exemptions.yaml``, ``external-resources.yaml``); ``/.github/`` the workflows, this gate and
CODEOWNERS itself; ``clover/facts.py`` the residency facts the packs' copies come from."""

SAMPLE_PATHS: Final = (
    "policy_packs/eu_residency/__main__.py",
    "policy_packs/config/eu_residency.prod.json",
    "policy_packs/config/layers/eu_residency.base.json",
    "policy_packs/config/exemptions.yaml",
    "policy_packs/config/external-resources.yaml",
    ".github/workflows/residency-check.yml",
    ".github/CODEOWNERS",
    ".github/scripts/review_gate.py",
    "clover/pack_config.py",
    "clover/facts.py",
)
"""Files that must be reviewed whether or not they exist yet (tests/test_workflows.py)."""


class GateError(ValueError):
    """Input the gate cannot judge from; the gate fails with it."""


def is_reviewed(path: str) -> bool:
    return any(path_to_regex(pattern).search(path) for pattern in REVIEWED)


def reviewed_changes(changed: Iterable[str]) -> list[str]:
    return sorted({path for path in changed if path and is_reviewed(path)})


def owners_of(codeowners: CodeOwners, path: str) -> list[str]:
    """The owners GitHub requests for ``path``: those of the last matching line."""
    return [owner for _, owner in codeowners.of(path)]


def unowned(codeowners_text: str, paths: Iterable[str]) -> list[str]:
    """The paths whose last matching CODEOWNERS line does not name :data:`OWNER`."""
    codeowners = CodeOwners(codeowners_text)
    wanted = OWNER.lower()
    return [
        path
        for path in paths
        if wanted not in (owner.lower() for owner in owners_of(codeowners, path))
    ]


@dataclass(frozen=True)
class Rules:
    """What the branch rules require, from ``GET /repos/{repo}/rules/branches/{branch}``."""

    approvals: int
    code_owner_review: bool
    dismiss_stale: bool
    status_checks: frozenset[str]


def parse_rules(document: Any) -> Rules:
    """The strictest of every ``pull_request`` rule and the union of the required checks (rules
    from several rulesets all apply)."""
    if not isinstance(document, list):
        raise GateError(f"branch rules: expected a list of rules, got {type(document).__name__}")
    approvals, owners, stale = 0, False, False
    checks: set[str] = set()
    for rule in document:
        if not isinstance(rule, dict):
            raise GateError(f"branch rules: a rule is {type(rule).__name__}, not an object")
        # Rule types without settings (deletion, non_fast_forward, ...) carry no parameters.
        parameters = rule.get("parameters")
        if parameters is None:
            parameters = {}
        if not isinstance(parameters, dict):
            raise GateError(f"branch rules: rule {rule.get('type')!r} has malformed parameters")
        if rule.get("type") == "pull_request":
            count = parameters.get("required_approving_review_count", 0)
            approvals = max(approvals, count if isinstance(count, int) else 0)
            owners = owners or parameters.get("require_code_owner_review") is True
            stale = stale or parameters.get("dismiss_stale_reviews_on_push") is True
        elif rule.get("type") == "required_status_checks":
            for check in parameters.get("required_status_checks") or []:
                if isinstance(check, dict) and isinstance(check.get("context"), str):
                    checks.add(check["context"])
    return Rules(approvals, owners, stale, frozenset(checks))


def rule_problems(rules: Rules, required_checks: Sequence[str]) -> list[str]:
    problems = []
    if rules.approvals < 1:
        problems.append("the base branch does not require a pull request with an approval")
    if not rules.code_owner_review:
        problems.append("the base branch does not require a review from Code Owners")
    if not rules.dismiss_stale:
        problems.append("the base branch keeps approvals when new commits are pushed")
    missing = [check for check in required_checks if check not in rules.status_checks]
    if missing:
        problems.append("the base branch does not require the status checks " + ", ".join(missing))
    return problems


def codeowners_error_problems(document: Any) -> list[str]:
    """GitHub ignores a CODEOWNERS line it cannot use (an unknown team, one without write
    access): ``GET /repos/{repo}/codeowners/errors`` lists them."""
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list):
        raise GateError("CODEOWNERS errors: expected an object with an `errors` list")
    problems = []
    for error in document["errors"]:
        if not isinstance(error, dict):
            raise GateError(f"CODEOWNERS errors: malformed entry {error!r}")
        message = error.get("message") or error.get("kind") or "unusable line"
        problems.append(f"CODEOWNERS line {error.get('line')}: {message}")
    return problems


def judge(
    *,
    changed: Sequence[str],
    codeowners_text: str | None,
    codeowners_errors: Any,
    rules: Any,
    required_checks: Sequence[str],
) -> tuple[list[str], list[str]]:
    """The reviewed paths changed and the reasons the pull request may not merge with them; no
    reasons when nothing reviewed changed."""
    reviewed = reviewed_changes(changed)
    if not reviewed:
        return reviewed, []
    problems: list[str] = []
    if codeowners_text is None:
        problems.append("the base branch has no .github/CODEOWNERS")
    else:
        problems += [
            f"{path} is not owned by {OWNER} in the base branch's CODEOWNERS"
            for path in unowned(codeowners_text, reviewed)
        ]
        problems += codeowners_error_problems(codeowners_errors)
    problems += rule_problems(parse_rules(rules), required_checks)
    return reviewed, problems


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GateError(f"{path}: {err}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed", type=Path, required=True, help="changed paths, one a line")
    parser.add_argument("--codeowners", type=Path, required=True, help="base branch CODEOWNERS")
    parser.add_argument("--codeowners-errors", type=Path, required=True)
    parser.add_argument("--rules", type=Path, required=True)
    parser.add_argument("--require-check", dest="checks", action="append", required=True)
    args = parser.parse_args(argv)
    try:
        changed = args.changed.read_text(encoding="utf-8").splitlines()
        codeowners = (
            args.codeowners.read_text(encoding="utf-8") if args.codeowners.is_file() else None
        )
        reviewed, problems = judge(
            changed=changed,
            codeowners_text=codeowners,
            codeowners_errors=_read_json(args.codeowners_errors),
            rules=_read_json(args.rules),
            required_checks=args.checks,
        )
    except (GateError, OSError) as err:
        print(f"review gate: cannot judge: {err}", file=sys.stderr)
        return 2
    if not reviewed:
        print("No reviewed path changed: no data-protection review is needed.")
        return 0
    print(f"Reviewed paths changed ({len(reviewed)}), each needing {OWNER}'s review:")
    for path in reviewed:
        print(f"- `{path}`")
    if not problems:
        print(f"\nGitHub requires {OWNER}'s review before this can merge.")
        return 0
    print("\nThe repository does not make GitHub require that review:")
    for problem in problems:
        print(f"- {problem}")
    print("\nSee the README, CI: review of the gate, for the settings.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
