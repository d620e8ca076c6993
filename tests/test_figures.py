"""Release figures: eight valid files, byte-identical on re-render, drawing what the data holds."""

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
from aesdata.figures import common, geo, memberships, places, timeline, tolls
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


def markers(path: Path) -> int:
    group = svg_group(path, "event-places")
    return len([el for el in group.iter() if el.tag in (f"{SVG_NS}path", f"{SVG_NS}use")]) - (
        1 if any(el.tag == f"{SVG_NS}defs" for el in group.iter()) else 0
    )


def assert_valid_files(out: Path) -> None:
    """Every figure as a PNG of the figure's size and a parseable SVG, each within its bound."""
    assert sorted(p.name for p in out.iterdir()) == NAMES
    for name in NAMES:
        data = (out / name).read_bytes()
        stem, ext = name.rsplit(".", 1)
        assert 10_000 < len(data) <= common.MAX_BYTES[ext], (name, len(data))
        if ext == "png":
            assert data.startswith(PNG_SIGNATURE), name
            width, height = struct.unpack(">II", data[16:24])  # IHDR
            assert (width, height) == tuple(round(i * common.DPI) for i in figures.SIZES[stem])
        else:
            assert svg_root(out / name).tag == f"{SVG_NS}svg", name


def assert_same_files(a: Path, b: Path) -> None:
    for name in NAMES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return typed_frames(ROOT)


@pytest.fixture(scope="module")
def rendered(frames: dict[str, pl.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("figures")
    assert figures.render(frames, out) == NAMES
    return out


def test_render_writes_eight_valid_files(rendered: Path) -> None:
    assert_valid_files(rendered)


@pytest.mark.parametrize("name", list(figures.PICTURES))
def test_each_figure_needs_only_the_tables_it_declares(
    name: str, frames: dict[str, pl.DataFrame], rendered: Path, tmp_path: Path
) -> None:
    """A build draws each figure once its TABLES are in: drawn from those alone, it is the same."""
    tables = figures.PICTURES[name].TABLES
    assert name in figures.drawable(tables)
    only = {t: frames[t] for t in tables}
    assert figures.render(only, tmp_path, pictures=[name]) == [f"{name}.png", f"{name}.svg"]
    for ext in ("png", "svg"):
        assert (tmp_path / f"{name}.{ext}").read_bytes() == (
            rendered / f"{name}.{ext}"
        ).read_bytes()


def test_the_map_is_drawn_once_the_events_are_in() -> None:
    assert figures.drawable(["entities", "event_types", "events"]) == ["map"]
    assert figures.drawable(["entities", "events", "relations"]) == [
        "timeline",
        "map",
        "memberships",
    ]
    assert figures.drawable(figures.COLUMNS) == list(figures.PICTURES)


def test_render_is_byte_identical(frames: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    figures.render(frames, tmp_path / "a")
    figures.render(frames, tmp_path / "b")
    assert_same_files(tmp_path / "a", tmp_path / "b")


def test_svg_files_carry_no_timestamp_or_tool_version(rendered: Path) -> None:
    for name in NAMES:
        if name.endswith(".svg"):
            text = (rendered / name).read_text("utf-8")
            assert "<dc:date>" not in text and "Matplotlib v" not in text, name


def test_a_file_over_its_bound_is_refused(
    frames: dict[str, pl.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(common.MAX_BYTES, "svg", 1_000)
    with pytest.raises(common.FigureTooLarge, match=r"timeline\.svg is [\d,]+ bytes"):
        figures.render(frames, tmp_path)


def test_every_event_type_has_one_family(frames: dict[str, pl.DataFrame]) -> None:
    kinds = frames["events"]["event_type"].dtype.categories.to_list()
    assert sorted(timeline.FAMILY_OF) == sorted(kinds)
    assert sum(len(k) for k in timeline.FAMILIES.values()) == len(timeline.FAMILY_OF)


def test_the_edition_fits_as_single_events_with_milestones(
    frames: dict[str, pl.DataFrame], rendered: Path
) -> None:
    events = frames["events"]
    shown = events.filter(pl.col("start_earliest") >= common.TIMELINE_START).height
    plan = timeline.prepare(frames)
    assert not plan.by_month and len(plan.marks) == plan.total == shown
    svg = rendered / "timeline.svg"
    assert svg_root(svg).findtext(f"{SVG_NS}title", "").startswith(f"AES timeline: {shown} events")
    present = set(events["event_id"]) & set(timeline.MILESTONES)
    assert present, "no milestone id exists in the data"
    texts = svg_texts(svg)
    for event_id in present:
        assert timeline.MILESTONES[event_id] in texts, event_id
    assert sorted(svg_ids(svg, "milestone-")) == sorted(f"milestone-{e}" for e in present)


def test_a_missing_milestone_is_skipped(frames: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    gone = "2023-07-26-niger-coup"
    assert gone in set(frames["events"]["event_id"])
    fewer = {**frames, "events": frames["events"].filter(pl.col("event_id") != gone)}
    assert figures.render(fewer, tmp_path) == NAMES
    texts = svg_texts(tmp_path / "timeline.svg")
    assert timeline.MILESTONES[gone] not in texts
    assert timeline.MILESTONES["2025-01-29-aes-withdrawal-from-ecowas-takes-effect"] in texts


@pytest.mark.parametrize("gap", [1, 5, 21])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fit_test_agrees_with_the_slots_it_predicts(seed: int, gap: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    days = sorted(dt.date(2021, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 200, 60))
    rows = pl.DataFrame({"family": ["Violence"] * len(days), "day": days})
    needed = len(set(timeline._slots(days, 999, gap)))  # as many slots as first-fit uses
    for slots in (needed - 1, needed):
        assert timeline._fits(rows, slots, gap) is (slots >= needed), slots


def test_a_crowded_timeline_counts_per_month(frames: dict[str, pl.DataFrame]) -> None:
    day = dt.date(2024, 3, 15)
    crowd = pl.DataFrame(
        {
            "event_id": [f"2024-03-15-crowd-{i}" for i in range(200)],
            "event_type": ["attack"] * 200,
            "start_earliest": [day] * 200,
            "start_precision": ["day"] * 200,
        }
    )
    events = frames["events"].select(crowd.columns).with_columns(pl.col("*").cast(str))
    events = pl.concat([events, crowd.with_columns(pl.col("start_earliest").cast(str))])
    events = events.with_columns(pl.col("start_earliest").str.to_date())
    plan = timeline.prepare({**frames, "events": events})
    assert plan.by_month and not plan.marks
    edges, counts = plan.months["Violence"]
    march = edges.index(common.day_number(dt.date(2024, 3, 1)))
    assert counts[march] >= 200 and len(edges) == len(counts) + 1
    assert sum(sum(n) for _, n in plan.months.values()) == plan.total
    assert {m[1] for m in plan.milestones} == set(timeline.MILESTONES) & set(events["event_id"])


def test_map_draws_one_marker_per_place_with_coordinates(
    frames: dict[str, pl.DataFrame], rendered: Path
) -> None:
    entities = frames["entities"].drop_nulls(["latitude", "longitude"])
    coords = {r["entity_id"]: (r["longitude"], r["latitude"]) for r in entities.to_dicts()}
    used = frames["events"]["place_id"].drop_nulls().to_list()
    expected = sorted(set(used) & set(coords))
    assert expected, "no event place has coordinates"
    points = places.map_points(frames)
    assert sorted(p.place_id for p in points) == expected
    assert [p.events for p in points] == sorted((p.events for p in points), reverse=True)
    for p in points:
        assert (p.lon, p.lat) == coords[p.place_id]
        assert p.events == used.count(p.place_id)
    plan = places.prepare(frames)
    assert plan.cells is None and len(plan.places) == len(expected)
    assert markers(rendered / "map.svg") == len(expected)


def test_map_names_the_busiest_places_without_overlaps(
    frames: dict[str, pl.DataFrame], rendered: Path
) -> None:
    plan = places.prepare(frames)
    busiest = places.map_points(frames)[:5]
    texts = svg_texts(rendered / "map.svg")
    for p in busiest:
        assert p.place_id in plan.labels and p.name in texts, p.name
    assert len(plan.labels) >= 15
    named = sum(p.name in texts for p in plan.places)
    assert named == len(plan.labels)


def test_memberships_show_spells_exits_and_suspensions(
    frames: dict[str, pl.DataFrame], rendered: Path
) -> None:
    bars = memberships.membership_bars(frames["relations"])
    mali_ecowas = [b for b in bars if (b.state, b.org) == ("mali", "ecowas")]
    assert len(mali_ecowas) == 1
    assert (mali_ecowas[0].start, mali_ecowas[0].end) == (
        dt.date(1975, 5, 28),
        dt.date(2025, 1, 29),
    )
    # the suspension ends with the membership, never having been lifted
    assert mali_ecowas[0].suspensions == ((dt.date(2021, 5, 30), dt.date(2025, 1, 29)),)
    founders = {b.state for b in bars if b.org == "aes" and b.founding and b.end is None}
    assert founders == set(memberships.MEMBER_STATES)
    svg = rendered / "memberships.svg"
    assert len(svg_ids(svg, "exit-")) == sum(b.end is not None for b in bars)
    assert len(svg_ids(svg, "suspension-")) == sum(len(b.suspensions) for b in bars) > 0


def toll_rows(*rows: tuple[str, str, str, str, int, int | None]) -> pl.DataFrame:
    names = ("event_id", "citation_id", "counted", "victims", "low", "high")
    return pl.DataFrame(
        [dict(zip(names, r, strict=True)) for r in rows],
        schema_overrides={"low": pl.Int64, "high": pl.Int64},
    )


def test_tolls_count_an_event_once_however_many_sources_report_it() -> None:
    rows = toll_rows(
        ("e1", "a", "killed", "civilians", 30, 30),
        ("e1", "b", "killed", "civilians", 65, 65),
        ("e1", "a", "killed", "soldiers", 14, 15),
        ("e1", "b", "killed", "soldiers", 14, None),
        ("e1", "c", "killed", "unspecified", 40, 50),
        ("e2", "a", "killed", "unspecified", 100, None),
        ("e2", "b", "killed", "civilians", 20, 25),
        ("e2", "a", "wounded", "civilians", 3, 3),
    )
    got = {
        (e, c): (lo, hi, op)
        for e, c, lo, hi, op in tolls.per_event(rows)
        .collect()
        .sort("event_id", "counted")
        .iter_rows()
    }
    assert got == {
        ("e1", "killed"): (44, 80, False),  # civilians 30-65 + soldiers 14-15 over 40-50
        ("e2", "killed"): (100, 100, True),  # the overall total is larger than the groups
        ("e2", "wounded"): (3, 3, False),
    }


def test_tolls_are_summed_per_year_and_country(frames: dict[str, pl.DataFrame]) -> None:
    plan = tolls.prepare(frames)
    assert plan.panels[0] == "killed"
    assert plan.series[:3] == list(tolls.MEMBER_STATES)
    events = frames["events"].select("event_id", "country_id", "start_earliest")
    joined = tolls.per_event(frames["tolls"]).collect().join(events, on="event_id")
    for (counted, country, year), (low, high) in plan.sums.items():
        mine = joined.filter(
            pl.col("counted") == counted,
            pl.col("country_id").cast(str) == country,
            pl.col("start_earliest").dt.year() == year,
        )
        assert (low, high) == (mine["low"].sum(), mine["high"].sum())
        assert low <= high
    low, high, _ = plan.totals["killed"]
    assert sum(v[0] for k, v in plan.sums.items() if k[0] == "killed") <= low


def test_tolls_figure_says_low_and_high_not_confidence(rendered: Path) -> None:
    svg = rendered / "tolls.svg"
    title = svg_root(svg).findtext(f"{SVG_NS}title", "")
    assert title.endswith("(sums of lows and highs)")
    text = " ".join(svg_texts(svg))
    assert "sum of the events' lowest reported figures" in text
    assert "confidence" not in text.replace("it is not a confidence interval", "")
    for name in ("Mali", "Burkina Faso", "Niger"):
        assert name in svg_texts(svg)


def test_boundaries_outline_the_aes_states_and_neighbours(frames: dict[str, pl.DataFrame]) -> None:
    features = geo.load_boundaries()
    codes = {f["properties"]["iso3"] for f in features}
    assert set(geo.AES_ISO3) | set(geo.NEIGHBOUR_ISO3) <= codes
    states = frames["entities"].filter(pl.col("entity_id").is_in(memberships.MEMBER_STATES))
    assert set(states["iso3"]) == set(geo.AES_ISO3)
    for f in features:
        for ring in geo.rings(f["geometry"]):
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
    assert markers(tmp_path / "map.svg") == len(places.map_points(small))
    texts = svg_texts(tmp_path / "timeline.svg")
    assert timeline.MILESTONES["2023-09-16-liptako-gourma-charter-signed"] in texts
    assert "no tolls recorded" in svg_texts(tmp_path / "tolls.svg")


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, aesdata.figures; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_figure_modules_stay_small() -> None:
    for path in (ROOT / "src" / "aesdata" / "figures").glob("*.py"):
        assert len(path.read_text("utf-8").splitlines()) < 300, path.name


# --- at scale -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """100,000 synthetic events (scripts/synth.py), typed as a build hands them over."""
    out = tmp_path_factory.mktemp("synth") / "pkg"
    script = ROOT / "scripts" / "synth.py"
    cmd = [sys.executable, str(script), "--events", "100000", "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return typed_frames(out)


def test_at_100k_events_the_figures_are_bounded_and_reproducible(
    synthetic: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    assert figures.render(synthetic, tmp_path / "a") == NAMES
    assert_valid_files(tmp_path / "a")
    figures.render(synthetic, tmp_path / "b")
    assert_same_files(tmp_path / "a", tmp_path / "b")
    assert (
        svg_root(tmp_path / "a" / "timeline.svg")
        .findtext(f"{SVG_NS}title", "")
        .startswith("AES timeline: ")
    )


def test_at_100k_events_the_pictures_aggregate(synthetic: dict[str, pl.DataFrame]) -> None:
    plan = timeline.prepare(synthetic)
    assert plan.by_month and not plan.marks
    assert sum(sum(n) for _, n in plan.months.values()) == plan.total > 40_000
    where = places.prepare(synthetic)
    assert where.cells is not None and where.cells.sum() == where.placed == 100_000
    assert 0 < len(where.places) == len(where.labels) <= places.MOST_LABELS
    toll = tolls.prepare(synthetic)
    assert len(toll.series) <= tolls.MOST_SERIES + 1 and toll.series[-1] == tolls.OTHERS
