"""An in-process stand-in for the Pulumi engine that records what a program registers.

The Pulumi CLI and provider plugins are not available where Clover's tests and offline check run, so
programs are executed under the SDK's own unit-test seam (``pulumi.runtime.set_mocks``). The SDK's
``MockMonitor`` hands ``Mocks.new_resource`` only a resource's type, name, inputs and provider; the
engine sees more (``protect``, ``parent``, dependencies). :class:`RecordingMonitor` keeps the
whole ``RegisterResourceRequest`` so the policy packs can be sent the facts the engine sends them.

Inputs are recorded in engine form (camelCase keys, the unknown sentinel for values not known at
preview, secrets unwrapped) because that is what an analyzer receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import glob
import json
import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

import pulumi
import pulumi.runtime
from google.protobuf import json_format, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import engine_pb2, resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from . import invokes, provenance
from .provider_defaults import (
    STAND_IN_SCALARS,
    aws_region,
    azure_classic_group_location,
    azure_location,
    gcp_defaults,
    output_names,
    scalar_outputs,
    stand_in_digest,
    stand_in_value,
    takes_argument,
)
from .recorded import RecordedResource
from .transforms import EngineTransforms

UNKNOWN = rpc.UNKNOWN
"""The engine's sentinel for a value that is not known until the resource is created."""

_SECRET_SIG = rpc._special_secret_sig
_RESOURCE_SIG = rpc._special_resource_sig
_SIG_KEY = rpc._special_sig_key
_FILE_SIGS = frozenset({rpc._special_asset_sig, rpc._special_archive_sig})

FAKE_AWS_ACCOUNT_ID = "123456789012"
"""The account every offline run pretends to be in: AWS documents 123456789012 as its example id."""

FAKE_AZURE_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
FAKE_AZURE_TENANT_ID = "00000000-0000-0000-0000-000000000001"
FAKE_AZURE_OBJECT_ID = "00000000-0000-0000-0000-000000000002"
_FAKE_GUID_NAMESPACE = uuid.UUID("0c1a55e5-0000-4000-8000-000000000000")


@dataclass
class Recording:
    """Everything one program run registered, in registration order."""

    project: str
    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[dict[str, Any]] = field(default_factory=list)
    """Every data source answered, in order: ``{token, how, caller, unknown}`` (invokes.py)."""

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> RecordedResource:
        """The one resource with this logical name; a test helper that fails loudly."""
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            names = sorted(r.name for r in self.resources)
            raise KeyError(f"expected one resource named {name!r}, found {len(found)}: {names}")
        return found[0]

    def provider_of(self, resource: RecordedResource) -> RecordedResource | None:
        """The provider resource a resource is bound to, or None for a default provider."""
        urn = resource.provider_urn
        return self.by_urn().get(urn) if urn else None


_HOOK_PHASES: Final = (
    "before_create",
    "after_create",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
    "on_error",
)


def _hooks(request: Any) -> tuple[str, ...]:
    """``<phase>:<name>`` of every resource hook the registration binds (``ResourceOptions(
    hooks=ResourceHookBinding(...))``; the request's ``hooks``, resource.proto)."""
    if not request.HasField("hooks"):
        return ()
    return tuple(
        f"{phase}:{name}" for phase in _HOOK_PHASES for name in getattr(request.hooks, phase)
    )


def to_engine_value(value: Any) -> Any:
    """Convert a value decoded from protobuf to engine form (secrets and references unwrapped)."""
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return to_engine_value(value.get("value"))
        if sig == _RESOURCE_SIG:
            return _resource_reference_value(value)
        if sig in _FILE_SIGS and isinstance(value.get("path"), str):
            return _absolute_path(value)
        return {
            k: _local_file(k, v) or _local_files(k, v) or to_engine_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [to_engine_value(v) for v in value]
    return value


def _absolute_path(asset: Mapping[str, Any]) -> dict[str, Any]:
    """A file asset or archive with its path made absolute against the program's directory.

    The SDK sends a ``FileAsset``/``FileArchive`` path as the program wrote it (pulumi/runtime/
    rpc.py, ``serialize_property``), and the engine reads it from the directory the program runs
    in to hash and package it (sdk/go/common/resource/asset.go, ``readPath``). The packs run in
    their own directories, so the offline check sends the path that names the same file from
    anywhere, and the residency pack can read what the code says (code_files.py)."""
    path = os.path.abspath(asset["path"]) if asset["path"] else asset["path"]
    return {**asset, "path": path}


def _local_file(key: str, value: Any) -> str | None:
    """A setting that names a local file to upload (a canary's ``zipFile``, a web app's
    ``zipDeployFile``), made absolute as file assets are (:func:`_absolute_path`) when it names a
    file of the program's directory; None for any other value."""
    if not isinstance(value, str) or not key.endswith(("File", "file")) or not value:
        return None
    if os.path.isabs(value) or "\n" in value or not os.path.isfile(value):
        return None
    return os.path.abspath(value)


def _local_files(key: str, value: Any) -> list[str] | None:
    """A list of local files or glob patterns a resource reads (a Kubernetes ``ConfigGroup``'s
    ``files``, which its provider expands and parses), each pattern expanded and each file made
    absolute as :func:`_local_file` does; None when the setting names no local file."""
    if key != "files" or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    found: list[str] = []
    for entry in value:
        if "://" in entry:
            found.append(entry)  # a URL: fetched by the provider, nothing local
        elif any(c in entry for c in "*?["):
            found.extend(os.path.abspath(p) for p in sorted(glob.glob(entry, recursive=True)))
        else:
            found.append(os.path.abspath(entry) if os.path.isfile(entry) else entry)
    return found if found != value else None


def _resource_reference_value(ref: Mapping[str, Any]) -> Any:
    """The value the engine puts in place of a resource reference for a plugin that takes none.

    The analyzer is sent properties without resource references (``MarshalOptions`` without
    ``KeepResources`` in pkg/resource/plugin/analyzer_plugin.go), and so is a provider that does
    not accept them: a reference becomes the resource's id when it has one, and only a component
    (no id) becomes its URN (pkg/resource/plugin/rpc.go, ``MarshalPropertyValue``). The SDK sends
    a new custom resource's id at preview as the unknown sentinel (pulumi/runtime/rpc.py,
    ``serialize_property``, the ``is_resource`` branch), and an engine sends an unknown id as ``""``
    (read back as unknown by ``deserialize_resource``): the id stays unknown, never the URN.
    """
    if "id" in ref:
        return ref["id"] or UNKNOWN
    return ref.get("urn") or UNKNOWN


def _references_as_ids(value: Any) -> Any:
    """``value`` (decoded from protobuf) with resource references replaced as the engine does."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _RESOURCE_SIG:
            return _resource_reference_value(value)
        return {k: _references_as_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_references_as_ids(v) for v in value]
    return value


_RESOURCE_SIG_BYTES = _RESOURCE_SIG.encode()


def _without_resource_references(request: Any, inputs: Mapping[str, Any]) -> Any:
    """``request`` with resource references in its inputs replaced by ids, as the engine sends them.

    The engine supports resource references (``SupportsFeature("resourceReferences")``), so the
    SDK sends a Resource passed as an input (``role=role``) as a reference. The SDK's
    ``MockMonitor.RegisterResource`` would turn that reference back into a live Resource
    (pulumi/runtime/rpc.py ``deserialize_resource`` -> ``ResourceModule.construct`` -> a new
    Resource with ``opts.urn`` -> ``get_resource`` in pulumi/runtime/resource.py), whose
    ``pulumi:pulumi:getResource`` invoke reads ``resp["id"]`` (resource.py ``do_get``); at preview
    the mock's registered id is None, left out of the answer, so that read raises after the URN
    is resolved and the id Output never resolves. ``MockMonitor.RegisterResource`` then waits on
    it forever while serializing the mock's state (mocks.py, ``_sync_await(serialize_properties(
    state))``), holding the SDK's worker thread: the run hangs. The engine never rebuilds
    Resources: it passes the provider (and the analyzer) the referenced id, so that is what the
    mocks get here.
    """
    if _RESOURCE_SIG_BYTES not in request.object.SerializeToString():
        return request
    downgraded = resource_pb2.RegisterResourceRequest()
    downgraded.CopyFrom(request)
    downgraded.object.Clear()
    downgraded.object.update(_references_as_ids(inputs))
    return downgraded


def _without_marks(
    request: Any, field_name: str = "object"
) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """``request`` with the exact-output markers taken out of its inputs (``object`` of a
    registration, ``properties`` of a read), the decoded inputs, and the proofs the markers
    carried (provenance.py): nothing past the monitor sees a marker."""
    decoded = json_format.MessageToDict(getattr(request, field_name))
    cleaned, proofs = provenance.take_proofs(decoded)
    if not proofs:
        return request, decoded, proofs
    unmarked = type(request)()
    unmarked.CopyFrom(request)
    struct = getattr(unmarked, field_name)
    struct.Clear()
    struct.update(cleaned)
    return unmarked, cast(dict[str, Any], cleaned), proofs


def _struct_to_engine(struct: struct_pb2.Struct) -> dict[str, Any]:
    return cast(dict[str, Any], to_engine_value(json_format.MessageToDict(struct)))


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A ``MockMonitor`` that also keeps every registration's options for the policy packs."""

    def __init__(
        self,
        mocks: pulumi.runtime.Mocks,
        recording: Recording,
        on_register: Callable[[RecordedResource], None] | None = None,
    ) -> None:
        super().__init__(mocks)
        self.recording = recording
        self.on_register = on_register
        self._lock = threading.Lock()
        self.provider_inputs: dict[str, Mapping[str, Any]] = {}
        """Provider reference (``urn::id``) and provider URN to that provider's inputs."""
        self.transforms = EngineTransforms()
        """Stack and resource transforms, run at each registration as the engine runs them."""
        self._urns: set[str] = set()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a child's type with its parent's qualified type, which the parent
        # URN's type field already holds: every component parent from the root down, joined by
        # `$`, the root stack excluded (the engine passes the parent URN's QualifiedType to NewURN,
        # sdk/go/common/resource/urn.go: `if parentType != "" && parentType != RootStackType`,
        # `typ = string(parentType) + "$" + typ`). The SDK's MockMonitor keeps only the immediate
        # parent's type (pulumi/runtime/mocks.py, make_urn: `qualifiedType.split("$").pop()`).
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                qualified = f"{parent_type}${type_}"
        return str(super().make_urn("", qualified, name))

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        # A real preview has the provider execute every data source; offline the mocks' `call`
        # answers it (invokes.py): computed where the provider computes it locally, else shaped
        # from the SDK's result type with every placement unknown. A lookup that cannot be
        # answered raises `UnanswerableInvokeError`, a RunError, into the calling program.
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.transforms.register_stack(request)
        return super().RegisterStackTransform(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        request, _, _ = _without_marks(request, "properties")
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        # The engine answers a read with the id the provider's Read returned (the request's for
        # an existing resource); the SDK's mock leaves it empty, which at preview reads as
        # unknown (pulumi/runtime/resource.py, read_resource).
        if not response.id and request.id:
            response.id = request.id
        return response

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        # The engine runs transforms before anything else sees the registration (transforms.py).
        unmarked, decoded, marked = _without_marks(request)
        request = self.transforms.apply(unmarked, self.make_urn)
        if request is not unmarked:
            decoded = json_format.MessageToDict(request.object)
        request = _without_resource_references(request, decoded)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = cast(dict[str, Any], to_engine_value(decoded))
        # A transform may have replaced a marked value: only what is still unknown is proven.
        proofs = {p: src for p, src in marked.items() if provenance.at(inputs, p) == UNKNOWN}
        resource = RecordedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            inputs=inputs,
            provider=request.provider or None,
            parent=request.parent or None,
            protect=bool(request.protect) if request.HasField("protect") else False,
            retain_on_delete=(
                bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False
            ),
            dependencies=tuple(request.dependencies),
            property_dependencies={
                key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()
            },
            id=response.id or None,
            source=(
                (request.sourcePosition.uri, request.sourcePosition.line)
                if request.HasField("sourcePosition")
                else None
            ),
            proofs=proofs,
            remote=bool(request.remote),
            providers=dict(request.providers),
            hooks=_hooks(request),
        )
        # The SDK calls the monitor from a thread pool: keep the order and the callbacks serial.
        with self._lock:
            if resource.urn in self._urns:
                # The engine refuses a second resource with the same URN and the deployment
                # fails (pkg/resource/deploy/step_generator.go: "Duplicate resource URN"); the
                # first one was registered and analyzed.
                raise pulumi.RunError(
                    f"Duplicate resource URN '{resource.urn}'; try giving it a unique name"
                )
            self._urns.add(resource.urn)
            self.recording.resources.append(resource)
            if resource.is_provider:
                self.provider_inputs[resource.urn] = inputs
                self.provider_inputs[f"{resource.urn}::{response.id or UNKNOWN}"] = inputs
            if self.on_register is not None:
                self.on_register(resource)
        return response


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and data-source calls the way a provider would, offline.

    In preview the engine knows only a new resource's inputs, so only inputs come back and every
    computed output stays unknown. In an update (``preview=False``), clearly fake but well-formed
    identifiers are synthesized so that programs which embed ARNs or ARM ids in policy documents
    produce complete documents that can be linted.
    """

    def __init__(self, preview: bool, *, autonames: bool = False) -> None:
        self.preview = preview
        self.autonames = autonames
        """Give S3 buckets without a ``bucket`` name one as the provider's autonaming does
        (logical name, ``-``, random suffix; here a deterministic one), so a name or ARN computed
        from a bucket names that bucket and no other (the check's evidence run, check.py)."""
        self.monitor: RecordingMonitor | None = None
        self._group_locations: dict[str, str] = {}
        """Resource group name to location, as the groups were registered (provider_defaults.py)."""

    def _provider_inputs(self, provider_ref: str | None) -> Mapping[str, Any]:
        if not provider_ref or self.monitor is None:
            return {}
        found = self.monitor.provider_inputs.get(provider_ref)
        if found is None:
            found = self.monitor.provider_inputs.get(provider_ref.rsplit("::", 1)[0], {})
        return found

    def _aws_account(self, provider_ref: str | None) -> str:
        """The account a resource is created in: its provider's (invokes.Provider.aws_account)."""
        if not provider_ref:
            return invokes.Provider({}, default=True).aws_account()
        known = self.monitor.provider_inputs if self.monitor is not None else {}
        return invokes.Provider.from_ref(provider_ref, known).aws_account()

    def _aws_region(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> str:
        region = inputs.get("region") or self._provider_inputs(provider_ref).get("region")
        return region if isinstance(region, str) else UNKNOWN

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[Any, Any]]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return (f"{args.name}-provider-id", inputs)
        package = args.typ.split(":", 1)[0]
        if not args.custom:
            # A remote component (a local one's outputs are its Python attributes): its outputs
            # are what its plugin's Construct returns, not its inputs, which may share a name and
            # not a type (awsx `Vpc`'s `natGateways` input is a strategy, its output a list of
            # NAT gateways). None is known offline: each is unknown, as the SDK would otherwise
            # fill a missing output with the input of its name (rpc.resolve_outputs); in an
            # update each scalar output gets a stand-in instead.
            unknown = dict.fromkeys(output_names(args.typ), UNKNOWN)
            return (None, unknown if self.preview else self._stand_ins(args, {}, unknown))
        state = _azure_output_shape(inputs) if package == "azure-native" else dict(inputs)
        _documents_as_text(args.typ, state)
        self._fill_check_defaults(args, state)
        if self.preview:
            # The engine does not know a new resource's id or computed outputs during preview; a
            # resource read with `Resource.get(name, id)` keeps the id the program gave (the
            # engine's read step is keyed by it), its state unknown offline.
            return (args.resource_id or None, state)
        resource_id = f"{args.name}-id"
        prefix = _AWS_ID_PREFIXES.get(args.typ)
        if prefix is not None:
            # An id of AWS's form (``vpce-``/``vpc-`` and 17 hex digits), so a policy condition
            # built from it (``aws:SourceVpce``, ``aws:SourceVpc``) reads as an endpoint's or a
            # VPC's, as it will after the deploy.
            resource_id = f"{prefix}-{stand_in_digest(args.typ, args.name)}0"
        if args.typ in _S3_BUCKETS:
            resource_id = self._bucket_name(args)
            state.setdefault("bucket", resource_id)
            self._fake_bucket_outputs(args, resource_id, state)
        if package == "aws":
            filled = state.get("region")
            known = filled if isinstance(filled, str) and filled != UNKNOWN else None
            state.setdefault("arn", self._fake_aws_arn(args, resource_id, known))
        elif package == "azure-native":
            state.setdefault("name", inputs.get(_azure_name_key(args.typ)) or args.name)
            resource_id = _fake_arm_id(args.typ, str(state["name"]), inputs)
            _fake_azure_outputs(args.typ, args.name, state)
        elif package == "kubernetes":
            _fake_kubernetes_status(args.typ, args.name, inputs, state)
        elif package == "gcp":
            # A Google resource's id is its resource name (``projects/p/locations/l/...``), which
            # programs build API URLs from (``/v1/{workflow.id}/executions``): a stand-in naming
            # the resource, so the residency pack places what is built from it.
            resource_id = stand_in_value(args.typ, args.name, "id")
        state.setdefault("id", resource_id)
        # Every other computed output the provider would return gets a stand-in (_stand_ins).
        self._stand_ins(args, state)
        return (resource_id, state)

    @staticmethod
    def _stand_ins(
        args: pulumi.runtime.MockResourceArgs,
        state: dict[str, Any],
        otherwise: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``state`` with a stand-in for every computed output the SDK class declares that it
        lacks: a computed string output the provider would return (an API's endpoint, a
        function's invoke ARN) gets a stand-in naming this resource, so that a program which
        builds a value from it (`Output.concat(api.api_endpoint, "/", stage.name)`) runs on, and
        the residency pack can place what it computes at this resource
        (provider_defaults.stand_in_value; the pack's data-flow rule, `standIns`); numbers and
        flags a value of their type (provider_defaults.STAND_IN_SCALARS); a list of strings one
        stand-in item; an object none of its fields; a list of objects one such object."""
        for output, kind in scalar_outputs(args.typ).items():
            if state.get(output) is None:
                if kind is str:
                    state[output] = stand_in_value(args.typ, args.name, output)
                elif kind is list:  # one stand-in item: `ids[0]` works as it does after `up`
                    state[output] = [stand_in_value(args.typ, args.name, output)]
                elif kind is dict:
                    state[output] = {}
                elif kind is tuple:
                    state[output] = [{}]
                else:
                    state[output] = STAND_IN_SCALARS[kind]
        for output, value in (otherwise or {}).items():
            state.setdefault(output, value)
        return state

    def _fill_check_defaults(
        self, args: pulumi.runtime.MockResourceArgs, state: dict[str, Any]
    ) -> None:
        """Outputs the provider's ``Check`` fills in, known at preview (provider_defaults.py)."""
        # An explicit provider's inputs; None for the default provider, configured by the stack.
        provider = self._provider_inputs(args.provider) if args.provider else None
        config = {
            key: pulumi.runtime.get_config(key)
            for key in (
                "aws:region",
                "azure-native:location",
                "azure:location",
                "gcp:project",
                "gcp:region",
                "gcp:zone",
            )
        }
        if args.typ.startswith("aws:") and takes_argument(args.typ, "region"):
            region = aws_region(args.inputs, provider, config)
            if region != UNKNOWN:
                state["region"] = region
        elif args.typ.startswith("azure-native:") and takes_argument(args.typ, "location"):
            location = azure_location(args.inputs, provider, config, self._group_locations)
            if location != UNKNOWN:
                state["location"] = location
            group = args.inputs.get("resourceGroupName")
            if args.typ == _RESOURCE_GROUP and isinstance(group, str) and group != UNKNOWN:
                self._group_locations[group] = location
        elif args.typ.startswith("gcp:"):
            state.update(gcp_defaults(args.typ, args.inputs, provider, config))
        elif args.typ == _CLASSIC_RESOURCE_GROUP:
            location = azure_classic_group_location(args.inputs, provider, config)
            if location != UNKNOWN:
                state["location"] = location

    def _bucket_name(self, args: pulumi.runtime.MockResourceArgs) -> str:
        given = args.inputs.get("bucket")
        if isinstance(given, str) and given:
            return given
        if not self.autonames:
            return args.name
        return f"{args.name}-{_fake_guid(args.typ, args.name).replace('-', '')[:7]}"

    def _fake_bucket_outputs(
        self, args: pulumi.runtime.MockResourceArgs, name: str, state: dict[str, Any]
    ) -> None:
        """A bucket's endpoints as S3 names them (https://docs.aws.amazon.com/AmazonS3/latest/
        userguide/VirtualHosting.html): global ``<bucket>.s3.amazonaws.com``, regional
        ``<bucket>.s3.<region>.amazonaws.com``."""
        state.setdefault("bucketDomainName", f"{name}.s3.amazonaws.com")
        region = state.get("region")
        if isinstance(region, str) and region != UNKNOWN:
            state.setdefault("bucketRegionalDomainName", f"{name}.s3.{region}.amazonaws.com")

    def _fake_aws_arn(
        self, args: pulumi.runtime.MockResourceArgs, resource_id: str, filled: str | None
    ) -> str:
        _, module, _ = [*args.typ.split(":"), "", ""][:3]
        service, _, kind = module.partition("/")
        if service == "s3" and args.typ in _S3_BUCKETS:
            return f"arn:aws:s3:::{resource_id}"
        if service == "s3":
            return f"arn:aws:s3:::{args.inputs.get('bucket') or args.name}"
        account = self._aws_account(args.provider)
        if service == "iam":
            # IAM ARNs name the kind of identity and carry no region
            # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns);
            # an OIDC provider is named by its URL's host.
            if kind == "openIdConnectProvider":
                url = str(args.inputs.get("url") or args.name)
                return f"arn:aws:iam::{account}:oidc-provider/{url.split('://', 1)[-1]}"
            segment = _IAM_ARN_KINDS.get(kind, "role")
            return f"arn:aws:iam::{account}:{segment}/{args.inputs.get('name') or args.name}"
        # The region the provider's Check filled in (the stack's aws:region for the default
        # provider), else the resource's or its provider's own.
        region = filled or self._aws_region(args.provider, args.inputs)
        kind = kind.lower() or service
        return f"arn:aws:{service}:{region}:{account}:{kind}/{resource_id}"

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        known = self.monitor.provider_inputs if self.monitor is not None else {}
        provider = invokes.Provider.from_ref(args.provider, known)
        record = self.monitor.recording.invokes if self.monitor is not None else None
        result = invokes.answer(args.token, args.args, provider, record)
        if not self.preview:
            # The evidence run is an update: the lookup answered, with a value where preview
            # had none. A stand-in that names no resource of the stack, so a destination built
            # from it stays unproven; the SDK would turn the unknown into None, and a program
            # passing it to a required input would stop before its computed values are seen.
            result = _invoke_stand_ins(args.token, result)
        return (result, [])


def _invoke_stand_ins(token: str, value: Any, key: str = "output") -> Any:
    """``value`` with each unknown string replaced by a stand-in named by its field."""
    if isinstance(value, str) and value in invokes.UNKNOWN_FORMS:
        return stand_in_value(token, "invoke", key)
    if isinstance(value, dict):
        return {k: _invoke_stand_ins(token, v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_invoke_stand_ins(token, v, key) for v in value]
    return value


DIY_ORGANIZATION = "organization"
"""The organization the DIY backends give every stack (pulumi/pkg/backend/diy)."""
_RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
_CLASSIC_RESOURCE_GROUP = "azure:core/resourceGroup:ResourceGroup"
_S3_BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
_VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
# The resource-type segment of IAM ARNs, by pulumi-aws resource kind.
_IAM_ARN_KINDS = {
    "role": "role",
    "user": "user",
    "group": "group",
    "policy": "policy",
    "instanceProfile": "instance-profile",
    "samlProvider": "saml-provider",
    "serverCertificate": "server-certificate",
}
# AWS's id prefixes of the resources whose ids policies name in conditions.
_AWS_ID_PREFIXES = {
    _VPC_ENDPOINT: "vpce",
    "aws-native:ec2:VpcEndpoint": "vpce",
    "aws:ec2/vpc:Vpc": "vpc",
    "aws-native:ec2:Vpc": "vpc",
}

# Types whose own name is not the ``<type>Name`` input (from the azure-native v3 SDK signatures).
_AZURE_NAME_KEYS = {
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:storage:BlobContainer": "containerName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:keyvault:Key": "keyName",
    "azure-native:keyvault:Vault": "vaultName",
}


def _azure_name_key(type_: str) -> str:
    """The input that names an azure-native resource: ``resourceGroupName`` for groups, etc."""
    if type_ in _AZURE_NAME_KEYS:
        return _AZURE_NAME_KEYS[type_]
    resource = type_.rsplit(":", 1)[-1]
    return resource[0].lower() + resource[1:] + "Name"


def _documents_as_text(type_: str, state: dict[str, Any]) -> None:
    """Outputs the SDK declares as strings that the program gave as objects, as JSON text.

    pulumi-aws takes an IAM policy as a string or as a ``PolicyDocumentArgs`` object
    (``Role(assume_role_policy=iam.PolicyDocumentArgs(...))``), and the provider keeps the
    document as JSON text, which is what its ``str`` output then holds; echoing the object makes
    the SDK refuse the output ("expected str"). A value not known at preview stays unknown.
    """
    if not any(isinstance(v, dict | list) for v in state.values()):
        return
    declared = scalar_outputs(type_)
    for key, value in state.items():
        if not isinstance(value, dict | list) or declared.get(key) is not str:
            continue
        try:
            text = json.dumps(value, separators=(",", ":"))
        except (TypeError, ValueError):
            continue  # holds a value not known at preview (the SDK's Unknown): it stays so
        if UNKNOWN not in text:
            state[key] = text


def _azure_output_shape(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs whose shape differs from the inputs' in azure-native, as Azure returns them.

    ``identity.userAssignedIdentities`` goes in as a list of identity ids and comes back as a map
    keyed by id; echoing the list makes the SDK fail to read the outputs. At preview an id may be
    unknown, and an unknown cannot be a map key: it is left out, as the engine would.
    """
    state = dict(inputs)
    identity = state.get("identity")
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        ids = identity["userAssignedIdentities"]
        known: dict[str, dict[str, Any]] = {
            i: {} for i in ids if isinstance(i, str) and i != UNKNOWN
        }
        state["identity"] = {**identity, "userAssignedIdentities": known}
    return state


def _fake_guid(*parts: str) -> str:
    return str(uuid.uuid5(_FAKE_GUID_NAMESPACE, "/".join(parts)))


def _fake_azure_outputs(type_: str, name: str, state: dict[str, Any]) -> None:
    """Computed outputs that programs commonly pass on: identities' ids, replication policy ids."""
    if type_ == "azure-native:keyvault:Vault" and isinstance(state.get("properties"), dict):
        # The vault's data-plane endpoint (https://learn.microsoft.com/azure/key-vault/general/
        # about-keys-secrets-certificates#dns-suffixes-for-object-identifiers).
        vault = state.get("name") or name
        uri = f"https://{vault}.vault.azure.net/"
        state["properties"] = {"vaultUri": uri, **state["properties"]}
    if type_ == "azure-native:storage:StorageAccount":
        # The account's endpoints as Azure names them (https://learn.microsoft.com/azure/storage/
        # common/storage-account-overview#standard-endpoints); static websites are served from
        # ``<account>.<zone>.web.core.windows.net``.
        account = state.get("accountName") or name
        endpoints = {
            service: f"https://{account}.{service}.core.windows.net/"
            for service in ("blob", "dfs", "file", "queue", "table")
        }
        endpoints["web"] = f"https://{account}.z6.web.core.windows.net/"
        state.setdefault("primaryEndpoints", endpoints)
    if type_ == "azure-native:managedidentity:UserAssignedIdentity":
        state.setdefault("principalId", _fake_guid(name, "principal"))
        state.setdefault("clientId", _fake_guid(name, "client"))
        state.setdefault("tenantId", FAKE_AZURE_TENANT_ID)
    if type_ == "azure-native:storage:ObjectReplicationPolicy":
        # Created as `default` on the destination account, the policy gets a generated id that
        # the source account's policy must then name, with the destination's rule ids.
        requested = state.get("objectReplicationPolicyId")
        state["policyId"] = (
            _fake_guid(name, "policy") if requested in (None, "default") else requested
        )
        state["rules"] = [
            {**rule, "ruleId": rule.get("ruleId") or _fake_guid(name, "rule", str(i))}
            for i, rule in enumerate(state.get("rules") or [])
            if isinstance(rule, dict)
        ]


_LOAD_BALANCED: Final = frozenset(
    {"kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress"}
)


def _fake_kubernetes_status(
    type_: str, name: str, inputs: Mapping[str, Any], state: dict[str, Any]
) -> None:
    """The address a cluster gives a LoadBalancer Service or an Ingress once it is up
    (``status.loadBalancer.ingress``), which programs read to export or wire an endpoint: a
    documentation address (RFC 5737) and a stand-in host naming the resource."""
    spec = inputs.get("spec")
    if type_ not in _LOAD_BALANCED or isinstance(state.get("status"), dict):
        return
    if type_ == "kubernetes:core/v1:Service" and not (
        isinstance(spec, dict) and spec.get("type") == "LoadBalancer"
    ):
        return
    entry = {"ip": "192.0.2.1", "hostname": stand_in_value(type_, name, "hostname")}
    state["status"] = {"loadBalancer": {"ingress": [entry]}}


def _fake_arm_id(type_: str, name: str, inputs: Mapping[str, Any]) -> str:
    _, module, resource = [*type_.split(":"), "", ""][:3]
    sub = f"/subscriptions/{FAKE_AZURE_SUBSCRIPTION_ID}"
    if resource == "ResourceGroup":
        return f"{sub}/resourceGroups/{name}"
    group = inputs.get("resourceGroupName") or "unknown-group"
    namespace = f"Microsoft.{module[:1].upper()}{module[1:]}"
    kind = resource[:1].lower() + resource[1:] + "s"
    return f"{sub}/resourceGroups/{group}/providers/{namespace}/{kind}/{name}"


def _contains_unknowns(value: Any) -> bool:
    """``pulumi.runtime.rpc.contains_unknowns`` without recursion or a closure per call.

    The SDK runs it on every Output it creates; same answer, several times faster.
    """
    if not isinstance(value, dict | list):
        return isinstance(value, Unknown)
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if isinstance(item, Unknown):
            return True
        if isinstance(item, dict | list) and id(item) not in seen:
            seen.add(id(item))
            # ``dict.values``, not ``item.values()``: input types are dict subclasses whose fields
            # are properties, and a field called ``values`` (CloudTrail data resources, ALB rule
            # conditions) shadows the method; the SDK's own walk indexes by key for the same reason.
            stack.extend(dict.values(item) if isinstance(item, dict) else item)
    return False


def _stack_trace() -> source_pb2.StackTrace:
    """The SDK's ``_get_stack_trace``, reduced to the frame that called the resource constructor.

    The SDK formats every frame of the stack, reading source lines, for each resource; the engine
    uses only the first frame for a source position (the stand-in sends no stack to anyone).
    Like the SDK, the user frame is the caller of the third ``__init__`` from the top (Resource,
    CustomResource or ComponentResource, then the concrete class).
    """
    frame = sys._getframe(1)
    seen = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            seen += 1
            if seen == 3:
                break
        frame = frame.f_back  # type: ignore[assignment]
    caller = frame.f_back if frame is not None else None
    if caller is None or not caller.f_code.co_filename:
        return source_pb2.StackTrace()
    position = source_pb2.SourcePosition(
        uri=Path(caller.f_code.co_filename).absolute().as_uri(), line=caller.f_lineno
    )
    return source_pb2.StackTrace(frames=[source_pb2.StackFrame(pc=position)])


class _QuietEngine:
    """The engine end of ``pulumi.log``: debug chatter is dropped, as the CLI hides it; warnings
    and errors reach stderr."""

    def Log(self, request: Any) -> None:  # noqa: N802 - gRPC method name
        if request.severity in (engine_pb2.WARNING, engine_pb2.ERROR):
            sys.stderr.write(f"{request.message}\n")


@contextlib.contextmanager
def _faster_sdk() -> Iterator[None]:
    """Replace SDK hot spots that the stand-in does not need to pay for, restoring them after."""
    saved = (rpc.contains_unknowns, sdk_resource._get_stack_trace)
    rpc.contains_unknowns = _contains_unknowns  # type: ignore[assignment]
    sdk_resource._get_stack_trace = _stack_trace
    # Each resource costs the SDK hundreds of container objects (Outputs, futures, tasks), so
    # the cyclic garbage collector runs over and over, each pass scanning ever more survivors:
    # at 10,000 resources it took a third of the run. Those objects die by reference counting;
    # the SDK leaves almost no cycles (one collection after a 10,000-resource run finds a
    # handful of objects), so collection is paused for the run, with the same peak memory
    # (benchmarks/RESULTS.md). Afterwards what is still alive is frozen (the recording is kept
    # for the whole check), so the resumed collector does not rescan it all at its first pass.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        rpc.contains_unknowns, sdk_resource._get_stack_trace = saved
        gc.freeze()
        if collecting:
            gc.enable()


_STACK_REFERENCE = "pulumi:pulumi:StackReference"


@contextlib.contextmanager
def _stack_reference_stand_ins() -> Iterator[None]:
    """In the update run, another stack's output that the check cannot read is a stand-in
    naming the stack reference (provider_defaults.stand_in_value), not ``None``: a value the
    program computes from it (``Output.json_dumps({"deadLetterTargetArn": ref.get_output(...)})``)
    then shows where it came from, and the residency pack judges it as unproven, as it judges
    the output itself at preview. ``pulumi up`` reads the real outputs from the backend."""
    cls = pulumi.StackReference
    saved = (cls.get_output, cls.require_output, cls.get_output_details)

    def value(reference: pulumi.StackReference, outputs: Any, name: Any) -> Any:
        if isinstance(outputs, Mapping) and name in outputs:
            return outputs[name]
        # The label says where it came from: read resources are not sent to the packs, so
        # the pack cannot resolve the digest to the reference (data_flow.Resolver.stand_in).
        return stand_in_value(_STACK_REFERENCE, reference._name, f"stackref-{name}")

    def get_output(self: pulumi.StackReference, name: pulumi.Input[str]) -> pulumi.Output[Any]:
        return pulumi.Output.all(pulumi.Output.from_input(name), self.outputs).apply(
            lambda pair: value(self, pair[1], pair[0])
        )

    async def get_output_details(
        self: pulumi.StackReference, name: str
    ) -> pulumi.StackReferenceOutputDetails:
        outputs = await self.outputs.future() if self.outputs is not None else None
        return pulumi.StackReferenceOutputDetails(value=value(self, outputs, name))

    cls.get_output = get_output  # type: ignore[method-assign]
    cls.require_output = get_output  # type: ignore[method-assign]
    cls.get_output_details = get_output_details  # type: ignore[method-assign]
    try:
        yield
    finally:
        cls.get_output, cls.require_output, cls.get_output_details = saved  # type: ignore[method-assign]


@contextlib.contextmanager
def _fresh_runtime(config: Mapping[str, str], secret_keys: list[str]) -> Iterator[None]:
    """A new event loop and clean SDK globals, restored afterwards, so runs never leak state."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings.reset_options()
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        pulumi.runtime.set_all_config(dict(config), secret_keys)
        yield
    finally:
        pulumi.runtime.set_all_config({}, [])
        loop.close()
        asyncio.set_event_loop(None)


def run_program(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    preview: bool = True,
    autonames: bool = False,
    into: Recording | None = None,
    on_register: Callable[[RecordedResource], None] | None = None,
    organization: str = DIY_ORGANIZATION,
) -> Recording:
    """Run ``program`` as ``pulumi preview`` (or ``up``) would, against the recording stand-in.

    ``config`` is the stack configuration in the engine's form: fully qualified keys
    (``aws:region``, ``clover:sites``) and string values, structured values JSON-encoded.
    Exceptions raised by the program propagate unchanged, after the runtime has been cleaned up;
    pass ``into`` to keep what was registered before the failure. ``on_register`` is called with
    each resource as it is registered, in registration order, as the engine analyzes them.
    """
    recording = into if into is not None else Recording(project=project, stack=stack)
    mocks = RecordingMocks(preview=preview, autonames=autonames)
    with _fresh_runtime(config or {}, secret_keys or []):
        monitor = RecordingMonitor(mocks, recording, on_register)
        mocks.monitor = monitor
        # The engine names an organization for every stack: the one of `-s org/stack`, else
        # the DIY backends' "organization" (pulumi/pkg/backend/diy), as the SDK's defaults say.
        pulumi.runtime.set_mocks(
            mocks,
            project=project,
            stack=stack,
            preview=preview,
            monitor=monitor,
            organization=organization,
        )
        settings.SETTINGS.engine = _QuietEngine()
        stand_ins = contextlib.nullcontext() if preview else _stack_reference_stand_ins()
        with (
            _faster_sdk(),
            invokes.capturing_invokes(),
            provenance.marking_outputs(),
            stand_ins,
        ):
            _sync_await(run_pulumi_func(program))  # type: ignore[arg-type]
        root = settings.get_root_resource()
        exported = getattr(root, "outputs", {}) or {}
        recording.outputs = {k: _resolve_output(v) for k, v in exported.items()}
    return recording


def _resolve_output(value: Any) -> Any:
    """Resolve an exported value to plain data; unknowns become ``UNKNOWN``."""

    async def resolve() -> Any:
        output = pulumi.Output.from_input(value)
        known = await output.is_known()
        return await output.future(with_unknowns=True) if known else UNKNOWN

    try:
        result = _sync_await(resolve())
    except Exception:  # noqa: BLE001 - an export that cannot resolve offline is reported unknown
        return UNKNOWN
    return json.loads(json.dumps(result, default=lambda _: UNKNOWN))
