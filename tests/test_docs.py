"""Every command is documented; the pre-commit hooks and the workflows call commands that exist."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT

from aesdata.cli import main
from aesdata.schemachanges import CLASSES

COMMANDS = sorted(main.commands)
HOOK_FILES = ["datapackage.json", "schemas/events.schema.json", "data/events.csv"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(rf"^aesdata {command}\b|`aesdata {command}\b", readme, re.M)
    assert shown, f"README shows no `aesdata {command}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert main.commands[command].help


def test_contributing_tables_every_schema_change_class() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| \*\*([a-z]+)\*\* \|", text, re.M)) == set(CLASSES)


def hooks(path: str) -> dict[str, dict]:
    loaded = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    if isinstance(loaded, dict):  # a config: the hooks of each repository
        return {h["id"]: h for repo in loaded["repos"] for h in repo["hooks"]}
    return {h["id"]: h for h in loaded}


def test_the_hooks_offered_are_the_hooks_used_here() -> None:
    offered, used = hooks(".pre-commit-hooks.yaml"), hooks(".pre-commit-config.yaml")
    assert set(offered) == {"aesdata-fmt", "aesdata-validate"}
    assert {"aesdata-fmt", "aesdata-validate", "mypy", "ruff-check", "ruff-format"} <= set(used)
    for name, hook in offered.items():
        assert (used[name]["entry"], used[name]["files"]) == (hook["entry"], hook["files"])
        assert hook["pass_filenames"] is False  # the package is checked whole, once
        assert all(re.search(hook["files"], f) for f in HOOK_FILES)
        assert not re.search(hook["files"], "src/aesdata/cli.py")


@pytest.mark.parametrize("hook", ["aesdata-fmt", "aesdata-validate"])
def test_each_hook_passes_on_the_shipped_package(
    hook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # pre-commit runs hooks at the repository's root
    command, *args = shlex.split(hooks(".pre-commit-hooks.yaml")[hook]["entry"])
    assert command == "aesdata"
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="needs pre-commit")
def test_pre_commit_accepts_both_files() -> None:
    for check, path in (
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ):
        result = subprocess.run(
            ["pre-commit", check, path], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def aesdata_lines() -> list[tuple[str, str]]:
    """Every ``aesdata`` command the workflows run, up to a redirection or the end of a command."""
    out = []
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values():
            for step in job["steps"]:
                for line in str(step.get("run", "")).splitlines():
                    if "echo" in line:
                        continue
                    for found in re.finditer(r"(?:^|[\s(!])aesdata ([a-z][^;>|&]*)", line):
                        out.append((workflow.name, found.group(1).strip()))
    return out


@pytest.mark.parametrize(("workflow", "command"), aesdata_lines())
def test_the_workflows_call_commands_and_options_that_exist(workflow: str, command: str) -> None:
    name, *args = shlex.split(command)
    assert name in main.commands, f"{workflow}: no command {name!r}"
    try:
        main.commands[name].make_context(name, args)
    except click.UsageError as exc:
        pytest.fail(f"{workflow}: aesdata {command}: {exc}")


def test_the_pull_request_workflow_checks_against_the_base_and_posts_the_diff() -> None:
    calls = [command for _workflow, command in aesdata_lines()]
    assert 'validate --schemas-of "origin/$BASE" --format github' in calls
    assert 'diff "origin/$BASE" HEAD --check' in calls
    assert "fmt --check" in calls
    comment = (ROOT / ".github" / "workflows" / "pr-comment.yml").read_text()
    assert "workflow_run" in comment and "--method PATCH" in comment  # one comment, updated


def test_the_dictionary_shows_the_schema_version(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    descriptor = mini / "datapackage.json"
    descriptor.write_text(
        re.sub(r'"version": "[^"]*"', '"version": "7.3.0"', descriptor.read_text(), count=1)
    )
    monkeypatch.chdir(mini)
    assert CliRunner().invoke(main, ["docs", "."]).exit_code == 0
    text = (mini / "docs" / "data-dictionary.md").read_text()
    assert "\nSchema version: **7.3.0**, the package's version" in text
