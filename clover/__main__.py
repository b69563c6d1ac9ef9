"""``clover`` (or ``python -m clover``): the offline residency check and the residency evidence
report."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import stat
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clover import __version__
from clover.errors import DEFAULT_PACKS, DEFAULT_TIMEOUT, FORMATS, CheckError
from clover.packs import packs_dir
from clover.project import ProjectError, load_project, stack_name, stack_organization
from clover.runner import ProgramHost, RunnerError

# The rest (the checker, the packs' client, the output formats, the report) is imported when a
# command needs it: `check` starts the program's interpreter first, so that it imports the
# program's SDKs while this process imports its own.
if TYPE_CHECKING:
    from clover.check import CheckResult


def check(**kwargs: Any) -> CheckResult:
    """:func:`clover.check.check`, imported when first called."""
    from clover.check import check as run  # noqa: PLC0415 - imported when needed

    return run(**kwargs)


def check_stacks(**kwargs: Any) -> list[CheckResult]:
    """:func:`clover.check.check_stacks`, imported when first called."""
    from clover.check import check_stacks as run  # noqa: PLC0415 - imported when needed

    return run(**kwargs)


def render_all(results: Sequence[CheckResult], fmt: str, **options: Any) -> str:
    """:func:`clover.output.render_all`, imported when first called."""
    from clover.output import render_all as render  # noqa: PLC0415 - imported when needed

    return render(results, fmt, **options)


EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2


TIMEOUT_ENV = "CLOVER_TIMEOUT"
COLOR_CHOICES = ("auto", "always", "never")
TEXT_WIDTH = 120
"""The text view's width when it is not drawn for a terminal (a CI log, a file)."""
STACK_ENV = "PULUMI_STACK"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _add_common(cmd: argparse.ArgumentParser, *, stacks_help: str) -> None:
    """The flags ``check`` and ``report`` share, spelled as the Pulumi CLI spells them."""
    cmd.add_argument(
        "-C",
        "--cwd",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="the Pulumi project directory (default: the current directory)",
    )
    cmd.add_argument(
        "-s",
        "--stack",
        dest="stacks",
        action="append",
        default=[],
        metavar="NAME",
        help=f"{stacks_help}; `stack`, `org/stack` or `org/project/stack` (default: ${STACK_ENV})",
    )
    cmd.add_argument(
        "--policy-pack",
        dest="packs",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="policy pack directory; repeatable (default: Clover's two packs)",
    )
    cmd.add_argument(
        "--policy-pack-config",
        dest="pack_configs",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="JSON config for the policy pack in the same position; repeatable",
    )
    cmd.add_argument(
        "--timeout",
        metavar="SECONDS",
        help=f"stop the program after this many seconds (default: ${TIMEOUT_ENV}, "
        f"else {DEFAULT_TIMEOUT:g})",
    )
    cmd.add_argument("--verbose", action="store_true", help="show tracebacks on errors")


def _parser(prog: str = "python -m clover") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description=__doc__)
    parser.add_argument("--version", action="version", version=f"clover {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    cmd = commands.add_parser(
        "check",
        help="preview a Pulumi Python project against the policy packs, offline",
        description="Run a Pulumi Python program with the SDK's engine stand-in and send every "
        "resource to the policy packs as `pulumi preview --policy-pack` would. Exit 0: no "
        "mandatory violation; 1: at least one; 2: no verdict (usage error, bad input, a program "
        "that failed or ended before it finished).",
    )
    _add_common(cmd, stacks_help="stack to check; repeatable")
    cmd.add_argument(
        "--all-stacks",
        action="store_true",
        help="check every stack that has a stack file",
    )
    cmd.add_argument("--format", choices=FORMATS, help="output format (default: text)")
    cmd.add_argument(
        "--json", dest="json_format", action="store_true", help="the same as --format json"
    )
    cmd.add_argument(
        "--table",
        action="store_true",
        help="text: list every resource's placement (also with --verbose)",
    )
    cmd.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        metavar="WHEN",
        help="text: colour auto (a terminal, unless $NO_COLOR is set), always or never "
        "(default: auto)",
    )
    cmd.add_argument(
        "--output", type=Path, metavar="FILE", help="write the output to FILE instead of stdout"
    )
    # Extra outputs of the same run, so that CI runs each stack's program once (beside
    # `--format text` for the log, say) instead of once per output.
    cmd.add_argument("--sarif", type=Path, metavar="FILE", help="also write the SARIF log to FILE")
    cmd.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write the residency evidence report (HTML) to FILE; one stack only",
    )
    cmd.add_argument(
        "--report-json",
        type=Path,
        metavar="FILE",
        help="also write the evidence report's facts (JSON) to FILE; one stack only",
    )
    cmd.add_argument(
        "--write-pack-configs",
        type=Path,
        metavar="DIR",
        help="write each pack's config with what the program's runs proved about values unknown "
        "at preview, as DIR/<pack>.<stack>.json, for `pulumi preview --policy-pack-config`",
    )

    rep = commands.add_parser(
        "report",
        help="write the residency evidence report (HTML, optionally JSON) from the offline check",
        description="Run the same offline check and write one self-contained HTML page for "
        "auditors: every resource's site, region, country, encryption key and data flows, the "
        "policy verdicts and a map. Exit codes as for `check`.",
    )
    _add_common(rep, stacks_help="stack to report on")
    rep.add_argument(
        "--output", type=Path, metavar="FILE", help="write the HTML to FILE instead of stdout"
    )
    rep.add_argument(
        "--json",
        dest="json_output",
        type=Path,
        metavar="FILE",
        help="also write the facts as JSON to FILE",
    )
    packs = commands.add_parser(
        "packs",
        help="print the directory of each default policy pack, one per line",
        description="Print where Clover's default policy packs are (in this checkout or in the "
        "installed package), one directory per line, in the order `check` runs them: what "
        "`pulumi preview --policy-pack` takes.",
    )
    packs.set_defaults(verbose=False)
    return parser


def run_packs() -> int:
    for name in DEFAULT_PACKS:
        directory = packs_dir() / name
        if not directory.is_dir():
            raise CheckError(f"policy pack {name}: {directory} does not exist; reinstall clover")
        sys.stdout.write(f"{directory}\n")
    return EXIT_OK


def _format(args: argparse.Namespace) -> str:
    if args.command != "check":
        return "html"
    if args.json_format and args.format not in (None, "json"):
        raise CheckError(f"--json and --format {args.format} ask for two formats; give one")
    return "json" if args.json_format else (args.format or "text")


def _timeout(args: argparse.Namespace) -> float | None:
    """``--timeout`` wins over ``CLOVER_TIMEOUT``; either must be a positive number of seconds."""
    if args.timeout is not None:
        raw, source = args.timeout, "--timeout"
    elif os.environ.get(TIMEOUT_ENV):
        raw, source = os.environ[TIMEOUT_ENV], TIMEOUT_ENV
    else:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise CheckError(f"{source} {raw!r}: not a positive number of seconds")
    return seconds


def _stack_names(args: argparse.Namespace) -> list[str]:
    """The stacks asked for, as plain names, in order and without repeats.

    Empty when none was asked: :func:`clover.check.check` then names the stacks there are."""
    all_stacks = getattr(args, "all_stacks", False)
    if all_stacks and args.stacks:
        raise CheckError("--all-stacks and --stack exclude each other; give one")
    refs = [("--stack", ref) for ref in args.stacks]
    if not refs and not all_stacks and os.environ.get(STACK_ENV):
        refs = [(STACK_ENV, os.environ[STACK_ENV])]
    if not refs and not all_stacks:
        return []
    try:
        project = load_project(args.cwd)
        if all_stacks:
            names = project.stacks()
            if not names:
                raise CheckError(
                    f"--all-stacks: project {project.name} has no stack file "
                    f"(Pulumi.<stack>.yaml) in {project.stack_config_dir}"
                )
            return names
        names = [stack_name(project, ref, source) for source, ref in refs]
    except ProjectError as err:
        raise CheckError(str(err)) from None
    return list(dict.fromkeys(names))


def _organizations(args: argparse.Namespace) -> dict[str, str]:
    """The organization each stack reference names (``org/stack``, ``org/project/stack``), by
    stack name: the program sees it as ``pulumi.get_organization()``, as under the CLI."""
    refs = list(args.stacks) or (
        [os.environ[STACK_ENV]]
        if os.environ.get(STACK_ENV) and not getattr(args, "all_stacks", False)
        else []
    )
    found: dict[str, str] = {}
    for ref in refs:
        organization = stack_organization(ref)
        if organization is not None:
            found.setdefault(ref.split("/")[-1], organization)
    return found


def _umask() -> int:
    # Linux reports the umask without changing it; elsewhere set and restore it (nothing else in
    # this process creates files meanwhile).
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
        return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_through(output: Path) -> bool:
    """True for an existing output that is not a regular file (``/dev/null``, ``/dev/stdout``, a
    FIFO): it is opened and written, never replaced by a new file."""
    try:
        mode = output.stat().st_mode  # follows symlinks, also /dev/stdout's magic link
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if _write_through(output):
        with output.open("w", encoding="utf-8") as handle:
            handle.write(text)
        return
    # A regular file is replaced atomically: written beside it, then renamed over it, so a reader
    # never sees half a document and a failure leaves the old file. For a symlink the file replaced
    # is its target, so the link stays a link.
    target = Path(os.path.realpath(output))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()  # what open(..., "w") would create; mkstemp creates 0600
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _writable(flag: str, output: Path) -> None:
    """Refuse an output path before the run, so a bad one costs nothing and writes nothing."""
    if _write_through(output):
        if not os.access(output, os.W_OK):
            raise CheckError(f"{flag} {output}: not writable")
        return
    target = Path(os.path.realpath(output))
    if target.is_dir():
        raise CheckError(f"{flag} {output}: is a directory")
    directory = target.parent
    if not directory.is_dir():
        raise CheckError(f"{flag} {output}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CheckError(f"{flag} {output}: directory {directory} is not writable")


def _exit_code(results: Sequence[CheckResult]) -> int:
    """1 when any stack has a mandatory violation, even one whose program ended early; else 2
    when any run is incomplete, since what was not registered was not checked; else 0."""
    if any(r.mandatory for r in results):
        return EXIT_VIOLATIONS
    if any(r.incomplete is not None for r in results):
        return EXIT_USAGE
    return EXIT_OK


def _say_incomplete(command: str, results: Sequence[CheckResult], verbose: bool) -> None:
    for result in results:
        if result.incomplete is None and result.evidence_incomplete is not None:
            which = f" (stack {result.stack})" if len(results) > 1 else ""
            sys.stderr.write(
                f"clover {command}: the program's second run, as an update, did not finish: "
                f"{result.evidence_incomplete}{which}; values unknown at preview that it would "
                "have computed are unproven\n"
            )
        if result.incomplete is None:
            continue
        if verbose and result.detail:
            sys.stderr.write(result.detail)
        which = f" (stack {result.stack})" if len(results) > 1 else ""
        sys.stderr.write(
            f"clover {command}: the program ended before it finished: {result.incomplete}{which}\n"
        )


@contextlib.contextmanager
def _status() -> Iterator[Callable[[str, int, int], None]]:
    # rich animates only on a terminal; in a CI log the status line stays silent.
    from rich.console import Console  # noqa: PLC0415 - only when a run needs it

    status = Console(stderr=True).status("running the program offline", spinner="dots")
    status.start()

    def progress(pack: str, done: int, total: int) -> None:
        # `clover.check.REGISTERING` (""), not imported here: the check module loads late.
        if not pack:
            status.update(f"running the program offline: {done} resources registered")
        else:
            status.update(f"{pack}: analyzed {done}/{total} resources")

    try:
        yield progress
    finally:
        status.stop()


def _pack_config_files(directory: Path, results: Sequence[CheckResult]) -> None:
    """Write each stack's pack configs with their evidence, ``<pack dir>.<stack>.json``."""
    for result in results:
        for run, document in zip(result.packs, result.pack_configs, strict=False):
            name = f"{run.directory.resolve().name}.{result.stack.rsplit('/', 1)[-1]}.json"
            _write(json.dumps(document, indent=2, sort_keys=True) + "\n", directory / name)


def _check_outputs(args: argparse.Namespace) -> None:
    """Every file ``check`` writes, by flag, each refused before the run if it is unwritable
    or the same file as another (the second write would replace the first)."""
    named = [
        ("--output", args.output),
        ("--sarif", args.sarif),
        ("--report", args.report),
        ("--report-json", args.report_json),
    ]
    outputs = [(flag, path) for flag, path in named if path is not None]
    seen: dict[Path, str] = {}
    for flag, path in outputs:
        _writable(flag, path)
        if _write_through(path):
            continue  # /dev/stdout and the like may be named twice
        real = Path(os.path.realpath(path))
        if real in seen:
            raise CheckError(f"{flag} {path}: the same file as {seen[real]}")
        seen[real] = flag


def _started_host(cwd: Path) -> ProgramHost | None:
    """The program's interpreter, started before the check imports its own modules, so the two
    import side by side; None when the project cannot be read or the interpreter not started
    (the check then says why, as it does without a head start)."""
    try:
        host = ProgramHost(load_project(cwd))
        host.start()
    except (ProjectError, RunnerError):
        return None
    return host


def _text_options(args: argparse.Namespace) -> dict[str, Any]:
    """How the text view is drawn: colour when asked, or for a terminal that takes it (a
    non-empty ``NO_COLOR`` opts out, https://no-color.org; ``TERM=dumb`` has none), the
    terminal's width, the full placement table with ``--table`` or ``--verbose``."""
    on_terminal = args.output is None and sys.stdout.isatty()
    if args.color == "auto":
        color = on_terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    else:
        color = args.color == "always"
    width = shutil.get_terminal_size((TEXT_WIDTH, 24)).columns if on_terminal else TEXT_WIDTH
    return {"color": color, "table": args.table or args.verbose, "width": width}


def run_check(args: argparse.Namespace) -> int:
    fmt = _format(args)
    _check_outputs(args)
    configs_dir = args.write_pack_configs
    if configs_dir is not None and not configs_dir.is_dir():
        raise CheckError(f"--write-pack-configs {configs_dir}: no such directory")
    if configs_dir is not None and not os.access(configs_dir, os.W_OK | os.X_OK):
        raise CheckError(f"--write-pack-configs {configs_dir}: not writable")
    timeout = _timeout(args)
    names = _stack_names(args)
    wants_report = args.report is not None or args.report_json is not None
    if wants_report and len(names) > 1:
        raise CheckError(f"--stack given {len(names)} stacks; a report covers one stack")
    with contextlib.ExitStack() as stack:
        host = _started_host(args.cwd)
        if host is not None:
            stack.enter_context(host)
        with _status() as progress:
            if len(names) > 1:
                results = check_stacks(
                    cwd=args.cwd,
                    stacks=names,
                    packs=args.packs,
                    pack_configs=args.pack_configs,
                    progress=progress,
                    timeout=timeout,
                    host=host,
                    organizations=_organizations(args),
                )
            else:
                results = [
                    check(
                        cwd=args.cwd,
                        stack=names[0] if names else None,
                        packs=args.packs,
                        pack_configs=args.pack_configs,
                        progress=progress,
                        timeout=timeout,
                        host=host,
                        organization=_organizations(args).get(names[0]) if names else None,
                    )
                ]
    from clover.report import build, render_json, to_html  # noqa: PLC0415 - when needed

    _say_incomplete("check", results, args.verbose)
    _write(render_all(results, fmt, **_text_options(args)), args.output)
    if args.sarif is not None:
        _write(render_all(results, "sarif"), args.sarif)
    if wants_report:
        (result,) = results
        report = build(result)
        if args.report_json is not None:
            _write(render_json(report), args.report_json)
        if args.report is not None:
            _write(to_html(report), args.report)
    if configs_dir is not None:
        _pack_config_files(configs_dir, results)
    return _exit_code(results)


def run_report(args: argparse.Namespace) -> int:
    outputs = [("--output", args.output), ("--json", args.json_output)]
    for flag, output in outputs:
        if output is not None:
            _writable(flag, output)
    both = args.output is not None and args.json_output is not None
    if both and Path(os.path.realpath(args.output)) == Path(os.path.realpath(args.json_output)):
        raise CheckError(f"--json {args.json_output}: the same file as --output")
    timeout = _timeout(args)
    names = _stack_names(args)
    if len(names) > 1:
        raise CheckError(f"--stack given {len(names)} stacks; a report covers one stack")
    from clover.report import build, render_json, to_html  # noqa: PLC0415 - when needed

    with _status() as progress:
        result: CheckResult = check(
            # Resolved: the program runs with the project as working directory.
            cwd=args.cwd.resolve(),
            stack=names[0] if names else None,
            packs=args.packs,
            pack_configs=args.pack_configs,
            progress=progress,
            timeout=timeout,
        )
    _say_incomplete("report", [result], args.verbose)
    report = build(result)
    page = to_html(report)
    facts = render_json(report) if args.json_output is not None else None
    if facts is not None:
        _write(facts, args.json_output)
    _write(page, args.output)
    return _exit_code([result])


def _fail(args: argparse.Namespace, message: str, hint: str = "") -> None:
    """One line on stderr; for ``--format json`` on stdout, the error document too.

    An empty stdout would not be JSON: ``jq`` reads it as no input and exits 0, even with
    ``-e`` (jq 1.6/1.7), so a gate such as ``check --json | jq -e '.summary.mandatory == 0'``
    would pass without ``pipefail``. The error document has no ``summary`` and says
    ``"complete": false``, so a filter on the verdict fails instead (see README, the offline
    check). SARIF gets nothing: an empty SARIF log uploaded to code scanning would close every
    open alert."""
    sys.stderr.write(f"clover {args.command}: {message}{hint}\n")
    json_on_stdout = (
        args.command == "check"
        and args.output is None
        and (args.json_format or args.format == "json")
    )
    if json_on_stdout:
        from clover.output import json_error  # noqa: PLC0415 - only on this path

        with contextlib.suppress(OSError):
            sys.stdout.write(json_error(message))
            sys.stdout.flush()


def main(argv: Sequence[str] | None = None, prog: str = "python -m clover") -> int:
    args = _parser(prog).parse_args(argv)
    try:
        if args.command == "packs":
            return run_packs()
        if args.command == "report":
            return run_report(args)
        return run_check(args)
    except CheckError as err:
        if args.verbose and err.detail:
            sys.stderr.write(err.detail)
        _fail(args, str(err))
    except KeyboardInterrupt:
        _fail(args, "interrupted")
    except Exception as err:  # noqa: BLE001 - Clover's own failure still gets one line and exit 2
        if args.verbose:
            sys.stderr.write(traceback.format_exc())
        hint = "" if args.verbose else " (run with --verbose for the traceback)"
        _fail(args, f"internal error: {type(err).__name__}: {err}", hint)
    return EXIT_USAGE


def entry() -> None:
    """The ``clover`` console script: ``python -m clover`` under its installed name."""
    sys.exit(main(prog="clover"))


if __name__ == "__main__":
    sys.exit(main())
