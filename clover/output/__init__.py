"""Renderings of a check result: the JSON contract and SARIF 2.1.0; the text view is text.py."""

from __future__ import annotations

import json
from collections.abc import Sequence

from clover.check import CheckResult
from clover.output.jsondoc import json_error, to_json
from clover.output.sarif import to_sarif

__all__ = ["json_error", "render", "render_all", "to_json", "to_sarif"]


def render(result: CheckResult, fmt: str, *, color: bool = False, table: bool = False) -> str:
    return render_all([result], fmt, color=color, table=table)


def render_all(
    results: Sequence[CheckResult],
    fmt: str,
    *,
    color: bool = False,
    table: bool = False,
    width: int = 120,
) -> str:
    """One document for the stacks asked: JSON wraps them in ``{"stacks": [...]}`` only when
    there is more than one, SARIF gives each stack its own run, text one section per stack
    (clover/output/text.py; ``color``, ``table`` and ``width`` are the text view's)."""
    if fmt == "json":
        documents = [to_json(r) for r in results]
        document = documents[0] if len(documents) == 1 else {"stacks": documents}
        return json.dumps(document, indent=2) + "\n"
    if fmt == "sarif":
        logs = [to_sarif(r) for r in results]
        merged = {**logs[0], "runs": [run for log in logs for run in log["runs"]]}
        return json.dumps(merged, indent=2) + "\n"
    from clover.output.text import to_text  # noqa: PLC0415 - it builds on the others

    return "\n".join(to_text(r, width=width, color=color, table=table) for r in results)
