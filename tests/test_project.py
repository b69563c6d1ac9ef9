"""Project and stack files are read as the Pulumi CLI reads them, and refused where it refuses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from clover.project import ProjectError, load_project, stack_config, stack_name

PROJECT = "name: demo\nruntime: python\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "__main__.py").write_text("import pulumi\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    return tmp_path


def _refused(directory: Path, stack: str = "dev") -> str:
    with pytest.raises(ProjectError) as refused:
        stack_config(load_project(directory), stack)
    message = str(refused.value)
    assert "\n" not in message, message
    return message


def _laughs(levels: int, fanout: int = 9) -> str:
    """The "billion laughs" document: each level an anchored list of aliases to the one below."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * fanout) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fanout) + "]")
    return "\n".join(lines) + "\n"


def test_a_stack_file_is_read(project: Path) -> None:
    assert stack_config(load_project(project), "dev")["aws:region"] == "eu-west-1"


def test_a_byte_order_mark_is_ignored_as_the_cli_ignores_it(project: Path) -> None:
    (project / "Pulumi.yaml").write_bytes(b"\xef\xbb\xbf" + PROJECT.encode())
    assert load_project(project).name == "demo"


def test_project_file_that_is_not_utf8(project: Path) -> None:
    (project / "Pulumi.yaml").write_bytes(b"name: d\xe9mo\nruntime: python\n")
    message = _refused(project)
    assert "Pulumi.yaml" in message
    assert "not UTF-8" in message
    assert "0xe9" in message


def test_stack_file_that_is_binary(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    message = _refused(project)
    assert "Pulumi.dev.yaml" in message
    assert "binary" in message


def test_stack_config_that_is_a_list(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  - aws:region: eu-west-1\n")
    message = _refused(project)
    assert "Pulumi.dev.yaml" in message
    assert "`config` must be a mapping" in message


def test_project_config_that_is_a_list(project: Path) -> None:
    (project / "Pulumi.yaml").write_text(PROJECT + "config:\n  - sites\n")
    message = _refused(project)
    assert "Pulumi.yaml" in message
    assert "`config` must be a mapping" in message


def test_duplicate_key_is_named_with_both_lines(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  other: 1\n  aws:region: us-east-1\n"
    )
    message = _refused(project)
    # yaml.v3's own words: the Pulumi CLI refuses the file with this error.
    assert 'line 4: mapping key "aws:region" already defined at line 2' in message
    assert "Pulumi.dev.yaml" in message


def test_duplicate_key_compares_the_source_text_as_yaml_v3_does(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  region: a\n  'region': b\n")
    assert 'mapping key "region" already defined at line 2' in _refused(project)


def test_duplicate_top_level_key_in_the_project_file(project: Path) -> None:
    (project / "Pulumi.yaml").write_text(PROJECT + "name: other\n")
    assert 'mapping key "name" already defined at line 1' in _refused(project)


def test_the_same_key_in_two_mappings_is_no_duplicate(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  a:\n    region: x\n  b:\n    region: y\n")
    config = stack_config(load_project(project), "dev")
    assert config["demo:a"] == '{"region": "x"}'
    assert config["demo:b"] == '{"region": "y"}'


def test_a_few_aliases_are_accepted_as_yaml_v3_accepts_them(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "base: &tags {team: data}\nconfig:\n  a: *tags\n  b:\n    <<: *tags\n    site: dublin\n"
    )
    config = stack_config(load_project(project), "dev")
    assert config["demo:a"] == '{"team": "data"}'
    assert config["demo:b"] == '{"team": "data", "site": "dublin"}'


def test_a_small_expansion_is_accepted(project: Path) -> None:
    # Two levels of nine, referenced once more: about 1,750 decodes, 93% of them through
    # aliases, under yaml.v3's 99%.
    (project / "Pulumi.dev.yaml").write_text(_laughs(2) + "config:\n  x: *l2\n")
    assert "demo:x" in stack_config(load_project(project), "dev")


def test_an_alias_bomb_is_refused_quickly(project: Path) -> None:
    # Nine levels of nine: 387 million strings once expanded (and json-encoded for the program).
    (project / "Pulumi.dev.yaml").write_text(_laughs(9) + "config:\n  x: *l9\n")
    started = time.monotonic()
    message = _refused(project)
    assert time.monotonic() - started < 5
    assert "document contains excessive aliasing" in message
    assert "Pulumi.dev.yaml" in message


def test_an_anchor_that_holds_itself_is_refused(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  a: &x\n    b: *x\n")
    assert "contains itself" in _refused(project)


def test_nesting_too_deep_is_one_line(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  x: " + "[" * 20000 + "]" * 20000 + "\n")
    assert "Pulumi.dev.yaml" in _refused(project)


@pytest.mark.parametrize(
    ("reference", "name"),
    [("dev", "dev"), ("acme/dev", "dev"), ("acme/demo/dev", "dev")],
)
def test_stack_references_as_the_cli_takes_them(project: Path, reference: str, name: str) -> None:
    assert stack_name(load_project(project), reference) == name


def test_a_reference_to_another_project_names_both(project: Path) -> None:
    with pytest.raises(ProjectError) as refused:
        stack_name(load_project(project), "acme/billing/dev")
    assert "'billing'" in str(refused.value)
    assert "'demo'" in str(refused.value)
    assert "--stack" in str(refused.value)


@pytest.mark.parametrize("reference", ["a/b/c/d", "acme//dev", "/dev", "dev/"])
def test_malformed_stack_references(project: Path, reference: str) -> None:
    with pytest.raises(ProjectError, match="org/project/stack"):
        stack_name(load_project(project), reference, "PULUMI_STACK")


def test_a_pulumi_yml_project_reads_yml_stack_files(tmp_path: Path) -> None:
    # The CLI names stack files after the project file's extension: a decoy `.yaml` beside it is
    # not the stack's configuration.
    (tmp_path / "Pulumi.yml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "__main__.py").write_text("import pulumi\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "Pulumi.prod.yml").write_text("config:\n  aws:region: eu-north-1\n")
    loaded = load_project(tmp_path)
    assert loaded.stack_file("dev") == tmp_path / "Pulumi.dev.yml"
    assert stack_config(loaded, "dev")["aws:region"] == "us-east-1"
    assert loaded.stacks() == ["dev", "prod"]


def test_a_pulumi_yaml_project_ignores_yml_stack_files(project: Path) -> None:
    (project / "Pulumi.dev.yml").write_text("config:\n  aws:region: us-east-1\n")
    (project / "Pulumi.test.yml").write_text("config:\n  aws:region: us-east-1\n")
    loaded = load_project(project)
    assert stack_config(loaded, "dev")["aws:region"] == "eu-west-1"
    assert loaded.stacks() == ["dev"]


@pytest.mark.parametrize(
    "imports",
    ["environment:\n  - acme/crm-archive\n", "environment:\n  imports:\n    - acme/crm-archive\n"],
)
def test_a_stack_that_imports_esc_environments_gets_no_offline_verdict(
    project: Path, imports: str
) -> None:
    # The environment may set the region the program falls back from; offline it cannot be read.
    (project / "Pulumi.dev.yaml").write_text(imports + "config:\n  aws:region: eu-west-1\n")
    message = _refused(project)
    assert "imports the ESC environment(s) acme/crm-archive" in message
    assert "pulumi preview --policy-pack" in message
