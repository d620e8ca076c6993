"""Benchmark aesdata against the I/O floor and the official validator, as whole processes.

    python scripts/bench.py [--sizes 10000 100000 1000000] [--runs 5] [--slow-runs 1] [--blocks]

For each size it writes a synthetic package (scripts/synth.py), then runs, interleaved and
``--runs`` times each, in an order that turns from run to run (``--blocks``: each tool
``--runs`` times in a row instead): the floor (pyarrow reads every CSV and writes zstd
Parquet), ``aesdata validate``, ``aesdata build`` as it comes (figures included) and with
``--no-figures``, with each optional output (``--archive``, ``--sqlite``), the figures alone
(``render`` timed inside its process, on tables read from a release built beforehand,
untimed; all four, and the three issue 14 set its goal for), and ``aesdata validate`` on the
same package with one error injected per rule (``synth.py --inject-errors``; before timing,
the bench stops unless every injected error is reported at its file, line and rule); and
``--slow-runs`` times the official ``frictionless validate``. It reports the median
wall time and its ratio to the floor's median, the best time and its ratio to the floor's best
(the least disturbed runs), and the peak resident memory of each process (from ``wait4``),
against the size of the CSVs; then the largest figure files. Each build writes a new release
directory: the previous run's is removed first, untimed, and so is the floor's. Timings on a
shared machine are noisy: read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
FLOOR = """
import sys, pathlib, pyarrow.csv as c, pyarrow.parquet as q
out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
out.mkdir()
for p in sorted(pathlib.Path(sys.argv[1], "data").glob("*.csv")):
    q.write_table(c.read_csv(p), out / (p.stem + ".parquet"), compression="zstd")
"""


FIGURES = """
import sys, time, pathlib, polars as pl
from aesdata.figures import COLUMNS, render
release = pathlib.Path(sys.argv[1])
out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
frames = {t: pl.read_parquet(release / f"{t}.parquet", columns=list(c)) for t, c in COLUMNS.items()}
chosen = sys.argv[sys.argv.index("--pictures") + 1].split(",") if "--pictures" in sys.argv else None
start = time.perf_counter()
import matplotlib
render(frames, out, note="bench", pictures=chosen)
print(time.perf_counter() - start)
"""


def run(cmd: list[str], inner: bool = False) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in bytes and exit status of one whole process.

    ``inner``: the seconds are the ones the process prints (the figures time their own work).
    """
    start = time.perf_counter()
    out = subprocess.PIPE if inner else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    printed = proc.stdout.read() if proc.stdout else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = float(printed) if inner and printed.strip() else time.perf_counter() - start
    return seconds, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def fresh(cmd: list[str]) -> None:
    """Remove the previous run's output, untimed: every tool writes to a new directory."""
    if "--out" in cmd:
        shutil.rmtree(cmd[cmd.index("--out") + 1], ignore_errors=True)
        os.sync()


SLOW = ("frictionless",)
FIGURES_ONLY = "figures alone (render, in-process)"
#: The three figures issue 14 set its goal for (the tolls figure came after it).
THREE = ("timeline", "map", "memberships")
FIGURES_THREE = "figures alone, the goal's three (no tolls)"


INJECTED = "aesdata validate (injected errors)"


def tools(pkg: Path, out: Path, source: Path, broken: Path) -> dict[str, list[str]]:
    """Every tool timed: ``source`` is a release of ``pkg`` the figures are drawn from, and
    ``broken`` the same package with one error injected per rule."""
    aesdata = str(BIN / "aesdata")
    build = [aesdata, "build", str(pkg), "--out"]
    return {
        "floor (pyarrow CSV → zstd Parquet)": [
            *(sys.executable, "-c", FLOOR, str(pkg), "--out", str(out / "floor")),
        ],
        "aesdata validate": [aesdata, "validate", str(pkg)],
        INJECTED: [aesdata, "validate", str(broken), "--format", "json"],
        "aesdata build": [*build, str(out / "release")],
        "aesdata build --no-figures": [*build, str(out / "release-bare"), "--no-figures"],
        FIGURES_ONLY: [sys.executable, "-c", FIGURES, str(source), "--out", str(out / "figures")],
        FIGURES_THREE: [
            *(sys.executable, "-c", FIGURES, str(source), "--out", str(out / "figures-three")),
            *("--pictures", ",".join(THREE)),
        ],
        "aesdata build --archive": [*build, str(out / "release-zip"), "--archive"],
        "aesdata build --sqlite": [*build, str(out / "release-db"), "--sqlite"],
        "frictionless validate": [
            str(BIN / "frictionless"),
            "validate",
            str(pkg / "datapackage.json"),
        ],
    }


def synthesise(size: int, pkg: Path, *options: str) -> Path:
    """The synthetic package of ``size`` events at ``pkg``, written once and then reused."""
    if not (pkg / "datapackage.json").is_file():
        cmd = [sys.executable, str(HERE / "synth.py"), "--events", str(size), "--out", str(pkg)]
        subprocess.run([*cmd, *options], check=True, stdout=subprocess.DEVNULL)
    return pkg


def every_injected_error_found(broken: Path) -> None:
    """Validate the broken package once, untimed: stop unless each injected error is reported
    at its file, line and rule (the check ``tests/test_synth.py`` makes at 2,000 events)."""
    out = subprocess.run(
        [str(BIN / "aesdata"), "validate", str(broken), "--format", "json"],
        capture_output=True,
        text=True,
    ).stdout
    found = {(p["file"], p["line"], p["rule"]) for p in json.loads(out)["problems"]}
    expected = json.loads((broken / "expected-problems.json").read_text(encoding="utf-8"))
    missing = [e for e in expected if (e["file"], e["line"], e["rule"]) not in found]
    if missing:
        raise SystemExit(f"{broken}: injected errors not reported: {missing}")
    print(f"  {broken.name}: all {len(expected)} injected errors reported", file=sys.stderr)


def schedule(names: list[str], runs: int, slow_runs: int, blocks: bool) -> list[str]:
    """The order of the runs: interleaved, turning each round, or (``blocks``) tool by tool.

    On a virtual machine the process that follows one which freed a gigabyte pays more for its
    page faults; turning the order makes every tool follow the build in turn, and blocks let
    each tool follow itself (the least disturbed runs, bar each block's first).
    """
    if blocks:
        return [
            n for n in names for i in range(runs) if not (n.startswith(SLOW) and i >= slow_runs)
        ]
    order = []
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            if not (name.startswith(SLOW) and i >= slow_runs):
                order.append(name)
    return order


def bench(
    size: int, runs: int, slow_runs: int, work: Path, blocks: bool = False
) -> list[dict[str, object]]:
    pkg = synthesise(size, work / f"synth-{size}")
    csv_bytes = sum(p.stat().st_size for p in (pkg / "data").glob("*.csv"))
    source = work / f"source-{size}"
    if not (source / "SHA256SUMS").is_file():  # the figures' input, built once and untimed
        cmd = [str(BIN / "aesdata"), "build", str(pkg), "--out", str(source), "--no-figures"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    broken = synthesise(size, work / f"synth-{size}-errors", "--inject-errors")
    every_injected_error_found(broken)
    commands = tools(pkg, work, source, broken)
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, int] = dict.fromkeys(commands, 0)
    for name in schedule(list(commands), runs, slow_runs, blocks):
        cmd = commands[name]
        fresh(cmd)
        seconds, rss, code = run(cmd, inner=name in (FIGURES_ONLY, FIGURES_THREE))
        if code != (1 if name == INJECTED else 0):
            raise SystemExit(f"{name} failed on {pkg} (exit {code}): {' '.join(cmd)}")
        times[name].append(seconds)
        memory[name] = max(memory[name], rss)
        print(f"  {size:>9} {name:<36} {seconds:8.2f} s", file=sys.stderr)
    floor = statistics.median(times[next(iter(commands))])
    best_floor = min(times[next(iter(commands))])
    return [
        {
            "events": size,
            "tool": name,
            "runs": len(t),
            "median_s": statistics.median(t),
            "ratio": statistics.median(t) / floor,
            "best_s": min(t),
            "best_ratio": min(t) / best_floor,
            "peak_mb": memory[name] / 2**20,
            "memory_ratio": memory[name] / csv_bytes,
            "csv_mb": csv_bytes / 2**20,
        }
        for name, t in times.items()
        if t
    ]


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| events | tool | runs | median (s) | x floor | best (s) | x best floor "
        "| peak memory (MB) | x CSV size |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['events']:,} | {r['tool']} | {r['runs']} | {r['median_s']:.2f} | {r['ratio']:.2f} "
        f"| {r['best_s']:.2f} | {r['best_ratio']:.2f} | {r['peak_mb']:.0f} | {r['memory_ratio']:.2f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of the official validator")
    parser.add_argument("--work", type=Path, default=Path("/tmp/aesdata-bench"))
    parser.add_argument(
        "--blocks", action="store_true", help="run each tool --runs times in a row, not interleaved"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    sizes: dict[int, dict[str, int]] = {}
    for size in args.sizes:
        rows += bench(size, args.runs, args.slow_runs, args.work, args.blocks)
        figures = args.work / "figures"
        sizes[size] = {
            ext: max((p.stat().st_size for p in figures.glob(f"*.{ext}")), default=0)
            for ext in ("png", "svg")
        }
        for name in (
            *("floor", "release", "release-bare", "release-zip", "release-db"),
            *("figures", "figures-three"),
        ):
            shutil.rmtree(args.work / name, ignore_errors=True)
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"command: python scripts/bench.py {' '.join(sys.argv[1:])}")
    for size in args.sizes:
        csv_mb = next(r["csv_mb"] for r in rows if r["events"] == size)
        print(f"CSV size at {size:,} events: {csv_mb:.0f} MB")
    print(markdown(rows))
    for size, largest in sizes.items():
        print(
            f"largest figure files at {size:,} events: PNG {largest['png']:,} bytes, "
            f"SVG {largest['svg']:,} bytes"
        )


if __name__ == "__main__":
    main()
