"""A function's code shipped as a file or a file archive is read for the places it names.

Over the analyzer protocol (the pack reads what the archive's path holds), through the pack's own
module (what is read, what is skipped, the bounds) and through ``python -m clover check`` (a
relative path in the program names the program's files).
"""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clover.__main__ import main
from clover.analyzer import AnalyzedResource, PolicyPack
from tests.policy_packs.conftest import EU_RESIDENCY_DIR, eu_aws_provider, eu_only, eu_resource

RULE = "data-flow-destination-allowed"
SIG = "4dabf18193072939515e22adb298388d"
ASSET = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"
FUNCTION = "aws:lambda/function:Function"
HANDLER = 'import boto3\nsink = boto3.client("firehose", region_name="{region}")\n'


def function(code: dict[str, Any]) -> AnalyzedResource:
    return eu_resource(
        FUNCTION,
        "ingest",
        {"code": code, "runtime": "python3.12", "handler": "handler.main"},
        provider=eu_aws_provider("eu-west-1"),
    )


def flows(pack: PolicyPack, resource: AnalyzedResource) -> list[str]:
    found = eu_only(pack.preview([resource]), RULE)
    assert all(d.enforcement_level == "mandatory" for d in found), found
    return [d.message for d in found]


def blocking(pack: PolicyPack, code: dict[str, Any]) -> list[str]:
    return flows(pack, function(code))


def archive(path: Path) -> dict[str, Any]:
    return {SIG: ARCHIVE, "path": str(path)}


@pytest.mark.parametrize(("region", "blocked"), [("us-west-2", True), ("eu-west-1", False)])
def test_a_directory_archive_is_read(
    eu_residency: PolicyPack, tmp_path: Path, region: str, blocked: bool
) -> None:
    (tmp_path / "handler.py").write_text(HANDLER.format(region=region), encoding="utf-8")
    found = blocking(eu_residency, archive(tmp_path))
    assert bool(found) is blocked, found
    if blocked:
        assert "code.assets.handler.py.text" in found[0]
        assert "us-west-2" in found[0]


@pytest.mark.parametrize("kind", ["zip", "jar", "tar", "tgz", "tar.gz"])
def test_zip_and_tar_archives_are_read(eu_residency: PolicyPack, tmp_path: Path, kind: str) -> None:
    data = HANDLER.format(region="ap-southeast-1").encode()
    path = tmp_path / f"bundle.{kind}"
    if kind in ("zip", "jar"):
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr("src/handler.py", data)
    else:
        mode = "w" if kind == "tar" else "w:gz"
        with tarfile.open(path, mode) as bundle:  # type: ignore[call-overload]
            info = tarfile.TarInfo("src/handler.py")
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    found = blocking(eu_residency, archive(path))
    assert len(found) == 1, found
    assert "src/handler.py" in found[0]
    assert "ap-southeast-1" in found[0]


def test_a_file_asset_is_read(eu_residency: PolicyPack, tmp_path: Path) -> None:
    # A boot script uploaded for the instances to run copies the data to Virginia.
    script = tmp_path / "boot.sh"
    script.write_text("aws s3 sync /data s3://x --region us-east-1\n", encoding="utf-8")
    dublin = eu_aws_provider("eu-west-1")
    scripts = eu_resource("aws:s3/bucketV2:BucketV2", "scripts", {"bucket": "s"}, provider=dublin)
    upload = eu_resource(
        "aws:s3/bucketObjectv2:BucketObjectv2",
        "boot",
        {"bucket": "s", "key": "boot.sh", "source": {SIG: ASSET, "path": str(script)}},
        provider=dublin,
        property_dependencies={"bucket": (scripts.urn,)},
    )
    found = eu_only(eu_residency.preview([scripts, upload]), RULE)
    assert [d.urn for d in found] == [upload.urn], found
    assert "source.text" in found[0].message
    assert "us-east-1" in found[0].message


def test_an_unreadable_path_gives_nothing_to_read(eu_residency: PolicyPack, tmp_path: Path) -> None:
    # Code is evidence of a flow when it names a place; a path the pack cannot open (relative,
    # under `pulumi preview`) names none.
    assert blocking(eu_residency, archive(tmp_path / "missing")) == []
    assert blocking(eu_residency, {SIG: ARCHIVE, "path": "./app"}) == []


@pytest.fixture
def code_files(eu_residency_modules: dict[str, ModuleType]) -> ModuleType:
    return eu_residency_modules["code_files"]


def test_installed_dependencies_are_not_the_authors_code(
    code_files: ModuleType, tmp_path: Path
) -> None:
    # An SDK's endpoint table names every region of its cloud; it is not where the code sends data.
    (tmp_path / "handler.py").write_text("print('hello')\n", encoding="utf-8")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "sink.py").write_text('URL = "https://x"\n', encoding="utf-8")
    installed = (
        "node_modules/aws-sdk",
        ".venv/lib",
        "deps/botocore",
        "deps/botocore-1.35.dist-info",
    )
    for folder in installed:
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "endpoints.py").write_text('R = ["us-east-1"]\n', encoding="utf-8")
    (tmp_path / "deps" / "shim.py").write_text("import botocore\n", encoding="utf-8")
    (tmp_path / "app.min.js").write_text('var r="us-east-1"', encoding="utf-8")
    # A folder beside a package's metadata (`pip install --target deps`) is an installed
    # package; the files beside them are the authors'.
    assert sorted(code_files.archive_texts(str(tmp_path))) == [
        "deps/shim.py",
        "handler.py",
        "lib/sink.py",
    ]


def test_a_bundle_installed_at_the_root_keeps_its_handler(
    code_files: ModuleType, tmp_path: Path
) -> None:
    # `pip install --target . -r requirements.txt` beside the handler, then zipped.
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("handler.py", "x = 1\n")
        bundle.writestr("requests/api.py", "us-east-1\n")
        bundle.writestr("requests-2.32.3.dist-info/METADATA", "Name: requests\n")
    assert sorted(code_files.archive_texts(str(path))) == ["handler.py"]


def test_binary_and_oversized_files_are_not_read(code_files: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "native.so").write_bytes(b"\x7fELF\x00us-east-1")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 us-east-1".encode("latin-1"))
    (tmp_path / "big.py").write_text("#" * (code_files.MAX_FILE_BYTES + 1), encoding="utf-8")
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    assert sorted(code_files.archive_texts(str(tmp_path))) == ["ok.py"]
    assert code_files.file_text(str(tmp_path / "big.py")) is None
    assert code_files.file_text(str(tmp_path / "ok.py")) == "x = 1\n"


def test_a_member_that_lies_about_its_size_is_not_expanded(
    code_files: ModuleType, tmp_path: Path
) -> None:
    # A highly compressible member bigger than a file may be: read up to the bound, then refused.
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("a.py", b"a" * (code_files.MAX_FILE_BYTES * 40))
        bundle.writestr("b.py", b"b = 'us-east-1'\n")
    assert sorted(code_files.archive_texts(str(path))) == ["b.py"]


def test_the_total_read_is_bounded(code_files: ModuleType, tmp_path: Path) -> None:
    for index in range(code_files.MAX_FILES + 5):
        (tmp_path / f"m{index:05}.py").write_text("x = 1\n", encoding="utf-8")
    assert len(code_files.archive_texts(str(tmp_path))) == code_files.MAX_FILES


def test_a_file_that_is_no_archive_gives_nothing(code_files: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("us-east-1", encoding="utf-8")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    assert code_files.archive_texts(str(tmp_path / "notes.txt")) == {}
    assert code_files.archive_texts(str(tmp_path / "broken.zip")) == {}
    assert code_files.archive_texts("\x00") == {}


PROGRAM = """
import pulumi
import pulumi_aws as aws

role = aws.iam.Role("fn", assume_role_policy="{}")
aws.lambda_.Function(
    "ingest",
    role=role.arn,
    runtime="python3.12",
    handler="handler.main",
    code=pulumi.FileArchive("./app"),
)
"""


@pytest.mark.parametrize(("region", "code"), [("us-east-2", 1), ("eu-north-1", 0)])
def test_a_relative_archive_names_the_program_s_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], region: str, code: int
) -> None:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: code\nruntime: python\n", encoding="utf-8")
    (project / "Pulumi.test.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (project / "__main__.py").write_text(textwrap.dedent(PROGRAM), encoding="utf-8")
    (project / "app" / "handler.py").write_text(HANDLER.format(region=region), encoding="utf-8")
    argv = ["check", "-C", str(project), "-s", "test", "--policy-pack", str(EU_RESIDENCY_DIR)]
    assert main([*argv, "--json"]) == code
    report = json.loads(capsys.readouterr().out)
    found = [d["message"] for d in report["diagnostics"] if d["policy"] == RULE]
    assert bool(found) is (code == 1), found
    if found:
        assert "code.assets.handler.py.text" in found[0]
        assert region in found[0]


def test_a_script_directly_in_node_modules_is_the_authors(
    code_files: ModuleType, tmp_path: Path
) -> None:
    # CloudWatch Synthetics: a Node.js canary's script lives at nodejs/node_modules/<name>.js;
    # the packages installed beside it are sub-folders.
    modules = tmp_path / "nodejs" / "node_modules"
    (modules / "puppeteer").mkdir(parents=True)
    (modules / "canary.js").write_text("fetch('https://x')\n", encoding="utf-8")
    (modules / "puppeteer" / "index.js").write_text("'us-east-1'\n", encoding="utf-8")
    assert sorted(code_files.archive_texts(str(tmp_path))) == ["nodejs/node_modules/canary.js"]
    bundle = tmp_path / "canary.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("nodejs/node_modules/canary.js", "x = 1\n")
        archive.writestr("nodejs/node_modules/puppeteer/index.js", "y = 2\n")
    assert sorted(code_files.archive_texts(str(bundle))) == ["nodejs/node_modules/canary.js"]


@pytest.mark.parametrize(("region", "blocked"), [("us-east-1", True), ("eu-west-1", False)])
def test_a_local_zip_a_setting_uploads_is_read(
    eu_residency: PolicyPack, tmp_path: Path, region: str, blocked: bool
) -> None:
    bundle = tmp_path / "canary.zip"
    script = f"fetch('https://q1w2e3r4t5.execute-api.{region}.amazonaws.com/prod/results')\n"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("nodejs/node_modules/portal.js", script)
    canary = eu_resource(
        "aws:synthetics/canary:Canary",
        "portal",
        {"zipFile": str(bundle), "handler": "portal.handler", "runtimeVersion": "syn-nodejs-1"},
        provider=eu_aws_provider("eu-west-1"),
    )
    found = flows(eu_residency, canary)
    assert bool(found) is blocked, found
    if blocked:
        assert "zipFile = " in found[0]
        assert "in nodejs/node_modules/portal.js of the file" in found[0]


@pytest.mark.parametrize(("region", "blocked"), [("us-east-1", True), ("eu-west-1", False)])
def test_manifests_a_config_group_reads_are_read(
    eu_residency: PolicyPack, tmp_path: Path, region: str, blocked: bool
) -> None:
    manifest = tmp_path / "forwarder.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        "      - name: fwd\n        env:\n        - name: SINK\n"
        f"          value: https://sqs.{region}.amazonaws.com/1/ingest\n",
        encoding="utf-8",
    )
    group = eu_resource("kubernetes:yaml/v2:ConfigGroup", "forwarder", {"files": [str(manifest)]})
    found = flows(eu_residency, group)
    assert bool(found) is blocked, found
