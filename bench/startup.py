"""Start-up benchmark: how long `forcestat --help` and each command's help take.

    python bench/startup.py              # best of 7 runs each
    python bench/startup.py --repeat 15

Each figure is the best wall time of a fresh process (best, not mean: the machine is shared,
and the best run is the one least disturbed). The floor is a process that imports only what
any Typer + Rich command line must (``import typer, rich.console``), measured in the same
run; the ratio says how much forcestat adds on top. Target (issue 12): every help under
0.3 s. The reason they are fast is pinned by tests/test_cli_startup.py: help loads no
DuckDB, Ibis, pandas, NumPy, numba, sqlglot, Altair, WeasyPrint or pydantic.

Before timing, the package's bytecode is compiled (``compileall``), as installing a wheel
does and as any Python does on the first run: an editable install under
``PYTHONDONTWRITEBYTECODE=1`` (this machine's default) otherwise compiles every forcestat
module again in every process, about 0.1 s that no user pays.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

TARGET_S = 0.3
HELPS = [
    [],
    ["ingest"],
    ["measures"],
    ["report"],
    ["profile", "init"],
    ["synth"],
    ["demo"],
    ["demand", "estimate"],
]


def best_of(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system) of ``repeat`` fresh processes.

    CPU time is what the process itself spent; on a shared machine it grows far less than
    wall time, which also counts the time spent waiting for a core."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        wall = min(wall, time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu = min(cpu, used)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    py = sys.executable
    exe = os.path.join(os.path.dirname(py), "forcestat")
    import forcestat

    package = os.path.dirname(forcestat.__file__)
    subprocess.run([py, "-m", "compileall", "-q", package], check=True, capture_output=True)
    load = os.getloadavg()[0]
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs,"
        f" load average {load:.1f}"
    )
    print(f"{'':34s} {'wall':>7s} {'cpu':>7s}  wall / floor")
    bare, bare_cpu = best_of([py, "-c", "pass"], args.repeat)
    floor, floor_cpu = best_of([py, "-c", "import typer, rich.console"], args.repeat)
    print(f"{'python -c pass':34s} {bare:6.3f}s {bare_cpu:6.3f}s")
    print(f"{'floor: import typer, rich.console':34s} {floor:6.3f}s {floor_cpu:6.3f}s")
    worst = 0.0
    for h in HELPS:
        label = " ".join(["forcestat", *h, "--help"])
        t, cpu = best_of([exe, *h, "--help"], args.repeat)
        worst = max(worst, t)
        verdict = "ok" if t < TARGET_S else "SLOW"
        print(f"{label:34s} {t:6.3f}s {cpu:6.3f}s  {t / floor:4.2f}x  {verdict}")
    print(
        f"slowest help {worst:.3f} s wall (target < {TARGET_S} s): "
        f"{'met' if worst < TARGET_S else 'missed'}"
    )


if __name__ == "__main__":
    main()
