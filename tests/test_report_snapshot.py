"""The evidence report's page for a small fixed program, pinned as a reviewed snapshot, and its
structure read with an HTML parser: what an auditor sees first, what is folded, what is named.

After an intended change to the page, rewrite the snapshot and review its diff:

    .venv/bin/python -m tests.test_report_snapshot --update
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from clover import __version__
from clover.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "report"
PROGRAM = DATA / "program"
SNAPSHOT = DATA / "snapshot.html"
RESIDENCY = ROOT / "policy_packs" / "eu_residency"
MARKUP_NAME = "<script>alert(1)</script>"


def render(output: Path) -> str:
    """The report of the fixed program, as ``python -m clover report`` writes it."""
    code = main(
        [
            "report",
            "--cwd",
            str(PROGRAM),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--output",
            str(output),
        ]
    )
    assert code == 0
    return output.read_text(encoding="utf-8")


def normalise(page: str) -> str:
    """The page without what changes between runs (time, version, revision) and with the land
    outlines elided: the geometry comes from a generated asset and is checked by structure."""
    page = re.sub(r"generated <b>[^<]*</b>", "generated <b>TIME</b>", page)
    page = page.replace(f"clover {__version__}", "clover VERSION")
    page = re.sub(r'<span>revision <b class="mono">[^<]*</b></span>', "", page)
    return re.sub(r'(<path class="land[^"]*" data-country="[^"]*") d="[^"]*"', r"\1 d=…", page)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch) -> str:
    return render(tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="module")
def monkeypatch_module() -> object:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GITHUB_SHA", raising=False)
        yield patch


def test_the_page_matches_the_reviewed_snapshot(page: str) -> None:
    expected = SNAPSHOT.read_text(encoding="utf-8")
    assert normalise(page) == expected, (
        "the report's page changed; if intended, run "
        "`.venv/bin/python -m tests.test_report_snapshot --update` and review the diff"
    )


# -- the structure, read with an HTML parser ------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)
    content: list[str | Element] = field(default_factory=list)
    """Text and child elements in document order."""

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.content)

    def iter(self) -> list[Element]:
        return [self, *(e for c in self.children for e in c.iter())]

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.iter()
            if e.tag == tag and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()

    def ancestors(self) -> list[Element]:
        found, at = [], self.parent
        while at is not None:
            found.append(at)
            at = at.parent
        return found


_VOID = {"meta", "br", "link", "img", "input", "hr"}


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.at = self.root
        self.order: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(element)
        self.at.content.append(element)
        self.order.append(element)
        if tag not in _VOID:
            self.at = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(element)
        self.at.content.append(element)
        self.order.append(element)

    def handle_endtag(self, tag: str) -> None:
        at: Element | None = self.at
        while at is not None and at.tag != tag:
            at = at.parent
        assert at is not None, f"</{tag}> closes nothing"
        self.at = at.parent or self.root

    def handle_data(self, data: str) -> None:
        self.at.content.append(data)


def parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert tree.at is tree.root, f"<{tree.at.tag}> is never closed"
    return tree


def _row(tree: _Tree, name: str) -> Element:
    for row in tree.root.find_all("tr"):
        names = [e.text for e in row.iter() if e.has_class("name") and e.tag == "div"]
        if name in names:
            return row
    raise AssertionError(f"no resource row for {name!r}")


def test_data_stores_come_first_and_plumbing_is_folded(page: str) -> None:
    tree = parse(page)
    headings = [e for e in tree.order if e.tag == "h2"]
    stores = next(h for h in headings if h.text == "Data stores")
    (plumbing,) = [e for e in tree.order if e.tag == "details" and e.has_class("plumbing")]
    assert tree.order.index(stores) < tree.order.index(plumbing)
    # Every data store is listed before the plumbing, and outside any fold.
    for name in (MARKUP_NAME, "records-key", "records-sse", "records-replica"):
        row = _row(tree, name)
        assert not any(a.tag == "details" for a in row.ancestors()), name
        assert tree.order.index(row) < tree.order.index(plumbing), name
    # The VPC and the replication configuration hold no data: folded, closed as nothing is wrong.
    for name in ("network", "records-replication"):
        assert plumbing in _row(tree, name).ancestors(), name
    assert "open" not in plumbing.attrs
    (summary,) = plumbing.find_all("summary")
    assert summary.text.startswith("Plumbing · 2 resources")
    (others,) = [e for e in tree.order if e.tag == "details" and e.has_class("others")]
    assert [r.attrs["data-urn"].rsplit("::", 1)[1] for r in others.find_all("tr")[1:]] == [
        "dublin",
        "stockholm",
    ]


def test_countries_are_named_beside_their_codes(page: str) -> None:
    tree = parse(page)
    cells = [td.text.strip() for td in _row(tree, "records-replica").find_all("td")]
    # Hamar's data in Stockholm: outside the site's country, and the report says so.
    assert cells[3] == "SE Sweden outside the site's country"
    sites = {
        tr.attrs["data-site"]: tr for tr in tree.root.find_all("tr") if "data-site" in tr.attrs
    }
    hamar = [td.text.strip() for td in sites["hamar"].find_all("td")]
    assert hamar[1] == "NO Norway"  # the site's country
    assert hamar[5] == "SE Sweden"  # where its data is
    # Flow endpoints name the country too.
    (flow,) = [tr for tr in tree.root.find_all("tr") if tr.attrs.get("data-flow") == "F1"]
    assert "eu-north-1 (SE Sweden)" in flow.text


def test_the_map_draws_natural_earth_countries_zoomed_to_the_places_in_use(page: str) -> None:
    tree = parse(page)
    (svg,) = tree.root.find_all("svg")
    assert svg.has_class("map")
    shapes = {e.attrs["data-country"]: e for e in svg.find_all("path") if e.has_class("land")}
    # Norway and Sweden are two shapes: Hamar's site is in one, its AWS data in the other.
    assert {"IE", "GB", "NO", "SE", "DK"} <= set(shapes)
    assert shapes["NO"].attrs["d"] != shapes["SE"].attrs["d"]
    # The countries holding data are shaded; Norway holds none of this stack's data.
    held = {code for code, e in shapes.items() if e.has_class("held")}
    assert held == {"IE", "SE"}
    # Zoomed to Dublin and Stockholm: far less than the default view of the EEA's mainland.
    west, south, east, north = (float(v) for v in svg.attrs["data-view"].split())
    assert -12 < west < -6.3
    assert east > 18.1
    assert east - west < 40
    assert south > 40
    assert north < 72
    assert "Spain" not in {e.text for e in svg.find_all("title")}
    regions = {(g.attrs["data-cloud"], g.attrs["data-region"]) for g in svg.find_all("g")
               if g.has_class("region")}  # fmt: skip
    assert regions == {("aws", "eu-west-1"), ("aws", "eu-north-1")}
    assert [p.attrs["data-flow"] for p in svg.find_all("path") if p.has_class("flow")] == ["F1"]


def test_a_resource_name_with_markup_is_text(page: str) -> None:
    assert MARKUP_NAME not in page
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tree = parse(page)
    assert not tree.root.find_all("script")
    row = _row(tree, MARKUP_NAME)
    assert row.attrs["data-urn"].endswith(f"::{MARKUP_NAME}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.test_report_snapshot --update")
    import os
    import tempfile

    os.environ.pop("GITHUB_SHA", None)
    with tempfile.TemporaryDirectory() as work:
        SNAPSHOT.write_text(normalise(render(Path(work) / "report.html")), encoding="utf-8")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
