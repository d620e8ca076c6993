"""`aesdata docs`, `stats` and `figures`: describe a package in words, numbers and pictures."""

from __future__ import annotations

import sys

import click

from aesdata.cli import (
    _valid_package,
    main,
    needs,
    package_path,
)


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Where to write the data dictionary [default: the package's docs/data-dictionary.md].",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if the file is missing or stale."
)
def docs(path: str | None, out: str | None, check: bool) -> None:
    """Write the data dictionary of the package at PATH, generated from its schemas."""
    from pathlib import Path

    from aesdata.dictionary import is_dictionary, render
    from aesdata.package import PackageError, open_package

    path = package_path(path, "checking the data dictionary of" if check else "documenting")
    try:
        package = open_package(path)
        text = render(package)
    except PackageError as exc:
        click.echo(f"docs failed: {exc}", err=True)
        sys.exit(1)
    target = Path(out) if out else package.root / "docs" / "data-dictionary.md"
    out = str(target)
    if check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            click.echo(f"{out} is stale: run `aesdata docs` and commit it", err=True)
            sys.exit(1)
        click.echo(f"{out} is up to date")
        return
    if target.exists() and not is_dictionary(target):
        click.echo(
            f"docs failed: {out} exists and is not a data dictionary written by `aesdata docs`; "
            "refusing to replace it: choose another --out",
            err=True,
        )
        sys.exit(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def stats(path: str | None, fmt: str) -> None:
    """Print statistics of the package at PATH: rows, years, types, precision, sources."""
    import json

    from tabulate import tabulate

    from aesdata.stats import compute

    _package, typed = _valid_package(package_path(path, "describing"), "stats")
    tables = compute(typed)
    if fmt == "json":
        click.echo(json.dumps(tables, ensure_ascii=False, indent=2, default=str))
        return
    for table in tables:
        click.echo(f"{table['title']}\n{tabulate(table['rows'], headers=table['columns'])}\n")


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--out",
    default="docs/figures",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the PNG and SVG figures.",
)
def figures(path: str | None, out: str) -> None:
    """Draw the timeline, map, memberships and tolls figures of the package at PATH."""
    from pathlib import Path

    needs("matplotlib", "figures")
    from aesdata.figures import render

    package, typed = _valid_package(package_path(path, "drawing"), "figures")
    names = render(typed, Path(out), note=f"Source: {package.name} v{package.version}")
    stems = ", ".join(dict.fromkeys(n.rsplit(".", 1)[0] for n in names))
    click.echo(f"wrote {len(names)} files to {out}: {stems}, as PNG and SVG")
