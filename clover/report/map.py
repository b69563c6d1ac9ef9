"""The report's picture: Natural Earth borders (clover/assets/), zoomed to the regions in use,
with each flow an arrow; nothing is fetched when the page is opened."""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import markupsafe

from clover import facts
from clover.placement import (
    gcp_multi_region_label,
)
from clover.report.build import is_drawn
from clover.report.model import (
    BACKUP_COPY,
    GCP,
    GLOBAL,
    LOG_DELIVERY,
    OUTSIDE_EUROPE,
    REPLICATION,
    DeclaredSite,
    Report,
    in_allow_list,
    place_country,
)

# ---------------------------------------------------------------------------------------------
# The picture: Natural Earth borders, zoomed to the regions in use, no map data fetched
# ---------------------------------------------------------------------------------------------

REGION_POSITIONS: Final = {
    # (latitude, longitude) of the city each European region is named after (clover/facts.py).
    "eu-west-1": (53.35, -6.26),
    "eu-north-1": (59.33, 18.07),
    "eu-central-1": (50.11, 8.68),
    "eu-west-3": (48.86, 2.35),
    "eu-south-1": (45.46, 9.19),
    "eu-south-2": (41.65, -0.88),
    "eu-west-2": (51.51, -0.13),
    "eu-central-2": (47.37, 8.54),
    "northeurope": (53.35, -6.26),
    "westeurope": (52.37, 4.90),
    "norwayeast": (59.91, 10.75),
    "norwaywest": (58.97, 5.73),
    "swedencentral": (60.67, 17.14),
    "swedensouth": (55.60, 13.00),
    "germanywestcentral": (50.11, 8.68),
    "germanynorth": (52.52, 13.40),
    "francecentral": (48.86, 2.35),
    "francesouth": (43.30, 5.37),
    "italynorth": (45.46, 9.19),
    "polandcentral": (52.23, 21.01),
    "spaincentral": (40.42, -3.70),
    "austriaeast": (48.21, 16.37),
    "belgiumcentral": (50.85, 4.35),
    "denmarkeast": (55.68, 12.57),
    "uksouth": (51.51, -0.13),
    "ukwest": (51.48, -3.18),
    "switzerlandnorth": (47.37, 8.54),
    "switzerlandwest": (46.20, 6.14),
    # Google Cloud: the town each region's data centres are in (facts.GCP_EUROPE_CITIES).
    "europe-west1": (50.45, 3.82),
    "europe-west2": (51.51, -0.13),
    "europe-west3": (50.11, 8.68),
    "europe-west4": (53.44, 6.83),
    "europe-west6": (47.37, 8.54),
    "europe-west8": (45.46, 9.19),
    "europe-west9": (48.86, 2.35),
    "europe-west10": (52.52, 13.40),
    "europe-west12": (45.07, 7.69),
    "europe-central2": (52.23, 21.01),
    "europe-north1": (60.57, 27.20),
    "europe-north2": (59.33, 18.07),
    "europe-southwest1": (40.42, -3.70),
}


OK_COLOUR: Final = "#2e7d32"
WARN_COLOUR: Final = "#c62828"
AWS_COLOUR: Final = "#b35c00"
AZURE_COLOUR: Final = "#0a5fb4"
GCP_COLOUR: Final = "#00838f"
CLOUD_COLOURS: Final = {"aws": AWS_COLOUR, "azure": AZURE_COLOUR, GCP: GCP_COLOUR}
CLOUD_NAMES: Final = {"aws": "AWS", "azure": "Azure", GCP: "Google Cloud"}
SITE_COLOUR: Final = "#6a1b9a"
_DASH: Final = {REPLICATION: "", BACKUP_COPY: "9 5", LOG_DELIVERY: "2 4"}

ATLAS_FILE: Final = Path(__file__).resolve().parents[1] / "assets" / "europe.json"
"""Natural Earth borders and coastlines, built by tools/build_map.py (source noted inside)."""

MAP_WIDTH: Final = 820.0
MAP_HEIGHT: Final = 680.0
"""The map's frame; the view inside it is fitted to the places in use."""
_MAP_X, _MAP_Y = 16.0, 56.0
_PANEL_X: Final = _MAP_X + MAP_WIDTH + 36
_PANEL_W: Final = 290.0
SVG_WIDTH: Final = _PANEL_X + _PANEL_W + 16
DEFAULT_VIEW: Final = (-11.0, 35.0, 31.0, 71.0)
"""(west, south, east, north) in degrees: the EEA's mainland, when no place is on the map."""
_PAD: Final = 2.5
"""Degrees of margin around the places in use, so a ring or a loop is not cut by the frame."""
_MIN_SPAN: Final = 9.0
"""Degrees of latitude the view spans at least: one region is shown with its neighbours."""


@dataclass(frozen=True)
class Country:
    code: str | None
    name: str
    rings: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]
    """Polygons, each an outer ring and its holes, as (longitude, latitude)."""
    label: tuple[float, float]
    """(longitude, latitude) inside the country's largest polygon."""
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class Atlas:
    source: str
    licence: str
    extent: tuple[float, float, float, float]
    names: Mapping[str, str]
    countries: tuple[Country, ...]


@functools.cache
def atlas() -> Atlas:
    """The committed Natural Earth asset, decoded once per process."""
    data = json.loads(ATLAS_FILE.read_text(encoding="utf-8"))
    scale = float(data["scale"])
    countries = []
    for entry in data["countries"]:
        # Each ring is stored flat: [lon0, lat0, lon1, lat1, ...] in hundredths of a degree.
        polygons = tuple(
            tuple(
                tuple(zip(flat[0::2], flat[1::2], strict=True))
                for flat in ([v / scale for v in ring] for ring in polygon)
            )
            for polygon in entry["polygons"]
        )
        lons = [lon for polygon in polygons for ring in polygon for lon, _ in ring]
        lats = [lat for polygon in polygons for ring in polygon for _, lat in ring]
        countries.append(
            Country(
                code=entry["code"],
                name=entry["name"],
                rings=polygons,
                label=(entry["label"][0] / scale, entry["label"][1] / scale),
                bbox=(min(lons), min(lats), max(lons), max(lats)),
            )
        )
    west, south, east, north = (float(v) for v in data["extent"])
    return Atlas(
        source=str(data["source"]),
        licence=str(data["licence"]),
        extent=(west, south, east, north),
        names=dict(data["names"]),
        countries=tuple(countries),
    )


def country_name(code: str | None) -> str | None:
    """The English short name of an ISO 3166 alpha-2 code (Natural Earth's and ISO's names);
    None for anything else (a GCP multi-region's "EU multi-region")."""
    return atlas().names.get(code or "")


@dataclass(frozen=True)
class MapView:
    """An equirectangular view of (west, south, east, north) degrees in the map's frame, scaled
    at its middle latitude; the frame's width fixes the scale, its height follows."""

    west: float
    south: float
    east: float
    north: float

    @property
    def cos(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        return MAP_WIDTH / ((self.east - self.west) * self.cos)

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.scale

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """Latitude/longitude to picture coordinates."""
        x = _MAP_X + (lon - self.west) * self.cos * self.scale
        y = _MAP_Y + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)

    def shows(self, lat: float, lon: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north

    def attribute(self) -> str:
        return f"{self.west:.2f} {self.south:.2f} {self.east:.2f} {self.north:.2f}"

    @classmethod
    def parse(cls, text: str) -> MapView:
        west, south, east, north = (float(v) for v in text.split())
        return cls(west, south, east, north)


def fit_view(points: Iterable[tuple[float, float]]) -> MapView:
    """The view that shows every (latitude, longitude) with a margin, at the frame's proportions,
    kept inside the atlas where it can be."""
    found = list(points)
    if not found:
        west, south, east, north = DEFAULT_VIEW
    else:
        south = min(lat for lat, _ in found) - _PAD
        north = max(lat for lat, _ in found) + _PAD
        if north - south < _MIN_SPAN:
            middle = (south + north) / 2
            south, north = middle - _MIN_SPAN / 2, middle + _MIN_SPAN / 2
        cos = math.cos(math.radians((south + north) / 2))
        west = min(lon for _, lon in found) - _PAD / cos
        east = max(lon for _, lon in found) + _PAD / cos
    cos = math.cos(math.radians((south + north) / 2))
    ratio = MAP_WIDTH / MAP_HEIGHT
    wide, tall = (east - west) * cos, north - south
    if wide / tall < ratio:
        grow = (ratio * tall / cos - (east - west)) / 2
        west, east = west - grow, east + grow
    else:
        grow = (wide / ratio - tall) / 2
        south, north = south - grow, north + grow
    a_west, a_south, a_east, a_north = atlas().extent
    # Slide a view that pokes out of the atlas back in, without changing its size.
    for low, high, lo, hi in ((west, east, a_west, a_east), (south, north, a_south, a_north)):
        shift = 0.0
        if high - low <= hi - lo:
            shift = max(lo - low, 0.0) + min(hi - high, 0.0)
        if (low, high) == (west, east):
            west, east = west + shift, east + shift
        else:
            south, north = south + shift, north + shift
    return MapView(round(west, 2), round(south, 2), round(east, 2), round(north, 2))


@dataclass
class _Node:
    cloud: str | None
    region: str
    allowed: bool
    x: float = 0.0
    y: float = 0.0
    on_map: bool = True
    resources: int = 0
    fan: float = 0.0
    """Turn, in radians, of this node's loops away from those of a node in the same city: the
    left node's loops turn west, the right node's south, so neither crosses the other."""

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.cloud, self.region)


def _e(value: object) -> str:
    """Escape as the template does (markupsafe, jinja2's autoescaping)."""
    return str(markupsafe.escape(str(value)))


def _nodes(report: Report) -> dict[tuple[str | None, str], _Node]:
    """One node per (cloud, region) in use."""
    allowed = {cloud: set(codes) for cloud, codes in report.allow_list.items()}
    nodes: dict[tuple[str | None, str], _Node] = {}

    def node(cloud: str | None, region: str) -> _Node:
        key = (cloud, region)
        if key not in nodes:
            nodes[key] = _Node(
                cloud=cloud, region=region, allowed=in_allow_list(cloud, region, allowed)
            )
        return nodes[key]

    for resource in report.cloud_resources:
        if resource.region not in {None, GLOBAL}:
            node(resource.cloud, str(resource.region)).resources += 1
    for flow in report.flows:
        if is_drawn(flow):
            node(flow.source.cloud, flow.source.region)
            node(flow.destination.cloud, flow.destination.region)
    return nodes


def _site_positions(report: Report) -> dict[str, tuple[float, float]]:
    return {d.name: d.position for d in report.declared_sites if d.position is not None}


def _sites_in_use(report: Report) -> list[str]:
    used = {r.site for r in report.cloud_resources}
    return [name for name in _site_positions(report) if name in used]


def view_of(report: Report) -> MapView:
    """The map zooms to the regions in use and the sites that hold the stack's data."""
    positions = [_position(n) for n in _nodes(report).values()]
    points = [p for p in positions if p is not None]
    positions_of = _site_positions(report)
    points += [positions_of[s] for s in _sites_in_use(report)]
    return fit_view(points)


def _layout(report: Report, view: MapView) -> dict[tuple[str | None, str], _Node]:
    """European nodes on the map, the rest (outside Europe, multi-region, unknown) in the panel."""
    nodes = _nodes(report)
    by_position: dict[tuple[float, float], list[_Node]] = {}
    panel: list[_Node] = []
    for item in nodes.values():
        position = _position(item)
        if position is not None:
            x, y = view.project(*position)
            by_position.setdefault((x, y), []).append(item)
        else:
            item.on_map = False
            panel.append(item)
    for (x, y), group in by_position.items():
        # AWS left of Azure, Azure left of Google Cloud, where clouds share a city.
        group.sort(key=lambda n: (n.cloud or "", n.region))
        for i, item in enumerate(group):
            item.x = x + (i - (len(group) - 1) / 2) * 20
            item.y = y
            item.fan = math.radians(80) * ((len(group) - 1) / 2 - i)
    panel.sort(key=lambda n: (n.region == "unknown", n.cloud or "", n.region))
    for i, item in enumerate(panel):
        item.x = _PANEL_X + 14
        item.y = _MAP_Y + 70 + i * 64
    return nodes


def _position(item: _Node) -> tuple[float, float] | None:
    """Where a node sits on the map: its region's city (a GCP zone at its region's); None for a
    place with no position (outside Europe, a multi-region, unknown), drawn in the panel."""
    if item.region in REGION_POSITIONS:
        return REGION_POSITIONS[item.region]
    if item.cloud == GCP:
        region = facts.gcp_zone_region(item.region)
        if region is not None and region in facts.GCP_EUROPE_REGIONS:
            return REGION_POSITIONS.get(region)
    return None


def _place_text(code: str | None) -> str:
    """``NO`` -> ``NO, Norway``; anything without a name as it is."""
    name = country_name(code)
    return f"{code}, {name}" if name else (code or "")


def _node_model(item: _Node) -> dict[str, Any]:
    colour = CLOUD_COLOURS.get(item.cloud or "", AZURE_COLOUR) if item.allowed else WARN_COLOUR
    cloud = CLOUD_NAMES.get(item.cloud or "", "cloud")
    model: dict[str, Any] = {
        "region": item.region,
        "cloud": item.cloud,
        "allowed": item.allowed,
        "colour": colour,
        "x": item.x,
        "y": item.y,
        "on_map": item.on_map,
    }
    if item.on_map:
        country = place_country(item.cloud, item.region)
        model["title"] = (
            f"{cloud} {item.region} ({_place_text(country) or '?'}): {item.resources} resource(s)"
        )
        model["shape"] = {"aws": "square", GCP: "diamond"}.get(item.cloud or "", "circle")
        model["diamond"] = _diamond(item.x, item.y)
        # AWS names above the square, Azure names right of the circle, Google Cloud names left
        # of the diamond: where clouds have a region in one city the labels never meet.
        if item.cloud == "aws":
            model["label"] = {"x": item.x, "y": round(item.y - 13, 1), "anchor": "middle"}
        elif item.cloud == GCP:
            model["label"] = {
                "x": round(item.x - 12, 1),
                "y": round(item.y + 4, 1),
                "anchor": "end",
            }
        else:
            model["label"] = {
                "x": round(item.x + 12, 1),
                "y": round(item.y + 4, 1),
                "anchor": "start",
            }
        return model
    if item.region == "unknown":
        heading = f"{cloud}: region unknown"
        detail = "cannot be proven at preview"
    else:
        city, _, country = OUTSIDE_EUROPE.get(item.region, ("", None, ""))
        if item.cloud == GCP and item.region.lower() in facts.GCP_MULTI_LOCATIONS:
            city, country = "", gcp_multi_region_label(item.region.lower())
        elif item.cloud == GCP and not country:
            country = place_country(item.cloud, item.region) or ""
        heading = f"{cloud} {item.region}"
        detail = ", ".join(v for v in (city, country_name(country) or country) if v)
        detail = detail or "no position known"
        if not item.allowed:
            detail += " · outside allow-list"
    width, height = _PANEL_W - 28, 46
    model.update(
        heading=heading,
        detail=detail,
        box={"y": item.y - height / 2, "width": width, "height": height},
        fill="#fdecea" if not item.allowed else "#eef5ee",
    )
    return model


def _flow_paths(
    report: Report, nodes: Mapping[tuple[str | None, str], _Node], view: MapView
) -> list[dict[str, Any]]:
    paths = []
    pair_count: Counter[tuple[tuple[str | None, str], tuple[str | None, str]]] = Counter()
    loop_count: Counter[tuple[str | None, str]] = Counter()
    drawn = [f for f in report.flows if is_drawn(f)]
    loops = Counter(
        (f.source.cloud, f.source.region)
        for f in drawn
        if (f.source.cloud, f.source.region) == (f.destination.cloud, f.destination.region)
    )
    for flow in drawn:
        source = nodes[(flow.source.cloud, flow.source.region)]
        target = nodes[(flow.destination.cloud, flow.destination.region)]
        if source is target:
            k = loop_count[source.key]
            loop_count[source.key] += 1
            d, lx, ly = _loop(source, k, loops[source.key], view)
        else:
            k = pair_count[(source.key, target.key)]
            pair_count[(source.key, target.key)] += 1
            d, lx, ly = _curve(source, target, k)
        paths.append(
            {
                "id": flow.id,
                "kind": flow.kind,
                "allowed": flow.in_allow_list,
                "d": d,
                "colour": OK_COLOUR if flow.in_allow_list else WARN_COLOUR,
                "marker": "arrow-ok" if flow.in_allow_list else "arrow-warn",
                "dash": _DASH.get(flow.kind, ""),
                "width": 2.0 if flow.in_allow_list else 2.6,
                "lx": lx,
                "ly": ly,
                "title": (
                    f"{flow.id} {flow.kind}: {flow.what}: {flow.source.label} "
                    f"({flow.source.region}) → {flow.destination.label} "
                    f"({flow.destination.region})"
                    + ("" if flow.in_allow_list else " — OUTSIDE THE ALLOW-LIST")
                ),
            }
        )
    return paths


def _edge_point(item: _Node, towards: tuple[float, float]) -> tuple[float, float]:
    if not item.on_map:
        width = _PANEL_W - 28
        # Arrive on the box's left edge, leave from it likewise.
        x = item.x if towards[0] <= item.x + width / 2 else item.x + width
        return x, item.y
    dx, dy = towards[0] - item.x, towards[1] - item.y
    length = math.hypot(dx, dy) or 1.0
    return item.x + dx / length * 10, item.y + dy / length * 10


def _curve(source: _Node, target: _Node, k: int) -> tuple[str, float, float]:
    sx, sy = source.x, source.y
    tx, ty = target.x, target.y
    mx, my = (sx + tx) / 2, (sy + ty) / 2
    dx, dy = tx - sx, ty - sy
    length = math.hypot(dx, dy) or 1.0
    # Bow to the left of the direction of travel: eastward arrows arch north, clear of a
    # neighbouring node in the same city.
    bend = (0.2 * length + 10) * (1 + 0.6 * (k // 2)) * (-1 if k % 2 == 0 else 1)
    cx, cy = mx - dy / length * bend, my + dx / length * bend
    start = _edge_point(source, (cx, cy))
    end = _edge_point(target, (cx, cy))
    if not target.on_map:
        end = (target.x - 2, target.y)
    d = f"M{start[0]:.1f},{start[1]:.1f} Q{cx:.1f},{cy:.1f} {end[0]:.1f},{end[1]:.1f}"
    # The label sits on the curve's midpoint (t = 0.5 of the quadratic Bézier).
    lx = 0.25 * start[0] + 0.5 * cx + 0.25 * end[0]
    ly = 0.25 * start[1] + 0.5 * cy + 0.25 * end[1]
    return d, round(lx + 4, 1), round(ly - 4, 1)


def _away(item: _Node, view: MapView) -> float:
    """The direction from a point north-east of the view's middle to a node: loops fan out that
    way, over the sea west and south of the continent, clear of the site labels above the rings."""
    cx, cy = _MAP_X + MAP_WIDTH * 0.62, _MAP_Y + view.height * 0.22
    return math.atan2(item.y - cy, item.x - cx)


def _loop(item: _Node, k: int, total: int, view: MapView) -> tuple[str, float, float]:
    """A flow that stays in its region: a loop out of the node and back, fanned by index."""
    per_tier = 5
    tier, slot = divmod(k, per_tier)
    in_tier = min(per_tier, total - tier * per_tier)
    angle = _away(item, view) + item.fan + math.radians(24) * (slot - (in_tier - 1) / 2)
    reach = 84 + 30 * tier
    spread = math.radians(9)
    r = 10.0

    def at(theta: float, distance: float) -> tuple[float, float]:
        return item.x + math.cos(theta) * distance, item.y + math.sin(theta) * distance

    start, end = at(angle - spread, r), at(angle + spread, r)
    c1, c2 = at(angle - spread * 2.0, reach), at(angle + spread * 2.0, reach)
    d = (
        f"M{start[0]:.1f},{start[1]:.1f} C{c1[0]:.1f},{c1[1]:.1f} "
        f"{c2[0]:.1f},{c2[1]:.1f} {end[0]:.1f},{end[1]:.1f}"
    )
    lx, ly = at(angle, reach * 0.82 + 8)
    return d, round(lx - 7, 1), round(ly + 4, 1)


def _site_label(
    site: DeclaredSite,
    x: float,
    y: float,
    nodes: Iterable[_Node],
    loops: set[str],
    *,
    view: MapView,
) -> dict[str, Any]:
    """Above the ring, unless the loops of a region inside the ring fan upwards: then left."""
    upward = any(
        n.on_map
        and n.region in loops
        and math.hypot(n.x - x, n.y - y) < 30
        and abs(math.degrees(_away(n, view)) + 90) < 60
        for n in nodes
    )
    text = f"{site.name.capitalize()} site{_site_country_text(site.country)}"
    if upward:
        return {"x": round(x - 32, 1), "y": round(y + 4, 1), "anchor": "end", "text": text}
    return {"x": x, "y": round(y - 32, 1), "anchor": "middle", "text": text}


def _site_country_text(code: str | None) -> str:
    return f" ({code}, {country_name(code) or code})" if code else ""


def _ring_path(ring: Sequence[tuple[float, float]], view: MapView) -> str:
    points = []
    last = None
    for lon, lat in ring:
        x, y = view.project(lat, lon)
        if (x, y) != last:
            points.append(f"{x:.1f},{y:.1f}")
        last = (x, y)
    return "M" + " L".join(points) + " Z"


def _countries(report: Report, view: MapView) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Natural Earth countries the view shows (its shapes and a label each); the countries
    that hold the stack's data are shaded and named in full."""
    held = {r.country for r in report.cloud_resources if r.country}
    # Shapes up to a few degrees beyond the frame are drawn (and clipped to it), the rest skipped.
    margin = 3.0
    shapes, labels = [], []
    for country in atlas().countries:
        west, south, east, north = country.bbox
        if (
            east < view.west - margin
            or west > view.east + margin
            or north < view.south - margin
            or south > view.north + margin
        ):
            continue
        d = " ".join(_ring_path(ring, view) for polygon in country.rings for ring in polygon)
        name = country.name
        shapes.append({"code": country.code, "name": name, "d": d, "held": country.code in held})
        lon, lat = country.label
        inset = 0.6
        if view.shows(lat, lon) and (
            view.west + inset < lon < view.east - inset
            and view.south + inset < lat < view.north - inset
        ):
            x, y = view.project(lat, lon)
            is_held = country.code in held
            labels.append(
                {"x": x, "y": y, "text": name if is_held else (country.code or ""), "held": is_held}
            )
    return shapes, [label for label in labels if label["text"]]


def _diamond(x: float, y: float) -> str:
    """Google Cloud's symbol: a square standing on its corner, as wide as the others."""
    return (
        f"M{x:.1f},{y - 8.5:.1f} L{x + 8.5:.1f},{y:.1f} L{x:.1f},{y + 8.5:.1f} "
        f"L{x - 8.5:.1f},{y:.1f} Z"
    )


_LEGEND: Final = (
    ("aws", "AWS region", None),
    ("azure", "Azure region", None),
    (GCP, "Google Cloud region", None),
    ("site", "site", None),
    ("warn-region", "region outside the allow-list", WARN_COLOUR),
    (REPLICATION, "replication", None),
    (BACKUP_COPY, "backup copy", None),
    (LOG_DELIVERY, "log delivery", None),
    ("warn-flow", "flow leaving the allow-list or unknown", WARN_COLOUR),
)
_LEGEND_NOTES: Final = (
    "Arrows carry the flow ids of the",
    "data-flow table. A loop is a flow",
    "that stays in its region. A dotted",
    "purple line joins a site to a",
    "region outside its ring. Shaded:",
    "countries holding the stack's data.",
)


def _legend(x: float, top: float) -> dict[str, Any]:
    """A vertical key beside the map: one row per symbol, 26 px apart."""
    rows = []
    for i, (kind, label, colour) in enumerate(_LEGEND):
        y = top + 8 + i * 26
        line = kind in {REPLICATION, BACKUP_COPY, LOG_DELIVERY, "warn-flow"}
        rows.append(
            {
                "kind": kind,
                "label": label,
                "label_colour": colour,
                "y": y,
                "mid": y + 7,
                "line": line,
                "dash": _DASH.get(kind, ""),
                "colour": WARN_COLOUR if kind == "warn-flow" else OK_COLOUR,
                "marker": "arrow-warn" if kind == "warn-flow" else "arrow-ok",
                "width": 2.6 if kind == "warn-flow" else 2,
                "diamond": _diamond(x + 7, y + 7),
            }
        )
    base = top + 8 + len(_LEGEND) * 26 + 10
    notes = [{"y": base + i * 16, "text": text} for i, text in enumerate(_LEGEND_NOTES)]
    return {"x": x, "top": top, "rows": rows, "notes": notes}


def map_model(report: Report) -> dict[str, Any]:
    """What the template draws: Natural Earth countries in a view zoomed to the regions in use,
    the sites, one node per region and an arrow per data flow; places without a position in the
    panel beside it."""
    view = view_of(report)
    nodes = _layout(report, view)
    loops = {
        f.source.region
        for f in report.flows
        if is_drawn(f)
        and (f.source.cloud, f.source.region) == (f.destination.cloud, f.destination.region)
    }
    shapes, labels = _countries(report, view)
    in_use = set(_sites_in_use(report))
    sites = []
    links = []
    for site in report.declared_sites:
        if site.position is None or not view.shows(*site.position):
            continue
        name = site.name
        x, y = view.project(*site.position)
        sites.append(
            {
                "name": name,
                "x": x,
                "y": y,
                "used": name in in_use,
                "title": f"site {name}{_site_country_text(site.country)}",
                "label": _site_label(site, x, y, nodes.values(), loops, view=view),
            }
        )
        # A site's data held in a region outside its ring (Hamar's AWS data in Stockholm).
        placed_in = {
            (r.cloud, r.region) for r in report.cloud_resources if r.site == name and r.region
        }
        for key in sorted(placed_in, key=str):
            target = nodes.get(key)
            if target is None or not target.on_map or math.hypot(target.x - x, target.y - y) < 30:
                continue
            links.append(
                {
                    "x1": x,
                    "y1": y,
                    "x2": target.x,
                    "y2": target.y,
                    "title": f"site {name} keeps data in {target.cloud} {target.region}",
                }
            )
    panel_nodes = [n for n in nodes.values() if not n.on_map]
    panel = None
    legend_top = _MAP_Y + 18
    if panel_nodes:
        bottom = max(n.y for n in panel_nodes) + 40
        panel = {"x": _PANEL_X - 8, "y": _MAP_Y + 18, "height": bottom - _MAP_Y - 18}
        legend_top = bottom + 24
    map_height = round(view.height, 1)
    height = max(map_height + _MAP_Y + 34, legend_top + 360)
    ordered = sorted(nodes.values(), key=lambda n: (not n.on_map, n.cloud or "", n.region))
    return {
        "view": view.attribute(),
        "width": round(SVG_WIDTH),
        "height": round(height),
        "title": f"Where the data of stack {report.stack} sits and where it flows",
        "frame": {"x": _MAP_X, "y": _MAP_Y, "width": MAP_WIDTH, "height": map_height},
        "panel_x": _PANEL_X,
        "panel_width": _PANEL_W,
        "countries": shapes,
        "labels": labels,
        "sites": sites,
        "links": links,
        "panel": panel,
        "flows": _flow_paths(report, nodes, view),
        "nodes": [_node_model(n) for n in ordered],
        "legend": _legend(_PANEL_X, legend_top),
        "colours": {
            "ok": OK_COLOUR,
            "warn": WARN_COLOUR,
            "aws": AWS_COLOUR,
            "azure": AZURE_COLOUR,
            "gcp": GCP_COLOUR,
            "site": SITE_COLOUR,
        },
        "source": atlas().source,
    }
