"""Resource transforms, run the way the engine runs them.

``pulumi.runtime.register_resource_transform(fn)`` and ``ResourceOptions(transforms=[fn])`` do not
run inside the SDK: the SDK serves each function from a callback server and sends the engine a
``Callback`` (``RegisterStackTransform``, or ``transforms`` on the ``RegisterResourceRequest``); the
engine invokes them for each registration before it does anything else with it. The SDK's
``MockMonitor`` only records them (``pulumi/runtime/mocks.py``), so without this module a transform
that moves a bucket to another region would never be seen.

What the engine does (pulumi/pulumi ``pkg/resource/deploy/source_eval.go``, ``RegisterResource``,
``wrapTransformCallback``, ``RegisterStackTransform``), reproduced here:

- the transforms to run are the resource's own, then its parent's own, its grandparent's, and so on
  to the root, then the stack transforms in the order they were registered (a stack transform
  applies only to resources registered after it);
- each gets the resource's name, type, custom flag, parent, the properties as the previous
  transform left them, and the options in ``TransformResourceOptions`` form; a response without
  properties or options keeps the previous ones (a transform returning None changes nothing);
- when the resource has transforms of its own, the dependencies are re-read from the result: the
  ``dependsOn`` option, and property dependencies only from output values (the SDK answers with
  plain values, so none survive).

The transform functions are called through the SDK's own callback wrappers (the servicer's
``_callbacks``), on the program's event loop, so arguments and results are converted exactly as in
a real run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, cast

from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message
from pulumi.runtime import rpc
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.proto import alias_pb2, callback_pb2, resource_pb2

_SIG = rpc._special_sig_key
_SECRET = rpc._special_secret_sig
_OUTPUT = rpc._special_output_value_sig
_UNKNOWN = rpc.UNKNOWN


class TransformError(Exception):
    """A transform failed or could not be called; names the resource and the transform."""


def _upgrade(value: Any) -> Any:
    """Unknowns and secrets as output values, as the engine unmarshals a registration's inputs
    (``UpgradeToOutputValues``) before handing them to a transform."""
    if value == _UNKNOWN:
        return {_SIG: _OUTPUT}
    if isinstance(value, list):
        return [_upgrade(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get(_SIG) == _SECRET:
        inner = _upgrade(value.get("value"))
        # A secret unknown is one output value, unknown and secret.
        unknown = isinstance(inner, dict) and inner.get(_SIG) == _OUTPUT
        return (
            {**inner, "secret": True}
            if unknown
            else {_SIG: _OUTPUT, "value": inner, "secret": True}
        )
    if value.get(_SIG) is not None:
        return value
    return {k: _upgrade(v) for k, v in value.items()}


def _downgrade(value: Any) -> Any:
    """Output values back to unknowns, secrets and plain values, as the engine downgrades them
    before the registration goes on (``downgradeOutputValues``)."""
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _OUTPUT:
            if "value" not in value:
                plain: Any = _UNKNOWN
            else:
                plain = _downgrade(value["value"])
            return {_SIG: _SECRET, "value": plain} if value.get("secret") else plain
        if sig is not None:
            return value
        return {k: _downgrade(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_downgrade(v) for v in value]
    return value


def _to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def _options(request: Any) -> resource_pb2.TransformResourceOptions:
    """The options a transform is given, built from the request as the engine builds them."""
    aliases = [alias_pb2.Alias(urn=urn) for urn in request.aliasURNs]
    aliases.extend(request.aliases)
    opts = resource_pb2.TransformResourceOptions(
        depends_on=list(request.dependencies),
        ignore_changes=list(request.ignoreChanges),
        replace_on_changes=list(request.replaceOnChanges),
        version=request.version,
        aliases=aliases,
        provider=request.provider,
        providers=dict(request.providers),
        plugin_download_url=request.pluginDownloadURL,
        deleted_with=request.deletedWith,
        additional_secret_outputs=list(request.additionalSecretOutputs),
        replace_with=list(request.replace_with),
    )
    if request.HasField("protect"):
        opts.protect = request.protect
    if request.HasField("retainOnDelete"):
        opts.retain_on_delete = request.retainOnDelete
    if request.deleteBeforeReplaceDefined or request.deleteBeforeReplace:
        opts.delete_before_replace = request.deleteBeforeReplace
    if request.HasField("customTimeouts"):
        opts.custom_timeouts.CopyFrom(request.customTimeouts)
    if request.importId:
        setattr(opts, "import", request.importId)
    return opts


def _apply_options(request: Any, opts: resource_pb2.TransformResourceOptions) -> None:
    """Write a transform's options back into the registration that goes on to the provider."""
    del request.dependencies[:]
    request.dependencies.extend(opts.depends_on)
    del request.ignoreChanges[:]
    request.ignoreChanges.extend(opts.ignore_changes)
    del request.replaceOnChanges[:]
    request.replaceOnChanges.extend(opts.replace_on_changes)
    del request.additionalSecretOutputs[:]
    request.additionalSecretOutputs.extend(opts.additional_secret_outputs)
    del request.replace_with[:]
    request.replace_with.extend(opts.replace_with)
    del request.aliasURNs[:]
    del request.aliases[:]
    request.aliases.extend(opts.aliases)
    request.providers.clear()
    request.providers.update(dict(opts.providers))
    request.provider = opts.provider
    request.version = opts.version
    request.pluginDownloadURL = opts.plugin_download_url
    request.deletedWith = opts.deleted_with
    request.importId = getattr(opts, "import")
    if opts.HasField("protect"):
        request.protect = opts.protect
    else:
        request.ClearField("protect")
    if opts.HasField("retain_on_delete"):
        request.retainOnDelete = opts.retain_on_delete
    else:
        request.ClearField("retainOnDelete")
    request.deleteBeforeReplaceDefined = opts.HasField("delete_before_replace")
    request.deleteBeforeReplace = opts.delete_before_replace
    if opts.HasField("custom_timeouts"):
        request.customTimeouts.CopyFrom(opts.custom_timeouts)
    else:
        request.ClearField("customTimeouts")


def _servicer_for(callback: callback_pb2.Callback) -> _CallbackServicer:
    for servicer in list(_CallbackServicer._servicers):
        if servicer._target == callback.target and callback.token in servicer._callbacks:
            return servicer
    raise TransformError(f"no callback server serves transform {callback.token}")


def _describe(servicer: _CallbackServicer, token: str) -> str:
    for fn, known in servicer._transforms.items():
        if known == token:
            module = getattr(fn, "__module__", None) or "?"
            return f"{module}.{getattr(fn, '__qualname__', repr(fn))}"
    return token


class EngineTransforms:
    """The engine's transform bookkeeping: stack transforms, each resource's own, and parents."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stack: list[callback_pb2.Callback] = []
        self._own: dict[str, list[callback_pb2.Callback]] = {}
        self._parents: dict[str, str] = {}

    def register_stack(self, callback: callback_pb2.Callback) -> None:
        if not callback.target:
            # The engine's own check (RegisterStackTransform).
            raise TransformError("target must be specified")
        with self._lock:
            self._stack.append(callback)

    def apply(self, request: Any, make_urn: Callable[[str, str, str], str]) -> Any:
        """The registration as the provider would receive it after every transform has run.

        Returns ``request`` itself when no transform applies, else a changed copy.
        """
        if request.type == "pulumi:pulumi:Stack":
            return request
        urn = make_urn(request.parent, request.type, request.name)
        own = list(request.transforms)
        with self._lock:
            self._parents[urn] = request.parent
            self._own[urn] = own
            transforms = list(own)
            current = request.parent
            while current:
                transforms.extend(self._own.get(current, ()))
                current = self._parents.get(current, "")
            transforms.extend(self._stack)
        if not transforms:
            return request

        props: dict[str, Any] = json_format.MessageToDict(request.object)
        props = {k: _upgrade(v) for k, v in props.items()}
        for key, deps in request.propertyDependencies.items():
            if key in props and deps.urns:
                value = props[key]
                if not (isinstance(value, dict) and value.get(_SIG) == _OUTPUT):
                    value = {_SIG: _OUTPUT, "value": value}
                props[key] = {**value, "dependencies": list(deps.urns)}
        opts = _options(request)
        for callback in transforms:
            props, opts = self._run(callback, request, props, opts)

        result = resource_pb2.RegisterResourceRequest()
        result.CopyFrom(request)
        result.object.CopyFrom(_to_struct({k: _downgrade(v) for k, v in props.items()}))
        _apply_options(result, opts)
        if own:
            # The engine re-reads dependencies from the transformed registration (see module doc).
            result.propertyDependencies.clear()
            for key, value in props.items():
                deps = value.get("dependencies", []) if isinstance(value, dict) else []
                if isinstance(value, dict) and value.get(_SIG) == _OUTPUT and deps:
                    result.propertyDependencies[key].urns.extend(deps)
                    result.dependencies.extend(d for d in deps if d not in result.dependencies)
        return result

    def _run(
        self,
        callback: callback_pb2.Callback,
        request: Any,
        props: dict[str, Any],
        opts: resource_pb2.TransformResourceOptions,
    ) -> tuple[dict[str, Any], resource_pb2.TransformResourceOptions]:
        servicer = _servicer_for(callback)
        call = resource_pb2.TransformRequest(
            type=request.type,
            name=request.name,
            custom=request.custom,
            parent=request.parent,
            properties=_to_struct(props),
            options=opts,
        )
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is servicer._loop:
            # The SDK registers from worker threads; from the loop itself the wait would deadlock.
            raise TransformError(
                f"transform for {request.type} {request.name!r} called on the loop"
            )
        invoke = cast(
            "Coroutine[Any, Any, Message]",
            servicer._callbacks[callback.token](call.SerializeToString()),
        )
        try:
            answer = asyncio.run_coroutine_threadsafe(invoke, servicer._loop).result()
        except Exception as error:
            name = _describe(servicer, callback.token)
            raise TransformError(
                f"transform {name} failed on {request.type} {request.name!r}: {error}"
            ) from error
        response = cast(resource_pb2.TransformResponse, answer)
        if response.HasField("properties"):
            props = json_format.MessageToDict(response.properties)
        if response.HasField("options"):
            opts = response.options
        return props, opts
