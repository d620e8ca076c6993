"""Regenerate ``west_africa.geojson`` from the Natural Earth file that pyogrio's wheel ships.

The figures must never fetch boundaries at run time, and the release must not depend on a
33 MB GDAL wheel just to draw a dozen outlines. So the subset is cut once, here, from
``pyogrio/tests/fixtures/naturalearth_lowres`` (Natural Earth 1:110m admin-0, public domain)
and committed. Needs ``pyogrio`` (only to locate the file; it is not imported) and ``pyshp``::

    python src/aesdata/boundaries/extract.py
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

#: Keep every African country whose bounding box meets this window (lon/lat min, lon/lat max).
WINDOW = (-20.0, 3.0, 27.0, 32.0)
SOURCE = Path("tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp")
TARGET = Path(__file__).with_name("west_africa.geojson")


def source_path() -> Path:
    """The shapefile inside the installed pyogrio package, found without importing GDAL."""
    spec = importlib.util.find_spec("pyogrio")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pyogrio is not installed: pip install pyogrio pyshp")
    return Path(next(iter(spec.submodule_search_locations))) / SOURCE


def _meets(bbox: list[float]) -> bool:
    """True when a shape's bbox overlaps ``WINDOW``, so off-map countries are left out."""
    x0, y0, x1, y1 = WINDOW
    return bbox[0] <= x1 and bbox[2] >= x0 and bbox[1] <= y1 and bbox[3] >= y0


def _feature(record: dict, geometry: dict) -> dict:
    """One GeoJSON feature with coordinates rounded to 4 decimals (~10 m; the data is 110m)."""
    rounded = json.loads(json.dumps(geometry), parse_float=lambda s: round(float(s), 4))
    return {
        "type": "Feature",
        "properties": {"iso3": record["iso_a3"], "name": record["name"]},
        "geometry": {"type": rounded["type"], "coordinates": rounded["coordinates"]},
    }


def extract(shp: Path, target: Path = TARGET) -> Path:
    """Write the subset sorted by ISO3, one feature a line, so re-runs are byte-identical."""
    import shapefile  # pyshp: pure Python, needed only here

    with shapefile.Reader(str(shp)) as reader:  # text encoding comes from the .cpg file
        features = [
            _feature(sr.record.as_dict(), sr.shape.__geo_interface__)
            for sr in reader.iterShapeRecords()
            if sr.record["continent"] == "Africa" and _meets(list(sr.shape.bbox))
        ]
    features.sort(key=lambda f: f["properties"]["iso3"])
    lines = [json.dumps(f, ensure_ascii=False, sort_keys=True) for f in features]
    body = ",\n".join(lines)
    target.write_text('{"type": "FeatureCollection", "features": [\n' + body + "\n]}\n", "utf-8")
    return target


if __name__ == "__main__":
    print(extract(source_path()))
