"""Build the evidence report's map, clover/assets/europe.json, from Natural Earth.

Source: Natural Earth's 1:50m Admin 0 countries (public domain, https://www.naturalearthdata.com/),
as packaged in TopoJSON by the npm package ``world-atlas`` (ISC licence,
https://github.com/topojson/world-atlas). Run it from the repository root:

    npm pack world-atlas@2            # or let the script run it
    .venv/bin/python tools/build_map.py [world-atlas-2.x.y.tgz | unpacked package dir]

Build-time only: it needs ``shapely`` (requirements-dev.txt) and ``pycountry`` (ISO 3166 numeric
codes to the alpha-2 codes and English names the catalog uses; ``pip install pycountry``). The
report itself reads only the committed JSON.

The borders are simplified on the shared arcs of the topology, so that neighbours keep one common
border, then assembled into one shape per country (Norway and Sweden apart, as Natural Earth has
them), clipped to Europe's extent and stored as integer hundredths of a degree.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pycountry
from shapely.geometry import LineString, MultiPolygon, Polygon, box  # type: ignore[import-untyped]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped]
from shapely.validation import make_valid  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "clover" / "assets" / "europe.json"
PACKAGE = "world-atlas@2"
TOPOLOGY = "countries-50m.json"

# Europe, with Iceland, the Canaries' latitude, Cyprus and western Russia and Turkey: every region
# of the catalog and every site lies well inside it.
EXTENT = (-25.0, 33.0, 45.0, 72.0)
TOLERANCE = 0.03
"""Degrees. About 3 km: a pixel or less on a map of the whole extent a report page can show."""
MIN_AREA = 0.004
"""Square degrees. Islets smaller than this (about 40 km²) vanish at any zoom the report uses."""
SCALE = 100

# Natural Earth shapes that carry no ISO numeric code.
NO_NUMERIC = {"Kosovo": "XK", "N. Cyprus": "CY"}
NAMES = {"XK": "Kosovo"}


def _package_dir(given: str | None, work: Path) -> Path:
    if given is None:
        # A fixed command line: the package name is a constant.
        subprocess.run(["npm", "pack", PACKAGE], cwd=work, check=True)  # noqa: S603, S607
        given = str(next(work.glob("world-atlas-*.tgz")))
    path = Path(given)
    if path.is_dir():
        return path
    with tarfile.open(path) as archive:
        archive.extractall(work, filter="data")
    return work / "package"


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Decode the quantized, delta-encoded arcs and simplify each one once."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        if len(points) > 2:
            simple = LineString(points).simplify(TOLERANCE, preserve_topology=False)
            points = list(simple.coords)
        arcs.append(points)
    return arcs


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def _shape(geometry: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> BaseGeometry:
    polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else list(geometry["arcs"])
    shapes = []
    for rings in polygons:
        outer, *holes = (_ring(r, arcs) for r in rings)
        if len(outer) >= 4:
            shapes.append(Polygon(outer, [h for h in holes if len(h) >= 4]))
    return make_valid(MultiPolygon(shapes))


def _polygons(shape: BaseGeometry) -> list[Polygon]:
    if isinstance(shape, Polygon):
        return [shape]
    return [p for part in getattr(shape, "geoms", []) for p in _polygons(part)]


def _encode(ring: Any) -> list[int]:
    flat: list[int] = []
    last = None
    for lon, lat in ring.coords:
        point = (round(lon * SCALE), round(lat * SCALE))
        if point != last:
            flat.extend(point)
        last = point
    return flat


def _country(numeric: str | None, name: str) -> tuple[str | None, str]:
    if numeric is None:
        code = NO_NUMERIC.get(name)
        return code, NAMES.get(code or "", name)
    found = pycountry.countries.get(numeric=numeric)
    if found is None:
        return None, name
    return found.alpha_2, getattr(found, "common_name", None) or found.name


def build(package: Path) -> dict[str, Any]:
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    topology = json.loads((package / TOPOLOGY).read_text(encoding="utf-8"))
    arcs = _arcs(topology)
    frame = box(*EXTENT)
    names: dict[str, str] = {}
    countries: dict[str, dict[str, Any]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        code, full = _country(geometry.get("id"), name)
        if code is not None:
            names.setdefault(code, full)
        if not geometry.get("arcs"):
            continue
        shape = _shape(geometry, arcs).intersection(frame)
        parts = [p for p in _polygons(shape) if p.area >= MIN_AREA]
        if not parts:
            continue
        key = code or name
        entry = countries.setdefault(
            key, {"code": code, "name": full, "polygons": [], "label": None, "area": 0.0}
        )
        for part in parts:
            entry["polygons"].append(
                [_encode(part.exterior), *(_encode(hole) for hole in part.interiors)]
            )
            if part.area > entry["area"]:
                point = part.representative_point()
                entry["area"] = part.area
                entry["label"] = [round(point.x * SCALE), round(point.y * SCALE)]
    ordered = []
    for key in sorted(countries, key=lambda k: (countries[k]["code"] is None, k)):
        entry = countries[key]
        del entry["area"]
        ordered.append(entry)
    return {
        "source": (
            f"Natural Earth 1:50m Admin 0 countries, from the npm package world-atlas "
            f"{manifest['version']} ({TOPOLOGY}), simplified to {TOLERANCE}° and clipped to "
            f"longitude {EXTENT[0]}..{EXTENT[2]}, latitude {EXTENT[1]}..{EXTENT[3]}"
        ),
        "licence": (
            "Natural Earth data is in the public domain (https://www.naturalearthdata.com/about/"
            "terms-of-use/); world-atlas is ISC-licensed (https://github.com/topojson/world-atlas)"
        ),
        "generator": "tools/build_map.py",
        "package": f"world-atlas@{manifest['version']}",
        "units": f"coordinates are integer longitude, latitude times {SCALE}",
        "scale": SCALE,
        "extent": list(EXTENT),
        "names": dict(sorted(names.items())),
        "countries": ordered,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", nargs="?", help="world-atlas .tgz or unpacked directory")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        data = build(_package_dir(args.package, Path(work)))
    # One country per line: diffs of a rebuild stay readable.
    lines = [
        "{",
        *(
            f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},"
            for k, v in data.items()
            if k != "countries"
        ),
        '  "countries": [',
        ",\n".join(
            f"    {json.dumps(c, ensure_ascii=False, separators=(',', ':'))}"
            for c in data["countries"]
        ),
        "  ]",
        "}",
    ]
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = args.output.stat().st_size
    print(f"{args.output}: {len(data['countries'])} countries, {size // 1024} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
