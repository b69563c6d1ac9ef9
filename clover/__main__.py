"""``python -m clover``: the offline residency check and the residency evidence report."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from clover.check import CheckError, CheckResult, check
from clover.formats import FORMATS, render
from clover.report import build, render_json, to_html

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m clover", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    cmd = commands.add_parser(
        "check",
        help="preview a Pulumi Python project against the policy packs, offline",
        description="Run a Pulumi Python program with the SDK's engine stand-in and send every "
        "resource to the policy packs as `pulumi preview --policy-pack` would. Exit 0: no "
        "mandatory violation; 1: at least one; 2: usage error, bad input or a failing program.",
    )
    cmd.add_argument("--cwd", type=Path, default=Path.cwd(), help="the Pulumi project directory")
    cmd.add_argument("--stack", help="stack name (default: $PULUMI_STACK)")
    cmd.add_argument(
        "--policy-pack",
        dest="packs",
        type=Path,
        action="append",
        default=[],
        help="policy pack directory; repeatable (default: Clover's two packs)",
    )
    cmd.add_argument(
        "--policy-pack-config",
        dest="pack_configs",
        type=Path,
        action="append",
        default=[],
        help="JSON config for the policy pack in the same position; repeatable",
    )
    cmd.add_argument("--format", choices=FORMATS, default="text", help="output format")
    cmd.add_argument("--output", type=Path, help="write the output to FILE instead of stdout")
    cmd.add_argument("--verbose", action="store_true", help="show tracebacks on errors")

    rep = commands.add_parser(
        "report",
        help="write the residency evidence report (HTML, optionally JSON) from the offline check",
        description="Run the same offline check and write one self-contained HTML page for "
        "auditors: every resource's site, region, country, encryption key and data flows, the "
        "policy verdicts and a map. Exit codes as for `check`.",
    )
    rep.add_argument("--cwd", type=Path, default=Path.cwd(), help="the Pulumi project directory")
    rep.add_argument("--stack", help="stack name (default: $PULUMI_STACK)")
    rep.add_argument(
        "--policy-pack",
        dest="packs",
        type=Path,
        action="append",
        default=[],
        help="policy pack directory; repeatable (default: Clover's two packs)",
    )
    rep.add_argument(
        "--policy-pack-config",
        dest="pack_configs",
        type=Path,
        action="append",
        default=[],
        help="JSON config for the policy pack in the same position; repeatable",
    )
    rep.add_argument("--output", type=Path, help="write the HTML to FILE.html instead of stdout")
    rep.add_argument("--json", dest="json_output", type=Path, help="also write the facts as JSON")
    rep.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    return parser


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    # Write beside the target and rename, so a failure never leaves a partial file.
    directory = output.resolve().parent
    if not directory.is_dir():
        raise CheckError(f"--output {output}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{output.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_check(args: argparse.Namespace) -> int:
    # rich animates only on a terminal; in a CI log the status line stays silent.
    status = Console(stderr=True).status("running the program offline", spinner="dots")
    status.start()

    def progress(pack: str, done: int, total: int) -> None:
        status.update(f"{pack}: analyzed {done}/{total} resources")

    try:
        result: CheckResult = check(
            cwd=args.cwd,
            stack=args.stack,
            packs=args.packs,
            pack_configs=args.pack_configs,
            progress=progress,
        )
    finally:
        status.stop()
    _write(render(result, args.format), args.output)
    return EXIT_VIOLATIONS if result.mandatory else EXIT_OK


def _writable(flag: str, output: Path) -> None:
    """Refuse an output path before the run, so a bad one costs nothing and writes nothing."""
    directory = output.resolve().parent
    if not directory.is_dir():
        raise CheckError(f"{flag} {output}: directory {directory} does not exist")
    if output.is_dir():
        raise CheckError(f"{flag} {output}: is a directory")


def run_report(args: argparse.Namespace) -> int:
    outputs = [("--output", args.output), ("--json", args.json_output)]
    for flag, output in outputs:
        if output is not None:
            _writable(flag, output)
    both = args.output is not None and args.json_output is not None
    if both and args.output.resolve() == args.json_output.resolve():
        raise CheckError(f"--json {args.json_output}: the same file as --output")
    status = Console(stderr=True).status("running the program offline", spinner="dots")
    status.start()

    def progress(pack: str, done: int, total: int) -> None:
        status.update(f"{pack}: analyzed {done}/{total} resources")

    try:
        result: CheckResult = check(
            # Resolved: the program runs with the project as working directory.
            cwd=args.cwd.resolve(),
            stack=args.stack,
            packs=args.packs,
            pack_configs=args.pack_configs,
            progress=progress,
        )
    finally:
        status.stop()
    report = build(result)
    page = to_html(report)
    facts = render_json(report) if args.json_output is not None else None
    if facts is not None:
        _write(facts, args.json_output)
    _write(page, args.output)
    return EXIT_VIOLATIONS if result.mandatory else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            return run_report(args)
        return run_check(args)
    except CheckError as err:
        if args.verbose and err.detail:
            sys.stderr.write(err.detail)
        sys.stderr.write(f"clover {args.command}: {err}\n")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
