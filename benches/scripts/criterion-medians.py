#!/usr/bin/env python3
"""Prints criterion's median (ns per iteration) of every benchmark whose
"group/function/size" id matches REGEX, from DIR/**/new/estimates.json
(default target/criterion), and each function's ratio against a peer: peer
median / ours (above 1 is faster). With several --criterion DIRs (copies of
target/criterion from repeated runs), each cell is the lowest of its medians.

    python3 benches/scripts/criterion-medians.py [--criterion DIR]... [--peer FUNCTION] REGEX
"""
import argparse
import json
import pathlib
import re

ap = argparse.ArgumentParser()
ap.add_argument("--criterion", action="append")
ap.add_argument("--peer", help="function name the others are compared with")
ap.add_argument("regex")
args = ap.parse_args()

rows = {}
dirs = args.criterion or ["target/criterion"]
for est in (e for d in dirs for e in pathlib.Path(d).glob("**/new/estimates.json")):
    bench = json.loads(est.with_name("benchmark.json").read_text())
    group, func, size = bench["group_id"], bench["function_id"], bench.get("value_str")
    ident = f"{group}/{func}/{size}"
    if not re.search(args.regex, ident):
        continue
    median = json.loads(est.read_text())["median"]["point_estimate"]
    key = (group, size, func)
    rows[key] = min(median, rows.get(key, median))


def size_key(s):
    return int(s) if s and s.isdigit() else 0


for (group, size, func) in sorted(rows, key=lambda k: (k[0], size_key(k[1]), k[2])):
    median = rows[(group, size, func)]
    line = f"{group:28} {size:>8} {func:40} {median:12.1f} ns"
    if args.peer and (group, size, args.peer) in rows and func != args.peer:
        line += f"  {rows[(group, size, args.peer)] / median:5.2f}x vs {args.peer}"
    print(line)
