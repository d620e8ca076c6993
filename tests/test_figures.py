"""Release figures: six valid files, byte-identical on re-render, drawing what the data holds."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from aesdata import figures
from aesdata.check import validate_package
from aesdata.package import open_package
from aesdata.schema import typed_frame

ROOT = Path(__file__).resolve().parent.parent
BOUNDARIES = ROOT / "src" / "aesdata" / "boundaries"
NAMES = sorted(f"{stem}.{ext}" for stem in figures.SIZES for ext in ("png", "svg"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"


def typed_frames(path: Path) -> dict[str, pl.DataFrame]:
    """The typed tables of the package at ``path``, as a release build hands them over."""
    pkg = open_package(path)
    _, tables = validate_package(pkg, dt.date.today())
    return {name: typed_frame(t.frame, pkg.resource(name).schema) for name, t in tables.items()}


def svg_root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def svg_texts(path: Path) -> list[str]:
    return [el.text or "" for el in svg_root(path).iter(f"{SVG_NS}text")]


def svg_group(path: Path, gid: str) -> ET.Element:
    found = [el for el in svg_root(path).iter(f"{SVG_NS}g") if el.get("id") == gid]
    assert len(found) == 1, f"expected one <g id={gid!r}>, found {len(found)}"
    return found[0]


def svg_ids(path: Path, prefix: str) -> list[str]:
    return [el.get("id", "") for el in svg_root(path).iter() if el.get("id", "").startswith(prefix)]


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return typed_frames(ROOT)


@pytest.fixture(scope="module")
def rendered(frames: dict[str, pl.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("figures")
    assert figures.render(frames, out) == NAMES
    return out


def test_render_writes_six_valid_files(rendered: Path) -> None:
    assert sorted(p.name for p in rendered.iterdir()) == NAMES
    for name in NAMES:
        data = (rendered / name).read_bytes()
        assert len(data) > 10_000, name
        if name.endswith(".png"):
            assert data.startswith(PNG_SIGNATURE), name
            width, height = struct.unpack(">II", data[16:24])  # IHDR
            inches = figures.SIZES[name.removesuffix(".png")]
            assert (width, height) == tuple(round(i * figures.DPI) for i in inches), name
        else:
            assert svg_root(rendered / name).tag == f"{SVG_NS}svg", name


def test_render_is_byte_identical(frames: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    figures.render(frames, tmp_path / "a")
    figures.render(frames, tmp_path / "b")
    for name in NAMES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_svg_files_carry_no_timestamp_or_tool_version(rendered: Path) -> None:
    for name in NAMES:
        if name.endswith(".svg"):
            text = (rendered / name).read_text("utf-8")
            assert "<dc:date>" not in text and "Matplotlib v" not in text, name


def test_every_event_type_has_one_family(frames: dict[str, pl.DataFrame]) -> None:
    kinds = frames["events"]["event_type"].dtype.categories.to_list()
    assert sorted(figures.FAMILY_OF) == sorted(kinds)
    assert sum(len(k) for k in figures.FAMILIES.values()) == len(figures.FAMILY_OF)


def test_timeline_counts_events_and_labels_milestones(
    frames: dict[str, pl.DataFrame], rendered: Path
) -> None:
    events = frames["events"]
    shown = events.filter(pl.col("start_earliest") >= figures.TIMELINE_START).height
    assert len(figures.timeline_marks(events)) == shown
    svg = rendered / "timeline.svg"
    assert svg_root(svg).findtext(f"{SVG_NS}title", "").startswith(f"AES timeline: {shown} events")
    present = set(events["event_id"]) & set(figures.MILESTONES)
    assert present, "no milestone id exists in the data"
    texts = svg_texts(svg)
    for event_id in present:
        assert figures.MILESTONES[event_id] in texts, event_id
    assert sorted(svg_ids(svg, "milestone-")) == sorted(f"milestone-{e}" for e in present)


def test_a_missing_milestone_is_skipped(frames: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    gone = "2023-07-26-niger-coup"
    assert gone in set(frames["events"]["event_id"])
    fewer = {**frames, "events": frames["events"].filter(pl.col("event_id") != gone)}
    assert figures.render(fewer, tmp_path) == NAMES
    texts = svg_texts(tmp_path / "timeline.svg")
    assert figures.MILESTONES[gone] not in texts
    assert figures.MILESTONES["2025-01-29-aes-withdrawal-from-ecowas-takes-effect"] in texts


def test_map_draws_one_marker_per_place_with_coordinates(
    frames: dict[str, pl.DataFrame], rendered: Path
) -> None:
    entities = frames["entities"].drop_nulls(["latitude", "longitude"])
    coords = {r["entity_id"]: (r["longitude"], r["latitude"]) for r in entities.to_dicts()}
    used = frames["events"]["place_id"].drop_nulls().to_list()
    expected = sorted(set(used) & set(coords))
    assert expected, "no event place has coordinates"
    points = figures.map_points(frames)
    assert [p.place_id for p in points] == expected
    for p in points:
        assert (p.lon, p.lat) == coords[p.place_id]
        assert p.events == used.count(p.place_id)
    markers = svg_group(rendered / "map.svg", "event-places")
    assert len([el for el in markers if el.tag in (f"{SVG_NS}path", f"{SVG_NS}use")]) == len(
        expected
    )


def test_memberships_show_spells_exits_and_suspensions(
    frames: dict[str, pl.DataFrame], rendered: Path
) -> None:
    bars = figures.membership_bars(frames["relations"])
    mali_ecowas = [b for b in bars if (b.state, b.org) == ("mali", "ecowas")]
    assert len(mali_ecowas) == 1
    assert (mali_ecowas[0].start, mali_ecowas[0].end) == (
        dt.date(1975, 5, 28),
        dt.date(2025, 1, 29),
    )
    assert mali_ecowas[0].suspensions == ((dt.date(2021, 5, 30), None),)
    founders = {b.state for b in bars if b.org == "aes" and b.founding and b.end is None}
    assert founders == set(figures.MEMBER_STATES)
    svg = rendered / "memberships.svg"
    assert len(svg_ids(svg, "exit-")) == sum(b.end is not None for b in bars)
    assert len(svg_ids(svg, "suspension-")) == sum(len(b.suspensions) for b in bars) > 0


def test_boundaries_outline_the_aes_states_and_neighbours(frames: dict[str, pl.DataFrame]) -> None:
    features = figures.load_boundaries()
    codes = {f["properties"]["iso3"] for f in features}
    assert set(figures.AES_ISO3) | set(figures.NEIGHBOUR_ISO3) <= codes
    states = frames["entities"].filter(pl.col("entity_id").is_in(figures.MEMBER_STATES))
    assert set(states["iso3"]) == set(figures.AES_ISO3)
    for f in features:
        for ring in figures._rings(f["geometry"]):
            assert len(ring) >= 4 and ring[0] == ring[-1], f["properties"]["iso3"]
            assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in ring)


def test_boundaries_are_the_documented_natural_earth_subset(tmp_path: Path) -> None:
    pytest.importorskip("shapefile", reason="pyshp regenerates the boundary subset")
    if importlib.util.find_spec("pyogrio") is None:
        pytest.skip("pyogrio ships the Natural Earth file the subset is cut from")
    spec = importlib.util.spec_from_file_location("extract", BOUNDARIES / "extract.py")
    assert spec and spec.loader
    extract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extract)
    out = extract.extract(extract.source_path(), tmp_path / "subset.geojson")
    assert out.read_bytes() == (BOUNDARIES / "west_africa.geojson").read_bytes()
    assert json.loads(out.read_text("utf-8"))["type"] == "FeatureCollection"


def test_render_copes_with_a_tiny_package(mini: Path, tmp_path: Path) -> None:
    small = typed_frames(mini)
    assert figures.render(small, tmp_path) == NAMES
    assert len(svg_group(tmp_path / "map.svg", "event-places")) == len(figures.map_points(small))
    texts = svg_texts(tmp_path / "timeline.svg")
    assert figures.MILESTONES["2023-09-16-liptako-gourma-charter-signed"] in texts


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, aesdata.figures; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
