"""The offline residency check: run a Pulumi Python program as ``pulumi preview`` would, offline,
and send every resource to the policy packs exactly as the CLI does.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import re
import runpy
import signal
import sys
import sysconfig
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from pulumi.runtime.proto import analyzer_pb2

from clover import evidence, pack_config
from clover.analyzer import (
    AnalyzedResource,
    Diagnostic,
    PolicyConfigError,
    PolicyPack,
    PolicyPackError,
    ProviderRef,
    add_to_stack,
    analyze_request,
    load_pack_config,
)
from clover.errors import DEFAULT_PACKS, DEFAULT_TIMEOUT, CheckError
from clover.pack_config import Loosening
from clover.packs import packs_dir
from clover.placement import Placed, Placer, package_of
from clover.project import Project, ProjectError, load_project, stack_config
from clover.runner import (
    ProgramHost,
    ProgramJob,
    ProgramRun,
    RunnerError,
    branches_on_dry_run,
)
from clover.standin.engine import UNKNOWN, Recording, run_program
from clover.standin.recorded import RecordedResource

CLOVER_PACKS_DIR = packs_dir()


@dataclass(frozen=True, kw_only=True)
class PackRun:
    directory: Path
    config_file: Path | None
    loosened: tuple[Loosening, ...] = ()
    """How the stack's config is looser than the pack's strict base (Clover's own packs only)."""
    config: Mapping[str, Any] | None = None
    """The config to send instead of reading ``config_file``: the base with the stack's reviewed
    exemptions, for a stack that has no overlay and so no generated file."""


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    project: Project
    stack: str
    placed: Sequence[Placed]
    diagnostics: Sequence[Diagnostic]
    packs: Sequence[PackRun]
    incomplete: str | None = None
    """Why the program ended before it finished (``sys.exit``, an exception, a deadline, a
    signal), or None when it ran to the end. An incomplete run has no clean verdict: the check
    exits 1 when a mandatory violation was found anyway, else 2, never 0."""
    detail: str | None = None
    """The program's traceback when it raised, shown only with ``--verbose``."""
    data_sources: Sequence[Mapping[str, Any]] = ()
    """Each data source the program called and how it was answered offline: ``token``, ``how``
    (``computed`` as the provider computes it, or ``shaped``: a result of the right shape whose
    placement values are unproven), ``caller`` (file:line) and the ``unknown`` fields."""
    evidence_incomplete: str | None = None
    """Why the program's second run (as an update, to learn what values unknown at preview
    compute to) did not finish, when it was needed and did not; those values are then unproven
    (clover/evidence.py)."""
    pack_configs: Sequence[Mapping[str, Any]] = ()
    """Each pack's configuration as it judged the stack, in ``--policy-pack-config`` form, with
    the evidence the program's runs gave (clover/evidence.py): what ``pulumi preview`` needs to
    judge values unknown at preview as the check did (``--write-pack-configs``)."""
    pack_names: Sequence[str] = ()
    """The names the packs announced (``GetAnalyzerInfo``), in the order they ran."""
    outputs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """The stack's exports as the preview knows them (``UNKNOWN`` where it does not)."""

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcement_level == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcement_level == "advisory"]


def resolve_stack(project: Project, stack: str | None) -> str:
    chosen = stack or os.environ.get("PULUMI_STACK")
    if not chosen:
        known = ", ".join(project.stacks()) or "none"
        raise CheckError(
            f"no stack selected: pass --stack NAME or set PULUMI_STACK; "
            f"stacks of project {project.name}: {known}"
        )
    return chosen


def _layered_run(name: str, stack: str) -> PackRun:
    """Clover's pack with its strict base overlaid by the stack's file (:mod:`clover.pack_config`).

    The pack runs from the generated file that ``pulumi preview --policy-pack-config`` is given,
    which must match its sources; a stack with neither overlay nor generated file runs the base.
    """
    try:
        layered = pack_config.layer(name, stack)
    except pack_config.PackConfigError as err:
        raise CheckError(f"policy pack config: {err}") from None
    generated = layered.generated_file
    text = pack_config.render(layered.config)
    if generated.is_file():
        if generated.read_text(encoding="utf-8") != text:
            raise CheckError(
                f"{generated} is out of step with its sources in {layered.base_file.parent}: "
                "run `python -m clover.pack_config`"
            )
        config_file = generated
    elif layered.overlay_file is not None:
        raise CheckError(
            f"{layered.overlay_file} has no generated config {generated}: "
            "run `python -m clover.pack_config`"
        )
    else:
        # No file of its own: the base, with the stack's exemptions (exemptions.yaml) applied.
        return PackRun(
            directory=CLOVER_PACKS_DIR / name,
            config_file=layered.base_file,
            loosened=layered.loosened,
            config=layered.config,
        )
    return PackRun(
        directory=CLOVER_PACKS_DIR / name, config_file=config_file, loosened=layered.loosened
    )


def _strict_run(name: str) -> PackRun:
    """Clover's pack with its strict base alone: no stack overlay, exemption or declaration."""
    try:
        base_file = pack_config.base_path(pack_config.CONFIG_DIR, name)
        config = pack_config.read_base(base_file)
    except pack_config.PackConfigError as err:
        raise CheckError(f"policy pack config: {err}") from None
    return PackRun(directory=CLOVER_PACKS_DIR / name, config_file=base_file, config=config)


def owns_stack_configs(project: Project) -> bool:
    """Whether Clover's per-stack configs (overlays, exemptions, declared external resources in
    ``policy_packs/config``) are this project's: they were reviewed for the stacks of the
    project that holds those packs, not for another project's stack of the same name."""
    return project.directory.resolve() == CLOVER_PACKS_DIR.resolve().parent


def resolve_packs(
    project: Project, stack: str, packs: Sequence[Path], configs: Sequence[Path]
) -> list[PackRun]:
    """Pair packs with configs by order, as ``pulumi preview`` does; default to Clover's packs,
    each with its strict base config overlaid by the stack's (see :mod:`clover.pack_config`) for
    Clover's own project, and with the strict base alone for any other."""
    if len(configs) > len(packs) and packs:
        raise CheckError(
            f"--policy-pack-config given {len(configs)} times for {len(packs)} --policy-pack: "
            "configs are paired with packs by order"
        )
    if not packs:
        if configs:
            raise CheckError("--policy-pack-config needs a matching --policy-pack before it")
        if not owns_stack_configs(project):
            return [_strict_run(name) for name in DEFAULT_PACKS]
        return [_layered_run(name, stack) for name in DEFAULT_PACKS]
    runs = []
    for i, directory in enumerate(packs):
        config_file = configs[i] if i < len(configs) else None
        if config_file is not None and not config_file.is_file():
            raise CheckError(f"--policy-pack-config {config_file}: no such file")
        runs.append(
            PackRun(
                directory=directory,
                config_file=config_file,
                loosened=_given_loosenings(directory, config_file),
            )
        )
    return runs


def _given_loosenings(directory: Path, config_file: Path | None) -> tuple[Loosening, ...]:
    """How a config given with ``--policy-pack-config`` to one of Clover's own packs is looser
    than that pack's strict base, so a hand-made config shows its loosenings as a stack's do.
    A config that is not valid JSON is left to the pack's own error."""
    name = directory.resolve().name
    if config_file is None or directory.resolve() != (CLOVER_PACKS_DIR / name).resolve():
        return ()
    try:
        base = pack_config.read_base(pack_config.base_path(pack_config.CONFIG_DIR, name))
        given = json.loads(config_file.read_text(encoding="utf-8"))
    except (pack_config.PackConfigError, OSError, ValueError):
        return ()
    if not isinstance(given, dict):
        return ()
    return tuple(pack_config.loosenings(name, base, given))


@contextlib.contextmanager
def _inside_project(directory: Path) -> Iterator[None]:
    """Run with the project as working directory and import root, as the language host does;
    afterwards forget the project's own modules so another project can be run in this process."""
    before_cwd = Path.cwd()
    before_modules = set(sys.modules)
    sys.path.insert(0, str(directory))
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(directory))
        installed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        for name in set(sys.modules) - before_modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            # A virtualenv may live inside the project: its packages are not the project's.
            if module_file.startswith(str(directory)) and not any(
                module_file.startswith(path) for path in installed
            ):
                del sys.modules[name]


def run_project(
    project: Project,
    stack: str,
    config: Mapping[str, str],
    on_register: Callable[[RecordedResource], None] | None = None,
) -> Recording:
    """Run the project's program in preview mode against the recording engine stand-in."""

    def program() -> None:
        runpy.run_path(str(project.main), run_name="__main__")

    with _inside_project(project.directory):
        try:
            return run_program(
                program,
                project=project.name,
                stack=stack,
                config=config,
                preview=True,
                on_register=on_register,
            )
        except Exception as err:  # noqa: BLE001 - any program failure is reported as exit 2
            detail = traceback.format_exc()
            # pulumi.RunError is the SDK's "clean exit" error: its message is the whole story.
            message = str(err) or type(err).__name__
            if type(err).__name__ not in {"RunError", "ConfigError"}:
                message = f"{type(err).__name__}: {message}"
            raise CheckError(
                f"the program {project.main} failed for stack {stack}: {message}", detail
            ) from None


def _default_provider(
    project: Project, stack: str, package: str, config: Mapping[str, str]
) -> ProviderRef:
    prefix = f"{package}:"
    return ProviderRef(
        type=f"pulumi:providers:{package}",
        name="default",
        urn=f"urn:pulumi:{stack}::{project.name}::pulumi:providers:{package}::default",
        properties={k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)},
    )


def _disabled_defaults(config: Mapping[str, str]) -> set[str]:
    raw = config.get("pulumi:disable-default-providers")
    if not raw:
        return set()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = [part.strip() for part in raw.split(",")]
    return {str(v) for v in value} if isinstance(value, list) else set()


def to_analyzed_one(
    project: Project, stack: str, item: Placed, config: Mapping[str, str], disabled: set[str]
) -> AnalyzedResource:
    """The resource as the engine sends it to ``Analyze``, with its provider's inputs."""
    resource = item.resource
    package = package_of(resource.type)
    provider: ProviderRef | None = None
    if item.provider is not None:
        provider = ProviderRef(
            type=item.provider.type,
            name=item.provider.name,
            urn=item.provider.urn,
            properties=item.provider.inputs,
        )
    elif (resource.custom or item.provider_package) and package != "pulumi":
        # The engine binds every custom resource without an explicit provider to its package's
        # default provider, configured from the stack's `<package>:` keys (gcp:region, ...); a
        # remote component stands for children that use their package's (placement.py).
        package = item.provider_package or package
        if "*" in disabled or package in disabled:
            raise CheckError(
                f"{resource.urn} would use the default {package} provider, which the stack "
                f"disables (pulumi:disable-default-providers); give it an explicit provider"
            )
        provider = _default_provider(project, stack, package, config)
    return AnalyzedResource(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        properties=item.properties,
        provider=provider,
        parent=resource.parent,
        protect=resource.protect,
        dependencies=resource.dependencies,
        property_dependencies=resource.property_dependencies,
    )


def to_analyzed(
    project: Project, stack: str, placed: Sequence[Placed], config: Mapping[str, str]
) -> list[AnalyzedResource]:
    disabled = _disabled_defaults(config)
    return [to_analyzed_one(project, stack, item, config, disabled) for item in placed]


def _start(run: PackRun) -> PolicyPack:
    try:
        config = _pack_config(run)
        pack = PolicyPack(run.directory)
    except PolicyConfigError as err:
        raise CheckError(f"--policy-pack-config {run.config_file}: {err}") from None
    except PolicyPackError as err:
        raise CheckError(f"--policy-pack {run.directory}: {err}") from None
    try:
        pack.configure(config)
    except PolicyConfigError as err:
        pack.close()
        where = f" ({run.config_file})" if run.config_file else ""
        raise CheckError(f"policy pack config{where}: {err}") from None
    return pack


@contextlib.contextmanager
def started(runs: Sequence[PackRun]) -> Iterator[list[PolicyPack]]:
    """Start and configure every pack at once (each start waits on a new process)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(runs))) as pool:
        futures = [pool.submit(_start, run) for run in runs]
        concurrent.futures.wait(futures)
    packs = [f.result() for f in futures if f.exception() is None]
    try:
        for future in futures:
            future.result()  # re-raise the first failure, in pack order
        yield packs
    finally:
        for pack in packs:
            pack.close()


SPECULATE_UP_TO = 1000
"""Resources a preview registers before an evidence run nobody needed yet is stopped."""

IN_FLIGHT = 512

_ZONE_FIELD = re.compile(r"(?i)(?:availabilityzone(?:id)?|zone)s?(?:\[\d+\])?")


def _names_a_zone(path: str) -> bool:
    """Whether a property path ends in a zone field (``...availabilityZone``, ``zones[0]``)."""
    return _ZONE_FIELD.fullmatch(path.rsplit(".", 1)[-1]) is not None


"""``Analyze`` requests outstanding per pack: enough to keep a pack busy (gRPC multiplexes them on
one channel); bounded so a very large program neither queues its whole stack in the pack's server
nor runs far ahead of the packs."""


REGISTERING: Final = ""
"""The pack name a progress callback is given while the program registers resources."""


class Streamer:
    """Places and analyzes each resource as the program registers it, as the engine does.

    Each ``Analyze`` request is built once, sent to every pack without waiting, and added to the
    ``AnalyzeStack`` request, so the packs work while the program still runs. :meth:`finish`
    sends ``AnalyzeStack`` to every pack at once and collects the answers in registration order.
    """

    def __init__(
        self,
        project: Project,
        stack: str,
        config: Mapping[str, str],
        packs: Sequence[PolicyPack],
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.project, self.stack, self.config, self.packs = project, stack, config, packs
        self.progress = progress
        """Told of each registration as ``(REGISTERING, resources so far, 0)``."""
        self.placer = Placer(None, config)
        self.disabled = _disabled_defaults(config)
        self.placed: list[Placed] = []
        self.stack_request = analyzer_pb2.AnalyzeStackRequest()
        self.in_flight: list[collections.deque[Callable[[], list[Diagnostic]]]] = [
            collections.deque() for _ in packs
        ]
        self.found: list[list[Diagnostic]] = [[] for _ in packs]
        self.error: CheckError | None = None
        self.evidence: Mapping[str, Any] = evidence.evidence([], None)
        """What the unknown inputs are, for the policies that ask (clover/evidence.py)."""
        self.pack_configs: list[dict[str, Any]] = []
        self.requests: dict[str, analyzer_pb2.AnalyzeRequest] = {}

    def add(self, resource: RecordedResource) -> None:
        if self.error is not None:
            return
        self.placer.add(resource)
        placed = self.placer.place(resource)
        try:
            analyzed = to_analyzed_one(self.project, self.stack, placed, self.config, self.disabled)
        except CheckError as err:
            self.error = err  # raised by finish(): raising here would surface as a program error
            return
        self.placed.append(placed)
        if self.progress is not None:
            self.progress(REGISTERING, len(self.placed), 0)
        request = analyze_request(analyzed)
        self.requests[analyzed.urn] = request
        add_to_stack(self.stack_request, analyzed, request)
        try:
            for pack, in_flight, found in zip(self.packs, self.in_flight, self.found, strict=True):
                in_flight.append(pack.send_analyze(request))
                while len(in_flight) > IN_FLIGHT:
                    found.extend(in_flight.popleft()())
        except PolicyPackError as err:
            self.error = CheckError(f"policy pack failed: {err}")

    def _analyze_again(self, pack: PolicyPack, urns: Sequence[str]) -> list[Diagnostic]:
        """Analyze these resources again, at most :data:`IN_FLIGHT` requests at a time."""
        answers: list[Diagnostic] = []
        window: collections.deque[Callable[[], list[Diagnostic]]] = collections.deque()
        for urn in urns:
            window.append(pack.send_analyze(self.requests[urn]))
            while len(window) > IN_FLIGHT:
                answers.extend(window.popleft()())
        while window:
            answers.extend(window.popleft()())
        return answers

    def finish(self, progress: Callable[[str, int, int], None] | None = None) -> list[Diagnostic]:
        if self.error is not None:
            raise self.error
        diagnostics: list[Diagnostic] = []
        try:
            self.pack_configs = [pack.configure_evidence(self.evidence) for pack in self.packs]
            # The evidence exists only once the program has finished: a resource whose unknown
            # inputs it computed is analyzed again by the packs that take it (a policy document
            # holding another resource's output), and so is one whose zone is exactly another
            # resource's output (the zone rule reads provenOutputs); those answers replace the
            # first ones.
            proven = self.evidence.get(evidence.PROVEN_OUTPUTS, {})
            again = {
                urn
                for urn in (
                    *self.evidence.get(evidence.COMPUTED_VALUES, {}).get("inputs", {}),
                    *(u for u, paths in proven.items() if any(map(_names_a_zone, paths))),
                )
                if urn in self.requests
            }
            stacks = [pack.send_analyze_stack(self.stack_request) for pack in self.packs]
            for pack, in_flight, found, stack_result in zip(
                self.packs, self.in_flight, self.found, stacks, strict=True
            ):
                total = len(self.placed)
                while in_flight:
                    found.extend(in_flight.popleft()())
                    if progress is not None:
                        progress(pack.name, total - len(in_flight), total)
                redo = set(again) if pack.takes(evidence.COMPUTED_VALUES) else set()
                if pack.takes(evidence.PROVEN_OUTPUTS):
                    # A rule that reads provenOutputs failed closed on an unknown it now sees
                    # proven; only the resources it blocked can change.
                    redo |= {d.urn for d in found if d.urn in proven and d.urn in self.requests}
                if redo:
                    found[:] = [d for d in found if d.urn not in redo]
                    found.extend(self._analyze_again(pack, sorted(redo)))
                diagnostics.extend(found)
                diagnostics.extend(stack_result())
        except PolicyPackError as err:
            raise CheckError(f"policy pack failed: {err}") from None
        return diagnostics


def check(
    *,
    cwd: Path,
    stack: str | None,
    packs: Sequence[Path] = (),
    pack_configs: Sequence[Path] = (),
    progress: Callable[[str, int, int], None] | None = None,
    timeout: float | None = None,
    host: ProgramHost | None = None,
    organization: str | None = None,
) -> CheckResult:
    """Run the whole check; raise :class:`CheckError` for anything that prevents a verdict.

    ``timeout`` bounds the program's run in seconds (None: :data:`DEFAULT_TIMEOUT`). A program
    that ends early (``sys.exit``, an exception, a signal, the deadline) still returns a result,
    with what was registered until then analyzed and :attr:`CheckResult.incomplete` set.
    ``host``: the project's interpreter, already started (see :func:`check_stacks`).
    """
    try:
        project = load_project(cwd)
    except ProjectError as err:
        raise CheckError(str(err)) from None
    stack_name = resolve_stack(project, stack)
    return check_stacks(
        cwd=cwd,
        stacks=[stack_name],
        packs=packs,
        pack_configs=pack_configs,
        progress=progress,
        timeout=timeout,
        host=host,
        organizations={stack_name: organization} if organization else None,
    )[0]


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM stops the check as SIGINT does, so the program's process group and every pack
    process are stopped on the way out instead of surviving the check (Python's default for
    SIGTERM ends the process at once, without running any cleanup)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True, kw_only=True)
class _StackPlan:
    """One stack's inputs, all read before anything runs."""

    stack: str
    config: Mapping[str, str]
    packs: Sequence[PackRun]
    pack_settings: Sequence[Any]
    organization: str | None = None


def check_stacks(
    *,
    cwd: Path,
    stacks: Sequence[str],
    packs: Sequence[Path] = (),
    pack_configs: Sequence[Path] = (),
    progress: Callable[[str, int, int], None] | None = None,
    timeout: float | None = None,
    host: ProgramHost | None = None,
    organizations: Mapping[str, str] | None = None,
) -> list[CheckResult]:
    """Check several stacks of one project in one invocation, in the order given.

    Every stack's files and pack configs are read before anything runs, so a bad one changes
    nothing. The packs start once and are configured again for each stack; the program's
    interpreter starts once, alongside the packs, and forks a job per stack, so a second stack
    reuses what the first imported (see :class:`clover.runner.ProgramHost`). ``host``: that
    interpreter, already started by the caller (``clover check`` starts it before importing
    this module, so the two import side by side); it is closed on the way out.
    """
    try:
        project = load_project(cwd)
        if not stacks:
            resolve_stack(project, None)
        configs = [stack_config(project, stack) for stack in stacks]
    except ProjectError as err:
        raise CheckError(str(err)) from None
    plans = []
    for stack, config in zip(stacks, configs, strict=True):
        runs = resolve_packs(project, stack, packs, pack_configs)
        settings = [_pack_config(run) for run in runs]
        plans.append(
            _StackPlan(
                stack=stack,
                config=config,
                packs=runs,
                pack_settings=settings,
                organization=(organizations or {}).get(stack),
            )
        )
    for run in plans[0].packs:
        if not run.directory.is_dir():
            raise CheckError(f"--policy-pack {run.directory}: no such directory")
    deadline = DEFAULT_TIMEOUT if timeout is None else timeout
    if host is None or host.project.main != project.main:
        try:
            host = ProgramHost(project)
        except RunnerError as err:
            raise CheckError(str(err)) from None
    if host.notice is not None:
        sys.stderr.write(f"clover check: {host.notice}\n")
    results: list[CheckResult] = []
    with _signals_interrupt(), host:
        host.start()  # gets ready while the packs start
        with started(plans[0].packs) as running:
            current = _StackRun(project, host, plans[0], deadline)
            for index, plan in enumerate(plans):
                if index:
                    _configure(running, plan.packs, plan.pack_settings)
                current.attach(Streamer(project, plan.stack, plan.config, running, progress))
                preview = current.wait_preview()
                # The next stack's program runs while this one is finished and analyzed.
                following = (
                    _StackRun(project, host, plans[index + 1], deadline)
                    if index + 1 < len(plans)
                    else None
                )
                results.append(current.finish(preview, progress))
                if following is not None:
                    current = following
    return results


class _StackRun:
    """One stack's program runs: the preview, and the second run as an update that shows what
    the values unknown at preview compute to (clover/evidence.py).

    Both start as soon as the stack is known, before its analysis can begin: a later stack's
    program runs while an earlier stack is still being analyzed, and what it registers meanwhile
    waits for :meth:`attach`. The second run starts with the preview, on speculation (most
    programs compute some destination, and a second core is then as good as free), and is
    stopped when the preview ends without needing it; a large program that has not needed it
    after :data:`SPECULATE_UP_TO` resources stops it too (two large runs at once would double
    the memory), and starts it again at the first resource with an unknown input no output
    proves.
    """

    def __init__(
        self, project: Project, host: ProgramHost, plan: _StackPlan, deadline: float
    ) -> None:
        self.host, self.plan, self.deadline = host, plan, deadline
        self.needed = self.branches = branches_on_dry_run(project)
        self.streamer: Streamer | None = None
        self.waiting: list[RecordedResource] = []
        self.count = 0
        self.second: dict[str, RecordedResource] = {}
        self.evidence_job: ProgramJob | None = None
        try:
            self._start_evidence()
            self.preview_job = host.submit(
                plan.stack,
                plan.config,
                on_register=self._on_register,
                timeout=deadline,
                organization=plan.organization,
            )
        except RunnerError as err:
            raise CheckError(str(err)) from None

    def _start_evidence(self) -> None:
        self.second = {}
        second = self.second
        self.evidence_job = self.host.submit(
            self.plan.stack,
            self.plan.config,
            on_register=lambda r: second.__setitem__(r.urn, r),
            timeout=self.deadline,
            evidence=True,
            organization=self.plan.organization,
        )

    def _stop_evidence(self) -> None:
        if self.evidence_job is not None:
            self.host.cancel(self.evidence_job)
            self.evidence_job = None

    def _on_register(self, resource: RecordedResource) -> None:
        self.count += 1
        if self.streamer is None:
            self.waiting.append(resource)
        else:
            self.streamer.add(resource)
        if not self.needed and evidence.needs_update_run([resource]):
            self.needed = True
            if self.evidence_job is None:
                self._start_evidence()
        elif not self.needed and self.evidence_job is not None and self.count >= SPECULATE_UP_TO:
            self._stop_evidence()

    def attach(self, streamer: Streamer) -> None:
        """Analysis may begin: what was registered so far, then each resource as it comes."""
        self.streamer = streamer
        for resource in self.waiting:
            streamer.add(resource)
        self.waiting = []

    def wait_preview(self) -> ProgramRun:
        try:
            return self.host.wait(self.preview_job)
        except RunnerError as err:
            raise CheckError(str(err)) from None

    def finish(
        self, preview: ProgramRun, progress: Callable[[str, int, int], None] | None
    ) -> CheckResult:
        streamer = self.streamer
        assert streamer is not None, "attach() first"
        recorded = [p.resource for p in streamer.placed]
        update: dict[str, RecordedResource] | None = None
        unchecked: str | None = None
        try:
            if self.needed and self.evidence_job is not None:
                # A run that does not finish leaves the unknowns unproven.
                rerun = self.host.wait(self.evidence_job)
                update = self.second if rerun.complete else None
                unchecked = rerun.incomplete
                # What only `pulumi up` registers (a program branching on is_dry_run) is
                # analyzed as the engine analyzes it then, before creating it; and so is what
                # it registers differently (a provider in another region under `pulumi up`).
                previewed = {r.urn: r for r in recorded}
                renamed: dict[str, str] = {}
                for urn, resource in self.second.items():
                    before = previewed.get(urn)
                    if before is None:
                        streamer.add(resource)
                    elif (
                        self.branches
                        and rerun.complete
                        and _registered_differently(before, resource, renamed)
                    ):
                        variant = _as_registered_by_update(resource, renamed)
                        renamed[urn] = variant.urn
                        streamer.add(variant)
            else:
                self._stop_evidence()
        except RunnerError as err:
            raise CheckError(str(err)) from None
        streamer.evidence = evidence.evidence(recorded, update, unchecked)
        diagnostics = streamer.finish(progress)
        return CheckResult(
            project=streamer.project,
            stack=self.plan.stack,
            placed=streamer.placed,
            diagnostics=diagnostics,
            packs=self.plan.packs,
            incomplete=preview.incomplete,
            detail=preview.detail,
            evidence_incomplete=unchecked,
            data_sources=tuple(i for i in preview.invokes if isinstance(i, Mapping)),
            pack_configs=tuple(streamer.pack_configs),
            pack_names=tuple(pack.name for pack in streamer.packs),
            outputs=MappingProxyType(dict(preview.outputs)),
        )


UPDATE_VARIANT: Final = " (pulumi up)"
"""Appended to the name of a resource the program registers differently under ``pulumi up``."""


def _known_values_differ(before: Any, after: Any) -> bool:
    """Whether two input values differ where the preview knew them: a value unknown at preview
    (an output the update run gave a stand-in) is no difference."""
    if UNKNOWN in (before, after):
        return False
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        return any(
            _known_values_differ(before.get(key), after.get(key)) for key in {*before, *after}
        )
    if isinstance(before, list) and isinstance(after, list):
        return len(before) != len(after) or any(
            _known_values_differ(a, b) for a, b in zip(before, after, strict=True)
        )
    return bool(before != after)


def _registered_differently(
    before: RecordedResource, after: RecordedResource, renamed: Mapping[str, str]
) -> bool:
    """Whether ``pulumi up`` registers a resource otherwise than the preview did (a program that
    branches on ``pulumi.runtime.is_dry_run``): other known inputs, or a provider that is itself
    registered differently."""
    return (after.provider_urn or "") in renamed or _known_values_differ(
        dict(before.inputs), dict(after.inputs)
    )


def _as_registered_by_update(
    resource: RecordedResource, renamed: Mapping[str, str]
) -> RecordedResource:
    """The update run's registration as a resource of its own, named ``<name> (pulumi up)``, with
    its provider reference pointing at the provider as the update run registered it."""
    prefix, name = resource.urn.rsplit("::", 1)
    provider, provider_urn = resource.provider, resource.provider_urn
    if provider and provider_urn is not None and provider_urn in renamed:
        provider = f"{renamed[provider_urn]}::{provider.rsplit('::', 1)[1]}"
    return dataclasses.replace(
        resource,
        urn=f"{prefix}::{name}{UPDATE_VARIANT}",
        name=f"{resource.name}{UPDATE_VARIANT}",
        provider=provider,
    )


def _pack_config(run: PackRun) -> dict[str, Any] | None:
    try:
        if run.config is not None:
            return dict(run.config)
        return load_pack_config(run.config_file) if run.config_file is not None else None
    except PolicyConfigError as err:
        raise CheckError(f"--policy-pack-config {run.config_file}: {err}") from None


def _configure(
    running: Sequence[PolicyPack], plan: Sequence[PackRun], settings: Sequence[Any]
) -> None:
    """Configure the running packs for the next stack, as a new preview would."""
    for pack, run, config in zip(running, plan, settings, strict=True):
        try:
            pack.configure(config)
        except PolicyConfigError as err:
            where = f" ({run.config_file})" if run.config_file else ""
            raise CheckError(f"policy pack config{where}: {err}") from None
        except PolicyPackError as err:
            raise CheckError(f"policy pack failed: {err}") from None
