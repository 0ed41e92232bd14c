#!/usr/bin/env python3
"""Interleaved rounds of the wasm-against-native comparison (BENCHMARKS.md,
"WebAssembly in Node against native"): each round runs every native
criterion binary of `wasm/benches/native.rs` (`--bench --warm-up-time 1
--measurement-time 3`, its own CRITERION_HOME, medians from estimates.json)
and `node bench.mjs` in every given directory (each with its package
installed); with `--cpu`, also every native `cpu_time` example binary and
`node bench-cpu.mjs` (CPU time, 64 KiB). Then it prints MB/s medians over
the rounds and each round's ratio of the first Node column against each
native one, one table for wall time and one for CPU time.

    python3 benches/scripts/wasm-rounds.py --rounds 3 \\
        --native native=target/release/deps/native-HASH \\
        --native soft=SOFT_TARGET_DIR/release/deps/native-HASH \\
        --node new=DIR_WITH_PACKAGE [--node old=OTHER_DIR] \\
        [--cpu --native-cpu native=target/release/examples/cpu_time \\
               --native-cpu soft=SOFT_TARGET_DIR/release/examples/cpu_time]

Node rows without a native bench of their own are compared with the native
operation they stand for (`frame encodeInto crc32c` with `frame encode
crc32c`, `frame decodeViews crc32c` with `frame decode crc32c`).
"""
import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import tempfile

NAMES = {
    ("frame crc32c", "encode_into"): "frame encode crc32c",
    ("frame crc32c", "Decoder"): "frame decode crc32c",
    ("sealed none", "Writer"): "sealed encode",
    ("sealed none", "Reader"): "sealed decode",
}
# Node operation -> the native operation it is compared with.
SAME_AS = {
    "frame encodeInto crc32c": "frame encode crc32c",
    "frame decodeViews crc32c": "frame decode crc32c",
}
ROW = re.compile(r"\| (.+?) \| (\d+) \| (\d+) \|")

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--native", action="append", default=[], help="label=criterion binary")
ap.add_argument("--node", action="append", default=[], help="label=directory with bench.mjs")
ap.add_argument("--cpu", action="store_true", help="also CPU time: bench-cpu.mjs and --native-cpu")
ap.add_argument("--native-cpu", action="append", default=[], help="label=cpu_time example binary")
args = ap.parse_args()
natives = [a.split("=", 1) for a in args.native]
natives_cpu = [a.split("=", 1) for a in args.native_cpu]
nodes = [a.split("=", 1) for a in args.node]
res = {"wall": {}, "cpu": {}}


def add(metric, col, op, size, v):
    res[metric].setdefault((op, size), {}).setdefault(col, []).append(v)


def criterion(col, exe):
    with tempfile.TemporaryDirectory() as home:
        subprocess.run([exe, "--bench", "--warm-up-time", "1", "--measurement-time", "3"],
                       env={**os.environ, "CRITERION_HOME": home}, stdout=subprocess.DEVNULL, check=True)
        for est in pathlib.Path(home).glob("**/new/estimates.json"):
            b = json.loads(est.with_name("benchmark.json").read_text())
            size = int(b["value_str"])
            median_ns = json.loads(est.read_text())["median"]["point_estimate"]
            add("wall", col, NAMES[(b["group_id"], b["function_id"])], size, size / median_ns * 1e3)


def rows(metric, col, out):
    for m in ROW.finditer(out):
        add(metric, col, m[1], int(m[2]), float(m[3]))


def node(metric, col, d, script):
    rows(metric, col, subprocess.run(["node", script], cwd=d, capture_output=True, text=True,
                                     check=True).stdout)


for r in range(args.rounds):
    print("round", r, "load", open("/proc/loadavg").read().split()[:3], flush=True)
    for col, exe in natives:
        criterion(col, exe)
    for col, d in nodes:
        node("wall", col, d, "bench.mjs")
    if args.cpu:
        for col, exe in natives_cpu:
            rows("cpu", col, subprocess.run([exe], capture_output=True, text=True, check=True).stdout)
        for col, d in nodes:
            node("cpu", col, d, "bench-cpu.mjs")
print("end load", open("/proc/loadavg").read().split()[:3])


def table(metric, native_cols):
    data = res[metric]
    if not data:
        return
    cols = [c for c, _ in nodes] + native_cols
    first = nodes[0][0]
    print(f"\n{metric} time, MB/s medians over {args.rounds} rounds")
    print("| operation | frame | " + " | ".join(cols) + " | "
          + " | ".join(f"{first} / {c} per round (median)" for c in native_cols) + " |")
    print("|---|---:|" + "---:|" * len(cols) + "---|" * len(native_cols))
    for (op, size), v in sorted(data.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if op in SAME_AS and (SAME_AS[op], size) not in data:
            continue
        base = data.get((SAME_AS.get(op, op), size), {})
        cells = []
        for c in cols:
            src = v if c in v else base if c in native_cols else {}
            cells.append(f"{statistics.median(src[c]):.0f}" if c in src else "—")
        ratios = []
        for c in native_cols:
            if first in v and c in base:
                rs = [a / b for a, b in zip(v[first], base[c])]
                ratios.append(", ".join(f"{x:.2f}" for x in rs) + f" ({statistics.median(rs):.2f})")
            else:
                ratios.append("—")
        print(f"| {op} | {size} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")


table("wall", [c for c, _ in natives])
table("cpu", [c for c, _ in natives_cpu])
