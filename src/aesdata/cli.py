"""The ``aesdata`` command: parse arguments, call one library function, print, choose the exit code.

Heavy libraries (polars, pandera, pyarrow) are imported inside the commands that need them, so
that ``aesdata --help`` answers at once.
"""

from __future__ import annotations

import sys

import click

FORMATS = ["text", "json", "github"]


@click.group()
@click.version_option(package_name="aesdata")
def main() -> None:
    """aesdata: check and release the open dataset on the Alliance of Sahel States."""


@main.command()
@click.argument("path", default=".", type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for pull-request annotations.",
)
@click.option(
    "--max-per-rule",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Problems shown per rule in text and github output (0: all).",
)
def validate(path: str, fmt: str, max_per_rule: int) -> None:
    """Check the package at PATH (a directory or its datapackage.json): every problem, located."""
    from aesdata.validate import validate as run

    report = run(path, cap=max_per_rule)
    click.echo(report.render(fmt))
    sys.exit(report.exit_code)
