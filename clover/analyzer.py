"""Run a Python CrossGuard policy pack the way the Pulumi CLI does and talk to it over gRPC.

The Pulumi CLI cannot be installed where Clover's tests and offline check run, so this module stands
in for the engine's side of the analyzer protocol (``pulumi/runtime/proto/analyzer.proto``):

* it launches the pack as ``python -u -m pulumi.policy <engine-address> <pack-dir>`` with the pack
  directory as working directory and reads the analyzer's port from the first line of stdout;
* it reconciles a ``--policy-pack-config`` document like the engine: each policy's JSON-schema
  defaults are applied, the result is validated, unknown policy names are rejected, and every policy
  is always sent an explicit enforcement level (a ``PolicyConfig`` without one decodes as ADVISORY
  and would silently downgrade a mandatory policy);
* it sends resources with the engine's wire conventions: properties as a protobuf ``Struct``, values
  not known at preview as the unknown sentinel string.

One process serves any number of ``analyze`` calls; the channel and stub are reused.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Final

import grpc
import jsonschema
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from clover import reaper

UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a value not known until the resource is created (preview)."""

ENFORCEMENT_LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")

_LEVEL_TO_WIRE: Final = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_LEVEL_FROM_WIRE: Final = {v: k for k, v in _LEVEL_TO_WIRE.items()}
_SEVERITY_FROM_WIRE: Final = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPE_FROM_WIRE: Final = {
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}

# The SDK's own server accepts messages up to 400 MiB (pulumi_policy/policy.py); match it so a large
# AnalyzeStack request behaves as it would under the CLI.
_MAX_MESSAGE: Final = 400 * 1024 * 1024
_CHANNEL_OPTIONS: Final = [
    ("grpc.max_send_message_length", _MAX_MESSAGE),
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
]

# ``python -m pulumi.policy`` parses the engine address but never dials it: it configures the
# runtime without an engine, so ``pulumi.log`` calls in a pack go to stderr
# (pulumi/policy/__main__.py, pulumi/runtime/settings.py). A fake Engine server would receive
# nothing, so none is started; the argument only has to be present and well formed.
_ENGINE_ADDRESS: Final = "127.0.0.1:0"

_STDERR_TAIL: Final = 4000


class PolicyConfigError(ValueError):
    """A policy-pack configuration that the engine would refuse before running the pack."""


class PolicyPackError(RuntimeError):
    """The pack could not be found, started or talked to."""


@dataclass(frozen=True, kw_only=True)
class ProviderRef:
    """The provider resource a resource is managed by, as the engine sends it with ``Analyze``."""

    type: str
    """``pulumi:providers:aws``, ``pulumi:providers:azure-native``."""
    name: str
    urn: str
    properties: Mapping[str, Any]
    """The provider's inputs (for a default provider: the stack config such as ``aws:region``)."""


@dataclass(frozen=True, kw_only=True)
class AnalyzedResource:
    """One resource as the engine describes it to an analyzer (inputs in camelCase engine form)."""

    urn: str
    type: str
    name: str
    properties: Mapping[str, Any]
    provider: ProviderRef | None = None
    parent: str | None = None
    protect: bool = False
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Diagnostic:
    """A policy violation reported by the pack."""

    policy_pack: str
    policy: str
    enforcement_level: str
    """``mandatory``, ``advisory``, ``remediate`` or ``disabled``."""
    severity: str
    """``low``, ``medium``, ``high``, ``critical``, or empty when the policy declares none."""
    urn: str
    message: str
    description: str
    policy_pack_version: str = ""


@dataclass(frozen=True, kw_only=True)
class PolicyInfo:
    """A policy as announced by ``GetAnalyzerInfo``."""

    name: str
    description: str
    enforcement_level: str
    severity: str
    config_schema: Mapping[str, Any] | None
    """A JSON schema of type ``object`` for the policy's config, or None if it takes none."""
    remediation: str
    policy_type: str = ""
    """``resource`` or ``stack`` (empty if the pack's SDK predates the field)."""
    display_name: str = ""
    url: str = ""
    tags: Sequence[str] = ()


def load_pack_config(path: Path) -> dict[str, Any]:
    """Read a ``--policy-pack-config`` JSON file; a bad one raises PolicyConfigError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyConfigError(f"{path}: cannot read policy pack config: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyConfigError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyConfigError(
            f"{path}: a policy pack config must be a JSON object, got {type(data).__name__}"
        )
    return data


def _read_runtime(directory: Path) -> tuple[str, str]:
    """Return (runtime name, version) from ``PulumiPolicy.yaml``; refuse anything not Python."""
    manifest = next(
        (
            directory / n
            for n in ("PulumiPolicy.yaml", "PulumiPolicy.yml")
            if (directory / n).is_file()
        ),
        None,
    )
    if manifest is None:
        raise PolicyPackError(f"{directory}: no PulumiPolicy.yaml: not a policy pack")
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyPackError(f"{manifest}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyPackError(f"{manifest}: expected a mapping")
    runtime = data.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise PolicyPackError(
            f"{manifest}: runtime is {name!r}; this harness runs Python policy packs only"
        )
    version = data.get("version")
    return name, str(version) if version is not None else ""


def _plain(value: Any) -> Any:
    """Turn mappings and sequences into the dicts and lists a protobuf ``Struct`` accepts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        # Property values are JSON on the engine side; the SDK cannot decode a non-finite number.
        raise ValueError(f"{value!r} is not a value the engine can send")
    return value


def _struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(_plain(properties))
    return message


def _options(resource: AnalyzedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect, parent=resource.parent or ""
    )


def analyze_request(resource: AnalyzedResource) -> analyzer_pb2.AnalyzeRequest:
    """The ``Analyze`` request the engine sends for one resource."""
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        properties=_struct(resource.properties),
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
    )
    if resource.provider is not None:
        request.provider.CopyFrom(_provider(resource.provider))
    return request


def add_to_stack(
    stack: analyzer_pb2.AnalyzeStackRequest,
    resource: AnalyzedResource,
    analyzed: analyzer_pb2.AnalyzeRequest | None = None,
) -> None:
    """Append a resource to an ``AnalyzeStack`` request, reusing its built ``Analyze`` request."""
    analyzed = analyzed if analyzed is not None else analyze_request(resource)
    wire = stack.resources.add(
        type=analyzed.type,
        urn=analyzed.urn,
        name=analyzed.name,
        options=analyzed.options,
        parent=resource.parent or "",
        dependencies=list(resource.dependencies),
    )
    wire.properties.CopyFrom(analyzed.properties)
    if analyzed.HasField("provider"):
        wire.provider.CopyFrom(analyzed.provider)
    for prop, urns in resource.property_dependencies.items():
        wire.propertyDependencies[prop].urns.extend(urns)


def stack_request(resources: Sequence[AnalyzedResource]) -> analyzer_pb2.AnalyzeStackRequest:
    """The ``AnalyzeStack`` request the engine sends once for the whole stack."""
    request = analyzer_pb2.AnalyzeStackRequest()
    for resource in resources:
        add_to_stack(request, resource)
    return request


class PolicyPack:
    """A running Python policy pack: ``with PolicyPack(Path(dir)) as pack: pack.analyze(...)``."""

    name: str
    version: str
    description: str
    policies: Mapping[str, PolicyInfo]
    effective_config: Mapping[str, Mapping[str, Any]]
    """Per policy, what the last ``configure`` sent: ``enforcementLevel`` plus properties."""

    def __init__(
        self,
        directory: Path,
        *,
        python: str = sys.executable,
        startup_timeout: float = 60,
        rpc_timeout: float = 600,
    ) -> None:
        self.directory = Path(directory).resolve()
        # A validator that never returns would otherwise hang the caller for good; a real preview
        # of 100,000 resources needs about a minute for AnalyzeStack.
        self.rpc_timeout = rpc_timeout
        if not self.directory.is_dir():
            raise PolicyPackError(f"{directory}: policy pack directory does not exist")
        _, manifest_version = _read_runtime(self.directory)
        self._configured = False
        self._closed = False
        self.effective_config = MappingProxyType({})
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._process = subprocess.Popen(  # noqa: S603 - argv built here, no shell
            [python, "-u", "-m", "pulumi.policy", _ENGINE_ADDRESS, str(self.directory)],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        reaper.watch(self._process.pid)  # stopped even if the check is killed outright
        self._finalizer = weakref.finalize(self, _kill, self._process, self._stderr)
        try:
            port = self._read_port(startup_timeout)
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_CHANNEL_OPTIONS)
            grpc.channel_ready_future(self._channel).result(timeout=startup_timeout)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
            info = self._call(self._stub.GetAnalyzerInfo, empty_pb2.Empty())
        except BaseException:
            self.close()
            raise
        self.name = info.name
        # The CLI prefers PulumiPolicy.yaml's version: the Python SDK always answers "0.0.1".
        self.version = manifest_version or info.version
        self.description = info.description
        self.policies = MappingProxyType({p.name: self._policy_info(p) for p in info.policies})
        self._initial_config = {
            key: self._initial_entry(value) for key, value in info.initialConfig.items()
        }

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PolicyPack:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pack's process (always: the SDK's server otherwise sleeps forever)."""
        if self._closed:
            return
        self._closed = True
        channel = getattr(self, "_channel", None)
        if channel is not None:
            channel.close()
        self._finalizer()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def stderr_tail(self) -> str:
        """The last few thousand characters the pack wrote to stderr (``pulumi.log`` lands here)."""
        if self._stderr.closed:
            return ""
        self._stderr.flush()
        size = self._stderr.seek(0, 2)
        self._stderr.seek(max(0, size - _STDERR_TAIL))
        tail = self._stderr.read().decode("utf-8", errors="replace")
        self._stderr.seek(0, 2)
        return tail

    def _read_port(self, timeout: float) -> int:
        assert self._process.stdout is not None
        stdout = self._process.stdout
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        first = line[0].decode("utf-8", errors="replace").strip() if line else ""
        if not first.isdigit():
            why = (
                f"did not print its port within {timeout:g}s"
                if reader.is_alive()
                else f"exited with {self._process.poll()}"
                if not first
                else f"printed {first!r} instead of a port"
            )
            self._kill_now()
            raise PolicyPackError(
                f"policy pack {self.directory} failed to start: it {why}.\n"
                f"stderr:\n{self.stderr_tail()}"
            )
        # Keep draining stdout so a chatty validator can never block on a full pipe.
        threading.Thread(target=_drain, args=(stdout,), daemon=True).start()
        return int(first)

    def _kill_now(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def _call(self, method: Any, request: Any) -> Any:
        if self._closed:
            raise PolicyPackError(f"policy pack {self.directory} is closed")
        try:
            return method(request)
        except grpc.RpcError as exc:
            detail = exc.details() if hasattr(exc, "details") else str(exc)
            if getattr(exc, "code", None) and exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                detail = f"no answer within {self.rpc_timeout:g}s"
            raise PolicyPackError(
                f"policy pack {getattr(self, 'name', self.directory)} failed: {detail}\n"
                f"stderr:\n{self.stderr_tail()}"
            ) from exc

    # -- info ----------------------------------------------------------------------------------

    @staticmethod
    def _policy_info(p: analyzer_pb2.PolicyInfo) -> PolicyInfo:
        schema: dict[str, Any] | None = None
        if p.HasField("configSchema") and (p.configSchema.properties or p.configSchema.required):
            schema = {
                "type": "object",
                "properties": json_format.MessageToDict(p.configSchema.properties),
            }
            if p.configSchema.required:
                schema["required"] = list(p.configSchema.required)
        return PolicyInfo(
            name=p.name,
            description=p.description,
            enforcement_level=_LEVEL_FROM_WIRE.get(p.enforcementLevel, "advisory"),
            severity=_SEVERITY_FROM_WIRE.get(p.severity, ""),
            config_schema=schema,
            remediation=p.remediation_steps,
            policy_type=_POLICY_TYPE_FROM_WIRE.get(p.policy_type, ""),
            display_name=p.displayName,
            url=p.url,
            tags=tuple(p.tags),
        )

    @staticmethod
    def _initial_entry(value: analyzer_pb2.PolicyConfig) -> dict[str, Any]:
        entry: dict[str, Any] = json_format.MessageToDict(value.properties)
        # The SDK sets enforcementLevel only when the pack's initial_config names one; ADVISORY is
        # the wire default, so an absent level cannot be told from ADVISORY. Treat 0 as "not set".
        if value.enforcementLevel != analyzer_pb2.ADVISORY:
            entry["enforcementLevel"] = _LEVEL_FROM_WIRE[value.enforcementLevel]
        return entry

    # -- configuration ---------------------------------------------------------------------------

    def _fail(self, policy: str, detail: str) -> PolicyConfigError:
        return PolicyConfigError(f"policy pack {self.name!r}, policy {policy!r}: {detail}")

    def _level(self, policy: str, value: Any) -> str:
        if not isinstance(value, str) or value not in ENFORCEMENT_LEVELS:
            raise self._fail(
                policy,
                f"enforcementLevel {value!r} is not one of {', '.join(ENFORCEMENT_LEVELS)}",
            )
        return value

    def configure(self, config: Mapping[str, Any] | None = None) -> None:
        """Reconcile a ``--policy-pack-config`` document as the engine does, then send it."""
        if config is not None and not isinstance(config, Mapping):
            raise PolicyConfigError(
                f"policy pack {self.name!r}: config must be an object, got {type(config).__name__}"
            )
        levels = {name: info.enforcement_level for name, info in self.policies.items()}
        props: dict[str, dict[str, Any]] = {
            name: {
                key: copy.deepcopy(spec["default"])
                for key, spec in (info.config_schema or {}).get("properties", {}).items()
                if isinstance(spec, Mapping) and "default" in spec
            }
            for name, info in self.policies.items()
        }
        for layer in (self._initial_config, dict(config or {})):
            self._apply_layer(layer, levels, props)

        for name, info in self.policies.items():
            self._validate(name, info, props[name])

        request = analyzer_pb2.ConfigureAnalyzerRequest()
        effective: dict[str, Mapping[str, Any]] = {}
        for name in self.policies:
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_TO_WIRE[levels[name]]
            entry.properties.CopyFrom(_struct(props[name]))
            effective[name] = MappingProxyType({"enforcementLevel": levels[name], **props[name]})
        self._call(self._stub.Configure, request)
        self.effective_config = MappingProxyType(effective)
        self._configured = True

    def takes(self, key: str) -> bool:
        """Whether any policy of the pack declares ``key`` in its config schema."""
        return any(
            key in (info.config_schema or {}).get("properties", {})
            for info in self.policies.values()
        )

    def configure_evidence(self, evidence: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Send each ``evidence`` key to every policy whose config schema declares it, the rest of
        the configuration unchanged.

        Evidence is what only the program's run shows, so it is known once the program has
        finished and is sent before ``AnalyzeStack``: ``provenOutputs`` and ``computedValues``
        (clover/evidence.py).
        It replaces any value a config file gave: what is proven is what the check itself saw.

        Returns the whole configuration as a ``--policy-pack-config`` document, evidence included,
        so ``pulumi preview`` can be given what the check proved.
        """
        self._ensure_configured()
        wanted = {
            name: [k for k in evidence if k in (info.config_schema or {}).get("properties", {})]
            for name, info in self.policies.items()
        }
        document: dict[str, dict[str, Any]] = {}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, effective in self.effective_config.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_TO_WIRE[str(effective["enforcementLevel"])]
            props = {k: v for k, v in effective.items() if k != "enforcementLevel"}
            props.update({key: evidence[key] for key in wanted.get(name, ())})
            entry.properties.CopyFrom(_struct(props))
            document[name] = {"enforcementLevel": effective["enforcementLevel"], **props}
        if any(wanted.values()):
            self._call(self._stub.Configure, request)
        return document

    def _apply_layer(
        self, layer: Mapping[str, Any], levels: dict[str, str], props: dict[str, dict[str, Any]]
    ) -> None:
        # "all" first, so a per-policy entry in the same document wins regardless of key order.
        for key in sorted(layer, key=lambda k: k != "all"):
            value = layer[key]
            if key == "all":
                self._apply_all(value, levels)
                continue
            if key not in self.policies:
                raise PolicyConfigError(
                    f"policy pack {self.name!r} has no policy {key!r}; "
                    f"known policies: {', '.join(sorted(self.policies))}"
                )
            if isinstance(value, str):
                levels[key] = self._level(key, value)
            elif isinstance(value, Mapping):
                for prop, prop_value in value.items():
                    if prop == "enforcementLevel":
                        levels[key] = self._level(key, prop_value)
                    else:
                        props[key][str(prop)] = copy.deepcopy(_plain(prop_value))
            else:
                raise self._fail(key, f"expected an enforcement level or an object, got {value!r}")

    def _apply_all(self, value: Any, levels: dict[str, str]) -> None:
        if isinstance(value, Mapping):
            extra = sorted(set(value) - {"enforcementLevel"})
            if extra:
                raise self._fail("all", f"only enforcementLevel may be set, got {extra}")
            value = value.get("enforcementLevel")
            if value is None:
                return
        level = self._level("all", value)
        for name in levels:
            levels[name] = level

    def _validate(self, name: str, info: PolicyInfo, values: Mapping[str, Any]) -> None:
        schema = info.config_schema
        if schema is None:
            if values:
                raise self._fail(name, f"takes no configuration, got keys {sorted(values)}")
            return
        # A misspelt key would otherwise be ignored and the rule would run on its defaults.
        checked = {**schema, "additionalProperties": False}
        validator = jsonschema.Draft7Validator(checked)
        errors = sorted(validator.iter_errors(dict(values)), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            path = ".".join(str(p) for p in first.absolute_path) or "(config)"
            raise self._fail(
                name, f"key {path}: value {first.instance!r} is invalid: {first.message}"
            )

    # -- analysis -------------------------------------------------------------------------------

    def _ensure_configured(self) -> None:
        if not self._configured:
            self.configure()

    def analyze(self, resource: AnalyzedResource) -> list[Diagnostic]:
        """Send one resource to ``Analyze`` (the per-resource policies)."""
        return self.send_analyze(analyze_request(resource))()

    def analyze_future(self, resource: AnalyzedResource) -> Callable[[], list[Diagnostic]]:
        """Send ``Analyze`` without waiting; call the result to wait for its diagnostics.

        The engine analyzes each resource as the program registers it; many requests in flight
        keep the pack busy while the caller goes on (gRPC multiplexes them on one channel).
        """
        return self.send_analyze(analyze_request(resource))

    def analyze_stack(self, resources: Sequence[AnalyzedResource]) -> list[Diagnostic]:
        """Send the whole stack to ``AnalyzeStack`` (the stack policies)."""
        return self.send_analyze_stack(stack_request(resources))()

    def send_analyze(self, request: analyzer_pb2.AnalyzeRequest) -> Callable[[], list[Diagnostic]]:
        """Send a built ``Analyze`` request without waiting; call the result for its diagnostics.

        One request can go to several packs, so it is built once (:func:`analyze_request`).
        """
        self._ensure_configured()
        if self._closed:
            raise PolicyPackError(f"policy pack {self.directory} is closed")
        future = self._stub.Analyze.future(request, timeout=self.rpc_timeout)
        # The SDK leaves the URN of a per-resource diagnostic empty; the engine attributes it to
        # the resource it sent, so do the same.
        return lambda: self._diagnostics(
            self._call(lambda _: future.result(), None), default_urn=request.urn
        )

    def send_analyze_stack(
        self, request: analyzer_pb2.AnalyzeStackRequest
    ) -> Callable[[], list[Diagnostic]]:
        """Send a built ``AnalyzeStack`` request without waiting (see :func:`stack_request`)."""
        self._ensure_configured()
        if self._closed:
            raise PolicyPackError(f"policy pack {self.directory} is closed")
        future = self._stub.AnalyzeStack.future(request, timeout=self.rpc_timeout)
        return lambda: self._diagnostics(self._call(lambda _: future.result(), None))

    def preview(self, resources: Sequence[AnalyzedResource]) -> list[Diagnostic]:
        """What a preview reports: ``Analyze`` for every resource, then ``AnalyzeStack`` once."""
        found = [d for r in resources for d in self.analyze(r)]
        return found + self.analyze_stack(resources)

    def _diagnostics(
        self, response: analyzer_pb2.AnalyzeResponse, *, default_urn: str = ""
    ) -> list[Diagnostic]:
        return [
            Diagnostic(
                policy_pack=d.policyPackName,
                policy=d.policyName,
                enforcement_level=_LEVEL_FROM_WIRE.get(d.enforcementLevel, "advisory"),
                severity=_SEVERITY_FROM_WIRE.get(d.severity, ""),
                urn=d.urn or default_urn,
                message=d.message,
                description=d.description,
                policy_pack_version=d.policyPackVersion,
            )
            for d in response.diagnostics
        ]


def _provider(ref: ProviderRef) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(
        type=ref.type, name=ref.name, urn=ref.urn, properties=_struct(ref.properties)
    )


def _drain(stream: IO[bytes]) -> None:
    while stream.read(65536):
        pass


def _kill(process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    reaper.forget(process.pid)
    if process.stdout is not None:
        process.stdout.close()
    stderr.close()
