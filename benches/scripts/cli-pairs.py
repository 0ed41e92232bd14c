#!/usr/bin/env python3
"""Interleaved wall-clock and CPU times of commands, for the CLI goals of issues 10
and 14 on a shared machine (where wall times move with the other agents' load and
the CPU time, user + system of the command and its threads, from getrusage with
nanosecond accounting, is the steadier figure).

    python3 benches/scripts/cli-pairs.py RUNS NAME=COMMAND NAME=COMMAND ...

Each command is run through `sh -c`, RUNS rounds of all of them in the given order
(A B C A B C ...); `{i}` in a command is replaced by the round number (fresh output
names: tmpfs frees replaced files slowly). Prints each command's every wall time, the
median wall and CPU time, and the ratios of the first command's medians to each
(above 1: that command is faster than the first). The load average is printed
before and after.
"""

import os
import resource
import statistics
import subprocess
import sys
import time


def load() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def run(cmd: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(["sh", "-c", cmd], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    runs = int(sys.argv[1])
    cmds = [a.split("=", 1) for a in sys.argv[2:]]
    walls: dict[str, list[float]] = {n: [] for n, _ in cmds}
    cpus: dict[str, list[float]] = {n: [] for n, _ in cmds}
    print(f"load before: {load()}; {runs} interleaved rounds; {os.cpu_count()} cores")
    for i in range(runs):
        for name, cmd in cmds:
            w, c = run(cmd.replace("{i}", str(i)))
            walls[name].append(w)
            cpus[name].append(c)
    first = cmds[0][0]
    w0 = statistics.median(walls[first])
    c0 = statistics.median(cpus[first])
    for name, _ in cmds:
        w = statistics.median(walls[name])
        c = statistics.median(cpus[name])
        each = " ".join(f"{x:.3f}" for x in walls[name])
        print(
            f"{name:28} wall {w:.3f} s  cpu {c:.3f} s  | {first} / this: "
            f"wall {w0 / w:.2f}x cpu {c0 / c:.2f}x  | walls {each}"
        )
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
