"""The analyzer harness speaks the engine's side of the protocol to a real pack process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clover.analyzer import (
    UNKNOWN,
    AnalyzedResource,
    PolicyConfigError,
    PolicyPack,
    PolicyPackError,
    ProviderRef,
    load_pack_config,
)

PACKS = Path(__file__).parent / "data" / "packs"
BASIC = PACKS / "basic"
COLOR = "test-bucket-color-forbidden"
ECHO_URN = "urn:pulumi:test::clover::test:index:Echo::echo"
BUCKET_URN = "urn:pulumi:test::clover::test:index:Bucket::bucket"


def bucket(**props: Any) -> AnalyzedResource:
    return AnalyzedResource(
        urn=BUCKET_URN, type="test:index:Bucket", name="bucket", properties=props
    )


def echo(**kwargs: Any) -> AnalyzedResource:
    return AnalyzedResource(urn=ECHO_URN, type="test:index:Echo", name="echo", **kwargs)


def payload(message: str) -> Any:
    """The JSON a test policy appended to its description."""
    return json.loads(message.split("\n", 1)[1])


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(BASIC) as started:
        yield started


@pytest.fixture
def fresh(pack: PolicyPack) -> PolicyPack:
    """The shared pack, reset to its defaults (configure is the only state it keeps)."""
    pack.configure()
    return pack


def test_info_comes_from_the_pack(pack: PolicyPack) -> None:
    assert pack.name == "harness-basic"
    assert pack.version == "1.2.3", "PulumiPolicy.yaml's version wins, as in the CLI"
    assert set(pack.policies) == {COLOR, "test-echo", "test-bucket-size-unknown", "test-stack-echo"}
    color = pack.policies[COLOR]
    assert color.enforcement_level == "mandatory"
    assert color.severity == "high"
    assert color.remediation == "Paint the bucket another color."
    assert color.policy_type == "resource"
    assert color.config_schema is not None
    assert color.config_schema["properties"]["forbiddenColor"]["default"] == "red"
    assert pack.policies["test-echo"].enforcement_level == "advisory", "the pack's default"
    assert pack.policies["test-echo"].config_schema is None
    assert pack.policies["test-stack-echo"].policy_type == "stack"


def test_defaults_are_applied_and_every_level_is_sent(fresh: PolicyPack) -> None:
    assert fresh.effective_config[COLOR] == {
        "enforcementLevel": "mandatory",
        "forbiddenColor": "red",
        "maxSize": 10,
        "labels": [],
    }
    assert all("enforcementLevel" in c for c in fresh.effective_config.values())
    (diag,) = [d for d in fresh.analyze(bucket(color="red")) if d.policy == COLOR]
    assert '"forbiddenColor": "red"' in diag.message, "the pack saw the schema default"


def test_configuring_one_key_keeps_mandatory(pack: PolicyPack) -> None:
    # Without an explicit level the policy would decode as ADVISORY on the pack's side.
    pack.configure({COLOR: {"forbiddenColor": "blue"}})
    (diag,) = [d for d in pack.analyze(bucket(color="blue")) if d.policy == COLOR]
    assert diag.enforcement_level == "mandatory"
    assert diag.severity == "high"
    assert diag.policy_pack == "harness-basic"
    assert diag.urn == BUCKET_URN
    assert not [d for d in pack.analyze(bucket(color="red")) if d.policy == COLOR]


@pytest.mark.parametrize(
    ("config", "level"),
    [
        ({COLOR: "advisory"}, "advisory"),
        ({"all": "advisory"}, "advisory"),
        ({"all": "advisory", COLOR: {"enforcementLevel": "mandatory"}}, "mandatory"),
        # The SDK reports a remediate-level violation that survived remediation as mandatory.
        ({"all": {"enforcementLevel": "remediate"}}, "mandatory"),
    ],
)
def test_enforcement_overrides(pack: PolicyPack, config: dict[str, Any], level: str) -> None:
    pack.configure(config)
    (diag,) = [d for d in pack.analyze(bucket(color="red")) if d.policy == COLOR]
    assert diag.enforcement_level == level


def test_disabled_policy_is_silent(pack: PolicyPack) -> None:
    pack.configure({COLOR: "disabled"})
    assert not [d for d in pack.analyze(bucket(color="red")) if d.policy == COLOR]


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({COLOR: {"maxSize": -1}}, "maxSize"),
        ({COLOR: {"forbiddenColor": 7}}, "forbiddenColor"),
        ({COLOR: {"labels": ["a", 1]}}, "labels.1"),
        ({COLOR: {"forbidenColor": "x"}}, "forbidenColor"),
        ({COLOR: "strict"}, "strict"),
        ({COLOR: 3}, "3"),
        ({"test-echo": {"anything": 1}}, "anything"),
        ({"all": {"forbiddenColor": "x"}}, "forbiddenColor"),
    ],
)
def test_invalid_config_names_pack_policy_and_key(
    pack: PolicyPack, config: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(PolicyConfigError) as raised:
        pack.configure(config)
    text = str(raised.value)
    assert "harness-basic" in text
    assert next(iter(config)) in text
    assert fragment in text


def test_unknown_policy_is_rejected(pack: PolicyPack) -> None:
    with pytest.raises(PolicyConfigError, match="no-such-policy") as raised:
        pack.configure({"no-such-policy": "mandatory"})
    assert COLOR in str(raised.value), "the message lists the known policies"


def test_analyze_configures_defaults_when_not_configured() -> None:
    with PolicyPack(BASIC) as pack:
        (diag,) = [d for d in pack.analyze(bucket(color="red")) if d.policy == COLOR]
        assert diag.enforcement_level == "mandatory"


def test_analyze_sends_engine_form(fresh: PolicyPack) -> None:
    provider = ProviderRef(
        type="pulumi:providers:aws",
        name="dublin",
        urn="urn:pulumi:test::clover::pulumi:providers:aws::dublin",
        properties={"region": "eu-west-1"},
    )
    (diag,) = fresh.analyze(
        echo(
            properties={"tags": {"a": "b"}, "list": [1, UNKNOWN], "region": UNKNOWN},
            provider=provider,
            parent="urn:pulumi:test::clover::clover:x:Y::parent",
            protect=True,
        )
    )
    sent = payload(diag.message)
    assert sent["props"] == {"tags": {"a": "b"}, "list": [1, "<unknown>"], "region": "<unknown>"}
    assert sent["provider"] == {
        "type": "pulumi:providers:aws",
        "name": "dublin",
        "urn": provider.urn,
        "props": {"region": "eu-west-1"},
    }
    assert sent["protect"] is True
    assert sent["parent"] == "urn:pulumi:test::clover::clover:x:Y::parent"
    assert diag.urn == ECHO_URN
    assert diag.enforcement_level == "advisory"
    assert diag.severity == ""


def test_unread_unknown_is_reported_advisory_by_the_sdk(fresh: PolicyPack) -> None:
    (diag,) = [d for d in fresh.analyze(bucket(size=UNKNOWN)) if d.policy.endswith("unknown")]
    assert diag.enforcement_level == "advisory"
    assert "during preview" in diag.message


def test_analyze_stack_sends_the_graph(fresh: PolicyPack) -> None:
    resources = [
        bucket(color="green"),
        echo(
            properties={"source": UNKNOWN},
            parent=BUCKET_URN,
            dependencies=[BUCKET_URN],
            property_dependencies={"source": [BUCKET_URN]},
        ),
    ]
    (diag,) = fresh.analyze_stack(resources)
    assert diag.policy == "test-stack-echo"
    assert diag.urn == ECHO_URN
    assert diag.severity == "critical"
    assert payload(diag.message) == {
        "parent": BUCKET_URN,
        "dependencies": [BUCKET_URN],
        "propertyDependencies": {"source": [BUCKET_URN]},
        "count": 2,
    }
    previewed = fresh.preview(resources)
    assert {d.policy for d in previewed} == {"test-echo", "test-stack-echo"}


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match="does not exist"):
        PolicyPack(tmp_path / "nope")


def test_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match=r"PulumiPolicy\.yaml"):
        PolicyPack(tmp_path)


def test_non_python_pack_is_refused() -> None:
    with pytest.raises(PolicyPackError, match="nodejs"):
        PolicyPack(PACKS / "not_python")


def test_failed_start_reports_stderr() -> None:
    with pytest.raises(PolicyPackError, match="broken-pack-marker"):
        PolicyPack(PACKS / "broken", startup_timeout=30)


def test_startup_timeout(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("import time\ntime.sleep(60)\n")
    with pytest.raises(PolicyPackError, match="did not print its port"):
        PolicyPack(tmp_path, startup_timeout=1)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
)
def test_bad_config_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "pack.json"
    path.write_text(text)
    with pytest.raises(PolicyConfigError, match=fragment) as raised:
        load_pack_config(path)
    assert str(path) in str(raised.value)


def test_config_file_round_trip(tmp_path: Path, pack: PolicyPack) -> None:
    path = tmp_path / "pack.json"
    path.write_text(json.dumps({"all": "mandatory", COLOR: {"forbiddenColor": "green"}}))
    pack.configure(load_pack_config(path))
    assert pack.effective_config["test-echo"]["enforcementLevel"] == "mandatory"
    assert pack.effective_config[COLOR]["forbiddenColor"] == "green"


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigError, match="cannot read"):
        load_pack_config(tmp_path / "absent.json")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_process_is_killed_on_close() -> None:
    pack = PolicyPack(BASIC)
    pid = pack.pid
    assert alive(pid)
    pack.close()
    assert not alive(pid)
    pack.close()  # idempotent
    with pytest.raises(PolicyPackError, match="closed"):
        pack.analyze(bucket(color="red"))


def test_process_is_killed_when_the_block_raises() -> None:
    pids: list[int] = []

    def run() -> None:
        with PolicyPack(BASIC) as pack:
            pids.append(pack.pid)
            raise KeyError(pack.pid)

    with pytest.raises(KeyError):
        run()
    assert not alive(pids[0])


def test_non_finite_numbers_are_refused(pack: PolicyPack) -> None:
    with pytest.raises(ValueError, match="inf"):
        pack.analyze(bucket(size=float("inf")))


def test_a_pack_that_never_answers_is_an_error_not_a_hang() -> None:
    stalled = AnalyzedResource(
        urn="urn:pulumi:s::p::test:index:Slow::s", type="test:index:Slow", name="s", properties={}
    )
    with PolicyPack(PACKS / "slow", rpc_timeout=1) as pack:
        pending = pack.analyze_future(stalled)
        with pytest.raises(PolicyPackError, match="no answer within 1s"):
            pending()
