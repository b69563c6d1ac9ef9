"""The check's text output, for a terminal or a CI log, read as a scanner's report is read.

By default: where the stack's resources are (a count per site, cloud, region and country), then
each pack's violations grouped by resource (sorted by URN), mandatory first, each message
indented under its rule, and the verdict last. ``--table`` (or ``--verbose``) adds the placement
of every resource. Colour only when asked or when writing to a terminal that wants it
(``--color``, ``NO_COLOR``: https://no-color.org). Everything is rendered as rich ``Text``, never
as console markup, so a message such as ``[mandatory]`` or ``[/bold]`` is printed as written.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from clover.analyzer import Diagnostic
from clover.check import CheckResult
from clover.output.common import (
    Assessor,
    placement_row,
    site_of,
    sites_by_provider,
    sorted_diagnostics,
)

COUNTRY_NAMES_FILE: Final = Path(__file__).resolve().parents[1] / "assets" / "europe.json"
LEVEL_ORDER: Final = {"mandatory": 0, "advisory": 1, "remediate": 2}
LEVEL_STYLE: Final = {"mandatory": "bold red", "advisory": "yellow", "remediate": "cyan"}
_TRAILING_BLANKS: Final = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$")
SEVERITY_STYLE: Final = {"critical": "red", "high": "red", "medium": "yellow", "low": "dim"}


@functools.cache
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code to English short name, from the report's Natural Earth asset."""
    try:
        data = json.loads(COUNTRY_NAMES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    names = data.get("names") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}


def _country(code: str) -> str:
    name = country_names().get(code)
    return f"{code} {name}" if name else code


def specific_message(diagnostic: Diagnostic) -> str:
    """What a violation says about its resource: without the rule's description (the policy SDK
    puts it first) and without the resource's URN that the packs start each line with."""
    message = diagnostic.message
    if diagnostic.description and message.startswith(diagnostic.description):
        message = message[len(diagnostic.description) :].lstrip("\n")
    prefix = f"{diagnostic.urn}: "
    lines = [line.removeprefix(prefix) for line in message.splitlines()]
    return "\n".join(lines).strip() or diagnostic.description


def _placement_summary(result: CheckResult) -> Table:
    """Resources per site, cloud, region and country."""
    assessor = Assessor(result)
    provider_sites = sites_by_provider(result.placed)
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for item in result.placed:
        if item.resource.is_provider or not item.resource.placed_as_resource:
            continue
        cloud, shown, country, _ = placement_row(item, assessor)
        site = site_of(item) or provider_sites.get(item.resource.provider_urn or "") or "-"
        counts[(site, cloud, shown, country)] += 1
    table = Table(
        title=f"Placement of stack {result.stack}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column in ("site", "cloud", "region", "country"):
        table.add_column(column, overflow="fold")
    table.add_column("resources", justify="right")
    for (site, cloud, shown, country), count in sorted(counts.items()):
        style = "bold red" if shown in ("not assessed", "unknown") else None
        table.add_row(
            Text(site),
            Text(cloud),
            Text(shown, style=style or ""),
            Text(_country(country) if country != "-" else country),
            Text(str(count)),
        )
    return table


def _placement_table(result: CheckResult) -> Table:
    """Every resource's placement, sorted by URN."""
    table = Table(title=f"Resources of stack {result.stack}", title_justify="left")
    for column in ("resource", "type", "cloud", "region", "country", "site"):
        table.add_column(column, overflow="fold")
    provider_sites = sites_by_provider(result.placed)
    assessor = Assessor(result)
    for item in sorted(result.placed, key=lambda p: p.resource.urn):
        if item.resource.is_provider or not item.resource.placed_as_resource:
            continue  # placed through the resources they manage or contain
        cloud, shown, country, _ = placement_row(item, assessor)
        site = site_of(item) or provider_sites.get(item.resource.provider_urn or "") or "-"
        row = (item.resource.name, item.resource.type, cloud, shown, country, site)
        table.add_row(*(Text(cell) for cell in row))
    return table


def _pack_names(result: CheckResult) -> list[str]:
    """The packs that judged the stack, in the order they ran."""
    names = list(result.pack_names)
    for d in result.diagnostics:
        if d.policy_pack not in names:
            names.append(d.policy_pack)
    return names


def _count(found: Sequence[Diagnostic]) -> Text:
    mandatory = sum(1 for d in found if d.enforcement_level == "mandatory")
    advisory = len(found) - mandatory
    if not found:
        return Text("no violations", style="green")
    text = Text()
    if mandatory:
        text.append(f"{mandatory} mandatory", style=LEVEL_STYLE["mandatory"])
    if advisory:
        text.append(", " if mandatory else "")
        text.append(f"{advisory} advisory", style=LEVEL_STYLE["advisory"])
    return text


def _named(urn: str) -> tuple[str, str]:
    """(name, type) read from a URN (``urn:pulumi:<stack>::<project>::<type chain>::<name>``);
    a diagnostic about the whole stack has none."""
    parts = urn.split("::")
    if len(parts) < 4:
        return ("the stack", "")
    return (parts[-1], parts[-2].rsplit("$", 1)[-1])


def _violations(result: CheckResult) -> list[RenderableType]:
    """Each pack's violations, grouped by resource."""
    shown: list[RenderableType] = []
    names = {p.resource.urn: (p.resource.name, p.resource.type) for p in result.placed}
    for pack in _pack_names(result):
        found = sorted_diagnostics([d for d in result.diagnostics if d.policy_pack == pack])
        shown.append(Text.assemble("\n", (pack, "bold"), ": ", _count(found)))
        by_resource: dict[str, list[Diagnostic]] = {}
        for d in found:
            by_resource.setdefault(d.urn, []).append(d)
        for urn, diagnostics in by_resource.items():
            name, type_ = names.get(urn) or _named(urn)
            shown.append(Text.assemble("  ", (name, "bold"), "  ", (type_, "dim")))
            if urn:
                shown.append(Padding(Text(urn, style="dim"), (0, 0, 0, 4), expand=False))
            for d in sorted(diagnostics, key=lambda d: LEVEL_ORDER.get(d.enforcement_level, 9)):
                level = d.enforcement_level
                rule = Text.assemble(
                    (f"{level:<9}", LEVEL_STYLE.get(level, "")),
                    " ",
                    (d.policy, "bold"),
                    " ",
                    (f"({d.severity or '-'})", SEVERITY_STYLE.get(d.severity, "")),
                )
                shown.append(Padding(rule, (0, 0, 0, 4), expand=False))
                shown.append(Padding(Text(specific_message(d)), (0, 0, 0, 6), expand=False))
    return shown


def _verdict(result: CheckResult) -> Text:
    verdict, style = ("FAILED", "bold red") if result.mandatory else ("passed", "bold green")
    if result.incomplete is not None and not result.mandatory:
        verdict, style = "INCOMPLETE", "bold yellow"
    return Text.assemble(
        "\nResidency check ",
        (verdict, style),
        f": {len(result.placed)} resources, {len(result.mandatory)} mandatory and "
        f"{len(result.advisory)} advisory violation(s).",
    )


def to_text(
    result: CheckResult, *, width: int = 120, color: bool = False, table: bool = False
) -> str:
    """The text view of one stack's check."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
    )
    console.print(_placement_summary(result))
    if table:
        console.print(_placement_table(result))
    else:
        console.print(Text("(--table lists every resource's placement)", style="dim"))
    loosened = [change for run in result.packs for change in run.loosened]
    if loosened:
        console.print(Text(f"\nStack {result.stack} loosens the packs' strict base configs:"))
        for change in loosened:
            console.print(Text(f"  {change.describe()}"), soft_wrap=True)
    console.print(Group(*_violations(result)))
    console.print(_verdict(result))
    if result.data_sources:
        shaped = sum(1 for d in result.data_sources if d.get("how") == "shaped")
        console.print(
            Text(
                f"{len(result.data_sources)} data source call(s) answered offline: "
                f"{len(result.data_sources) - shaped} computed as the provider does, {shaped} "
                "looked up in the cloud by a real preview, given placement values that stay "
                "unproven."
            ),
            soft_wrap=True,
        )
    if result.incomplete is not None:
        console.print(
            Text(
                f"The program ended before it finished ({result.incomplete}): resources it did "
                "not register were not checked, so this is no clean verdict."
            ),
            soft_wrap=True,  # one line, so a log search finds it whole
        )
    # Cells and paddings are filled to the width with spaces; a log keeps no trailing blanks.
    return "".join(f"{_without_trailing_blanks(line)}\n" for line in buffer.getvalue().splitlines())


def _without_trailing_blanks(line: str) -> str:
    """``line`` without the blanks at its end, also those inside its closing colour codes."""
    while True:
        stripped = _TRAILING_BLANKS.sub(r"\1", line)
        if stripped == line:
            return line
        line = stripped
