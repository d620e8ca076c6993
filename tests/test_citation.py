"""CITATION.cff is valid against the Citation File Format schema and agrees with the descriptor."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "fixtures" / "cff" / "schema-1.2.0.json"


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_cff_is_valid_against_its_schema() -> None:
    jsonschema.validate(citation(), json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_citation_cff_rejects_what_the_schema_forbids() -> None:
    broken = {**citation(), "license": "not-a-licence"}
    try:
        jsonschema.validate(broken, json.loads(SCHEMA.read_text(encoding="utf-8")))
    except jsonschema.ValidationError:
        return
    raise AssertionError("the schema accepted an invalid licence")


def test_citation_matches_the_descriptor() -> None:
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    cff = citation()
    assert (cff["title"], cff["version"]) == (descriptor["title"], descriptor["version"])
    assert cff["license"] == descriptor["licenses"][0]["name"]


def test_readme_asks_to_cite_the_current_edition() -> None:
    import re

    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cited = re.search(r"Please cite the dataset as .*?version ([0-9.]+)", readme, re.S)
    assert cited is not None, "README.md no longer says how to cite the dataset"
    assert cited.group(1) == descriptor["version"]
