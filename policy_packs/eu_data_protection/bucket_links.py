"""Which S3 bucket a bucket-settings resource configures, for the stack-level S3 rules.

pulumi-aws v7 moved a bucket's encryption, versioning, public access block and policy out of
``aws:s3/bucket:Bucket`` into separate resources that name the bucket in their ``bucket`` input. So
"every bucket is encrypted" is a relationship across resources and only a stack policy can check it.

A settings resource is linked to a bucket when:

1. its ``propertyDependencies["bucket"]`` names the bucket's URN (the engine records this when the
   program passes ``bucket.id`` or ``bucket.bucket``; during preview it is the only link, because
   the bucket's name may not be known yet); or
2. its ``bucket`` input is a known string equal to the bucket's ``bucket`` name or ``id``.

A settings resource whose ``bucket`` is unknown and that has no such dependency cannot be tied to
any bucket; it never satisfies a rule (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import PolicyResource, ReportViolation

# The CLI runs the pack with this directory first on sys.path, so sibling modules are imported
# as top-level modules; the type checker sees the repository layout instead.
if TYPE_CHECKING:
    from policy_packs.eu_data_protection.props import UNKNOWN, as_str, get, plain
else:
    from props import UNKNOWN, as_str, get, plain

BUCKET_TYPES: Final = frozenset(
    {
        "aws:s3/bucket:Bucket",
        # Deprecated in pulumi-aws v7 but still registrable; v7's Bucket aliases it.
        "aws:s3/bucketV2:BucketV2",
    }
)


@dataclass(frozen=True)
class Settings:
    """One bucket-settings resource with its plain properties."""

    resource: PolicyResource
    props: dict[str, Any]

    @property
    def urn(self) -> str:
        return str(self.resource.urn)

    @property
    def name(self) -> str:
        return str(self.resource.name)

    def dependency_types(self, prop: str) -> set[str]:
        """The types of the resources that ``prop``'s value was computed from."""
        return {str(getattr(r, "resource_type", "")) for r in _deps(self.resource, prop)}


@dataclass(frozen=True)
class BucketLinks:
    """The buckets of a stack, each with the settings resources of some kinds that target it."""

    buckets: Sequence[PolicyResource]
    by_bucket: dict[str, list[Settings]]
    """Bucket URN to the settings resources linked to it."""
    unlinked: Sequence[Settings]
    """Settings resources whose bucket is unknown and has no recorded dependency."""

    def for_bucket(self, bucket: PolicyResource) -> list[Settings]:
        return self.by_bucket.get(str(bucket.urn), [])


def _deps(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    deps = getattr(resource, "property_dependencies", None)
    if not isinstance(deps, dict):
        return []
    found = deps.get(prop)
    return [r for r in found if isinstance(r, PolicyResource)] if isinstance(found, list) else []


def _bucket_names(bucket: PolicyResource) -> set[str]:
    props = plain(bucket.props)
    names = {as_str(get(props, "bucket")), as_str(get(props, "id"))}
    return {n for n in names if isinstance(n, str) and n}


def link(resources: Iterable[PolicyResource], settings_types: Iterable[str]) -> BucketLinks:
    """Link every resource of ``settings_types`` to the stack's buckets."""
    wanted = frozenset(settings_types)
    all_resources = list(resources)
    buckets = [r for r in all_resources if r.resource_type in BUCKET_TYPES]
    by_urn = {str(b.urn): b for b in buckets}
    by_name: dict[str, list[str]] = {}
    for bucket in buckets:
        for name in _bucket_names(bucket):
            by_name.setdefault(name, []).append(str(bucket.urn))

    by_bucket: dict[str, list[Settings]] = {}
    unlinked: list[Settings] = []
    for resource in all_resources:
        if resource.resource_type not in wanted:
            continue
        settings = Settings(resource, plain(resource.props))
        targets = {str(d.urn) for d in _deps(resource, "bucket") if str(d.urn) in by_urn}
        target = get(settings.props, "bucket")
        if isinstance(target, str):
            targets.update(by_name.get(target, []))
        if not targets and target is UNKNOWN:
            unlinked.append(settings)
        for urn in targets:
            by_bucket.setdefault(urn, []).append(settings)
    return BucketLinks(buckets=buckets, by_bucket=by_bucket, unlinked=unlinked)


def describe_bucket(bucket: PolicyResource) -> str:
    """``'name' (physical-name)`` for messages."""
    names = sorted(_bucket_names(bucket))
    physical = f" (bucket {names[0]!r})" if names else ""
    return f"S3 bucket {bucket.name!r}{physical}"


def check_buckets(
    resources: Iterable[PolicyResource],
    report_violation: ReportViolation,
    *,
    rule: str,
    settings_types: Iterable[str],
    kind: str,
    evaluate: Callable[[Settings], list[str]],
    expected: str,
) -> None:
    """Report every bucket that lacks a compliant settings resource of ``settings_types``.

    ``evaluate`` returns the problems of one settings resource (empty when it is compliant). A
    bucket passes when at least one settings resource is linked to it and none of them has a
    problem: several resources of one kind on one bucket overwrite each other, so any bad one may
    win.
    """
    links = link(resources, settings_types)
    for settings in links.unlinked:
        report_violation(
            f"{rule}: {kind} {settings.name!r} targets a bucket that is unknown during preview "
            "and not traceable to a bucket in this stack, so it cannot be shown to protect one. "
            "Pass the bucket resource's `bucket` (or `id`) output so the dependency is recorded.",
            settings.urn,
        )
    for bucket in links.buckets:
        linked = links.for_bucket(bucket)
        if not linked:
            report_violation(
                f"{rule}: {describe_bucket(bucket)} has no {kind} resource. Required: {expected}.",
                str(bucket.urn),
            )
            continue
        for settings in linked:
            for problem in evaluate(settings):
                report_violation(
                    f"{rule}: {kind} {settings.name!r} for {describe_bucket(bucket)}: {problem}. "
                    f"Required: {expected}.",
                    settings.urn,
                )
