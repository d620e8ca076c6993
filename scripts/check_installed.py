"""Check an installed aesdata (from the wheel, outside any checkout) against the checkout it came from.

Run by .ci/run with the second virtualenv's python, from a directory outside the checkout:
``python scripts/check_installed.py CHECKOUT``. It loads every table of the bundled edition and
checks row counts and dtypes against the schemas, and that the edition in the wheel is the
checkout's, byte for byte. Exits 1 with the first difference.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

import aesdata
from aesdata.edition import bundled

EXPECTED = {
    "string": pd.StringDtype,
    "integer": pd.Int64Dtype,
    "number": pd.Float64Dtype,
    "boolean": pd.BooleanDtype,
}


def main(checkout: Path) -> None:
    installed = bundled()
    assert checkout.resolve() not in Path(aesdata.__file__).resolve().parents, aesdata.__file__
    assert checkout.resolve() != installed, "the edition was found in the checkout"
    same_edition(checkout, installed)
    descriptor = json.loads((installed / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        schema = json.loads((installed / res["schema"]).read_text(encoding="utf-8"))
        frame = aesdata.load(res["name"])
        with (installed / res["path"]).open(encoding="utf-8", newline="") as fh:
            rows = sum(1 for _ in csv.DictReader(fh))
        assert len(frame) == rows, (res["name"], len(frame), rows)
        for field in schema["fields"]:
            check_dtype(res["name"], field, frame)
        print(f"{res['name']}: {rows} rows, dtypes as the schema says")
    print(
        f"aesdata {aesdata.__version__}, data edition {aesdata.data_version}: installed edition checked"
    )


def same_edition(checkout: Path, installed: Path) -> None:
    """Every file of the edition in the wheel is the checkout's, and none is missing."""

    def digests(root: Path, names: list[str]) -> dict[str, str]:
        return {n: hashlib.sha256((root / n).read_bytes()).hexdigest() for n in names}

    names = ["datapackage.json"] + [
        str(p.relative_to(checkout))
        for d in ("data", "schemas")
        for p in sorted((checkout / d).iterdir())
    ]
    assert digests(installed, names) == digests(checkout, names), "the wheel's edition differs"


def check_dtype(table: str, field: dict, frame: pd.DataFrame) -> None:
    name, kind = field["name"], field.get("type", "string")
    dtype = frame[name].dtype
    if field.get("constraints", {}).get("enum"):
        assert isinstance(dtype, pd.CategoricalDtype), (table, name, dtype)
        assert list(dtype.categories) == [str(v) for v in field["constraints"]["enum"]]
    elif kind == "date" or "precisionField" in field:
        if kind == "date":
            assert str(dtype).startswith("datetime64"), (table, name, dtype)
        else:  # partial dates keep their text and gain typed bounds
            stem = name.removesuffix("_date")
            for bound in (f"{stem}_earliest", f"{stem}_latest"):
                assert str(frame[bound].dtype).startswith("datetime64"), (table, bound)
    elif kind in EXPECTED:
        assert isinstance(dtype, EXPECTED[kind]), (table, name, dtype)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
