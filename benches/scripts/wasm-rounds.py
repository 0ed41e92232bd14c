#!/usr/bin/env python3
"""Interleaved rounds of the wasm-against-native comparison (BENCHMARKS.md,
"The simd128 sealing backend"): each round runs every native criterion
binary of `wasm/benches/native.rs` (`--bench --warm-up-time 1
--measurement-time 3`, its own CRITERION_HOME, medians from estimates.json)
and `node bench.mjs` in every given directory (each with its package
installed), then prints MB/s medians over the rounds and each round's ratio
of the first Node column against each native one.

    python3 benches/scripts/wasm-rounds.py --rounds 3 \\
        --native native=target/release/deps/native-HASH \\
        --native soft=SOFT_TARGET_DIR/release/deps/native-HASH \\
        --node simd=DIR_WITH_PACKAGE [--node nosimd=OTHER_DIR]
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

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--native", action="append", default=[], help="label=criterion binary")
ap.add_argument("--node", action="append", default=[], help="label=directory with bench.mjs")
args = ap.parse_args()
natives = [a.split("=", 1) for a in args.native]
nodes = [a.split("=", 1) for a in args.node]
res = {}


def add(col, op, size, v):
    res.setdefault((op, size), {}).setdefault(col, []).append(v)


def criterion(col, exe):
    with tempfile.TemporaryDirectory() as home:
        subprocess.run([exe, "--bench", "--warm-up-time", "1", "--measurement-time", "3"],
                       env={**os.environ, "CRITERION_HOME": home}, stdout=subprocess.DEVNULL, check=True)
        for est in pathlib.Path(home).glob("**/new/estimates.json"):
            b = json.loads(est.with_name("benchmark.json").read_text())
            size = int(b["value_str"])
            median_ns = json.loads(est.read_text())["median"]["point_estimate"]
            add(col, NAMES[(b["group_id"], b["function_id"])], size, size / median_ns * 1e3)


def node(col, d):
    out = subprocess.run(["node", "bench.mjs"], cwd=d, capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"\| (.+?) \| (\d+) \| (\d+) \|", out):
        add(col, m[1], int(m[2]), float(m[3]))


for r in range(args.rounds):
    print("round", r, "load", open("/proc/loadavg").read().split()[:3], flush=True)
    for col, exe in natives:
        criterion(col, exe)
    for col, d in nodes:
        node(col, d)
print("end load", open("/proc/loadavg").read().split()[:3])
cols = [c for c, _ in nodes] + [c for c, _ in natives]
first = nodes[0][0]
print("| operation | frame | " + " | ".join(cols) + " | "
      + " | ".join(f"{first} / {c} per round" for c, _ in natives) + " |")
print("|---|---:|" + "---:|" * len(cols) + "---|" * len(natives))
for (op, size), v in sorted(res.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    cells = [f"{statistics.median(v[c]):.0f}" for c in cols]
    ratios = [", ".join(f"{a / b:.2f}" for a, b in zip(v[first], v[c])) for c, _ in natives]
    print(f"| {op} | {size} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
